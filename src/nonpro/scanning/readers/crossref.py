"""Crossref REST API JSON ("crossref-json"): a work response, a work-list response, a work, or an array of works.

The file is one JSON document, loaded whole (bounded by ``base.MAX_JSON_BYTES``); each work becomes
a record at position "record N" (1-based). The mapping of one work, ``record_from_work``, is shared
with the JSON Lines reader, and so are the small JSON helpers here (typed field access that names
the broken field, markup stripping, work types → record kinds, loading one bounded document).

Crossref titles and abstracts carry markup (JATS ``<jats:p>``, ``<scp>``, ``<i>`` …): tags are
removed with a regular expression and entities unescaped as HTML — never parsed as XML, so no
entity is ever resolved or fetched.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from nonpro.scanning.readers.base import MAX_JSON_BYTES, ReadItem, problem, source
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Record,
    Source,
    clean_text,
    normalize_arxiv,
    normalize_doi,
    unique,
)

FORMAT = "crossref-json"

#: Crossref and OpenAlex work types → the record's kind; a type not listed is kept as given.
KINDS: dict[str, str] = {
    "journal-article": "article",
    "article": "article",
    "posted-content": "preprint",
    "preprint": "preprint",
    "proceedings-article": "conference-paper",
    "book": "book",
    "book-chapter": "book",
    "book-part": "book",
    "book-section": "book",
    "book-set": "book",
    "book-series": "book",
    "book-track": "book",
    "edited-book": "book",
    "monograph": "book",
    "reference-book": "book",
    "report": "report",
    "report-component": "report",
    "report-series": "report",
    "dataset": "dataset",
    "database": "dataset",
    "dissertation": "thesis",
    "other": "",
}
#: Dates a Crossref work carries, the best first.
_DATE_FIELDS = ("issued", "published-print", "published-online", "published", "created")
#: A markup tag (JATS, HTML, MathML), with its name (prefix dropped).
_TAG = re.compile(r"</?(?:[A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)(?:\s[^<>]*)?/?>")
#: Tags inside a word or a phrase ("<scp>T</scp>reebase", "H<sub>2</sub>O"): removed without a space.
_INLINE_TAGS = frozenset(
    {"b", "bold", "em", "i", "italic", "monospace", "sc", "scp", "strong", "sub", "sup", "u", "underline", "span"}
)
#: The heading Crossref puts before the abstract's text.
_HEADING = re.compile(r"^\s*<(?:[\w.-]+:)?title>\s*(?:abstract|summary)\s*:?\s*</(?:[\w.-]+:)?title>", re.IGNORECASE)
_PREPRINT_DOI = "10.48550/arxiv."

WorkMapper = Callable[[dict[str, Any], Source], Record | str]


class BrokenField(ValueError):
    """A field of a work does not have the JSON type the format gives it."""

    def __init__(self, name: str, expected: str, value: object) -> None:
        super().__init__(f"field {name!r}: expected {expected}, got {type(value).__name__}")


class DocumentError(ValueError):
    """The file is not a JSON document the reader can take (where: a position such as "line 3")."""

    def __init__(self, position: str, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


def dict_field(obj: dict[str, Any], name: str) -> dict[str, Any]:
    """Return ``obj[name]`` as a JSON object ({} when absent or null)."""
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BrokenField(name, "an object", value)
    return value


def list_field(obj: dict[str, Any], name: str) -> list[Any]:
    """Return ``obj[name]`` as a JSON array ([] when absent or null)."""
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BrokenField(name, "an array", value)
    return value


def text_field(obj: dict[str, Any], name: str) -> str:
    """Return ``obj[name]`` as clean text ("" when absent or null); numbers are written out."""
    value = obj.get(name)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float | str):
        return clean_text(value)
    raise BrokenField(name, "a string", value)


def strings_field(obj: dict[str, Any], name: str) -> list[str]:
    """Return ``obj[name]`` as a list of strings: an array of strings, or one string alone."""
    value = obj.get(name)
    if isinstance(value, str):
        return [value]
    items = list_field(obj, name)
    if not all(isinstance(item, str | int | float) for item in items):
        raise BrokenField(name, "an array of strings", items)
    return [str(item) for item in items]


def strip_markup(text: str) -> str:
    """Return ``text`` without its tags and with its entities unescaped, as one clean line.

    Inline tags (italic, small caps, sub/superscripts) vanish; any other tag (paragraph, title,
    list item) becomes a space. Tags go first, so an escaped "&lt;" in the text stays a "<".
    """
    without_tags = _TAG.sub(lambda match: "" if match.group(1).lower() in _INLINE_TAGS else " ", text)
    return clean_text(html.unescape(without_tags))


def abstract_text(markup: str) -> str:
    """Return a Crossref abstract as plain text: its "Abstract" heading dropped, then its markup."""
    return strip_markup(_HEADING.sub("", markup, count=1))


def kind_of(work_type: str) -> str:
    """Return the record kind of a Crossref or OpenAlex work type ("journal-article" → "article")."""
    name = clean_text(work_type).lower()
    return KINDS.get(name, name)


def arxiv_from_doi(doi: str) -> str:
    """Return the arXiv id of an arXiv DOI ("10.48550/arxiv.2401.01234" → "2401.01234"), else ""."""
    return normalize_arxiv(doi[len(_PREPRINT_DOI) :]) if doi.startswith(_PREPRINT_DOI) else ""


def iso_from_parts(parts: list[Any]) -> str:
    """Return "YYYY", "YYYY-MM" or "YYYY-MM-DD" from [year, month, day] (as precise as valid), or ""."""
    numbers: list[int] = []
    for part in parts[:3]:
        try:
            number = int(part)
        except (TypeError, ValueError):
            break
        numbers.append(number)
    if not numbers or not 1000 <= numbers[0] <= 9999:
        return ""
    text = f"{numbers[0]:04d}"
    if len(numbers) > 1 and 1 <= numbers[1] <= 12:
        text += f"-{numbers[1]:02d}"
        if len(numbers) > 2 and 1 <= numbers[2] <= 31:
            text += f"-{numbers[2]:02d}"
    return text


def unique_folded(values: Iterable[str]) -> tuple[str, ...]:
    """Return the non-empty values once each, in order, ignoring case ("Gulag" after "gulag" is dropped)."""
    kept: dict[str, str] = {}
    for value in unique(values):
        kept.setdefault(value.casefold(), value)
    return tuple(kept.values())


def usable(record: Record) -> Record | str:
    """Return the record, or the reason it cannot be used (neither a title nor any identifier)."""
    if record.title or record.ids.primary():
        return record
    return "no title and no identifier"


def load_document(stream: IO[bytes]) -> Any:
    """Return the JSON document in ``stream`` (None for an empty file); raise ``DocumentError``.

    The document is read whole, so it is bounded by ``MAX_JSON_BYTES``; text that is not UTF-8 is
    decoded with replacement characters rather than refused.
    """
    data = stream.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        limit = MAX_JSON_BYTES // (1024 * 1024)
        raise DocumentError("file", f"larger than {limit} MiB: one JSON document this big is refused (use JSON Lines)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(f"line {error.lineno}", f"not valid JSON: {error.msg} (column {error.colno})") from None
    except RecursionError:
        raise DocumentError("file", "not readable JSON: nested too deeply") from None


def read_works(works: list[Any], path: str, fmt: str, mapper: WorkMapper) -> Iterator[ReadItem]:
    """Yield a record (or a problem) for each work of ``works``, at positions "record 1", "record 2" …"""
    for number, work in enumerate(works, start=1):
        position = f"record {number}"
        if not isinstance(work, dict):
            yield problem(path, position, f"not a JSON object (got {type(work).__name__})")
            continue
        result = mapper(work, source(path, fmt, position))
        yield problem(path, position, result) if isinstance(result, str) else result


def read_document(
    stream: IO[bytes], path: str, fmt: str, works_of: Callable[[Any], list[Any]], mapper: WorkMapper
) -> Iterator[ReadItem]:
    """Read a one-document JSON file: load it, find its works with ``works_of``, map each with ``mapper``."""
    try:
        document = load_document(stream)
        works = [] if document is None else works_of(document)
    except DocumentError as error:
        yield problem(path, error.position, error.reason)
        return
    yield from read_works(works, path, fmt, mapper)


def _works(document: Any) -> list[Any]:
    """Return the works of a Crossref document: a (list) response, a bare work, or an array of works."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise DocumentError("file", f"not a Crossref response: a JSON {type(document).__name__}")
    if "message" not in document:
        return [document]
    message_type = document.get("message-type")
    message = document["message"]
    if message_type == "work" and isinstance(message, dict):
        return [message]
    if message_type == "work-list" and isinstance(message, dict) and isinstance(message.get("items"), list):
        items: list[Any] = message["items"]
        return items
    raise DocumentError("file", f"a Crossref {message_type!r} response (status {document.get('status')!r}), not works")


