from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatricesConfig(AppConfig):
    name = "nonpro.matrices"
    label = "matrices"
    verbose_name = _("National implementation matrices")
