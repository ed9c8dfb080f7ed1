"""Reads of the audit log, always through the policy (``audit.view``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import Viewer, can


@dataclass(frozen=True)
class AuditFilter:
    """What an administrator asked for; empty fields do not filter. Dates are UTC days, both inclusive."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_summary(self) -> dict[str, Any]:
        """Return the filter as plain JSON for the audit event of an export (only the fields set)."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in values.items() if value}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _apply(events: QuerySet[AuditEvent], filters: AuditFilter) -> QuerySet[AuditEvent]:
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.action:
        # "account" finds account.signed_in, account.sign_in_failed …; "account.signed_in" that one.
        events = events.filter(Q(action=filters.action) | Q(action__startswith=f"{filters.action.rstrip('.')}."))
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.date_from:
        events = events.filter(created_at__gte=_midnight(filters.date_from))
    if filters.date_to:
        events = events.filter(created_at__lt=_midnight(filters.date_to + timedelta(days=1)))
    return events


def audit_events_for(*, viewer: Viewer, filters: AuditFilter | None = None) -> QuerySet[AuditEvent]:
    """Return the events ``viewer`` may browse that match ``filters``, newest first (none without ``audit.view``)."""
    if not can(viewer, "audit.view"):
        return AuditEvent.objects.none()
    return _apply(AuditEvent.objects.order_by("-seq"), filters or AuditFilter())


def audit_events_for_export(*, viewer: Viewer, filters: AuditFilter, up_to_seq: int) -> QuerySet[AuditEvent]:
    """Return the events ``viewer`` may export, oldest first, up to ``up_to_seq`` (none without ``audit.export``)."""
    if not can(viewer, "audit.export"):
        return AuditEvent.objects.none()
    return _apply(AuditEvent.objects.filter(seq__lte=up_to_seq).order_by("seq"), filters)


def audit_actions_known() -> list[str]:
    """Return the action names present in the log, for the filter's suggestions."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
