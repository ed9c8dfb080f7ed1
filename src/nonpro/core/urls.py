from django.urls import path

from nonpro.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("countries/", views.countries, name="countries"),
]
