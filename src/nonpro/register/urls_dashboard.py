"""Routes of the register's dashboard and trend notes (included by ``nonpro.register.urls``)."""

from django.urls import URLPattern, path

from nonpro.register import dashboard_views

urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("trends/notes/", dashboard_views.trend_notes, name="trend_notes"),
    path("trends/notes/new/", dashboard_views.trend_note_new, name="trend_note_new"),
    path(
        "trends/notes/<int:pk>/acknowledge/",
        dashboard_views.trend_note_acknowledge_view,
        name="trend_note_acknowledge",
    ),
]
