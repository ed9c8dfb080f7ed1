"""Export and import of the register in its exchange format (JSON, one document per entry, like OSV).

The format is described in ``docs/register-exchange.md``; its JSON Schema is ``entry_schema()``,
published as ``docs/schema/entry.schema.json`` (a test keeps the two equal).

Decisions:

- **What is exported**: the published and withdrawn entries only, at every tier — the export is
  the register's publication channel. Drafts, entries under review, rejected entries and pending
  edits of published entries never leave through it. The entries are those the public sees
  (``entries_visible_to(ANONYMOUS)``); which of their fields go out is decided field by field by
  the policy (``tier_within(entry.policy_tier(field), ceiling)``): a field above the ceiling is
  absent; a field that is not PUBLIC carries its tier (``{"tier": "committee", "text": …}`` for
  text, ``{"tier": …, "value": …}`` for other values). Credits carry names and roles, never user
  ids or e-mail addresses; ``related`` names published entries only (the ones exported too).
- **Streaming**: entries are read with ``iterator(chunk_size=…)``; each document is written to
  its file, appended to ``all.zip`` and to ``modified_id.csv`` as it is read. Memory does not grow
  with the number of entries (except the zip's central directory, about 100 bytes per entry).
- **All or nothing on disk**: an export is written into a temporary directory beside ``DIR`` and
  renamed into place; a failed export leaves ``DIR`` as it was.
- **Determinism**: sorted keys, UTF-8, ``ensure_ascii=False``, 2-space indent, trailing newline;
  timestamps in UTC with microseconds; zip members in the order of ``modified_id.csv`` with the
  entry's modification time. Export → import into an empty database → export gives the same bytes.
- **Import**: each document is validated (JSON Schema Draft 2020-12, then the register's own rules)
  and imported in its own transaction by ``entry_import``; an invalid document is reported with its
  file and the JSON pointer of each problem, and the valid ones are kept. The importer is a person
  who may publish (a committee analyst, ``--by``): an import publishes. An existing entry with the
  same identifier is updated unless it is newer here or not published here. A part absent from a
  document (above the export's ceiling) keeps its content on an existing entry and is stored empty
  at RESTRICTED on a new one (so that it stays absent from every export below RESTRICTED).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.db.models.functions import Greatest
from django.http import HttpRequest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import ANONYMOUS, Tier, can, tier_within, viewer_for
from nonpro.core.translation import TranslationStatus
from nonpro.register import taxonomy
from nonpro.register.history import snapshot
from nonpro.register.models import (
    CONTENT_FIELDS,
    GROUP_OF,
    PUBLIC_STATUSES,
    RSD_ID_REGEX,
    SUMMARY_MAX_LENGTH,
    TIER_GROUPS,
    TITLE_MAX_LENGTH,
    ConcernLevel,
    CreditRole,
    Entry,
    EntryIdCounter,
    EntryRelation,
    EntryRevision,
    RevisionEvent,
    SourceType,
    Status,
)
from nonpro.register.selectors import PREFETCH, entries_visible_to
from nonpro.register.services import RegisterError
from nonpro.register.values import assign_values, clean_values, empty_values, write_rows

SCHEMA_VERSION = "1.0.0"
SCHEMA_ID = f"https://nonpro.example/schema/register/entry/{SCHEMA_VERSION}"
#: A document larger than this is refused (per entry, in a directory or a zip).
MAX_ENTRY_BYTES = 1024 * 1024
#: A zip whose members would unpack to more than this is refused as a whole (zip bombs).
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
CHUNK_SIZE = 500
ZIP_NAME = "all.zip"
CSV_NAME = "modified_id.csv"
#: The action whose holders may import: an import publishes entries.
IMPORT_ACTION = "register.entry.publish"
#: Fields whose non-public form is ``{"tier", "text"}``; every other field uses ``{"tier", "value"}``.
TEXT_FIELDS = frozenset({"title", "summary", "details", "concern_rationale"})
#: Tiers a non-public field may carry (a PUBLIC field is written bare).
WRAPPED_TIERS = (Tier.OFFICIAL.value, Tier.COMMITTEE.value, Tier.RESTRICTED.value)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: What an export shows instead of a credit's name that holds an e-mail address.
WITHHELD_NAME = "[name withheld]"
EMAIL = re.compile(r"\S@\S")
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Content fields cleaned by ``values.clean_values`` on import (the rest are checked here).
CLEANED_FIELDS = (
    "title",
    "summary",
    "details",
    "domains",
    "technology_areas",
    "control_lists",
    "obligations",
    "concern_scores",
    "concern_rationale",
    "first_reported",
    "sources",
    "aliases",
    "credits",
)
TAXONOMY_FIELDS = taxonomy.FIELD_KINDS


# --- the schema ----------------------------------------------------------------------------------------


def _tiered(bare: dict[str, Any], name: str) -> dict[str, Any]:
    """Return the schema of a field: bare when PUBLIC, else wrapped with its tier."""
    key = "text" if name in TEXT_FIELDS else "value"
    wrapped = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tier", key],
        "properties": {"tier": {"$ref": "#/$defs/tier"}, key: bare},
    }
    return {"oneOf": [bare, wrapped]}


def _string(max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _content_schemas() -> dict[str, dict[str, Any]]:
    codes = {"type": "array", "items": {"$ref": "#/$defs/code"}, "uniqueItems": True}
    per_language = {"type": "object", "propertyNames": {"enum": LANGUAGES}}
    source = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": SourceType.values},
            "citation": _string(),
            "doi": _string(200),
            "pmid": _string(20),
            "arxiv_id": _string(40),
            "url": _string(1000),
        },
    }
    credit = {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "role"],
        "properties": {"name": _string(200, minLength=1), "role": {"enum": CreditRole.values}},
    }
    return {
        "title": _string(TITLE_MAX_LENGTH),
        "title_translations": {**per_language, "additionalProperties": _string(TITLE_MAX_LENGTH, minLength=1)},
        "translation_status": {**per_language, "additionalProperties": {"enum": TranslationStatus.values}},
        "summary": _string(SUMMARY_MAX_LENGTH),
        "summary_translations": {**per_language, "additionalProperties": _string(SUMMARY_MAX_LENGTH, minLength=1)},
        "details": _string(),
        "domains": codes,
        "technology_areas": codes,
        "control_lists": codes,
        "obligations": codes,
        "related": {"type": "array", "items": {"$ref": "#/$defs/rsd_id"}, "uniqueItems": True},
        "concern_scores": {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/code"},
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 3},
        },
        "concern_level": {"enum": ConcernLevel.values},
        "concern_rationale": _string(),
        "first_reported": {"oneOf": [{"type": "null"}, _string(pattern=DATE_PATTERN)]},
        "sources": {"type": "array", "items": source},
        "aliases": {"type": "array", "items": _string(100, pattern=r"^\S+$"), "uniqueItems": True},
        "credits": {"type": "array", "items": credit},
    }


def entry_schema() -> dict[str, Any]:
    """Return the JSON Schema (Draft 2020-12) of one exported entry, version ``SCHEMA_VERSION``."""
    content = _content_schemas()
    properties: dict[str, Any] = {
        "schema_version": {"const": SCHEMA_VERSION},
        "id": {"$ref": "#/$defs/rsd_id"},
        "status": {"enum": sorted(PUBLIC_STATUSES)},
        "serial": {"type": "integer", "minimum": 1},
        "original_language": {"enum": LANGUAGES},
        "published": {"$ref": "#/$defs/timestamp"},
        "modified": {"$ref": "#/$defs/timestamp"},
        "withdrawn": {"$ref": "#/$defs/timestamp"},
        "withdrawal_reason": _string(),
    }
    properties.update({name: _tiered(content[name], name) for name in CONTENT_FIELDS})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Register of Scientific Developments: one entry",
        "description": (
            "One published or withdrawn entry of the Nonpro register (docs/register-exchange.md). A PUBLIC "
            "field is written bare; any other field carries its tier: {tier, text} for text, {tier, value} "
            "otherwise. Fields above the export's tier are absent."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["schema_version", "id", "status", "serial", "original_language", "published", "modified"],
        "properties": properties,
        "if": {"properties": {"status": {"const": Status.WITHDRAWN.value}}},
        "then": {"required": ["withdrawn", "withdrawal_reason"]},
        "else": {"not": {"anyOf": [{"required": ["withdrawn"]}, {"required": ["withdrawal_reason"]}]}},
        "$defs": {
            "tier": {"enum": list(WRAPPED_TIERS)},
            "rsd_id": _string(20, pattern=RSD_ID_REGEX),
            "code": _string(64, pattern=CODE_PATTERN),
            "timestamp": _string(pattern=TIMESTAMP_PATTERN),
        },
    }


_VALIDATOR: Draft202012Validator | None = None


def _validator() -> Draft202012Validator:
    global _VALIDATOR  # noqa: PLW0603 - built once per process; the schema is constant
    if _VALIDATOR is None:
        schema = entry_schema()
        Draft202012Validator.check_schema(schema)
        _VALIDATOR = Draft202012Validator(schema)
    return _VALIDATOR


def dumps(document: Mapping[str, Any]) -> bytes:
    """Return ``document`` in the format's deterministic serialization."""
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


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


