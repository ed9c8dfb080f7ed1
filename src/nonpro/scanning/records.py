"""The normalised record every reader yields, its identifiers, and what a run reports.

Plain dataclasses only: no Django, no database (``nonpro.horizon`` stores them). A record keeps
where it came from (``source``: file and position) so that a problem or a duplicate can be traced
back to the line or element it was read from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

#: A DOI: "10." then a registrant code, a slash and a suffix (case-insensitive; compared lower-cased).
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
#: New-style arXiv ids (2007-) and old-style ones ("hep-th/9901001"), without the version.
_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_OLD = re.compile(r"([a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
_PMCID = re.compile(r"PMC\d+", re.IGNORECASE)
_OPENALEX = re.compile(r"W\d+")
_SPACE = re.compile(r"\s+")
_TITLE_NOISE = re.compile(r"[^\w]+")


def clean_text(value: object) -> str:
    """Return ``value`` as one line of text: whitespace collapsed, control characters dropped."""
    if value is None:
        return ""
    text = " ".join((value if isinstance(value, str) else str(value)).split())
    if not text.isprintable():
        text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text


def normalize_doi(value: object) -> str:
    """Return the DOI in ``value`` lower-cased, without resolver prefix ("" when there is none)."""
    text = clean_text(value)
    lowered = text.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix) :]
            break
    match = _DOI.search(text)
    return match.group(0).rstrip(".,;").lower() if match else ""


def normalize_pmid(value: object) -> str:
    """Return a PubMed id (digits, no leading zeros) or "" (a PMID of zeros is no identifier)."""
    digits = "".join(ch for ch in clean_text(value) if ch.isdigit())
    stripped = digits.lstrip("0")
    return stripped if stripped and len(stripped) <= 9 else ""


def normalize_pmcid(value: object) -> str:
    match = _PMCID.search(clean_text(value))
    return match.group(0).upper() if match else ""


def normalize_arxiv(value: object) -> str:
    """Return the arXiv id in ``value`` without version ("2401.01234", "hep-th/9901001") or ""."""
    text = clean_text(value)
    text = re.sub(r"^(?:https?://arxiv\.org/(?:abs|pdf)/|arxiv:)", "", text, flags=re.IGNORECASE)
    match = _ARXIV_NEW.search(text)
    if match:
        return match.group(1)
    match = _ARXIV_OLD.search(text)
    return match.group(1).lower() if match else ""


def normalize_openalex(value: object) -> str:
    match = _OPENALEX.search(clean_text(value).rsplit("/", 1)[-1])
    return match.group(0) if match else ""


#: Combining marks (Latin, Cyrillic, Hebrew, Arabic and general ranges), removed after decomposition.
_COMBINING = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0640]"
)


def title_key(title: str) -> str:
    """Return the text folded for comparison: case, accents, punctuation and spacing removed.

    Used for titles (deduplication) and for the concern terms and texts; ASCII text skips the
    Unicode work.
    """
    folded = title.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return _TITLE_NOISE.sub(" ", folded).strip()


@dataclass(frozen=True, slots=True)
class Identifiers:
    """The identifiers a record carries, each normalised ("" when absent)."""

    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    arxiv: str = ""
    openalex: str = ""
    source_id: str = ""  # the id the source gave (a CSV record_id, an EndNote rec-number …)

    def global_keys(self) -> list[str]:
        """Return the identifiers as ``kind:value`` keys (the source's own id is no global key)."""
        pairs = (("doi", self.doi), ("pmid", self.pmid), ("pmcid", self.pmcid), ("arxiv", self.arxiv))
        return [f"{kind}:{value}" for kind, value in (*pairs, ("openalex", self.openalex)) if value]

    def primary(self) -> str:
        """Return the best single identifier to show: DOI, PMID, arXiv, PMCID, OpenAlex, the source's id."""
        for value in (self.doi, self.pmid, self.arxiv, self.pmcid, self.openalex, self.source_id):
            if value:
                return value
        return ""


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    affiliations: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes where the source gives them


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record was read: the file (as given), the format and the position in it."""

    path: str
    format: str
    position: str  # "line 12", "record 3", "row 7" …


@dataclass(frozen=True, slots=True)
class Record:
    """One publication, as read from any format."""

    ids: Identifiers
    title: str
    abstract: str = ""
    authors: tuple[Author, ...] = ()
    venue: str = ""
    date: str = ""  # ISO 8601, as precise as the source: "2024", "2024-03" or "2024-03-05"
    language: str = ""  # as given by the source (ISO 639 codes where it uses them)
    keywords: tuple[str, ...] = ()
    mesh_terms: tuple[str, ...] = ()
    kind: str = ""  # article, preprint, patent, report, book … where the source says
    url: str = ""
    source: Source | None = None
    #: A label the input carries (ASReview's ``label_included``): 1, 0, or None when unlabelled.
    label: int | None = None

    @property
    def year(self) -> str:
        return self.date[:4]

    def richness(self) -> int:
        """Return how much the record holds (the richest of duplicates is kept)."""
        filled = (
            bool(self.abstract),
            bool(self.authors),
            bool(self.venue),
            bool(self.date),
            bool(self.keywords or self.mesh_terms),
            bool(self.language),
        )
        return sum(filled) * 10_000 + len(self.ids.global_keys()) * 1_000 + min(len(self.abstract), 999)

    def with_source(self, source: Source) -> Record:
        return replace(self, source=source)


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that could not be read: where and why. The run goes on."""

    path: str
    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.position}: {self.reason}"


@dataclass(slots=True)
class RunStats:
    """The counts every run ends with: nothing is dropped without being counted."""

    read: int = 0
    scored: int = 0
    duplicate: int = 0
    error: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add_problem(self, problem: Problem) -> None:
        self.error += 1
        self.problems.append(problem)

    def merge(self, other: RunStats) -> None:
        self.read += other.read
        self.scored += other.scored
        self.duplicate += other.duplicate
        self.error += other.error
        self.problems.extend(other.problems)

    def summary(self) -> str:
        return f"read {self.read}, scored {self.scored}, duplicate {self.duplicate}, error {self.error}"


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Return the non-empty values once each, in order."""
    return tuple(dict.fromkeys(value for value in (clean_text(v) for v in values) if value))
