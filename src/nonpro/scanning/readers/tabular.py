"""CSV, TSV and XLSX ("csv", "tsv", "xlsx"): one record per row, columns named as ASReview names them.

The first non-empty row is the header; the rows after it are "row 1", "row 2" … (the header is
"row 0"). Column names are matched case-insensitively, spaces and punctuation folded to "_", with
ASReview's synonyms and those of common exports (Zotero, Scopus, Web of Science): see ``FIELDS``.
A header without any known column is one problem for the whole file. ASReview's labels
(``label_included`` and its synonyms: 1/0, yes/no, true/false; empty → unlabelled) are kept.

CSV and TSV are read row by row with the ``csv`` module (a CSV whose header has more ";" than ","
is read with ";"); XLSX with openpyxl in read-only mode, which needs a seekable file, so a stream
that is not (or is un-gzipped on the fly) is first spooled to a temporary file.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import io
import itertools
import math
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO

import openpyxl

from nonpro.scanning.readers.base import ReadItem, problem, source
from nonpro.scanning.readers.crossref import iso_from_parts, usable
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

#: Each field of a record, and the (folded) column names that give it, the preferred first.
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "primary_title", "ti", "article_title", "document_title"),
    "abstract": ("abstract", "ab", "notes_abstract", "abstract_note"),
    "keywords": ("keywords", "kw", "keyword", "author_keywords"),
    "authors": ("authors", "au", "author", "author_names", "first_authors"),
    "doi": ("doi", "di"),
    "url": ("url", "link"),
    "pmid": ("pubmedid", "pmid", "pubmed_id", "pm"),
    "pmcid": ("pmcid",),
    "arxiv": ("arxiv", "arxiv_id"),
    "openalex": ("openalex", "openalex_id"),
    "date": ("date", "publication_date"),
    "year": ("year", "publication_year", "py"),
    "venue": ("journal", "venue", "source_title", "publication_title", "secondary_title", "so"),
    "language": ("language", "la"),
    "mesh_terms": ("mesh_terms", "mesh"),
    "kind": ("kind",),
    "source_id": ("record_id", "source_id", "id"),
    "label": ("label_included", "included", "final_included", "label", "included_label", "included_final"),
}
#: Label values (lower-cased); ASReview writes -1 for a record not seen.
_LABELS: dict[str, int | None] = {
    "1": 1,
    "0": 0,
    "yes": 1,
    "no": 0,
    "y": 1,
    "n": 0,
    "true": 1,
    "false": 0,
    "-1": None,
    "": None,
    "nan": None,
    "none": None,
    "null": None,
}
#: An XLSX larger than this is spooled to disk rather than kept in memory.
SPOOL_BYTES = 32 * 1024 * 1024
_COLUMN_NOISE = re.compile(r"[^0-9a-z]+")
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?!\d)")
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_DELIMITERS = (",", ";", "\t")

Row = Sequence[object]


class BadValue(ValueError):
    """A cell holds a value its column cannot take (a label that is not 1/0, yes/no, true/false)."""


def parse_label(value: object) -> int | None:
    """Return an ASReview label: 1, 0, or None (empty, -1, NaN); raise ``BadValue`` for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else clean_text(value).lower().removesuffix(".0")
    if text not in _LABELS:
        raise BadValue(f"label {clean_text(value)!r} is not 1/0, yes/no or true/false")
    return _LABELS[text]


def iso_date(text: str) -> str:
    """Return an ISO date ("2004", "2004-09", "2004-09-01") from a date or year cell, or ""."""
    text = clean_text(text)
    match = _DATE.match(text)
    if match:
        return iso_from_parts([part for part in match.groups() if part is not None])
    match = _YEAR.search(text)
    return match.group(1) if match else ""


def split_list(text: str) -> tuple[str, ...]:
    """Return the items of a keyword cell: split on ";" when it has one, else on ","."""
    return unique(text.split(";" if ";" in text else ","))


def cell_text(value: object) -> str:
    """Return a cell (CSV text or an XLSX value) as clean text: 2004.0 → "2004", a date → ISO, None → ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return clean_text(value)


def _column_name(header_cell: object) -> str:
    return _COLUMN_NOISE.sub("_", cell_text(header_cell).lower()).strip("_")


def columns_of(header: Row) -> dict[str, int]:
    """Return, for each field the header has a column for, that column's index (the preferred synonym)."""
    indexes: dict[str, int] = {}
    for position, cell in enumerate(header):
        indexes.setdefault(_column_name(cell), position)
    found: dict[str, int] = {}
    for name, synonyms in FIELDS.items():
        index = next((indexes[synonym] for synonym in synonyms if synonym in indexes), None)
        if index is not None:
            found[name] = index
    return found


