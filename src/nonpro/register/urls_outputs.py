"""Routes of the register's outputs pages (included by ``nonpro.register.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
