"""Import of exchange documents: each valid document in its own transaction, problems reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import HttpRequest

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import ANONYMOUS, Tier, can, viewer_for
from nonpro.register.exchange.reading import (
    ImportReport,
    Problem,
    Raw,
    _parse_timestamp,
    _part_tiers,
    _unwrap,
    document_problems,
    parse_document,
    read_documents,
)
from nonpro.register.exchange.schema import (
    CLEANED_FIELDS,
    IMPORT_ACTION,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    SCHEMA_VERSION,
    TAXONOMY_FIELDS,
)
from nonpro.register.history import snapshot
from nonpro.register.models import (
    PUBLIC_STATUSES,
    TIER_GROUPS,
    Entry,
    EntryIdCounter,
    EntryRelation,
    EntryRevision,
    RevisionEvent,
)
from nonpro.register.services import RegisterError
from nonpro.register.values import assign_values, clean_values, empty_values, write_rows

# --- import ---------------------------------------------------------------------------------------------------


def import_actor(email: str) -> User:
    """Return the active person with ``email`` who may import (publish); raise ``RegisterError`` otherwise."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not can(viewer_for(user), IMPORT_ACTION):
        raise RegisterError(
            f"{email} is not an active committee analyst with two-factor authentication set up.", code="import_actor"
        )
    return user


def _import_values(document: Mapping[str, Any], *, new: bool) -> dict[str, Any]:
    """Return the canonical values of the fields present (all fields, absent ones empty, for a new entry)."""
    values: dict[str, Any] = empty_values() if new else {}
    cleaned_input = {name: _unwrap(document, name)[1] for name in CLEANED_FIELDS if name in document}
    for name in ("title", "summary"):
        if cleaned_input.get(name) == "":
            cleaned_input.pop(name)
            values[name] = ""
    cleaned = clean_values(
        {name: value for name, value in cleaned_input.items() if name not in TAXONOMY_FIELDS},
        current=empty_values(),
        editor=ANONYMOUS,
        rsd_id=str(document["id"]),
        published=False,
    )
    cleaned.pop("concern_level", None)  # the level is taken as published, not derived again
    values.update(cleaned)
    for name in (*TAXONOMY_FIELDS, "concern_level", "title_translations", "summary_translations"):
        if name in document:
            values[name] = _unwrap(document, name)[1]
    if "translation_status" in document:
        values["translation_status"] = _unwrap(document, "translation_status")[1]
    values.pop("related", None)
    if "related" in document:
        values["related"] = sorted(set(_unwrap(document, "related")[1]))
    for name in TAXONOMY_FIELDS:
        if name in values:
            values[name] = sorted(set(values[name]))
    return values


def _apply_record(entry: Entry, document: Mapping[str, Any]) -> None:
    entry.status = str(document["status"])
    entry.serial = int(document["serial"])
    entry.original_language = str(document["original_language"])
    entry.published_at = _parse_timestamp(str(document["published"]))
    entry.modified_at = _parse_timestamp(str(document["modified"]))
    entry.withdrawn_at = _parse_timestamp(str(document["withdrawn"])) if "withdrawn" in document else None
    entry.withdrawal_reason = str(document.get("withdrawal_reason", ""))


def link_related(entry: Entry, rsd_ids: list[str]) -> list[str]:
    """Relate ``entry`` to exactly the published entries ``rsd_ids`` among published ones; return those missing.

    Relations to unpublished entries here are left alone: the format carries published entries only.
    """
    wanted = dict(
        Entry.objects.filter(rsd_id__in=rsd_ids, status__in=sorted(PUBLIC_STATUSES))
        .exclude(pk=entry.pk)
        .values_list("rsd_id", "pk")
    )
    current = set(entry.related_entries().filter(status__in=sorted(PUBLIC_STATUSES)).values_list("pk", flat=True))
    for other in current - set(wanted.values()):
        EntryRelation.objects.filter(entry_a_id=min(entry.pk, other), entry_b_id=max(entry.pk, other)).delete()
    EntryRelation.objects.bulk_create(
        EntryRelation(entry_a_id=min(entry.pk, other), entry_b_id=max(entry.pk, other))
        for other in set(wanted.values()) - current
    )
    return sorted(set(rsd_ids) - set(wanted) - {entry.rsd_id})


def _advance_counter(rsd_id: str) -> None:
    """Make sure new drafts never take an imported identifier: the year's counter moves past it."""
    _prefix, year, number = rsd_id.split("-")
    EntryIdCounter.objects.bulk_create([EntryIdCounter(year=int(year), last=0)], ignore_conflicts=True)
    EntryIdCounter.objects.filter(year=int(year)).update(last=Greatest(F("last"), int(number)))


def _record_import(entry: Entry, *, by: User, created: bool, source: str, request: HttpRequest | None) -> None:
    """Write the revision and the audit event of an import, and reindex the entry for search (as every write does)."""
    from nonpro.register import search  # search builds on the selectors and the models, as this module does

    search.reindex_entry(entry)
    EntryRevision.objects.create(
        entry=entry,
        serial=entry.serial,
        version=entry.version,
        changed_by=by,
        event=RevisionEvent.CREATED if created else RevisionEvent.EDITED,
        snapshot=snapshot(entry),
        reason=f"Imported from the register exchange format {SCHEMA_VERSION}.",
    )
    tiers = {group: entry.tier_of(group) for group in TIER_GROUPS}
    audit_record(
        action="register.entry.imported",
        actor=by,
        obj=entry,
        summary={
            "rsd_id": entry.rsd_id,
            "created": created,
            "status": entry.status,
            "serial": entry.serial,
            "version": entry.version,
            "tiers": tiers,
            "source": Path(source).name if source else "",
        },
        request=request,
    )


