"""The expert directory, under ``/<lang>/experts/``."""

from django.urls import URLPattern, URLResolver, path

from nonpro.accounts import views_experts as views

app_name = "experts"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.directory, name="directory"),
    path("me/", views.me, name="me"),
    path("me/conflicts/<int:coi_id>/withdraw/", views.coi_withdraw, name="coi_withdraw"),
    path("vetting/", views.vetting, name="vetting"),
    path("<int:user_id>/", views.detail, name="detail"),
    path("<int:user_id>/vet/", views.vet, name="vet"),
]
