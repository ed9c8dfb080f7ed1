"""Reading exchange documents safely (files and zips, size limits) and validating them."""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from nonpro.core.policy import ANONYMOUS, Tier
from nonpro.register import taxonomy
from nonpro.register.exchange.export import (
    _value_key,
)
from nonpro.register.exchange.schema import (
    CLEANED_FIELDS,
    MAX_ENTRY_BYTES,
    MAX_TOTAL_BYTES,
    TAXONOMY_FIELDS,
    _validator,
)
from nonpro.register.models import (
    TIER_GROUPS,
)
from nonpro.register.values import clean_values, empty_values

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
