"""RIS reader (format "ris"): Scopus, Embase, Ovid, ProQuest, Web of Science, Zotero, EndNote, PubMed exports.

A record runs from ``TY  - `` to ``ER  -``; each line is ``XX  - value`` (a two-character tag), and a line
without a tag continues the field before it. The file is read line by line (constant memory); a record
keeps only the fields the scanner uses. Exports differ in details this reader tolerates: text before the
first ``TY`` (Ovid numbers its records), a single space around the dash (``TY - JOUR``), ``ER`` without a
value, a missing ``ER`` at the end, Latin-1 lines, a BOM.

Also holds the small helpers the other tagged readers (MEDLINE, BibTeX) share: line decoding and dates.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from nonpro.scanning.readers.base import ReadItem, problem, source
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

FORMAT = "ris"

#: Month names (and their usual abbreviations, by their first three letters) → month number.
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: +(.*)|\s*)$")
_NUMERIC_DATE = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})?(?:[-/.](\d{1,2})?)?)?")
_DATE_TOKENS = re.compile(r"[\s,./-]+")
_PMID_TEXT = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.IGNORECASE)
_PMCID_TEXT = re.compile(r"\bPMCID\s*:?\s*(PMC\d+)\b", re.IGNORECASE)
_PMC_LINK = re.compile(r"(?:ncbi\.nlm\.nih\.gov/pmc/articles/|europepmc\.org/articles?/(?:PMC/)?)(PMC\d+)", re.I)
_DOI_TEXT = re.compile(r"^\s*doi:?\s*(10\.\S+)", re.IGNORECASE)
_LABEL = re.compile(r"ASReview_(relevant|irrelevant|not_seen)\b")
_LABELS = {"relevant": 1, "irrelevant": 0, "not_seen": None}

#: The tags the reader keeps (every other tag is skipped while reading).
_KEPT = frozenset(
    {"TY", "TI", "T1", "CT", "BT", "ST", "AB", "N2", "AU", "A2", "AD", "AN", "C2", "C5", "DB", "DP", "M1", "M3"}
    | {"J2", "JA", "JF", "JO", "T2", "PY", "Y1", "DA", "DO", "LA", "KW", "UR", "L1", "L2", "ID", "N1"}
)
#: Tags that start a record outside one: TY, or a title (a record that lost its TY).
_STARTS = frozenset({"TY", "TI", "T1"})
#: Tags that mean the same: ``A1`` and ``AU`` are both the primary authors, in the order of the file.
_SAME = {"A1": "AU"}
#: Tags whose continuation lines are new values (one keyword, author or address a line), not more text.
_LIST_TAGS = frozenset({"KW", "AU", "A2", "AD"})
_KINDS = {
    "JOUR": "article",
    "JFULL": "article",
    "EJOUR": "article",
    "INPR": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "book",
    "ECHAP": "book",
    "RPRT": "report",
    "PAT": "patent",
    "CONF": "conference-paper",
    "CPAPER": "conference-paper",
    "DATA": "dataset",
    "THES": "thesis",
}


def decode_line(raw: bytes) -> str:
    """Return one line of bytes as text without its line end: UTF-8, or Windows-1252/Latin-1 when it is not.

    Exports are sometimes Latin-1: such a line is still read (a byte Windows-1252 lacks becomes U+FFFD).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff").rstrip("\r\n")


def month_number(token: str) -> int:
    """Return the month a name or abbreviation stands for ("Mar", "march", "Sept.") or 0."""
    word = token.strip(".").lower()
    if len(word) < 3 or not word.isalpha():
        return 0
    for name, number in MONTHS.items():
        if name.startswith(word):
            return number
    return 0


def iso_date(year: str, month: int = 0, day: int = 0) -> str:
    """Return "YYYY", "YYYY-MM" or "YYYY-MM-DD" as far as the parts are valid ("" without a valid year)."""
    if not (len(year) == 4 and year.isdigit() and year != "0000"):
        return ""
    if not 1 <= month <= 12:
        return year
    if day:
        try:
            return datetime.date(int(year), month, day).isoformat()
        except ValueError:
            pass
    return f"{year}-{month:02d}"


