from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "nonpro.api"
    label = "api"
    verbose_name = "API"
