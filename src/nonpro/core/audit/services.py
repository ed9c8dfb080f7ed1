"""Write audit events and seal them. Every app calls ``audit_record`` inside the transaction of its change.

The canonical content of an event — the bytes its ``hash`` and its Merkle leaf cover — is fixed
(docs/audit.md describes it for outside verifiers; never change it without a new chain format):
a JSON object with exactly the keys ``seq``, ``created_at``, ``actor_id``, ``actor_label``,
``action``, ``object_type``, ``object_id``, ``summary``, ``ip_address``, ``user_agent`` and
``prev_hash``; keys sorted, separators ``,`` and ``:`` without spaces, non-ASCII characters
written as themselves, UTF-8; ``created_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.
``hash`` is the lowercase hex SHA-256 of that, and ``prev_hash`` the previous event's ``hash``
(64 zeros for event 1). Sequence numbers start at 1 and have no gaps.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from nonpro.core.audit import merkle
from nonpro.core.audit.keys import key_ensure, signing_key_load
from nonpro.core.audit.models import AuditCheckpoint, AuditEvent
from nonpro.core.audit.notes import NoteBody, note_sign
from nonpro.core.audit.selectors import AuditFilter, audit_events_for_export
from nonpro.core.policy import Viewer, can

GENESIS_HASH = "0" * 64
_LOCK_KEY = 154_020_04  # pg_advisory_xact_lock key that serialises appends on PostgreSQL


class AuditIntegrityError(Exception):
    """The stored chain does not verify, so it must not be sealed."""


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


def event_content(event: AuditEvent, *, seq: int | None = None) -> bytes:
    """Return the canonical content of a stored event (what its ``hash`` must match).

    ``seq`` replaces the event's own sequence number (the verifier uses it to recognise renumbering).
    """
    return canonical_content(
        seq=event.seq if seq is None else seq,
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
    """Return the client's address in the form the database gives back (IPv6 compressed), or None.

    The address is the one allauth's throttling uses: ``REMOTE_ADDR``, or behind
    ``ALLAUTH_TRUSTED_PROXY_COUNT`` trusted proxies the matching ``X-Forwarded-For`` entry.
    """
    from allauth.account.adapter import get_adapter

    try:
        address = ipaddress.ip_address(str(get_adapter(request).get_client_ip(request)).strip())
    except (PermissionDenied, ValueError):
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _clean_text(value: str) -> str:
    # PostgreSQL stores no NUL character; replacing it keeps the stored value equal to the hashed one.
    return value.replace("\x00", "\ufffd")


_ENCODER = DjangoJSONEncoder()


def _normalize(value: Any) -> Any:
    """Return ``value`` as JSON that survives a database round trip unchanged (hashes depend on it).

    Dates, decimals, UUIDs and lazy translations become strings (as ``DjangoJSONEncoder`` writes
    them); floats become their ``repr`` because PostgreSQL's ``jsonb`` may rewrite their notation.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {_clean_text(str(key)): _normalize(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_normalize(item) for item in value]
    return _clean_text(str(_ENCODER.default(value)))


def _append_lock() -> None:
    """Serialise appends: a PostgreSQL advisory lock held to the end of the transaction.

    SQLite needs none: its transactions start IMMEDIATE (settings), so one writer at a time.
    The unique ``seq`` and ``hash`` columns are the last line of defence either way.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def event_hash(event: AuditEvent) -> str:
    """Return the hex SHA-256 of a stored event's canonical content (equals ``event.hash`` when intact)."""
    return hashlib.sha256(event_content(event)).hexdigest()


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
        _append_lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        fields: dict[str, Any] = {
            "seq": seq,
            "created_at": timezone.now(),
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": _clean_text(str(getattr(actor, "email", "") or ""))[:254] if actor is not None else "",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "summary": _normalize(summary or {}),
            "ip_address": _client_ip(request) if request is not None else None,
            "user_agent": _clean_text(str(request.META.get("HTTP_USER_AGENT", "")))[:500]
            if request is not None
            else "",
            "prev_hash": prev_hash,
        }
        digest = hashlib.sha256(canonical_content(**fields)).hexdigest()
        return AuditEvent.objects.create(hash=digest, **fields)


def checkpoint_seal(*, only_if_new: bool = False) -> AuditCheckpoint | None:
    """Seal events 1..N into a signed checkpoint (Merkle root and count) and return it.

    With ``only_if_new``, return ``None`` instead when the newest checkpoint already covers the
    newest event (periodic sealing). Refuses (``AuditIntegrityError``) to seal a chain that does not
    verify, and raises ``AuditKeyError`` when the signing key is missing.
    """
    private_key = signing_key_load()
    # No transaction: events up to ``last_seq`` are committed and immutable (appends are serialised,
    # so every lower seq committed first), and a long read must not hold SQLite's write lock.
    last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    newest = AuditCheckpoint.objects.order_by("-seq", "-id").first()
    if only_if_new and newest is not None and newest.seq == last_seq:
        return None
    accumulator = merkle.MerkleAccumulator()
    prev_hash = GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__lte=last_seq).order_by("seq").iterator(chunk_size=2000):
        content = event_content(event)
        if event.seq != accumulator.size + 1:
            raise AuditIntegrityError(f"Event #{accumulator.size + 1} is missing; run `nonpro audit verify`.")
        if hashlib.sha256(content).hexdigest() != event.hash or event.prev_hash != prev_hash:
            raise AuditIntegrityError(f"Event #{event.seq} does not verify; run `nonpro audit verify`.")
        accumulator.append(content)
        prev_hash = event.hash
    body = NoteBody(
        origin=str(settings.AUDIT_ORIGIN),
        events=accumulator.size,
        last=last_seq,
        root=accumulator.root().hex(),
        time=timezone.now().replace(microsecond=0),
    )
    note, signer, signature = note_sign(body, private_key)
    return AuditCheckpoint.objects.create(
        seq=body.last,
        event_count=body.events,
        root=body.root,
        signature=signature,
        key_id=signer,
        created_at=body.time,
        note=note,
    )


def audit_demo_prepare() -> str:
    """Make sure the demo has a signing key and a first checkpoint; return one line to print.

    Idempotent: it seals only while there is no checkpoint yet, so running the demo again changes nothing.
    """
    key = key_ensure()
    checkpoint = AuditCheckpoint.objects.order_by("-seq", "-id").first() or checkpoint_seal()
    events = checkpoint.event_count if checkpoint is not None else 0
    return (
        f"Audit log: signing key {key.private_path} (key id {key.key_id}); "
        f"checkpoint over {events} events. Check it with `nonpro audit verify`."
    )


EXPORTED = "audit.exported"


def audit_export_start(*, viewer: Viewer, filters: AuditFilter, request: HttpRequest | None = None) -> int:
    """Record that ``viewer`` exports the events matching ``filters``; return the last seq the export covers.

    The export is bounded to the events that existed before this one, so that it is reproducible.
    """
    if not can(viewer, "audit.export"):
        raise PermissionDenied
    with transaction.atomic():
        _append_lock()
        up_to_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        rows = audit_events_for_export(viewer=viewer, filters=filters, up_to_seq=up_to_seq).count()
        audit_record(
            action=EXPORTED,
            summary={"filter": filters.as_summary(), "up_to_seq": up_to_seq, "rows": rows, "format": "csv"},
            request=request,
        )
    return up_to_seq
