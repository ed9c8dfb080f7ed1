from django.urls import path

from nonpro.matrices import views

app_name = "matrices"
urlpatterns = [
    path("", views.index, name="index"),
]
