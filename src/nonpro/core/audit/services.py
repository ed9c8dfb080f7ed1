"""Write audit events. Every app calls ``audit_record`` inside the transaction of its change."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from nonpro.core.audit.models import AuditEvent

GENESIS_HASH = "0" * 64
_LOCK_KEY = 154_020_04  # pg_advisory_xact_lock key that serialises appends on PostgreSQL


def canonical_content(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: dict[str, Any],
    ip_address: str | None,
    user_agent: str,
    prev_hash: str,
) -> bytes:
    """Return the bytes that an event's hash covers: sorted-key JSON in UTF-8, times in UTC."""
    document = {
        "seq": seq,
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "ip_address": ip_address,
        "user_agent": user_agent,
        "prev_hash": prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_content(event: AuditEvent) -> bytes:
    """Return the canonical content of a stored event (what its ``hash`` must match)."""
    return canonical_content(
        seq=event.seq,
        created_at=event.created_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        summary=event.summary,
        ip_address=event.ip_address,
        user_agent=event.user_agent,
        prev_hash=event.prev_hash,
    )


def _client_ip(request: HttpRequest) -> str | None:
    address = request.META.get("REMOTE_ADDR")
    return str(address) if address else None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the chain and return it.

    Call it inside the transaction of the change it records, so that both land or neither does.
    ``summary`` holds a before/after summary — never the content of RESTRICTED fields.
    ``actor`` defaults to ``request.user``; ``obj`` fills ``object_type`` and ``object_id``.
    """
    if actor is None and request is not None and getattr(request.user, "is_authenticated", False):
        actor = request.user
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or obj.pk
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": timezone.now(),
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": str(getattr(actor, "email", "") or "") if actor is not None else "",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "summary": summary or {},
            "ip_address": _client_ip(request) if request is not None else None,
            "user_agent": (request.META.get("HTTP_USER_AGENT", "")[:500] if request is not None else ""),
            "prev_hash": prev_hash,
        }
        digest = hashlib.sha256(canonical_content(**fields)).hexdigest()
        return AuditEvent.objects.create(hash=digest, **fields)
