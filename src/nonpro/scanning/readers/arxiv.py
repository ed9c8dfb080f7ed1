"""arXiv: the API's Atom feeds and OAI-PMH harvests (metadataPrefix ``arXiv`` or ``oai_dc``).

An Atom feed (``export.arxiv.org/api/query``) is one ``<entry>`` per paper; the feed's own
title, id and paging elements are no records. The API reports a bad query as an entry whose id
is an ``/api/errors`` address and whose title is "Error": that becomes a Problem.

An OAI-PMH response is one ``<record>`` per paper (a ``header`` and a ``metadata`` block); a
record whose header says ``status="deleted"`` was withdrawn and holds no metadata: it is passed
over. A protocol ``<error>`` is a Problem, except "noRecordsMatch" (an empty harvest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from lxml import etree

from nonpro.scanning.readers.base import ReadItem, children, local, problem, source, text_of
from nonpro.scanning.readers.pubmed import checked, find, read_xml_records, text_at
from nonpro.scanning.records import Author, Identifiers, Record, clean_text, normalize_arxiv, normalize_doi, unique

ATOM_FORMAT = "arxiv-atom"
OAI_FORMAT = "oai-pmh"

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
#: How an oai_dc identifier names an arXiv paper: its abstract page or an "arXiv:" id.
_ARXIV_REFERENCE = re.compile(r"arxiv\.org/abs/|^arxiv:", re.IGNORECASE)


def iso_date(text: str) -> str:
    """Return the ISO date at the start of ``text`` ("2017-07-27T08:18:33Z" → "2017-07-27"), or ""."""
    match = _ISO_DATE.match(clean_text(text))
    return "-".join(part for part in match.groups() if part) if match else ""


# --- Atom --------------------------------------------------------------------------------------------


def read_atom(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read an arXiv API Atom feed."""
    return read_xml_records(stream, path, ("entry",), _atom_entry)


def _atom_entry(entry: Any, path: str, position: str) -> ReadItem:
    entry_id = text_at(entry, "id")
    title = text_at(entry, "title")
    summary = text_at(entry, "summary")
    if "/api/errors" in entry_id or title == "Error":
        return problem(path, position, f"the arXiv API returned an error: {summary or entry_id}")
    record = Record(
        ids=Identifiers(arxiv=normalize_arxiv(entry_id), doi=normalize_doi(text_at(entry, "doi"))),
        title=title,
        abstract=summary,
        authors=tuple(
            Author(
                name=text_at(node, "name"),
                affiliations=unique(text_of(place) for place in children(node, "affiliation")),
            )
            for node in children(entry, "author")
            if text_at(node, "name")
        ),
        venue=text_at(entry, "journal_ref"),
        date=iso_date(text_at(entry, "published")),
        keywords=unique(node.get("term", "") for node in children(entry, "category")),
        kind="preprint",
        url=_alternate_link(entry) or entry_id,
        source=source(path, ATOM_FORMAT, position),
    )
    return checked(record, path, position)


def _alternate_link(entry: Any) -> str:
    """Return the address of the entry's abstract page (its ``rel="alternate"`` link), or ""."""
    for link in children(entry, "link"):
        if link.get("rel") == "alternate":
            return clean_text(link.get("href", ""))
    return ""


# --- OAI-PMH -----------------------------------------------------------------------------------------


def read_oai_pmh(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read an OAI-PMH response (GetRecord or ListRecords) in the ``arXiv`` or ``oai_dc`` format."""
    return read_xml_records(stream, path, ("record", "error"), _oai_item)


def _oai_item(element: Any, path: str, position: str) -> ReadItem | None:
    if etree.QName(element).localname == "error":
        code = element.get("code", "")
        if code == "noRecordsMatch":
            return None
        return problem(path, position, f"the OAI-PMH server returned an error {code}: {clean_text(text_of(element))}")
    header = local(element, "header")
    if header is not None and header.get("status") == "deleted":
        return None
    metadata = find(element, "metadata")
    payload = next((child for child in metadata if isinstance(child.tag, str)), None) if metadata is not None else None
    if payload is None:
        return problem(path, position, "an OAI-PMH record without metadata")
    name = etree.QName(payload).localname
    oai_id = text_at(header, "identifier")
    if name == "arXiv":
        record = _oai_arxiv(payload, oai_id)
    elif name == "dc":
        record = _oai_dc(payload, oai_id)
    else:
        return problem(path, position, f"unsupported OAI-PMH metadata format <{name}> (read: arXiv, oai_dc)")
    return checked(record.with_source(source(path, OAI_FORMAT, position)), path, position)


def _oai_arxiv(meta: Any, oai_id: str) -> Record:
    """Return the record of an ``<arXiv>`` metadata block (metadataPrefix=arXiv)."""
    authors = find(meta, "authors")
    return Record(
        ids=Identifiers(
            arxiv=normalize_arxiv(text_at(meta, "id")),
            doi=normalize_doi(text_at(meta, "doi")),
            source_id=oai_id,
        ),
        title=text_at(meta, "title"),
        abstract=text_at(meta, "abstract"),
        authors=tuple(_oai_author(node) for node in children(authors, "author")) if authors is not None else (),
        venue=text_at(meta, "journal-ref"),
        date=iso_date(text_at(meta, "created")),
        keywords=unique(text_at(meta, "categories").split()),
        kind="preprint",
    )


def _oai_author(node: Any) -> Author:
    """Return an arXiv-format author: "Keyname, Forenames" (and suffix), with affiliations."""
    keyname = text_at(node, "keyname")
    forenames = " ".join(part for part in (text_at(node, "forenames"), text_at(node, "suffix")) if part)
    name = f"{keyname}, {forenames}" if keyname and forenames else keyname or forenames
    return Author(name=name, affiliations=unique(text_of(place) for place in children(node, "affiliation")))


def _oai_dc(meta: Any, oai_id: str) -> Record:
    """Return the record of a Dublin Core ``<oai_dc:dc>`` block (metadataPrefix=oai_dc).

    Identifiers are found among the dc:identifier values (an arXiv abstract page, a DOI). arXiv's
    oai_dc adds the authors' comments as further dc:description values ("Comment: …"): the
    abstract is the first description that is not one.
    """
    identifiers = [clean_text(text_of(node)) for node in children(meta, "identifier")]
    arxiv = next((normalize_arxiv(value) for value in identifiers if _ARXIV_REFERENCE.search(value)), "")
    descriptions = [clean_text(text_of(node)) for node in children(meta, "description")]
    return Record(
        ids=Identifiers(
            arxiv=arxiv,
            doi=next((doi for doi in map(normalize_doi, identifiers) if doi), ""),
            source_id=oai_id,
        ),
        title=text_at(meta, "title"),
        abstract=next((text for text in descriptions if text and not text.startswith("Comment:")), ""),
        authors=tuple(Author(name=name) for name in unique(text_of(node) for node in children(meta, "creator"))),
        date=next((date for date in (iso_date(text_of(node)) for node in children(meta, "date")) if date), ""),
        language=text_at(meta, "language"),
        keywords=unique(text_of(node) for node in children(meta, "subject")),
        kind="preprint" if arxiv else "",
        url=next((value for value in identifiers if value.startswith(("http://", "https://"))), ""),
    )
