from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HorizonConfig(AppConfig):
    name = "nonpro.horizon"
    label = "horizon"
    verbose_name = _("Horizon scanning")