def _first(obj: dict[str, Any], name: str) -> str:
    """Return the first string of a Crossref string array (``title``, ``container-title``), markup stripped."""
    values = strings_field(obj, name)
    return strip_markup(values[0]) if values else ""


def _title(work: dict[str, Any]) -> str:
    title = _first(work, "title") or _first(work, "original-title")
    subtitle = _first(work, "subtitle")
    if title and subtitle and subtitle.casefold() not in title.casefold():
        return f"{title.rstrip(':')}: {subtitle}"
    return title or subtitle


def _author(value: Any) -> Author | None:
    if not isinstance(value, dict):
        raise BrokenField("author", "an array of objects", value)
    name = strip_markup(text_field(value, "name") or f"{text_field(value, 'given')} {text_field(value, 'family')}")
    if not name:
        return None
    affiliations = [text_field(item, "name") for item in list_field(value, "affiliation") if isinstance(item, dict)]
    return Author(name=name, affiliations=unique(map(strip_markup, affiliations)))


def _date(work: dict[str, Any]) -> str:
    for name in _DATE_FIELDS:
        parts = list_field(dict_field(work, name), "date-parts")
        if parts and isinstance(parts[0], list):
            date = iso_from_parts(parts[0])
            if date:
                return date
    return ""


def _venue(work: dict[str, Any]) -> str:
    """Return the journal, book or proceedings; for a preprint, its server (Crossref's ``institution``)."""
    venue = _first(work, "container-title")
    if venue:
        return venue
    names = [text_field(item, "name") for item in list_field(work, "institution") if isinstance(item, dict)]
    return next((name for name in names if name), "")


