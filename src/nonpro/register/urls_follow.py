"""Routes of the register's follow pages and the trends report (included by ``nonpro.register.urls``)."""

from django.urls import URLPattern, path

from nonpro.register import follow_views

urlpatterns: list[URLPattern] = [
    path("follow/", follow_views.subscriptions, name="subscriptions"),
    path("report/", follow_views.report_page, name="report"),
    path("report.pdf", follow_views.report_pdf, name="report_pdf"),
]
