"""OpenAlex works JSON ("openalex-json"): one work, a list response ``{"meta", "results"}``, or an array of works.

The file is one JSON document, loaded whole (bounded by ``base.MAX_JSON_BYTES``); each work becomes
a record at position "record N" (1-based). OpenAlex gives no abstract text, only an inverted index
(word → positions), from which the abstract is rebuilt. ``record_from_work`` is shared with the
JSON Lines reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from nonpro.scanning.readers.base import ReadItem
from nonpro.scanning.readers.crossref import (
    BrokenField,
    DocumentError,
    arxiv_from_doi,
    dict_field,
    kind_of,
    list_field,
    read_document,
    strings_field,
    strip_markup,
    text_field,
    unique_folded,
    usable,
)
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

FORMAT = "openalex-json"
_COUNTRY = re.compile(r"[A-Z]{2}")
_ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_PMC_DIGITS = re.compile(r"/pmc/articles/(\d+)/?$", re.IGNORECASE)


def is_work(obj: dict[str, Any]) -> bool:
    """Say whether a JSON object looks like an OpenAlex work (its id, or its abstract index)."""
    return "abstract_inverted_index" in obj or str(obj.get("id", "")).startswith("https://openalex.org/W")


def abstract_from_index(index: Any) -> str:
    """Return the abstract rebuilt from OpenAlex's ``abstract_inverted_index`` (word → positions)."""
    if index is None:
        return ""
    if not isinstance(index, dict):
        raise BrokenField("abstract_inverted_index", "an object", index)
    words: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(positions, list) or not all(type(place) is int for place in positions):
            raise BrokenField("abstract_inverted_index", "arrays of positions", positions)
        for place in positions:
            words[place] = word
    return clean_text(" ".join(words[place] for place in sorted(words)))


def _pmcid(value: str) -> str:
    """Return the PMCID of an OpenAlex ``ids.pmcid`` (a PMC URL, sometimes without the "PMC")."""
    match = _PMC_DIGITS.search(value)
    return f"PMC{match.group(1)}" if match and not normalize_pmcid(value) else normalize_pmcid(value)


def _identifiers(work: dict[str, Any]) -> Identifiers:
    ids = dict_field(work, "ids")
    doi = normalize_doi(text_field(ids, "doi") or text_field(work, "doi"))
    landing = text_field(dict_field(work, "primary_location"), "landing_page_url")
    arxiv = arxiv_from_doi(doi) or (normalize_arxiv(landing) if "arxiv.org/" in landing else "")
    return Identifiers(
        doi=doi,
        pmid=normalize_pmid(text_field(ids, "pmid")),
        pmcid=_pmcid(text_field(ids, "pmcid")),
        arxiv=arxiv,
        openalex=normalize_openalex(text_field(work, "id") or text_field(ids, "openalex")),
    )


def _countries(values: list[str]) -> tuple[str, ...]:
    """Return the ISO 3166-1 alpha-2 codes among ``values`` (upper-cased), once each."""
    return unique(code for code in (clean_text(value).upper() for value in values) if _COUNTRY.fullmatch(code))


def _author(authorship: Any) -> Author | None:
    if not isinstance(authorship, dict):
        raise BrokenField("authorships", "an array of objects", authorship)
    name = text_field(dict_field(authorship, "author"), "display_name") or text_field(authorship, "raw_author_name")
    if not name:
        return None
    institutions = [item for item in list_field(authorship, "institutions") if isinstance(item, dict)]
    affiliations = [text_field(item, "display_name") for item in institutions]
    if not any(affiliations):
        affiliations = strings_field(authorship, "raw_affiliation_strings")
    codes = [text_field(item, "country_code") for item in institutions]
    codes += strings_field(authorship, "countries")
    return Author(name=name, affiliations=unique(affiliations), countries=_countries(codes))


def _names(work: dict[str, Any], name: str, *keys: str) -> list[str]:
    """Return, for each object of the array ``work[name]``, the first of ``keys`` it has."""
    found: list[str] = []
    for item in list_field(work, name):
        if isinstance(item, dict):
            found.append(next((text for text in (text_field(item, key) for key in keys) if text), ""))
    return found


def _date(work: dict[str, Any]) -> str:
    date = text_field(work, "publication_date")
    match = _ISO_DATE.match(date)
    return match.group(0) if match else text_field(work, "publication_year")[:4]


def _kind(work: dict[str, Any]) -> str:
    kind = kind_of(text_field(work, "type"))
    if kind == "article" and text_field(work, "type_crossref") == "proceedings-article":
        return "conference-paper"
    return kind


def _record(work: dict[str, Any], where: Source) -> Record:
    location = dict_field(work, "primary_location")
    venue = text_field(dict_field(location, "source"), "display_name") or text_field(
        dict_field(work, "host_venue"), "display_name"
    )
    keywords = _names(work, "keywords", "display_name", "keyword")
    keywords += _names(work, "concepts", "display_name") + _names(work, "topics", "display_name")
    authors = (_author(value) for value in list_field(work, "authorships"))
    return Record(
        ids=_identifiers(work),
        title=strip_markup(text_field(work, "title") or text_field(work, "display_name")),
        abstract=abstract_from_index(work.get("abstract_inverted_index")),
        authors=tuple(author for author in authors if author is not None),
        venue=venue,
        date=_date(work),
        language=text_field(work, "language"),
        keywords=unique_folded(keywords),
        mesh_terms=unique(_names(work, "mesh", "descriptor_name")),
        kind=_kind(work),
        url=text_field(location, "landing_page_url") or text_field(work, "doi"),
        source=where,
    )


def record_from_work(work: dict[str, Any], where: Source) -> Record | str:
    """Return the record of one OpenAlex work, or the reason it cannot be read (a broken field, no title …)."""
    try:
        return usable(_record(work, where))
    except BrokenField as error:
        return str(error)


def _works(document: Any) -> list[Any]:
    """Return the works of an OpenAlex document: a list response, one work, or an array of works."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise DocumentError("file", f"not an OpenAlex response: a JSON {type(document).__name__}")
    if "results" in document:
        results = document["results"]
        if not isinstance(results, list):
            raise DocumentError("file", f"an OpenAlex response whose results are a {type(results).__name__}")
        return results
    return [document]


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read an OpenAlex JSON file: each work becomes a record at "record N"."""
    yield from read_document(stream, path, FORMAT, _works, record_from_work)


__all__ = ["FORMAT", "abstract_from_index", "is_work", "read", "record_from_work"]
