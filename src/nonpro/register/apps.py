from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "nonpro.register"
    label = "register"
    verbose_name = _("Register of Scientific Developments")

    def ready(self) -> None:
        # The ``rsd`` path converter must exist before any URL module of the register is imported.
        from nonpro.register import converters  # noqa: F401
