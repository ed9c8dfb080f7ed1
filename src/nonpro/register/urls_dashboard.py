"""Routes of the register's dashboard and trend notes (included by ``nonpro.register.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
