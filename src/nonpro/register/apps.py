from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "nonpro.register"
    label = "register"
    verbose_name = _("Register of Scientific Developments")
