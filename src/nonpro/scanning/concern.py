"""Zero-shot concern scoring: the taxonomy's terms found in a record, by field, become scores in [0, 1].

Before anyone has labelled a record, this is the ranking (``learning`` takes over with labels and
uses these scores as features). The taxonomy is a versioned data file in the six languages
(``data/concern_taxonomy.toml``, policy-level vocabulary only).

How a record is scored:

1. Its title, keywords (with MeSH terms) and abstract are folded (case, accents, punctuation) and
   split into words; each taxonomy term is looked up as a sequence of words (a word ending in
   "*" in the taxonomy matches any word beginning with it); Chinese terms are found as written.
2. Evidence for a domain = Σ over its topics found in a field of field weight * topic weight
   (title 3, keywords 2, abstract 1), plus a quarter of that for each further distinct term of
   the same topic in the same field (more terms, diminishing returns).
3. Domain score = 1 - exp(-evidence / scale): saturating, in [0, 1).
4. Overall concern = 1 - (1 - strongest WMD domain) * (1 - enabling weight * enabling score):
   an enabling technology alone is of some concern; with a WMD domain, of more.

The explanation lists every match: term, topic, domain, field and the evidence it added.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from nonpro.scanning.records import Record, title_key

LANGUAGES = ("ar", "zh-hans", "en", "fr", "ru", "es")
FIELDS = ("title", "keywords", "abstract")
#: A further distinct term of a topic already found in the same field adds this share of its evidence.
EXTRA_TERM_SHARE = 0.25
_PREFIX = "*"


#: ASCII text to words as ``title_key`` splits them: every character but letters, digits and "_" a space.
_ASCII_WORDS = str.maketrans({chr(code): " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")})
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _is_cjk(text: str) -> bool:
    return not text.isascii() and _CJK.search(text) is not None


@dataclass(frozen=True)
class Topic:
    code: str
    domain: str
    weight: float
    labels: Mapping[str, str]
    basis: str

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class Domain:
    code: str
    labels: Mapping[str, str]
    enabling: bool = False

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class Match:
    """One term found: which, for which topic and domain, in which field, adding how much evidence."""

    term: str
    topic: str
    domain: str
    field: str
    evidence: float


@dataclass(frozen=True)
class Concern:
    """A record's concern: overall score, score per domain, and the matches that explain them."""

    score: float
    domains: dict[str, float]
    matches: tuple[Match, ...] = ()

    def top_domains(self, threshold: float = 0.2) -> list[str]:
        """Return the domains scoring at least ``threshold``, strongest first."""
        ranked = sorted(self.domains.items(), key=lambda item: (-item[1], item[0]))
        return [code for code, score in ranked if score >= threshold]

    def explanation(self) -> list[dict[str, Any]]:
        """Return the matches as plain data (for JSON output)."""
        return [
            {"term": m.term, "topic": m.topic, "domain": m.domain, "field": m.field, "evidence": round(m.evidence, 3)}
            for m in self.matches
        ]


@dataclass(frozen=True)
class _Term:
    text: str  # as written in the taxonomy
    topic: int  # index in Taxonomy.topics
    words: tuple[tuple[str, bool], ...]  # (folded word, is a prefix)


