"""Audit events, chained by SHA-256, and the signed checkpoints that seal them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Append-only: never updated, never deleted."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    created_at = models.DateTimeField(_("time (UTC)"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )  # fmt: skip
    actor_label = models.CharField(_("actor as recorded"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)
    prev_hash = models.CharField(_("hash of the previous event"), max_length=64)
    hash = models.CharField(_("hash of this event"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
