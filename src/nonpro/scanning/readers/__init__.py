"""Readers of the literature formats, chosen by sniffing the file (``detect``) or by name.

Each format module exposes ``read(stream, path) -> Iterator[Record | Problem]`` (see ``base``).
``read_file(path)`` opens the file (gzip transparent), detects the format and reads it;
``read_files(paths)`` reads several, one after the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from nonpro.scanning.readers import (
    arxiv,
    bibtex,
    crossref,
    endnote,
    jsonl,
    medline,
    openalex,
    pubmed,
    ris,
    tabular,
)
from nonpro.scanning.readers.base import GZIP_MAGIC, Reader, ReadItem, opened, problem

#: Every format, by the name ``--format`` takes.
FORMATS: dict[str, Reader] = {
    "pubmed-xml": pubmed.read,
    "medline": medline.read,
    "arxiv-atom": arxiv.read_atom,
    "oai-pmh": arxiv.read_oai_pmh,
    "crossref-json": crossref.read,
    "openalex-json": openalex.read,
    "ris": ris.read,
    "bibtex": bibtex.read,
    "endnote-xml": endnote.read,
    "csv": tabular.read_csv,
    "tsv": tabular.read_tsv,
    "xlsx": tabular.read_xlsx,
    "jsonl": jsonl.read,
}
#: Readers that give light records (see ``read_file``), by format; the others' records are whole.
LIGHT_FORMATS: dict[str, Reader] = {"pubmed-xml": pubmed.read_light}
#: How many bytes ``detect`` looks at.
SNIFF_BYTES = 16 * 1024

_RIS_TAG = re.compile(rb"^(?:\xef\xbb\xbf)?TY {1,2}- ", re.MULTILINE)
#: MEDLINE tags: up to four capitals, padded to four, then "- " (PubMed's .nbib; ERIC exports have no PMID).
_MEDLINE_TAG = re.compile(rb"^(?:\xef\xbb\xbf)?(?:PMID|OWN |TI  |FAU |AU  |DP  |STAT)- ", re.MULTILINE)
_BIBTEX_ENTRY = re.compile(rb"@[A-Za-z]+\s*[{(]")
_XLSX_MAGIC = b"PK\x03\x04"


class UnknownFormat(ValueError):
    """The file's format could not be recognised (name it with ``--format``)."""


_XML_MARKERS = (
    (b"<PubmedArticleSet", "pubmed-xml"),
    (b"<PubmedArticle", "pubmed-xml"),
    (b"<PubmedBookArticle", "pubmed-xml"),
    (b"<OAI-PMH", "oai-pmh"),
    (b"<feed", "arxiv-atom"),
    (b"<records>", "endnote-xml"),
    (b"<xml>", "endnote-xml"),
)
_KNOWN = "PubMed XML, MEDLINE, arXiv, Crossref, OpenAlex, RIS, BibTeX, EndNote XML, CSV, TSV, XLSX, JSON Lines"


def _detect_xml(text: bytes) -> str:
    for marker, fmt in _XML_MARKERS:
        if marker in text:
            return fmt
    raise UnknownFormat("an XML file, but not PubMed, arXiv (Atom or OAI-PMH) or EndNote XML")


def _detect_json(text: bytes, name: str) -> str:
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if b'"message-type"' in text or b'"message"' in text[:200]:
        return "crossref-json"
    if b"openalex.org/W" in text or b'"abstract_inverted_index"' in text:
        return "openalex-json"
    first_line = text.split(b"\n", 1)[0].strip()
    if first_line.startswith(b"{") and first_line.endswith(b"}"):
        return "jsonl"
    raise UnknownFormat("a JSON file, but not Crossref, OpenAlex or JSON Lines")


def _detect_text(head: bytes, text: bytes, name: str) -> str | None:
    """Return the tagged or tabular format of a text file, or None."""
    if _RIS_TAG.search(head):
        return "ris"
    if _MEDLINE_TAG.search(head) or name.endswith(".nbib"):
        return "medline"
    if name.endswith(".bib") or _BIBTEX_ENTRY.match(text):
        return "bibtex"
    by_name = {".tsv": "tsv", ".tab": "tsv", ".csv": "csv"}
    for suffix, fmt in by_name.items():
        if name.endswith(suffix):
            return fmt
    first = text.split(b"\n", 1)[0].lower()
    if b"title" in first:
        return "tsv" if b"\t" in first else "csv" if b"," in first else None
    return None


def detect(head: bytes, path: str = "") -> str:
    """Return the format of a file from its first bytes (un-gzipped) and its name; raise ``UnknownFormat``."""
    name = Path(path).name.lower().removesuffix(".gz")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(_XLSX_MAGIC) or name.endswith(".xlsx"):
        return "xlsx"
    if text.startswith(b"<"):
        return _detect_xml(text)
    if text.startswith((b"{", b"[")):
        return _detect_json(text, name)
    found = _detect_text(head, text, name)
    if found is None:
        raise UnknownFormat(f"not a format the scanner reads ({_KNOWN})")
    return found


def read_file(path: str | Path, fmt: str | None = None, *, light: bool = False) -> Iterator[ReadItem]:
    """Read one file (gzip transparent), detecting its format unless ``fmt`` names it.

    A file that cannot be opened or recognised gives one ``Problem`` (position "file") and no record.
    ``light``: the records may hold only their first author, without affiliations (enough for
    scoring and deduplication, and faster to read).
    """
    shown = str(path)
    try:
        with opened(path) as stream:
            if fmt is None:
                head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(stream, "peek") else b""
                fmt = detect(head, shown)
            reader = (LIGHT_FORMATS.get(fmt) if light else None) or FORMATS.get(fmt)
            if reader is None:
                yield problem(shown, "file", f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
                return
            yield from reader(stream, shown)
    except UnknownFormat as error:
        yield problem(shown, "file", str(error))
    except OSError as error:
        yield problem(shown, "file", f"cannot be read: {error.strerror or error}")


def read_files(paths: Iterable[str | Path], fmt: str | None = None) -> Iterator[ReadItem]:
    for path in paths:
        yield from read_file(path, fmt)


__all__ = ["FORMATS", "GZIP_MAGIC", "LIGHT_FORMATS", "UnknownFormat", "detect", "read_file", "read_files"]