@dataclass(frozen=True)
class Imported:
    entry: Entry
    outcome: str  # "created", "updated" or "unchanged"
    missing_related: list[str]


def _existing_for_update(rsd_id: str, modified: datetime, serial: int) -> tuple[Entry | None, bool]:
    """Return the entry ``rsd_id`` here, locked, and whether the document would change nothing."""
    existing = Entry.objects.select_for_update().filter(rsd_id=rsd_id).first()
    if existing is None:
        return None, False
    if existing.status not in PUBLIC_STATUSES:
        raise RegisterError(f"{rsd_id} exists here and is not published; it was left as it is.", code="not_published")
    if existing.modified_at is not None and existing.modified_at > modified:
        raise RegisterError(f"{rsd_id} here is newer than this document; it was left as it is.", code="stale")
    return existing, existing.modified_at == modified and existing.serial == serial


@transaction.atomic
def entry_import(*, document: Any, by: User, source: str = "", request: HttpRequest | None = None) -> Imported:
    """Create or update the entry a document describes, keeping its identifier; one transaction per document.

    Raises ``PermissionDenied`` unless ``by`` may publish, ``ValidationError`` (JSON pointer →
    messages) for an invalid document, ``RegisterError`` when the entry here is newer or unpublished.
    Records an ``EntryRevision`` (CREATED or EDITED) and the audit event ``register.entry.imported``.
    """
    if not can(viewer_for(by), IMPORT_ACTION):
        raise PermissionDenied
    problems = document_problems(document)
    if problems:
        errors: dict[str, list[str]] = {}
        for where, message in problems:
            errors.setdefault(where or "/", []).append(message)
        raise ValidationError(errors)
    modified = _parse_timestamp(str(document["modified"]))
    assert modified is not None  # noqa: S101 - checked by document_problems
    existing, unchanged = _existing_for_update(str(document["id"]), modified, int(document["serial"]))
    if existing is not None and unchanged:
        return Imported(existing, "unchanged", [])
    created = existing is None
    entry = existing or Entry(rsd_id=str(document["id"]), created_by=by, version=1)
    if existing is not None:
        entry.version += 1
    tiers, _problems = _part_tiers(document)
    for group in TIER_GROUPS:
        if group in tiers:
            setattr(entry, f"{group}_tier", tiers[group])
        elif created:
            setattr(entry, f"{group}_tier", Tier.RESTRICTED.value)
    values = _import_values(document, new=created)
    related = values.pop("related", None)
    _apply_record(entry, document)
    assign_values(entry, values)
    entry.save()
    write_rows(entry, values)
    missing = link_related(entry, list(related)) if related is not None else []
    _advance_counter(entry.rsd_id)
    _record_import(entry, by=by, created=created, source=source, request=request)
    return Imported(entry, "created" if created else "updated", missing)


@transaction.atomic
def entry_import_relations(
    *, rsd_id: str, related: list[str], by: User, request: HttpRequest | None = None
) -> list[str]:
    """Link an imported entry to related entries imported after it; return those still missing.

    Records a revision and the audit event when a link was added (the second pass of an import).
    """
    if not can(viewer_for(by), IMPORT_ACTION):
        raise PermissionDenied
    entry = Entry.objects.select_for_update().get(rsd_id=rsd_id)
    before = set(entry.related_entries().values_list("pk", flat=True))
    wanted = sorted(set(entry.related) | set(related))
    missing = link_related(entry, wanted)
    if set(entry.related_entries().values_list("pk", flat=True)) != before:
        entry.version += 1
        entry.save(update_fields=["version"])
        _record_import(entry, by=by, created=False, source="", request=request)
    return missing


def register_import(
    *, path: Path, by: User, limit: int = MAX_ENTRY_BYTES, total_limit: int = MAX_TOTAL_BYTES
) -> ImportReport:
    """Import every valid document at ``path``; report each invalid one with its file and JSON pointer.

    Each document is imported in its own transaction: a bad file loses nothing else, and nothing is
    half-written. Related entries named before they are imported are linked in a second pass.
    """
    report = ImportReport()
    deferred: dict[str, list[str]] = {}
    for raw in read_documents(Path(path), limit=limit, total_limit=total_limit):
        if raw.problem:
            report.problems.append(Problem(raw.source, "", raw.problem))
            continue
        _import_one(raw, by=by, report=report, deferred=deferred)
    for rsd_id, related in sorted(deferred.items()):
        entry_import_relations(rsd_id=rsd_id, related=related, by=by)
    return report


def _import_one(raw: Raw, *, by: User, report: ImportReport, deferred: dict[str, list[str]]) -> None:
    try:
        document = parse_document(raw.data)
    except ValueError as error:
        report.problems.append(Problem(raw.source, "", str(error)))
        return
    try:
        imported = entry_import(document=document, by=by, source=raw.source)
    except ValidationError as error:
        for where, messages in error.message_dict.items():
            report.problems.extend(Problem(raw.source, where if where != "/" else "", message) for message in messages)
        return
    except RegisterError as error:
        report.problems.append(Problem(raw.source, "/id", str(error)))
        return
    getattr(report, imported.outcome).append(imported.entry.rsd_id)
    if imported.missing_related:
        deferred[imported.entry.rsd_id] = imported.missing_related