@dataclass
class Taxonomy:
    """The concern taxonomy: domains, topics, their terms, field weights and calibration."""

    version: str
    domains: dict[str, Domain]
    topics: list[Topic]
    field_weights: dict[str, float]
    scale: float
    enabling_weight: float
    _exact: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    _prefixed: dict[str, list[int]] = field(default_factory=dict)
    _starters: set[str] = field(default_factory=set)
    _cjk: list[tuple[str, int]] = field(default_factory=list)
    _terms: list[_Term] = field(default_factory=list)
    _longest: int = 1
    _screens: tuple[re.Pattern[str], re.Pattern[str]] | None = None  # built on first use (``_screen``)

    def add_term(self, text: str, topic: int) -> None:
        """Index one term of ``topic`` (see the module docstring for how terms match)."""
        folded = title_key(text.replace(_PREFIX, " PREFIXMARK "))
        if _is_cjk(text):
            self._cjk.append((title_key(text).replace(" ", ""), len(self._terms)))
            self._terms.append(_Term(text, topic, ()))
            return
        words: list[tuple[str, bool]] = []
        for word in folded.split():
            if word == "prefixmark":
                if words:
                    words[-1] = (words[-1][0], True)
                continue
            words.append((word, False))
        if not words:
            raise ValueError(f"Empty term in topic {self.topics[topic].code!r}: {text!r}")
        index = len(self._terms)
        self._terms.append(_Term(text, topic, tuple(words)))
        self._screens = None
        self._longest = max(self._longest, len(words))
        if any(prefix for _word, prefix in words):
            self._prefixed.setdefault(words[0][0][:3], []).append(index)
        else:
            self._exact.setdefault(tuple(word for word, _prefix in words), []).append(index)
            self._starters.add(words[0][0])

    def _screen(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        """Return the screens of ``find``: patterns that match wherever any (non-Chinese) term could.

        The first reads ASCII text lower-cased with each non-word character made a space and a
        space put first (``_ASCII_WORDS``), the second folded text (``title_key``: words of ``\\w``
        joined by one space).
        """
        if self._screens is None:
            spelled = [term.words for term in self._terms if term.words]
            ascii_terms = [words for words in spelled if all(word.isascii() for word, _prefix in words)]
            self._screens = (
                re.compile(" " + _alternatives(ascii_terms, " "), re.ASCII),  # a word begins after a space
                re.compile("(?<!\\w)" + _alternatives(spelled, " ")),
            )
        return self._screens

    def find(self, text: str) -> list[int]:
        """Return the indexes of the distinct terms found in ``text``.

        Most texts hold no term: one compiled pattern of every term screens them out (for ASCII
        text without even folding it) before the word-by-word look-up.
        """
        raw_screen, folded_screen = self._screen()
        if text.isascii():
            if raw_screen.search(" " + text.lower().translate(_ASCII_WORDS)) is None:
                return []  # nor a Chinese term: ASCII text has no Chinese
            folded = title_key(text)
        else:
            folded = title_key(text)
            if folded_screen.search(folded) is None:
                return self._find_cjk(folded, {})
        found: dict[int, None] = {}
        words = folded.split()
        starters, prefixed, exact = self._starters, self._prefixed, self._exact
        for start, word in enumerate(words):
            if word in starters:  # only words that begin a term start a look-up
                for length in range(1, min(self._longest, len(words) - start) + 1):
                    for index in exact.get(tuple(words[start : start + length]), ()):
                        found[index] = None
            candidates = prefixed.get(word[:3])
            if candidates:
                for index in candidates:
                    if self._prefix_match(self._terms[index].words, words, start):
                        found[index] = None
        return self._find_cjk(folded, found)

    def _find_cjk(self, folded: str, found: dict[int, None]) -> list[int]:
        """Add the Chinese terms found in ``folded`` (as written, spaces ignored) to ``found``; return them all."""
        if self._cjk and _is_cjk(folded):
            compact = folded.replace(" ", "")
            for needle, index in self._cjk:
                if needle in compact:
                    found[index] = None
        return list(found)

    @staticmethod
    def _prefix_match(pattern: tuple[tuple[str, bool], ...], words: list[str], start: int) -> bool:
        if start + len(pattern) > len(words):
            return False
        for (stem, prefix), word in zip(pattern, words[start : start + len(pattern)], strict=True):
            if not (word.startswith(stem) if prefix else word == stem):
                return False
        return True

    def score(self, record: Record) -> Concern:
        """Return the concern of ``record`` (see the module docstring)."""
        texts = {
            "title": record.title,
            "keywords": " ; ".join((*record.keywords, *record.mesh_terms)),
            "abstract": record.abstract,
        }
        return self.score_texts(texts)

    def score_texts(self, texts: Mapping[str, str]) -> Concern:
        evidence = dict.fromkeys(self.domains, 0.0)
        matches: list[Match] = []
        for field_name in FIELDS:
            text = texts.get(field_name, "")
            if not text:
                continue
            seen_topics: set[int] = set()
            for index in sorted(self.find(text), key=lambda i: (self._terms[i].topic, i)):
                term = self._terms[index]
                topic = self.topics[term.topic]
                added = self.field_weights[field_name] * topic.weight
                if term.topic in seen_topics:
                    added *= EXTRA_TERM_SHARE
                seen_topics.add(term.topic)
                evidence[topic.domain] += added
                matches.append(Match(term.text, topic.code, topic.domain, field_name, added))
        domains = {code: 1.0 - math.exp(-value / self.scale) for code, value in evidence.items()}
        wmd = max((score for code, score in domains.items() if not self.domains[code].enabling), default=0.0)
        enabling = max((score for code, score in domains.items() if self.domains[code].enabling), default=0.0)
        overall = 1.0 - (1.0 - wmd) * (1.0 - self.enabling_weight * enabling)
        return Concern(score=overall, domains=domains, matches=tuple(matches))

    def terms_of(self, topic_code: str) -> list[str]:
        return [term.text for term in self._terms if self.topics[term.topic].code == topic_code]


def _alternatives(terms: Iterable[tuple[tuple[str, bool], ...]], word_break: str) -> str:
    """Return a pattern that matches where any of ``terms`` (folded words) begins in a text, at a word's start.

    Words are whole words (``word_break`` is a character between words), and a prefix word matches
    any word beginning with it. The alternatives share their common beginnings (a trie), so that
    the pattern rejects most positions after a character or two.
    """
    end = object()  # a term matched: what follows does not matter
    tree: dict[Any, Any] = {}
    for words in terms:
        node = tree
        for position, (word, prefix) in enumerate(words):
            for character in word:
                node = node.setdefault(re.escape(character), {})
            last = position == len(words) - 1
            if prefix and last:
                break
            node = node.setdefault(("\\w*" if prefix else "") + ("(?!\\w)" if last else f"{word_break}+"), {})
        node[end] = {}

    def pattern(node: dict[Any, Any]) -> str:
        if end in node:
            return ""
        branches = [atom + pattern(child) for atom, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(tree) if tree else "(?!)"


def _labels(value: Any, where: str) -> dict[str, str]:
    if (
        not isinstance(value, dict)
        or set(value) != set(LANGUAGES)
        or not all(isinstance(v, str) and v for v in value.values())
    ):
        raise ValueError(f"{where}: a label in each of {', '.join(LANGUAGES)} is needed")
    return dict(value)


def parse_taxonomy(data: Mapping[str, Any]) -> Taxonomy:
    """Build a ``Taxonomy`` from the TOML data; raise ``ValueError`` naming what is wrong."""
    domains = {
        str(item["code"]): Domain(
            str(item["code"]), _labels(item.get("label"), f"domain {item['code']}"), bool(item.get("enabling", False))
        )
        for item in data["domains"]
    }
    weights = {name: float(data["fields"][name]) for name in FIELDS}
    taxonomy = Taxonomy(
        version=str(data["version"]),
        domains=domains,
        topics=[],
        field_weights=weights,
        scale=float(data["calibration"]["scale"]),
        enabling_weight=float(data["calibration"]["enabling_weight"]),
    )
    codes: set[str] = set()
    for item in data["topics"]:
        code = str(item["code"])
        if code in codes:
            raise ValueError(f"topic {code}: the code is used twice")
        codes.add(code)
        if item["domain"] not in domains:
            raise ValueError(f"topic {code}: unknown domain {item['domain']!r}")
        terms = item.get("terms", {})
        missing = [language for language in LANGUAGES if not terms.get(language)]
        if missing:
            raise ValueError(f"topic {code}: no terms in {', '.join(missing)}")
        taxonomy.topics.append(
            Topic(
                code,
                str(item["domain"]),
                float(item.get("weight", 1.0)),
                _labels(item.get("label"), f"topic {code}"),
                str(item.get("basis", "")),
            )
        )
        for language in LANGUAGES:
            for text in terms[language]:
                taxonomy.add_term(str(text), len(taxonomy.topics) - 1)
    return taxonomy


@cache
def load_taxonomy() -> Taxonomy:
    """Return the packaged concern taxonomy (parsed once per process)."""
    raw = resources.files("nonpro.scanning").joinpath("data/concern_taxonomy.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(raw))


def score_records(records: Iterable[Record], taxonomy: Taxonomy | None = None) -> list[Concern]:
    chosen = taxonomy or load_taxonomy()
    return [chosen.score(record) for record in records]