def date_parts(text: str) -> tuple[str, int, int]:
    """Return (year, month, day) read from a date as exports write it ("" / 0 for a missing part).

    Numeric forms ("2019///", "2019/03/05/", "1990/2/27", "2024-03-05") and worded ones ("2019 Mar 5",
    "2019 Jan-Feb" → the first month, "Apr 2019", "Jun" without a year).
    """
    numeric = _NUMERIC_DATE.match(text)
    if numeric and (numeric.group(2) or not text[numeric.end() :].strip(" /-.")):
        year, month, day = numeric.groups()
        return year, int(month or 0), int(day or 0)
    tokens = [token for token in _DATE_TOKENS.split(text) if token]
    year = next((token for token in tokens if len(token) == 4 and token.isdigit()), "")
    for index, token in enumerate(tokens):
        month = month_number(token)
        if month:
            after = tokens[index + 1] if index + 1 < len(tokens) else ""
            day = int(after) if after.isdigit() and len(after) <= 2 else 0
            return year, month, day
    return year, 0, 0


@dataclass(slots=True)
class _Entry:
    """The kept fields of the record being read, in file order, and the line where it starts."""

    line: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    last: str = ""

    def add(self, tag: str, value: str) -> None:
        tag = _SAME.get(tag, tag)
        self.last = tag
        if tag in _KEPT:
            self.fields.setdefault(tag, []).append(value)

    def extend(self, text: str) -> None:
        """Add a line without a tag to the field before it."""
        values = self.fields.get(self.last)
        if not values or not text.strip():
            return
        if self.last in _LIST_TAGS:
            values.append(text)
        else:
            values[-1] = f"{values[-1]}\n{text}"

    def first(self, *tags: str) -> str:
        for tag in tags:
            for value in self.fields.get(tag, ()):
                if clean_text(value):
                    return clean_text(value)
        return ""

    def all(self, *tags: str) -> list[str]:
        return [value for tag in tags for value in self.fields.get(tag, ())]


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Yield each RIS record of ``stream`` (or a Problem for one without title and identifier)."""
    entry: _Entry | None = None
    for number, raw in enumerate(stream, start=1):
        line = decode_line(raw)
        tagged = _TAG_LINE.match(line)
        if tagged is None:
            if entry is not None:
                entry.extend(line)
            continue
        tag, value = tagged.group(1), tagged.group(2) or ""
        if tag == "ER":
            if entry is not None:
                yield _finish(entry, path)
            entry = None
            continue
        if tag == "TY" and entry is not None:
            yield _finish(entry, path)
            entry = None
        if entry is None:
            if tag not in _STARTS:
                continue  # a trailer after ER (Ovid adds "NL  - "), or text before the first record
            entry = _Entry(line=number)
        entry.add(tag, value)
    if entry is not None:
        yield _finish(entry, path)


def _finish(entry: _Entry, path: str) -> ReadItem:
    position = f"line {entry.line}"
    ids = _identifiers(entry)
    title = entry.first("TI", "T1", "CT", "BT", "ST")
    if not title and not ids.global_keys():
        return problem(path, position, "no title and no identifier")
    return Record(
        ids=ids,
        title=title,
        abstract=entry.first("AB", "N2"),
        authors=_authors(entry),
        venue=entry.first("JF", "T2", "JO", "JA", "J2"),
        date=_date(entry),
        language=entry.first("LA"),
        keywords=unique(entry.all("KW")),
        kind=_KINDS.get(entry.first("TY").upper(), "other"),
        url=entry.first("UR", "L2", "L1"),
        source=source(path, FORMAT, position),
        label=_label(entry),
    )


def _identifiers(entry: _Entry) -> Identifiers:
    """Return the identifiers; the export's own id is ``ID``, else the accession number when it is no PMID."""
    pmid = _pmid(entry)
    accession = entry.first("AN")
    if pmid and normalize_pmid(accession) == pmid:
        accession = ""
    return Identifiers(doi=_doi(entry), pmid=pmid, pmcid=_pmcid(entry), source_id=entry.first("ID") or accession)


