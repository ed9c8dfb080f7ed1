"""MEDLINE/PubMed tagged reader (format "medline"): PubMed's ``.nbib`` export, and ERIC's export in the same form.

Each line is a tag of up to four characters, left-justified, then ``- `` and the value (``PMID- 123``,
``TI  - …``, ``ISBN - …``); a line that starts with spaces continues the value before it. A record starts
at ``PMID- `` or after a blank line (ERIC's records have no PMID and start with ``OWN - ERIC``). Read line by
line; a record keeps only the fields the scanner uses. Authors are ``FAU`` (``AU`` where there is no full
name) with the ``AD`` affiliations that follow each author; ``CN`` is a group author.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from nonpro.scanning.readers.base import ReadItem, problem, source
from nonpro.scanning.readers.ris import date_parts, decode_line, iso_date
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Record,
    clean_text,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    unique,
)

FORMAT = "medline"

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{1,3}) {0,3}- ?(.*)$")
_ERIC_ID = re.compile(r"^E[DJ]\d+$")
#: The tags the reader keeps, in file order (authors and affiliations must stay interleaved).
_KEPT = frozenset(
    {"PMID", "TI", "BTI", "AB", "FAU", "AU", "CN", "AD", "JT", "TA", "DP", "LA", "OT", "MH", "AID", "LID", "PMC"}
    | {"PT", "OID"}
)
#: Publication types (``PT``, lower-cased) → kind; the first type of a record found here decides.
_KINDS = (
    ("preprint", "preprint"),
    ("book", "book"),
    ("dissertations/theses", "thesis"),
    ("congress", "conference-paper"),
    ("conference", "conference-paper"),
    ("dataset", "dataset"),
    ("patent", "patent"),
    ("journal article", "article"),
    ("review", "article"),
    ("case reports", "article"),
    ("reports -", "report"),
    ("technical report", "report"),
)


@dataclass(slots=True)
class _Entry:
    """The kept fields of the record being read, as (tag, value) in file order, and its first line."""

    line: int
    items: list[tuple[str, str]] = field(default_factory=list)
    last: str = ""

    def add(self, tag: str, value: str) -> None:
        self.last = tag
        if tag in _KEPT:
            self.items.append((tag, value))

    def extend(self, text: str) -> None:
        """Join a continuation line to the value before it (if that value is kept)."""
        if self.items and self.items[-1][0] == self.last:
            tag, value = self.items[-1]
            self.items[-1] = (tag, f"{value} {text.strip()}")

    def all(self, *tags: str) -> list[str]:
        return [clean_text(value) for tag, value in self.items if tag in tags and clean_text(value)]

    def first(self, *tags: str) -> str:
        for tag in tags:
            for value in self.all(tag):
                return value
        return ""


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Yield each MEDLINE record of ``stream`` (or a Problem for one without title and identifier)."""
    entry: _Entry | None = None
    for number, raw in enumerate(stream, start=1):
        line = decode_line(raw)
        if not line.strip():
            if entry is not None:
                yield _finish(entry, path)
            entry = None
            continue
        tagged = None if line[0].isspace() else _TAG_LINE.match(line)
        if tagged is None:
            if entry is not None:
                entry.extend(line)
            continue
        tag, value = tagged.groups()
        if tag == "PMID" and entry is not None and entry.items:
            yield _finish(entry, path)
            entry = None
        if entry is None:
            entry = _Entry(line=number)
        entry.add(tag, value)
    if entry is not None:
        yield _finish(entry, path)


def _finish(entry: _Entry, path: str) -> ReadItem:
    position = f"line {entry.line}"
    ids = _identifiers(entry)
    title = entry.first("TI", "BTI")
    if not title and not ids.global_keys():
        return problem(path, position, "no title and no identifier")
    venue = entry.first("JT", "TA") or (entry.first("BTI") if entry.first("TI") else "")
    return Record(
        ids=ids,
        title=title,
        abstract=entry.first("AB"),
        authors=_authors(entry),
        venue=venue,
        date=_date(entry.first("DP")),
        language=entry.first("LA"),
        keywords=unique(entry.all("OT")),
        mesh_terms=unique(_mesh(term) for term in entry.all("MH")),
        kind=_kind(entry),
        url=_url(entry),
        source=source(path, FORMAT, position),
    )


def _identifiers(entry: _Entry) -> Identifiers:
    """Return the ids: PMID; DOI and PMCID from ``AID``/``LID`` ("… [doi]", "… [pmc]") or ``PMC``; ERIC's own id.

    ERIC gives its DOIs as links in ``AID`` ("http://dx.doi.org/10.…"); its record id (``OID``, "EJ1227990")
    is the source's id.
    """
    doi = pmcid = ""
    for value in entry.all("AID", "LID"):
        lowered = value.lower()
        if not doi and (lowered.endswith("[doi]") or "doi.org/" in lowered):
            doi = normalize_doi(value.rsplit(" [", 1)[0].split("doi.org/", 1)[-1])
        elif not pmcid and lowered.endswith("[pmc]"):
            pmcid = normalize_pmcid(value)
    other = entry.first("OID")
    return Identifiers(
        doi=doi,
        pmid=normalize_pmid(entry.first("PMID")),
        pmcid=pmcid or normalize_pmcid(entry.first("PMC")),
        source_id=other if _ERIC_ID.match(other) else "",
    )


def _authors(entry: _Entry) -> tuple[Author, ...]:
    """Return the authors in order, each with the ``AD`` lines that follow it.

    An ``AU`` right after a ``FAU`` is the same author (its short form); "et al." is no author.
    """
    authors: list[tuple[str, list[str]]] = []
    previous = ""
    for tag, value in entry.items:
        text = clean_text(value)
        if tag in ("FAU", "CN") or (tag == "AU" and previous != "FAU" and text.lower() != "et al."):
            authors.append((text, []))
        elif tag == "AD" and authors:
            authors[-1][1].append(text)
        if tag in ("FAU", "AU", "CN", "AD"):
            previous = tag
    return tuple(Author(name=name, affiliations=unique(places)) for name, places in authors if name)


def _date(text: str) -> str:
    """Return ``DP`` as ISO: "1996 Jul 9" → "1996-07-09", "2019 Jan-Feb" → "2019-01", "Apr 2019" → "2019-04"."""
    return iso_date(*date_parts(text))


def _mesh(term: str) -> str:
    """Return the MeSH descriptor of an ``MH`` line: qualifiers ("/metabolism") and stars (major topic) dropped."""
    return term.split("/", 1)[0].replace("*", "").strip()


def _kind(entry: _Entry) -> str:
    types = [value.lower() for value in entry.all("PT")]
    for name, kind in _KINDS:
        if any(kind_name.startswith(name) for kind_name in types):
            return kind
    return "article" if entry.first("JT", "TA") and entry.first("PMID") else "other"


def _url(entry: _Entry) -> str:
    """Return the record's link where the export gives one (ERIC: ``LID``/``AID`` links), else ""."""
    for value in entry.all("LID", "AID"):
        if value.lower().startswith(("http://", "https://", "www.")) and "doi.org/" not in value.lower():
            return value
    return ""
