"""Audit events, chained by SHA-256, and the signed checkpoints that seal them.

Both tables are append-only: database triggers (``triggers.py``, created by migration 0001) refuse
every UPDATE and DELETE, so changing history takes deliberate raw SQL that drops the triggers
first — and ``nonpro audit verify`` then finds the change. On SQLite, Django rebuilds a table
(and so loses its triggers) for many field changes: a later migration that alters these models
must run ``triggers.create`` again at its end.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Append-only: never updated, never deleted."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    created_at = models.DateTimeField(_("time (UTC)"))
    # No database constraint and no cascade: deleting or disabling a person must never touch
    # (and could never update) the events they are the actor of; ``actor_label`` keeps the e-mail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+", verbose_name=_("actor"),
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


class AuditCheckpoint(models.Model):
    """A signed seal over events 1..``seq``: their count and RFC 6962 Merkle root, as a printable note."""

    seq = models.PositiveBigIntegerField(_("last event covered"))
    event_count = models.PositiveBigIntegerField(_("number of events"))
    root = models.CharField(_("Merkle root"), max_length=64)
    signature = models.CharField(_("Ed25519 signature (base64)"), max_length=100)
    key_id = models.CharField(_("signing key id"), max_length=16)
    created_at = models.DateTimeField(_("time (UTC)"))
    note = models.TextField(_("signed note"))

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["-seq", "-id"]

    def __str__(self) -> str:
        return f"checkpoint {self.event_count} events, root {self.root[:16]}"