def _record(work: dict[str, Any], where: Source) -> Record:
    doi = normalize_doi(text_field(work, "DOI"))
    authors = (_author(value) for value in list_field(work, "author"))
    return Record(
        ids=Identifiers(doi=doi, arxiv=arxiv_from_doi(doi)),
        title=_title(work),
        abstract=abstract_text(text_field(work, "abstract")),
        authors=tuple(author for author in authors if author is not None),
        venue=_venue(work),
        date=_date(work),
        language=text_field(work, "language"),
        keywords=unique_folded(strip_markup(subject) for subject in strings_field(work, "subject")),
        kind=kind_of(text_field(work, "type")),
        url=text_field(work, "URL"),
        source=where,
    )


def is_work(obj: dict[str, Any]) -> bool:
    """Say whether a JSON object looks like a Crossref work (a "DOI" and a "title" array)."""
    return "DOI" in obj and isinstance(obj.get("title"), list)


def record_from_work(work: dict[str, Any], where: Source) -> Record | str:
    """Return the record of one Crossref work, or the reason it cannot be read (a broken field, no title …)."""
    try:
        return usable(_record(work, where))
    except BrokenField as error:
        return str(error)


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a Crossref JSON file: each work becomes a record at "record N"."""
    yield from read_document(stream, path, FORMAT, _works, record_from_work)


__all__ = ["FORMAT", "is_work", "read", "record_from_work"]