def _doi(entry: _Entry) -> str:
    """Return the DOI: the DO field, else a "doi: …" note (M3, N1), else a doi.org link (UR, L1, L2)."""
    for value in entry.all("DO"):
        if doi := normalize_doi(value):
            return doi
    for value in entry.all("M3", "N1"):
        if match := _DOI_TEXT.match(value):
            return normalize_doi(match.group(1))
    for value in entry.all("UR", "L1", "L2"):
        text = clean_text(value).lower()
        if ("doi.org/" in text or text.startswith("doi:")) and (doi := normalize_doi(text)):
            return doi
    return ""


def _pmid(entry: _Entry) -> str:
    """Return the PubMed id only where the export says it is one.

    ``AN`` is the PMID in exports from PubMed or MEDLINE (``DP``/``DB`` say NLM, PubMed or MEDLINE, and not
    Embase); Embase puts the MEDLINE PMID in ``C5`` of records also in MEDLINE; any note may say "PMID: n".
    """
    databases = " ".join(entry.all("DB", "DP")).lower()
    embase = "embase" in databases
    if not embase and any(name in databases for name in ("nlm", "pubmed", "medline")):
        accession = entry.first("AN")
        if accession.isdigit() and (pmid := normalize_pmid(accession)):
            return pmid
    if embase and "medline" in databases:
        number = entry.first("C5")
        if number.isdigit() and (pmid := normalize_pmid(number)):
            return pmid
    for value in entry.all("AN", "M1", "N1"):
        if match := _PMID_TEXT.search(value):
            return normalize_pmid(match.group(1))
    return ""


def _pmcid(entry: _Entry) -> str:
    """Return the PMCID: EndNote's PubMed exports put it in ``C2``; a note may say "PMCID: PMC…"; a link may
    point at the article in PubMed Central or Europe PMC.
    """
    number = entry.first("C2")
    if number.upper().startswith("PMC"):
        return normalize_pmcid(number)
    for value in entry.all("N1"):
        if match := _PMCID_TEXT.search(value):
            return normalize_pmcid(match.group(1))
    for value in entry.all("UR", "L1", "L2"):
        if match := _PMC_LINK.search(value):
            return normalize_pmcid(match.group(1))
    return ""


def _authors(entry: _Entry) -> tuple[Author, ...]:
    """Return the authors (``AU``/``A1`` in file order; the secondary authors ``A2``, editors, only without them).

    RIS gives the record's addresses (``AD``), not each author's: each author carries them all.
    """
    names = unique(entry.all("AU") or entry.all("A2"))
    affiliations = unique(entry.all("AD"))
    return tuple(Author(name=name, affiliations=affiliations) for name in names)


def _date(entry: _Entry) -> str:
    """Return the publication date: the year of ``PY`` (else ``DA``, else the older ``Y1``), and the month and
    day of the first of ``DA``, ``PY``, ``Y1`` that agrees with that year (``DA  - Jun`` beside ``PY  - 2011``).
    """
    parts = {tag: date_parts(entry.first(tag)) for tag in ("PY", "DA", "Y1")}
    year = next((parts[tag][0] for tag in ("PY", "DA", "Y1") if iso_date(parts[tag][0])), "")
    for tag in ("DA", "PY", "Y1"):
        other_year, month, day = parts[tag]
        if month and other_year in ("", year):
            return iso_date(year, month, day)
    return iso_date(year)


def _label(entry: _Entry) -> int | None:
    """Return the ASReview label a note carries (``ASReview_relevant`` → 1, ``…_irrelevant`` → 0) or None."""
    for value in entry.all("N1"):
        if match := _LABEL.search(value):
            return _LABELS[match.group(1)]
    return None
