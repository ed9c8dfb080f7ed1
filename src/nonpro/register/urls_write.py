"""Routes of the register's write pages (included by ``nonpro.register.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
