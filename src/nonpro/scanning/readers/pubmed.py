"""PubMed/MEDLINE XML: efetch responses and the annual baseline/update files.

Both are a ``PubmedArticleSet`` of ``PubmedArticle`` (a journal citation) and ``PubmedBookArticle``
(a book or a chapter of one, from the NCBI Bookshelf); update files also hold ``DeleteCitation``
blocks, which list PMIDs withdrawn from PubMed and are no records: they are passed over.

This module also holds the XML plumbing the other XML readers (``arxiv``, ``endnote``) share:
``read_xml_records`` (streaming, empty input, fatal syntax errors), ``find``, ``text_at`` and ``checked``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from lxml import etree

from nonpro.scanning.readers.base import ReadItem, iter_xml, kids, local, problem, source, text_of
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Problem,
    Record,
    Source,
    clean_text,
    normalize_arxiv,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
    unique,
)

FORMAT = "pubmed-xml"

#: Builds the record of one XML element: a Record, a Problem, or None for an element that holds none.
Builder = Callable[[Any, str, str], ReadItem | None]

#: Bytes that may come before the XML of an "empty" file: whitespace and a UTF-8 byte-order mark.
_BLANK = b" \t\r\n\xef\xbb\xbf"
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_YEAR = re.compile(r"\b(\d{4})\b")
#: PubMed publication types that say more than "article", in the order they are checked.
_KINDS = (
    ("Preprint", "preprint"),
    ("Dataset", "dataset"),
    ("Technical Report", "report"),
    ("Congress", "conference-paper"),
    ("Clinical Conference", "conference-paper"),
    ("Consensus Development Conference", "conference-paper"),
    ("Systematic Review", "review"),
    ("Review", "review"),
)


# --- shared XML plumbing -------------------------------------------------------------------------


class _Watched(io.RawIOBase):
    """A stream that notes whether anything but whitespace was read (to tell an empty file from bad XML)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self.has_content = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        if not self.has_content and data.strip(_BLANK):
            self.has_content = True
        buffer[: len(data)] = data
        return len(data)


def read_xml_records(stream: IO[bytes], path: str, tags: tuple[str, ...], build: Builder) -> Iterator[ReadItem]:
    """Stream the elements named ``tags`` and yield what ``build`` makes of each, with its position.

    The position is "record N, line L": the element's rank among those named ``tags`` and the line
    it starts on (both, as EndNote and PubMed exports may hold every record on one line).

    An empty (or blank) input yields nothing. A fatal XML error yields one Problem at its line and
    ends the file, after the records read before it. ``build`` gets ``(element, path, position)``;
    the element is freed once ``build`` returns, so it must not be kept.
    """
    watched = _Watched(stream)
    count = 0
    try:
        for element, line in iter_xml(io.BufferedReader(watched), tags):
            count += 1
            position = f"record {count}, line {line}" if line else f"record {count}"
            item = build(element, path, position)
            if item is not None:
                yield item
    except etree.XMLSyntaxError as error:
        if watched.has_content:
            yield problem(path, f"line {error.lineno}", f"not well-formed XML, reading stopped: {error.msg}")


def text_at(element: Any, *names: str) -> str:
    """Return the clean text at the path ``names`` of direct children below ``element`` ("" if absent)."""
    return clean_text(text_of(find(element, *names)))


def find(element: Any, *names: str) -> Any:
    """Return the element at the path ``names`` of direct children below ``element``, or None."""
    for name in names:
        if element is None:
            return None
        element = local(element, name)
    return element


def checked(record: Record, path: str, position: str) -> Record | Problem:
    """Return ``record``, or a Problem when it has neither a title nor an identifier to know it by."""
    if record.title or record.ids.global_keys():
        return record
    return problem(path, position, "no title and no identifier")


# --- PubMed ----------------------------------------------------------------------------------------


_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")


