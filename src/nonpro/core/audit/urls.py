"""Audit log pages under /<lang>/audit/."""

from django.urls import URLPattern, URLResolver, path

from nonpro.core.audit import views

app_name = "audit"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.event_list, name="list"),
    path("export.csv", views.event_export, name="export"),
    path("<int:seq>/", views.event_detail, name="detail"),
]
