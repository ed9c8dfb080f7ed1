"""EndNote XML exports: ``<xml><records><record>…`` as EndNote (and Zotero, Mendeley) write them.

EndNote wraps most text in ``<style face=… font=…>`` runs (one per change of bold, italics …):
``text_of`` joins them. The record's ``rec-number`` is its id in the EndNote library.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from nonpro.scanning.readers.base import ReadItem, children, local, source, text_of
from nonpro.scanning.readers.pubmed import checked, find, read_xml_records, text_at
from nonpro.scanning.records import Author, Identifiers, Record, clean_text, normalize_doi, normalize_pmid, unique

FORMAT = "endnote-xml"

_YEAR = re.compile(r"\b(\d{4})\b")
#: EndNote reference types (the ``ref-type`` name) and the kind each is; others are lower-cased.
_KINDS = {
    "journal article": "article",
    "electronic article": "article",
    "magazine article": "article",
    "newspaper article": "article",
    "book": "book",
    "edited book": "book",
    "electronic book": "book",
    "book section": "book-chapter",
    "electronic book section": "book-chapter",
    "conference paper": "conference-paper",
    "conference proceedings": "conference-paper",
    "report": "report",
    "government document": "report",
    "thesis": "thesis",
    "patent": "patent",
    "dataset": "dataset",
    "web page": "web-page",
}


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read an EndNote XML export."""
    return read_xml_records(stream, path, ("record",), _record)


def _record(element: Any, path: str, position: str) -> ReadItem:
    titles = local(element, "titles")
    accession = text_at(element, "accession-num")
    record = Record(
        ids=Identifiers(
            doi=normalize_doi(text_at(element, "electronic-resource-num")),
            pmid=normalize_pmid(accession) if accession.isdigit() else "",
            source_id=text_at(element, "rec-number"),
        ),
        title=text_at(titles, "title"),
        abstract=text_at(element, "abstract"),
        authors=tuple(Author(name=name) for name in unique(text_of(node) for node in _authors(element))),
        venue=text_at(titles, "secondary-title") or text_at(element, "periodical", "full-title"),
        date=_year(text_at(element, "dates", "year")),
        language=text_at(element, "language"),
        keywords=_keywords(element),
        kind=_kind(element),
        url=_url(element),
        source=source(path, FORMAT, position),
    )
    return checked(record, path, position)


def _authors(element: Any) -> list[Any]:
    """Return the ``author`` elements of contributors/authors (editors, in secondary-authors, are not authors)."""
    authors = find(element, "contributors", "authors")
    return children(authors, "author") if authors is not None else []


def _year(text: str) -> str:
    match = _YEAR.search(text)
    return match.group(1) if match else ""


def _keywords(element: Any) -> tuple[str, ...]:
    """Return the keywords; one ``keyword`` may hold several, one a line (as some exports write them)."""
    keywords = find(element, "keywords")
    if keywords is None:
        return ()
    return unique(line for node in children(keywords, "keyword") for line in text_of(node).splitlines())


def _kind(element: Any) -> str:
    """Return the kind of the record's ``ref-type`` name ("Journal Article" → "article"), or ""."""
    ref_type = local(element, "ref-type")
    name = clean_text(ref_type.get("name", "")).lower() if ref_type is not None else ""
    return _KINDS.get(name, name.replace(" ", "-"))


def _url(element: Any) -> str:
    """Return the first related URL, else the first web URL (PDF links point into the EndNote library)."""
    for group in ("related-urls", "web-urls"):
        urls = find(element, "urls", group)
        for node in children(urls, "url") if urls is not None else []:
            url = clean_text(text_of(node))
            if url:
                return url
    return ""
