from django.urls import path

from nonpro.horizon import views

app_name = "horizon"
urlpatterns = [
    path("", views.index, name="index"),
]
