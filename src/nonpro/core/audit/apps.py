"""The tamper-evident audit log (Django app label ``audit``): who did what, when, from where."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "nonpro.core.audit"
    label = "audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from nonpro.core.audit import signals

        signals.connect()
