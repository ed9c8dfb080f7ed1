"""What the screening pages show of a candidate: highlighted terms, labelled scores, the explanation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from nonpro.horizon.models import Candidate
from nonpro.scanning.concern import Taxonomy, load_taxonomy

#: How the fields of the explanation are named on the page.
FIELD_ORDER = ("title", "keywords", "abstract")


@cache
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def _term_pattern(term: str) -> str:
    """Return a regular expression for a taxonomy term as written ("word*" is a prefix)."""
    if any("\u4e00" <= char <= "\u9fff" for char in term):
        return re.escape(term)
    parts = []
    for word in term.split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return r"(?<!\w)" + r"[\W_]+".join(parts) + r"(?!\w)"


def highlight(text: str, terms: list[str]) -> SafeString:
    """Return ``text`` escaped, with every occurrence of ``terms`` in ``<mark>`` (longest first)."""
    if not text:
        return mark_safe("")
    patterns = [_term_pattern(term) for term in sorted(set(terms), key=len, reverse=True) if term.strip()]
    if not patterns:
        return SafeString(escape(text))
    found = re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    for match in found.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece escaped above


@dataclass(frozen=True)
class DomainScore:
    code: str
    label: str
    score: float

    @property
    def percent(self) -> int:
        return round(100 * self.score)


@dataclass(frozen=True)
class Reason:
    term: str
    topic: str
    domain: str
    field: str
    evidence: float


def domain_scores(candidate: Candidate, language: str, *, minimum: float = 0.005) -> list[DomainScore]:
    """Return the domains the candidate scores in, strongest first, labelled in ``language``."""
    domains = taxonomy().domains
    scores = [
        DomainScore(code, domains[code].label(language) if code in domains else code, float(score))
        for code, score in (candidate.domain_scores or {}).items()
        if float(score) >= minimum
    ]
    return sorted(scores, key=lambda item: (-item.score, item.code))


def reasons(candidate: Candidate, language: str) -> list[Reason]:
    """Return the explanation: each term found, its topic and domain (labelled), where, and its weight."""
    topics = {topic.code: topic for topic in taxonomy().topics}
    domains = taxonomy().domains
    found = []
    for match in candidate.explanation or []:
        topic = topics.get(str(match.get("topic")))
        domain = domains.get(str(match.get("domain")))
        found.append(
            Reason(
                term=str(match.get("term", "")),
                topic=topic.label(language) if topic else str(match.get("topic", "")),
                domain=domain.label(language) if domain else str(match.get("domain", "")),
                field=str(match.get("field", "")),
                evidence=float(match.get("evidence", 0.0)),
            )
        )
    return sorted(found, key=lambda reason: (-reason.evidence, reason.term))


#: ISO 639-2 bibliographic codes (PubMed's ``Language``) and English language names (RIS ``LA``) of the
#: languages most often met in the literature, to BCP 47 tags for the ``lang`` attribute.
_LANGUAGE_TAGS = {
    "eng": "en", "english": "en", "fre": "fr", "fra": "fr", "french": "fr", "spa": "es", "spanish": "es",
    "rus": "ru", "russian": "ru", "chi": "zh", "zho": "zh", "chinese": "zh", "ara": "ar", "arabic": "ar",
    "ger": "de", "deu": "de", "german": "de", "jpn": "ja", "japanese": "ja", "por": "pt", "portuguese": "pt",
    "ita": "it", "italian": "it", "kor": "ko", "korean": "ko", "dut": "nl", "nld": "nl", "dutch": "nl",
    "pol": "pl", "polish": "pl", "tur": "tr", "turkish": "tr", "per": "fa", "fas": "fa", "persian": "fa",
    "cze": "cs", "ces": "cs", "czech": "cs", "swe": "sv", "swedish": "sv", "ukr": "uk", "ukrainian": "uk",
    "heb": "he", "hebrew": "he", "hin": "hi", "hindi": "hi", "kaz": "kk", "kazakh": "kk",
}  # fmt: skip


def language_tag(value: str) -> str:
    """Return the BCP 47 tag of a record's language as sources write it ("eng", "English", "en-GB"); "en" if unknown.

    Most records without a language are English, and a wrong guess inside an English text would
    be worse than this default.
    """
    cleaned = value.strip().casefold()
    if cleaned in _LANGUAGE_TAGS:
        return _LANGUAGE_TAGS[cleaned]
    primary = cleaned.replace("_", "-").split("-")[0]
    if len(primary) == 2 and primary.isalpha():
        return primary
    return "en"


def record_view(candidate: Candidate, language: str) -> dict[str, Any]:
    """Return what the screening page shows of a candidate, with the matched terms highlighted."""
    terms = [str(match.get("term", "")) for match in candidate.explanation or []]
    return {
        "candidate": candidate,
        "record_lang": language_tag(candidate.language),
        "title": highlight(candidate.title, terms),
        "abstract": highlight(candidate.abstract, terms),
        "keywords": highlight(" · ".join(str(word) for word in candidate.keywords), terms),
        "domains": domain_scores(candidate, language),
        "reasons": reasons(candidate, language),
        "concern_percent": round(100 * candidate.concern),
        "probability_percent": None if candidate.probability is None else round(100 * candidate.probability),
        "identifiers": candidate.identifiers(),
    }