def _zip_info(name: str, modified: datetime) -> zipfile.ZipInfo:
    when = modified.astimezone(UTC)
    info = zipfile.ZipInfo(name, date_time=(max(when.year, 1980), when.month, when.day, when.hour, when.minute, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _write_export(folder: Path, ceiling: str) -> tuple[int, int]:
    """Write every document, ``all.zip`` and ``modified_id.csv`` into ``folder``; return (entries, with RESTRICTED)."""
    count = restricted = 0
    with (
        zipfile.ZipFile(folder / ZIP_NAME, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        (folder / CSV_NAME).open("w", encoding="utf-8", newline="") as index,
    ):
        rows = csv.writer(index, lineterminator="\n")
        for entry in exported_entries():
            document = export_document(entry, ceiling)
            if document is None:  # pragma: no cover - the export reads published entries only
                continue
            data = dumps(document)
            name = f"{entry.rsd_id}.json"
            (folder / name).write_bytes(data)
            archive.writestr(_zip_info(name, _modified(entry)), data)
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


# --- reading documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """What is wrong and where: the file (or zip member), the JSON pointer in the document, the message."""

    source: str
    pointer: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.pointer}" if self.pointer else self.source
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Raw:
    """One document's bytes as read, or the problem met reading it."""

    source: str
    data: bytes = b""
    problem: str = ""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def _read_limited(stream: _Readable, limit: int) -> bytes | None:
    """Return at most ``limit`` bytes of ``stream``, or ``None`` when it holds more."""
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def _too_large(limit: int) -> str:
    return f"larger than the limit of {limit} bytes per entry; refused"


def _read_file(path: Path, *, source: str, limit: int) -> Raw:
    if path.is_symlink() or not path.is_file():
        return Raw(source, problem="not a regular file; refused")
    if path.stat().st_size > limit:
        return Raw(source, problem=_too_large(limit))
    with path.open("rb") as stream:
        data = _read_limited(stream, limit)
    return Raw(source, problem=_too_large(limit)) if data is None else Raw(source, data)


def _safe_member(name: str) -> bool:
    """Return whether a zip member's name is a plain ``*.json`` file name (no folder, no traversal)."""
    if not name or "/" in name or "\\" in name or ":" in name or "\x00" in name:
        return False
    return name not in (".", "..") and name.endswith(".json") and not name.startswith(".")


def _read_zip(path: Path, *, limit: int, total_limit: int) -> Iterator[Raw]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        yield Raw(str(path), problem=f"not a readable zip file ({error})")
        return
    with archive:
        members = archive.infolist()
        declared = sum(member.file_size for member in members)
        if declared > total_limit:
            yield Raw(str(path), problem=f"would unpack to {declared} bytes, over the limit of {total_limit}; refused")
            return
        unpacked = 0
        for member in members:
            source = f"{path}!{member.filename}"
            if member.is_dir() or not _safe_member(member.filename):
                yield Raw(source, problem="not a plain .json file name at the top of the zip; ignored")
                continue
            if member.file_size > limit:
                yield Raw(source, problem=_too_large(limit))
                continue
            try:
                with archive.open(member) as stream:
                    data = _read_limited(stream, limit)
            except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError) as error:
                yield Raw(source, problem=f"cannot be unpacked ({error})")
                continue
            if data is None:
                yield Raw(source, problem=_too_large(limit))
                continue
            unpacked += len(data)
            if unpacked > total_limit:  # the sizes the zip declared were false
                yield Raw(str(path), problem=f"unpacks to more than the limit of {total_limit} bytes; stopped")
                return
            yield Raw(source, data)


def read_documents(path: Path, *, limit: int = MAX_ENTRY_BYTES, total_limit: int = MAX_TOTAL_BYTES) -> Iterator[Raw]:
    """Yield the documents at ``path``: a directory (its ``*.json`` files), a zip, or one JSON file."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix == ".json":
                yield _read_file(child, source=str(child), limit=limit)
        return
    if not path.exists():
        yield Raw(str(path), problem="no such file or directory")
        return
    if path.suffix == ".zip" or (path.is_file() and zipfile.is_zipfile(path)):
        yield from _read_zip(path, limit=limit, total_limit=total_limit)
        return
    yield _read_file(path, source=str(path), limit=limit)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_document(data: bytes) -> Any:
    """Return the JSON value in ``data`` (strict UTF-8, no duplicate keys, no NaN); raise ``ValueError``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not UTF-8 ({error.reason} at byte {error.start})") from error
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from error


# --- validation ----------------------------------------------------------------------------------------------


def pointer(path: Any) -> str:
    """Return the JSON pointer (RFC 6901) of a path of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def schema_problems(document: Any) -> list[tuple[str, str]]:
    """Return (pointer, message) for each way ``document`` breaks the JSON Schema, in document order."""
    found = []
    for error in sorted(_validator().iter_errors(document), key=lambda error: [str(part) for part in error.path]):
        best = best_match([error])
        found.append((pointer(best.absolute_path), _short(best.message)))
    return found


def _unwrap(document: Mapping[str, Any], name: str) -> tuple[str, Any]:
    """Return (tier, value) of a present content field."""
    cell = document[name]
    if isinstance(cell, dict) and "tier" in cell and _value_key(name) in cell and len(cell) == 2:
        return str(cell["tier"]), cell[_value_key(name)]
    return Tier.PUBLIC.value, cell


def _part_tiers(document: Mapping[str, Any]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Return the tier of each part present, and the problems of parts whose fields disagree or are incomplete."""
    tiers: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for group, names in TIER_GROUPS.items():
        present = [name for name in names if name in document]
        if not present:
            continue
        if len(present) != len(names):
            missing = ", ".join(name for name in names if name not in present)
            problems.append((f"/{present[0]}", f"the part {group!r} is incomplete: {missing} missing"))
            continue
        found = {_unwrap(document, name)[0] for name in names}
        if len(found) > 1:
            problems.append((f"/{names[0]}", f"the fields of the part {group!r} carry different tiers"))
            continue
        tiers[group] = found.pop()
    return tiers, problems


def _record_problems(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    problems = []
    for key in ("published", "modified", "withdrawn"):
        if key in document and _parse_timestamp(str(document[key])) is None:
            problems.append((f"/{key}", "not a valid date and time"))
    year = int(str(document["id"]).split("-")[1])
    if year < 1:
        problems.append(("/id", "the year of the identifier is out of range"))
    return problems


def _parse_timestamp(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _translation_problems(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    original = document["original_language"]
    problems = []
    for name in ("title_translations", "summary_translations", "translation_status"):
        if name in document and original in _unwrap(document, name)[1]:
            problems.append((f"/{name}/{original}", "the original language is not a translation"))
    if "title_translations" in document:
        texts = set(_unwrap(document, "title_translations")[1]) | set(_unwrap(document, "summary_translations")[1])
        status = set(_unwrap(document, "translation_status")[1])
        if texts != status:
            problems.append(("/translation_status", "give a status for each translated language, and only for those"))
    return problems


def _value_problems(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return the problems the register's own value rules find (taxonomy codes, rubric, sources, credits …)."""
    problems: list[tuple[str, str]] = []
    values = {name: _unwrap(document, name)[1] for name in CLEANED_FIELDS if name in document}
    for name in ("title", "summary"):
        if values.get(name) == "":
            values.pop(name)  # empty when imported absent: kept as it is
    for name, kind in TAXONOMY_FIELDS.items():
        if name in values:
            try:
                taxonomy.validate_codes(kind, values.pop(name), include_deprecated=True)
            except ValueError as error:
                problems.append((f"/{name}", f"unknown code ({error})"))
    try:
        clean_values(values, current=empty_values(), editor=ANONYMOUS, rsd_id=str(document["id"]), published=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            problems.extend((f"/{name}", str(message)) for message in messages)
    return problems


def document_problems(document: Any) -> list[tuple[str, str]]:
    """Return (pointer, message) for every problem of ``document``: the schema first, then the register's rules."""
    problems = schema_problems(document)
    if problems:
        return problems
    _tiers, problems = _part_tiers(document)
    problems += _record_problems(document)
    problems += _translation_problems(document)
    return problems + _value_problems(document)


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