def read(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a PubMed XML file (efetch response, baseline or update file)."""
    return read_xml_records(stream, path, _TAGS, _build)


def read_light(stream: IO[bytes], path: str) -> Iterator[ReadItem]:
    """Read a PubMed XML file as ``read`` does, but give each record only its first author, without affiliations.

    For callers that need to know whether a record has authors, not who they are (scoring and
    deduplication): the authors are most of a record's elements.
    """
    return read_xml_records(stream, path, _TAGS, _build_light)


def _build(element: Any, path: str, position: str, *, light: bool = False) -> ReadItem | None:
    name = etree.QName(element).localname
    if name == "DeleteCitation":
        return None
    where = source(path, FORMAT, position)
    if name == "PubmedBookArticle":
        record = _book(element, where, light=light)
    else:
        record = _article(element, where, light=light)
    return checked(record, path, position)


def _build_light(element: Any, path: str, position: str) -> ReadItem | None:
    return _build(element, path, position, light=True)


# The extraction below reads each element's children once (``kids``) and picks the fields from
# that: a look-up per field name costs more than the pass, and a record has dozens of fields.


def _first(found: dict[str, list[Any]], name: str) -> Any:
    """Return the first of the children ``found`` named ``name``, or None."""
    group = found.get(name)
    return group[0] if group else None


def _text(found: dict[str, list[Any]], name: str) -> str:
    """Return the clean text of the first of the children ``found`` named ``name`` ("" if absent)."""
    group = found.get(name)
    return clean_text(text_of(group[0])) if group else ""


def _article(element: Any, where: Source | None = None, *, light: bool = False) -> Record:
    """Return the record of a ``PubmedArticle`` (``MedlineCitation`` + ``PubmedData``); ``light``: ``read_light``."""
    top = kids(element)
    citation = kids(_first(top, "MedlineCitation"))
    article_node = _first(citation, "Article")
    article = kids(article_node)
    journal_node = _first(article, "Journal")
    journal = kids(journal_node)
    id_lists = [_first(kids(_first(top, "PubmedData")), "ArticleIdList")]
    locations = article.get("ELocationID", [])
    types = [text_of(node) for node in _listed(article, "PublicationTypeList", "PublicationType")]
    pub_date = _first(kids(_first(journal, "JournalIssue")), "PubDate")
    return Record(
        ids=_identifiers(_text(citation, "PMID"), id_lists, locations),
        title=_text(article, "ArticleTitle") or _text(article, "VernacularTitle"),
        abstract=_abstract(article_node, article),
        authors=_authors(article_node, article, light=light),
        venue=_text(journal, "Title")
        or _text(journal, "ISOAbbreviation")
        or _text(kids(_first(citation, "MedlineJournalInfo")), "MedlineTA"),
        date=_date(pub_date) or _date(_first(article, "ArticleDate")),
        language=_text(article, "Language"),
        keywords=unique(text_of(node) for node in _listed(citation, "KeywordList", "Keyword")),
        mesh_terms=unique(
            text_of(_first(kids(node), "DescriptorName"))
            for node in _listed(citation, "MeshHeadingList", "MeshHeading")
        ),
        kind=_kind(types),
        source=where,
    )


def _book(element: Any, where: Source | None = None, *, light: bool = False) -> Record:
    """Return the record of a ``PubmedBookArticle``: a whole book, or a chapter (its own ArticleTitle).

    ``light``: see ``read_light``.
    """
    top = kids(element)
    document_node = _first(top, "BookDocument")
    document = kids(document_node)
    book_node = _first(document, "Book")
    book = kids(book_node)
    book_title = _text(book, "BookTitle")
    chapter_title = _text(document, "ArticleTitle")
    id_lists = [_first(document, "ArticleIdList"), _first(kids(_first(top, "PubmedBookData")), "ArticleIdList")]
    return Record(
        ids=_identifiers(_text(document, "PMID"), id_lists, []),
        title=chapter_title or book_title or _text(document, "VernacularTitle"),
        abstract=_abstract(document_node, document),
        authors=_authors(document_node, document, light=light) or _authors(book_node, book, light=light),
        venue=book_title if chapter_title else _text(kids(_first(book, "Publisher")), "PublisherName"),
        date=_date(_first(book, "PubDate")),
        language=_text(document, "Language"),
        keywords=unique(text_of(node) for node in _listed(document, "KeywordList", "Keyword")),
        kind="book-chapter" if chapter_title else "book",
        source=where,
    )


def _listed(found: dict[str, list[Any]], list_name: str, item_name: str) -> list[Any]:
    """Return the ``item_name`` children of every ``list_name`` child ``found`` (lists may repeat)."""
    return [item for group in found.get(list_name, ()) for item in kids(group).get(item_name, ())]


def _identifiers(pmid_text: str, id_lists: Iterable[Any], locations: list[Any]) -> Identifiers:
    """Return the ids from the PMID, the record's own ArticleIdList(s) and the article's ELocationIDs.

    Only the record's own lists are read: the ArticleIdLists of its references and comments name
    other papers.
    """
    found: dict[str, str] = {}
    for id_list in id_lists:
        for node in kids(id_list).get("ArticleId", ()):
            found.setdefault(node.get("IdType", ""), clean_text(text_of(node)))
    for node in locations:
        found.setdefault(f"location-{node.get('EIdType', '')}", clean_text(text_of(node)))
    pii = found.get("location-pii", "")
    return Identifiers(
        doi=normalize_doi(found.get("doi", "")) or normalize_doi(found.get("location-doi", "")),
        pmid=normalize_pmid(pmid_text) or normalize_pmid(found.get("pubmed", "")),
        pmcid=normalize_pmcid(found.get("pmc", "")),
        arxiv=normalize_arxiv(pii) if pii.lower().startswith("arxiv:") else "",
    )


def _abstract(parent: Any, found: dict[str, list[Any]]) -> str:
    """Return the abstract: its sections as "LABEL: text" paragraphs (OtherAbstract if no Abstract).

    ``found`` holds the children of ``parent`` (``kids``).
    """
    if parent is None:
        return ""
    block = _first(found, "Abstract")
    if block is None:
        block = _first(found, "OtherAbstract")
    if block is None:
        return ""
    sections = []
    for node in kids(block).get("AbstractText", ()):
        text = clean_text(text_of(node))
        label = clean_text(node.get("Label", ""))
        if text:
            sections.append(f"{label}: {text}" if label else text)
    return "\n\n".join(sections)


def _authors(parent: Any, found: dict[str, list[Any]], *, light: bool = False) -> tuple[Author, ...]:
    """Return the authors of the AuthorList(s) below ``parent`` (editors' lists and invalid names left out).

    ``found`` holds the children of ``parent`` (``kids``). ``light``: only the first author, by name.
    """
    if parent is None:
        return ()
    authors = []
    for author_list in found.get("AuthorList", ()):
        if author_list.get("Type") == "editors":
            continue
        for node in kids(author_list).get("Author", ()):
            parts = kids(node)
            name = _author_name(parts)
            if name and node.get("ValidYN") != "N":
                if light:
                    return (Author(name=name),)
                affiliations = unique(
                    text_of(_first(kids(info), "Affiliation")) for info in parts.get("AffiliationInfo", ())
                )
                authors.append(Author(name=name, affiliations=affiliations))
    return tuple(authors)


def _author_name(parts: dict[str, list[Any]]) -> str:
    """Return "LastName, ForeName" (or initials), or the name of a group author (CollectiveName)."""
    last = _text(parts, "LastName")
    first = _text(parts, "ForeName") or _text(parts, "Initials")
    if last:
        return f"{last}, {first}" if first else last
    return _text(parts, "CollectiveName")


def _date(node: Any) -> str:
    """Return a PubDate/ArticleDate as ISO ("2019", "2019-03", "2019-03-05"); a MedlineDate gives its year."""
    if node is None:
        return ""
    parts = kids(node)
    year = _text(parts, "Year")
    if not year:
        match = _YEAR.search(_text(parts, "MedlineDate"))
        return match.group(1) if match else ""
    if not (len(year) == 4 and year.isdigit()):
        return ""
    month = _month(_text(parts, "Month"))
    if not month:
        return year
    day = _text(parts, "Day")
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"{year}-{month:02d}-{int(day):02d}"
    return f"{year}-{month:02d}"


def _month(text: str) -> int:
    """Return the month number of "3", "03", "Mar" or "March", or 0."""
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else 0
    return _MONTHS.get(text[:3].lower(), 0)


def _kind(types: list[str]) -> str:
    """Return the kind the publication types say (a preprint, a review …), "article" otherwise."""
    cleaned = {clean_text(value) for value in types}
    for publication_type, kind in _KINDS:
        if publication_type in cleaned:
            return kind
    return "article"
