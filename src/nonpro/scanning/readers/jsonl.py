"""JSON Lines ("jsonl"): one JSON object per line, read line by line; each is a record at "line N".

A line may hold an OpenAlex work (it has ``abstract_inverted_index`` or an OpenAlex work id), a
Crossref work (a "DOI" and a "title" array) — both mapped as their own readers map them — or our
own flat shape::

    {"title": "…", "abstract": "…", "authors": ["A. Name", {"name": "…", "affiliations": […],
     "countries": ["FR"]}], "doi": "…", "pmid": "…", "pmcid": "…", "arxiv": "…", "openalex": "…",
     "record_id": "…", "venue": "…", "date": "2024-03", "language": "en", "keywords": […],
     "mesh_terms": […], "kind": "article", "url": "…", "label_included": 1}

(``id`` may stand for ``record_id``, ``year`` for ``date``, ``label`` for ``label_included``; a
list may also be given as one string, split on ";"). Blank lines are skipped; a line that is not
a JSON object is a problem, and reading goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

from nonpro.scanning.readers import crossref, openalex
from nonpro.scanning.readers.base import ReadItem, problem, source
from nonpro.scanning.readers.crossref import BrokenField, list_field, strings_field, text_field, usable
from nonpro.scanning.readers.tabular import BadValue, iso_date, parse_label, split_list
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Record,
    Source,
    clean_text,
    normalize_arxiv,
    normalize_doi,
    normalize_openalex,
    normalize_pmcid,
    normalize_pmid,
    unique,
)

FORMAT = "jsonl"
_COUNTRY = re.compile(r"[A-Z]{2}")
_BOM = b"\xef\xbb\xbf"


def _list(obj: dict[str, Any], name: str) -> tuple[str, ...]:
    """Return a list field: an array of strings, or one string split on ";" (or "," without one)."""
    value = obj.get(name)
    if isinstance(value, str):
        return split_list(value)
    return unique(strings_field(obj, name))


def _author(value: Any) -> Author | None:
    """Return an author given as a name, or as {"name", "affiliations", "countries"}."""
    if isinstance(value, str):
        return Author(name=clean_text(value)) if clean_text(value) else None
    if not isinstance(value, dict):
        raise BrokenField("authors", "names or objects", value)
    name = text_field(value, "name")
    if not name:
        return None
    countries = (code.upper() for code in strings_field(value, "countries"))
    return Author(
        name=name,
        affiliations=unique(strings_field(value, "affiliations")),
        countries=unique(code for code in countries if _COUNTRY.fullmatch(code)),
    )


def _authors(obj: dict[str, Any]) -> tuple[Author, ...]:
    value = obj.get("authors")
    names: list[Any] = value.split(";") if isinstance(value, str) else list_field(obj, "authors")
    authors = (_author(item) for item in names)
    return tuple(author for author in authors if author is not None)


def _label(obj: dict[str, Any]) -> int | None:
    return parse_label(obj["label_included"] if "label_included" in obj else obj.get("label"))


def _flat_record(obj: dict[str, Any], where: Source) -> Record:
    ids = Identifiers(
        doi=normalize_doi(text_field(obj, "doi")),
        pmid=normalize_pmid(text_field(obj, "pmid")),
        pmcid=normalize_pmcid(text_field(obj, "pmcid")),
        arxiv=normalize_arxiv(text_field(obj, "arxiv")),
        openalex=normalize_openalex(text_field(obj, "openalex")),
        source_id=text_field(obj, "record_id") or text_field(obj, "id"),
    )
    return Record(
        ids=ids,
        title=text_field(obj, "title"),
        abstract=text_field(obj, "abstract"),
        authors=_authors(obj),
        venue=text_field(obj, "venue"),
        date=iso_date(text_field(obj, "date")) or iso_date(text_field(obj, "year")),
        language=text_field(obj, "language"),
        keywords=_list(obj, "keywords"),
        mesh_terms=_list(obj, "mesh_terms"),
        kind=text_field(obj, "kind").lower(),
        url=text_field(obj, "url"),
        source=where,
        label=_label(obj),
    )


def record_from_flat(obj: dict[str, Any], where: Source) -> Record | str:
    """Return the record of one object of our flat shape, or the reason it cannot be read."""
    try:
        return usable(_flat_record(obj, where))
    except (BrokenField, BadValue) as error:
        return str(error)


def record_from_object(obj: dict[str, Any], where: Source) -> Record | str:
    """Map one JSON object: as an OpenAlex work, a Crossref work, or our flat shape."""
    if openalex.is_work(obj):
        return openalex.record_from_work(obj, where)
    if crossref.is_work(obj):
        return crossref.record_from_work(obj, where)
    return record_from_flat(obj, where)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("utf-8", errors="replace")


def _parse(text: str) -> dict[str, Any] | str:
    """Return the JSON object on a line, or why it is not one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"not a JSON object ({error.msg} at column {error.colno})"
    except RecursionError:
        return "not a JSON object (nested too deeply)"
    if not isinstance(value, dict):
        return f"not a JSON object (a JSON {type(value).__name__})"
    return value


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a JSON Lines file: each non-blank line is one record (or one problem) at "line N"."""
    for number, line in enumerate(stream, start=1):
        text = _decode(line.removeprefix(_BOM) if number == 1 else line).strip()
        if not text:
            continue
        position = f"line {number}"
        parsed = _parse(text)
        result = parsed if isinstance(parsed, str) else record_from_object(parsed, source(path, FORMAT, position))
        yield problem(path, position, result) if isinstance(result, str) else result


__all__ = ["FORMAT", "read", "record_from_flat", "record_from_object"]