def record_from_row(cells: Sequence[str], columns: dict[str, int], where: Source) -> Record | str:
    """Return the record of one row (cells as text), or the reason it cannot be read."""

    def value(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    try:
        label = parse_label(value("label"))
    except BadValue as error:
        return str(error)
    ids = Identifiers(
        doi=normalize_doi(value("doi")),
        pmid=normalize_pmid(value("pmid")),
        pmcid=normalize_pmcid(value("pmcid")),
        arxiv=normalize_arxiv(value("arxiv")),
        openalex=normalize_openalex(value("openalex")),
        source_id=value("source_id"),
    )
    record = Record(
        ids=ids,
        title=value("title"),
        abstract=value("abstract"),
        authors=tuple(Author(name=name) for name in unique(value("authors").split(";"))),
        venue=value("venue"),
        date=iso_date(value("date")) or iso_date(value("year")),
        language=value("language"),
        keywords=split_list(value("keywords")),
        mesh_terms=split_list(value("mesh_terms")),
        kind=value("kind").lower(),
        url=value("url"),
        source=where,
        label=label,
    )
    return usable(record)


def _read_rows(rows: Iterator[Row | csv.Error], path: str, fmt: str) -> Iterator[ReadItem]:
    """Read a table: the first non-empty row is the header ("row 0"), then one record per row."""
    header = next((row for row in rows if isinstance(row, csv.Error) or any(map(cell_text, row))), None)
    if header is None:
        return
    columns = {} if isinstance(header, csv.Error) else columns_of(header)
    if not columns:
        known = ", ".join(synonyms[0] for synonyms in FIELDS.values())
        yield problem(path, "row 0", f"no known column in the header (expected some of: {known})")
        return
    for number, row in enumerate(rows, start=1):
        position = f"row {number}"
        if isinstance(row, csv.Error):
            yield problem(path, position, f"malformed row: {row}")
            continue
        cells = [cell_text(cell) for cell in row]
        if not any(cells):
            continue
        result = record_from_row(cells, columns, source(path, fmt, position))
        yield problem(path, position, result) if isinstance(result, str) else result


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[list[str] | csv.Error]:
    """Yield the rows of a ``csv`` reader, and the error of a row it cannot parse in its place."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield error


def _delimiter(header_line: str) -> str:
    """Return the separator a CSV header uses most (",", ";" or a tab; "," on a tie)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in _DELIMITERS}
    return max(counts, key=lambda delimiter: counts[delimiter])


def _read_delimited(stream: IO[bytes], path: str, fmt: str, delimiter: str | None) -> Iterator[ReadItem]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        first = text.readline()
        reader = csv.reader(itertools.chain([first], text), delimiter=delimiter or _delimiter(first))
        yield from _read_rows(_csv_rows(reader), path, fmt)
    finally:
        text.detach()  # the caller closes the stream, not this wrapper


def read_csv(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a CSV file (comma- or semicolon-separated) with a header row."""
    yield from _read_delimited(stream, path, "csv", None)


def read_tsv(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a tab-separated file with a header row."""
    yield from _read_delimited(stream, path, "tsv", "\t")


@contextmanager
def _seekable(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    """Give ``stream`` itself if it can seek cheaply, else a spooled copy of it."""
    if stream.seekable() and not isinstance(stream, gzip.GzipFile):
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        shutil.copyfileobj(stream, spool)
        yield spool


def read_xlsx(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read the first worksheet of an XLSX workbook: a header row, then one record per row."""
    with _seekable(stream) as file:
        if file.seek(0, io.SEEK_END) == 0:
            return
        file.seek(0)
        try:
            workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as error:  # any failure of the parser on untrusted input is a problem
            yield problem(path, "file", f"not a readable XLSX workbook ({type(error).__name__}: {error})")
            return
        try:
            if workbook.worksheets:
                rows = workbook.worksheets[0].iter_rows(values_only=True)
                yield from _read_rows(rows, path, "xlsx")
        except Exception as error:  # a broken sheet stops the file; the rows read are kept
            yield problem(path, "file", f"the workbook could not be read further ({type(error).__name__}: {error})")
        finally:
            workbook.close()


__all__ = ["FIELDS", "iso_date", "parse_label", "read_csv", "read_tsv", "read_xlsx", "split_list"]
