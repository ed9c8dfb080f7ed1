"""Export of the published register: one JSON document per entry, all.zip and modified_id.csv, streamed."""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db.models import F, Prefetch

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import ANONYMOUS, Tier, tier_within
from nonpro.register.exchange.schema import (
    CHUNK_SIZE,
    CSV_NAME,
    EMAIL,
    SCHEMA_VERSION,
    TEXT_FIELDS,
    WITHHELD_NAME,
    ZIP_NAME,
    dumps,
)
from nonpro.register.exchange.zipstream import StreamingZipWriter
from nonpro.register.models import (
    CONTENT_FIELDS,
    GROUP_OF,
    PUBLIC_STATUSES,
    RSD_ID_REGEX,
    Entry,
    EntryRelation,
    Status,
)
from nonpro.register.selectors import PREFETCH, entries_visible_to
from nonpro.register.services import RegisterError

# --- export --------------------------------------------------------------------------------------------


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _modified(entry: Entry) -> datetime:
    return entry.modified_at or entry.published_at or entry.created_at


def _field_value(entry: Entry, name: str) -> Any:
    """Return the canonical export form of one content field."""
    if name == "credits":
        return [{"name": _credit_name(credit["name"]), "role": credit["role"]} for credit in entry.credits]
    if name == "related":
        return _public_related(entry)  # published entries only: the ones the export holds too
    if name == "first_reported":
        return entry.first_reported.isoformat() if entry.first_reported else None
    value = getattr(entry, name)
    return str(value) if isinstance(value, str) else value


#: The relations of each exported entry and the entries at their other end, read per chunk (no query per entry).
RELATED_PREFETCH = (
    Prefetch("relations_as_a", queryset=EntryRelation.objects.select_related("entry_b")),
    Prefetch("relations_as_b", queryset=EntryRelation.objects.select_related("entry_a")),
)


def _public_related(entry: Entry) -> list[str]:
    """Return ``Entry.related`` (the public related entries) from the relation rows (prefetched by the export)."""
    others = [row.entry_b for row in entry.relations_as_a.all()] + [row.entry_a for row in entry.relations_as_b.all()]
    return sorted({other.rsd_id for other in others if other.status in PUBLIC_STATUSES})


def _credit_name(name: str) -> str:
    """Return a credit's name; an e-mail address (the default name of a person credited) is withheld."""
    return WITHHELD_NAME if EMAIL.search(name) else name


def export_document(entry: Entry, ceiling: str) -> dict[str, Any] | None:
    """Return the document of ``entry`` with the fields whose tier is within ``ceiling``; ``None`` if none may go."""
    if entry.status not in PUBLIC_STATUSES or not tier_within(entry.policy_tier(None), ceiling):
        return None
    record: dict[str, tuple[str, Any]] = {
        "id": ("rsd_id", entry.rsd_id),
        "status": ("status", str(entry.status)),
        "serial": ("serial", entry.serial),
        "original_language": ("original_language", str(entry.original_language)),
        "published": ("published_at", _timestamp(entry.published_at or _modified(entry))),
        "modified": ("modified_at", _timestamp(_modified(entry))),
    }
    if entry.status == Status.WITHDRAWN:
        record["withdrawn"] = ("withdrawn_at", _timestamp(entry.withdrawn_at or _modified(entry)))
        record["withdrawal_reason"] = ("withdrawal_reason", entry.withdrawal_reason)
    document: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for key, (name, value) in record.items():
        if tier_within(entry.policy_tier(name), ceiling):
            document[key] = value
    for name in CONTENT_FIELDS:
        tier = entry.policy_tier(name)
        if not tier_within(tier, ceiling):
            continue
        value = _field_value(entry, name)
        document[name] = value if tier == Tier.PUBLIC else {"tier": tier, _value_key(name): value}
    return document


def _value_key(name: str) -> str:
    return "text" if name in TEXT_FIELDS else "value"


def exported_entries() -> Iterator[Entry]:
    """Yield the entries an export holds (published and withdrawn), newest modification first, streaming."""
    entries = entries_visible_to(ANONYMOUS).filter(status__in=sorted(PUBLIC_STATUSES))
    ordered = entries.order_by(F("modified_at").desc(nulls_last=True), "rsd_id")
    ordered = ordered.prefetch_related(*PREFETCH).prefetch_related(RELATED_PREFETCH[0], RELATED_PREFETCH[1])
    yield from ordered.iterator(chunk_size=CHUNK_SIZE)


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    tier: str
    count: int


def _check_target(target: Path) -> None:
    """Refuse to replace a directory that holds anything but a previous export."""
    if not target.exists():
        return
    if not target.is_dir() or target.is_symlink():
        raise RegisterError(f"{target} exists and is not a directory.", code="export_target")
    for child in target.iterdir():
        if child.name in (ZIP_NAME, CSV_NAME) or (child.suffix == ".json" and re.match(RSD_ID_REGEX, child.stem)):
            continue
        raise RegisterError(
            f"{target} holds {child.name}, which is not part of a register export; choose an empty directory.",
            code="export_target",
        )


def _write_export(folder: Path, ceiling: str) -> tuple[int, int]:
    """Write every document, ``all.zip`` and ``modified_id.csv`` into ``folder``; return (entries, with RESTRICTED)."""
    count = restricted = 0
    with (
        StreamingZipWriter(folder / ZIP_NAME) as archive,
        (folder / CSV_NAME).open("w", encoding="utf-8", newline="") as index,
    ):
        rows = csv.writer(index, lineterminator="\n")
        for entry in exported_entries():
            document = export_document(entry, ceiling)
            if document is None:  # pragma: no cover - the export reads published entries only
                continue
            data = dumps(document)
            name = f"{entry.rsd_id}.json"
            # os.path, not pathlib: pathlib interns every file name it parses (memory that grows).
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(data)
            archive.write(name, data, _modified(entry).astimezone(UTC))
            rows.writerow([document["modified"], entry.rsd_id])
            count += 1
            restricted += any(
                isinstance(value, dict) and value.get("tier") == Tier.RESTRICTED
                for key, value in document.items()
                if key in GROUP_OF
            )
    return count, restricted


def register_export(*, directory: Path, tier: str = Tier.PUBLIC.value, by: User | None = None) -> ExportResult:
    """Export the register's published entries into ``directory`` at ``tier`` (fields above it are absent).

    The files are written into a temporary directory beside ``directory`` and renamed into place;
    ``directory`` must not exist, be empty, or hold a previous export (which is replaced). The
    export is audited (``register.exported``: the tier and counts, never content), with ``by`` as
    the actor when given — files above PUBLIC are as sensitive as their tier.
    """
    if tier not in Tier.values:
        raise RegisterError(f"Unknown tier {tier!r}: use one of {', '.join(Tier.values)}.", code="unknown_tier")
    target = Path(directory).absolute()
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        count, restricted = _write_export(partial, tier)
        # Files above PUBLIC are as sensitive as their tier: only the owner may read the folder then.
        partial.chmod(0o755 if tier == Tier.PUBLIC else 0o700)
        _swap_into_place(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    audit_record(
        action="register.exported",
        actor=by,
        object_type="register.entry",
        summary={"tier": tier, "entries": count, "entries_with_restricted_fields": restricted},
    )
    return ExportResult(directory=target, tier=tier, count=count)


def _swap_into_place(partial: Path, target: Path) -> None:
    if not target.exists():
        partial.rename(target)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".previous", dir=target.parent))
    previous.rmdir()
    target.rename(previous)
    try:
        partial.rename(target)
    except BaseException:
        previous.rename(target)
        raise
    shutil.rmtree(previous, ignore_errors=True)
