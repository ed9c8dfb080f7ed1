"""The register's taxonomies and concern rubric, kept as versioned TOML data files.

Each kind of classification an entry carries — domains, technology areas, control-list headings,
obligations of resolution 1540 — is a file beside this module (``domains.toml``,
``technology_areas.toml``, ``control_lists.toml``, ``obligations.toml``); the concern rubric is
``concern_rubric.toml``. The files hold headings only: list and section titles and policy-level
descriptions, in the six official languages. ``docs/register-taxonomies.md`` describes the format,
how to add a term or release a new version, and the rubric's rule.

This module has no Django import: it is a small library that models, forms, the API and the
exporter all call (``validate_codes`` when saving, ``load(...).label`` when showing, ``rubric()``
when assessing). Files are read once per process and checked strictly; a broken file raises
``TaxonomyError`` naming the file, the term and the problem. The returned objects are shared:
treat them, their dicts included, as read-only.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "FALLBACK_LANGUAGE",
    "FILES",
    "KINDS",
    "LANGUAGES",
    "RUBRIC",
    "SCORE_MAX",
    "SCORE_MIN",
    "Criterion",
    "Level",
    "LevelRule",
    "Rubric",
    "Taxonomy",
    "TaxonomyError",
    "Term",
    "clear_cache",
    "codes",
    "load",
    "rubric",
    "validate_codes",
    "versions",
]

#: The six official languages of the United Nations, as Django spells them (settings.LANGUAGES).
LANGUAGES: tuple[str, ...] = ("ar", "zh-hans", "en", "fr", "ru", "es")
FALLBACK_LANGUAGE = "en"

KINDS = ("domain", "technology_area", "control_list", "obligation")
#: The entry fields that hold taxonomy codes, and the kind of taxonomy each uses.
FIELD_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "domains": "domain",
        "technology_areas": "technology_area",
        "control_lists": "control_list",
        "obligations": "obligation",
    }
)
RUBRIC = "concern_rubric"

#: The data file of each kind (and of the rubric), inside this package.
FILES: Mapping[str, str] = MappingProxyType(
    {
        "domain": "domains.toml",
        "technology_area": "technology_areas.toml",
        "control_list": "control_lists.toml",
        "obligation": "obligations.toml",
        RUBRIC: "concern_rubric.toml",
    }
)

SCORE_MIN = 0
SCORE_MAX = 3

# "YYYY.N": the year of the release and its serial within the year (from 1). ASCII digits only.
_VERSION_RE = re.compile(r"\A(?:19|20)[0-9]{2}\.[1-9][0-9]*\Z")
# Stable codes: ASCII letters, digits, dots and hyphens; starting and ending with a letter or digit.
_CODE_RE = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\Z")
_MAX_CODE_LENGTH = 64

_HEADER_KEYS = frozenset({"version", "source"})
_TERM_KEYS = frozenset({"code", "parent", "label", "description", "deprecated"})
_RUBRIC_KEYS = frozenset({"version", "source", "criteria", "levels", "rule"})
_CRITERION_KEYS = frozenset({"code", "label", "description", "weight", "scores"})
_SCORE_KEYS = frozenset({"score", "description"})
_LEVEL_KEYS = frozenset({"code", "label", "description", "min_score"})
_RULE_KEYS = frozenset({"explanation", "caps", "floors"})


class TaxonomyError(Exception):
    """A taxonomy or rubric file (or a request for one) is invalid.

    Deliberately not a ``ValueError``: a broken data file is a deployment error, and must not be
    caught and shown as if a user had entered a wrong value.
    """

    def __init__(self, problem: str, *, file: str | None = None, term: str | None = None) -> None:
        self.problem = problem
        self.file = file
        self.term = term
        where = ""
        if file is not None:
            where += f"{file}: "
        if term is not None:
            where += f"term {term!r}: "
        super().__init__(where + problem)


def _pick(texts: Mapping[str, str], language: str) -> str:
    """Return the text in ``language`` (Django spelling, case-insensitive), else in English, else ""."""
    wanted = language.strip().lower().replace("_", "-")
    if wanted in texts:
        return texts[wanted]
    base = wanted.split("-", 1)[0]
    for key, text in texts.items():
        if key == base or key.startswith(base + "-"):
            return text
    return texts.get(FALLBACK_LANGUAGE, "")


@dataclass(frozen=True)
class Term:
    """One heading of a taxonomy. ``labels`` and ``descriptions`` map language codes to text."""

    code: str
    parent: str | None
    labels: dict[str, str]
    descriptions: dict[str, str]
    deprecated: bool

    def label(self, language: str) -> str:
        """Return the label in ``language``, falling back to English."""
        return _pick(self.labels, language)

    def description(self, language: str) -> str:
        """Return the description in ``language`` (English as fallback; "" when the term has none)."""
        return _pick(self.descriptions, language)


@dataclass(frozen=True)
class Taxonomy:
    """One kind of classification: its version, its source and its terms in file order."""

    kind: str
    version: str
    source: str
    terms: dict[str, Term]

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def term(self, code: str) -> Term:
        """Return the term with ``code``; raise ``KeyError`` naming the taxonomy when it is unknown."""
        try:
            return self.terms[code]
        except KeyError:
            raise KeyError(f"unknown {self.kind} code {code!r}") from None

    def label(self, code: str, language: str) -> str:
        """Return the label of ``code`` in ``language``, falling back to English."""
        return self.term(code).label(language)

    def description(self, code: str, language: str) -> str:
        """Return the description of ``code`` in ``language`` ("" when the term has none)."""
        return self.term(code).description(language)

    def roots(self, *, include_deprecated: bool = False) -> list[str]:
        """Return the codes of the terms without a parent, in file order."""
        return [
            term.code
            for term in self.terms.values()
            if term.parent is None and (include_deprecated or not term.deprecated)
        ]

    def children(self, code: str, *, include_deprecated: bool = False) -> list[str]:
        """Return the codes of the direct children of ``code``, in file order."""
        self.term(code)
        return [
            term.code
            for term in self.terms.values()
            if term.parent == code and (include_deprecated or not term.deprecated)
        ]

    def ancestors(self, code: str) -> list[str]:
        """Return the codes of the parent, grandparent, … of ``code`` (nearest first; [] for a root)."""
        chain: list[str] = []
        parent = self.term(code).parent
        while parent is not None:
            chain.append(parent)
            parent = self.terms[parent].parent
        return chain

    def choices(self, language: str, *, include_deprecated: bool = False) -> list[tuple[str, str]]:
        """Return ``(code, label)`` pairs, parents before their children, for forms and facets."""
        ordered: list[tuple[str, str]] = []

        def walk(codes_: list[str]) -> None:
            for code in codes_:
                ordered.append((code, self.label(code, language)))
                walk(self.children(code, include_deprecated=include_deprecated))

        walk(self.roots(include_deprecated=include_deprecated))
        return ordered


@dataclass(frozen=True)
class Criterion:
    """One criterion of the concern rubric, scored from 0 to 3; ``scores`` maps a score to its texts."""

    code: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    weight: int
    scores: dict[int, dict[str, str]]

    def label(self, language: str) -> str:
        """Return the label in ``language``, falling back to English."""
        return _pick(self.labels, language)

    def description(self, language: str) -> str:
        """Return the description in ``language``, falling back to English."""
        return _pick(self.descriptions, language)

    def score_description(self, score: int, language: str) -> str:
        """Return what ``score`` means for this criterion, in ``language``."""
        return _pick(self.scores[score], language)


@dataclass(frozen=True)
class Level:
    """An overall concern level, reached when the concern score is at least ``min_score``."""

    code: str
    labels: dict[str, str]
    descriptions: dict[str, str]
    min_score: int

    def label(self, language: str) -> str:
        """Return the label in ``language``, falling back to English."""
        return _pick(self.labels, language)

    def description(self, language: str) -> str:
        """Return the description in ``language``, falling back to English."""
        return _pick(self.descriptions, language)


@dataclass(frozen=True)
class LevelRule:
    """A cap or a floor: when every listed criterion meets its bound, the level is limited to ``level``."""

    when: dict[str, int]
    level: str


@dataclass(frozen=True)
class Rubric:
    """The concern rubric: criteria (in file order), levels (lowest first) and the rule joining them.

    The rule, deterministic and kept as data in ``concern_rubric.toml``:

    1. the concern score is the sum of ``weight * score`` over all criteria (control coverage has a
       negative weight, so that good coverage lowers concern);
    2. the level is the highest one whose ``min_score`` the concern score reaches;
    3. each cap whose criteria all score *at most* their bound lowers the level to the cap's level;
    4. each floor whose criteria all score *at least* their bound raises the level to the floor's
       level (floors are applied after caps, so a floor wins).
    """

    version: str
    source: str
    criteria: dict[str, Criterion]
    levels: dict[str, Level]
    caps: tuple[LevelRule, ...]
    floors: tuple[LevelRule, ...]
    explanations: dict[str, str]

    def explanation(self, language: str) -> str:
        """Return the rule in words, in ``language``."""
        return _pick(self.explanations, language)

    def check_scores(self, scores: Mapping[str, int]) -> None:
        """Raise ``ValueError`` unless ``scores`` gives every criterion, and only those, an integer from 0 to 3."""
        missing = sorted(set(self.criteria) - set(scores))
        unknown = sorted(set(scores) - set(self.criteria))
        problems: list[str] = []
        if missing:
            problems.append("missing scores for criteria: " + ", ".join(missing))
        if unknown:
            problems.append("unknown criteria: " + ", ".join(unknown))
        for code in sorted(set(scores) & set(self.criteria)):
            value = scores[code]
            if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
                problems.append(f"score for {code} must be an integer from {SCORE_MIN} to {SCORE_MAX}, not {value!r}")
        if problems:
            raise ValueError("; ".join(problems))

    def concern_score(self, scores: Mapping[str, int]) -> int:
        """Return the weighted sum of ``scores`` (checked as in ``check_scores``)."""
        self.check_scores(scores)
        return sum(criterion.weight * scores[code] for code, criterion in self.criteria.items())

    def level_for(self, scores: Mapping[str, int]) -> str:
        """Return the code of the overall concern level for ``scores`` (one score from 0 to 3 per criterion)."""
        total = self.concern_score(scores)
        order = list(self.levels)
        index = 0
        for position, level in enumerate(self.levels.values()):
            if total >= level.min_score:
                index = position
        for cap in self.caps:
            if all(scores[code] <= bound for code, bound in cap.when.items()):
                index = min(index, order.index(cap.level))
        for floor in self.floors:
            if all(scores[code] >= bound for code, bound in floor.when.items()):
                index = max(index, order.index(floor.level))
        return order[index]

    def level_label(self, code: str, language: str) -> str:
        """Return the label of level ``code`` in ``language``."""
        return self.levels[code].label(language)


# --- Reading and checking the files -------------------------------------------------------------


def _read(source: Path | Traversable, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(source.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"cannot read the file ({exc.strerror or exc})", file=file) from exc
    except UnicodeDecodeError as exc:
        raise TaxonomyError("the file is not UTF-8", file=file) from exc
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"invalid TOML: {exc}", file=file) from exc


def _unknown_keys(table: Mapping[str, Any], allowed: frozenset[str], file: str, term: str | None, what: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise TaxonomyError(f"unknown key(s) in {what}: {', '.join(extra)}", file=file, term=term)


def _header(data: Mapping[str, Any], file: str) -> tuple[str, str]:
    version = data.get("version")
    if not isinstance(version, str) or not _VERSION_RE.match(version):
        raise TaxonomyError(f'version must be a string "YYYY.N" (for example "2026.1"), not {version!r}', file=file)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise TaxonomyError("source must be a non-empty string naming the public document followed", file=file)
    return version, source.strip()


def _texts(value: Any, file: str, term: str | None, what: str, *, required: bool) -> dict[str, str]:
    """Check a table of texts in the six languages (``what`` is "label", "description", …)."""
    if value is None:
        if required:
            raise TaxonomyError(f"{what} is missing", file=file, term=term)
        return {}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{what} must be a table with the languages {', '.join(LANGUAGES)}", file=file, term=term)
    missing = [language for language in LANGUAGES if language not in value]
    if missing:
        raise TaxonomyError(f"{what} is missing language(s): {', '.join(missing)}", file=file, term=term)
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise TaxonomyError(f"{what} has unknown language(s): {', '.join(unknown)}", file=file, term=term)
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        text = value[language]
        if not isinstance(text, str) or not text.strip():
            raise TaxonomyError(f"{what} in {language} must be a non-empty string", file=file, term=term)
        texts[language] = text.strip()
    return texts


def _code(value: Any, file: str, what: str = "code") -> str:
    if not isinstance(value, str) or len(value) > _MAX_CODE_LENGTH or not _CODE_RE.match(value):
        raise TaxonomyError(
            f"{what} must be ASCII letters, digits, '.' or '-' (at most {_MAX_CODE_LENGTH}), not {value!r}",
            file=file,
            term=value if isinstance(value, str) else None,
        )
    return value


def _table_list(data: Mapping[str, Any], key: str, file: str) -> list[dict[str, Any]]:
    items = data.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise TaxonomyError(f"the file needs a non-empty array of tables [[{key}]]", file=file)
    return items


def _parse_taxonomy(kind: str, data: Mapping[str, Any], file: str) -> Taxonomy:
    _unknown_keys(data, _HEADER_KEYS | {"terms"}, file, None, "the file")
    version, source = _header(data, file)
    terms: dict[str, Term] = {}
    for raw in _table_list(data, "terms", file):
        code = _code(raw.get("code"), file)
        _unknown_keys(raw, _TERM_KEYS, file, code, "the term")
        if code in terms:
            raise TaxonomyError("duplicate code (codes are unique and never reused)", file=file, term=code)
        parent = raw.get("parent")
        if parent is not None:
            parent = _code(parent, file, "parent")
        deprecated = raw.get("deprecated", False)
        if not isinstance(deprecated, bool):
            raise TaxonomyError("deprecated must be true or false", file=file, term=code)
        terms[code] = Term(
            code=code,
            parent=parent,
            labels=_texts(raw.get("label"), file, code, "label", required=True),
            descriptions=_texts(raw.get("description"), file, code, "description", required=False),
            deprecated=deprecated,
        )
    for code, term in terms.items():
        if term.parent is not None and term.parent not in terms:
            raise TaxonomyError(f"unknown parent {term.parent!r}", file=file, term=code)
    for code, term in terms.items():
        seen = [code]
        parent = term.parent
        while parent is not None:
            if parent in seen:
                cycle = " -> ".join([*seen, parent])
                raise TaxonomyError(f"parent cycle: {cycle}", file=file, term=code)
            seen.append(parent)
            parent = terms[parent].parent
    return Taxonomy(kind=kind, version=version, source=source, terms=terms)


def _int(value: Any, file: str, term: str | None, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TaxonomyError(f"{what} must be an integer, not {value!r}", file=file, term=term)
    return value


def _parse_criterion(raw: Mapping[str, Any], file: str) -> Criterion:
    code = _code(raw.get("code"), file)
    _unknown_keys(raw, _CRITERION_KEYS, file, code, "the criterion")
    scores: dict[int, dict[str, str]] = {}
    raw_scores = raw.get("scores")
    if not isinstance(raw_scores, list) or not all(isinstance(item, dict) for item in raw_scores):
        raise TaxonomyError("scores must be an array of tables [[criteria.scores]]", file=file, term=code)
    for item in raw_scores:
        _unknown_keys(item, _SCORE_KEYS, file, code, "a score")
        score = _int(item.get("score"), file, code, "score")
        if score in scores:
            raise TaxonomyError(f"score {score} is described twice", file=file, term=code)
        scores[score] = _texts(item.get("description"), file, code, f"description of score {score}", required=True)
    if sorted(scores) != list(range(SCORE_MIN, SCORE_MAX + 1)):
        raise TaxonomyError(f"scores must describe each of {SCORE_MIN} to {SCORE_MAX} once", file=file, term=code)
    return Criterion(
        code=code,
        labels=_texts(raw.get("label"), file, code, "label", required=True),
        descriptions=_texts(raw.get("description"), file, code, "description", required=True),
        weight=_int(raw.get("weight"), file, code, "weight"),
        scores=dict(sorted(scores.items())),
    )


def _parse_level_rules(
    raw: Any, *, key: str, bound_key: str, criteria: Mapping[str, Criterion], levels: Mapping[str, Level], file: str
) -> tuple[LevelRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise TaxonomyError(f"rule.{key} must be an array of tables [[rule.{key}]]", file=file)
    rules: list[LevelRule] = []
    for position, item in enumerate(raw, start=1):
        name = f"rule.{key} #{position}"
        _unknown_keys(item, frozenset({bound_key, "level"}), file, name, "the rule")
        when = item.get(bound_key)
        if not isinstance(when, dict) or not when:
            raise TaxonomyError(f"{bound_key} must be a non-empty table of criterion = score", file=file, term=name)
        bounds: dict[str, int] = {}
        for code, bound in when.items():
            if code not in criteria:
                raise TaxonomyError(f"unknown criterion {code!r}", file=file, term=name)
            bounds[code] = _int(bound, file, name, f"the bound for {code}")
            if not SCORE_MIN <= bounds[code] <= SCORE_MAX:
                raise TaxonomyError(
                    f"the bound for {code} must be from {SCORE_MIN} to {SCORE_MAX}", file=file, term=name
                )
        level = item.get("level")
        if level not in levels:
            raise TaxonomyError(f"unknown level {level!r}", file=file, term=name)
        rules.append(LevelRule(when=bounds, level=level))
    return tuple(rules)


def _parse_rubric(data: Mapping[str, Any], file: str) -> Rubric:
    _unknown_keys(data, _RUBRIC_KEYS, file, None, "the file")
    version, source = _header(data, file)
    criteria: dict[str, Criterion] = {}
    for raw in _table_list(data, "criteria", file):
        criterion = _parse_criterion(raw, file)
        if criterion.code in criteria:
            raise TaxonomyError("duplicate criterion code", file=file, term=criterion.code)
        criteria[criterion.code] = criterion
    levels: dict[str, Level] = {}
    for raw in _table_list(data, "levels", file):
        code = _code(raw.get("code"), file)
        _unknown_keys(raw, _LEVEL_KEYS, file, code, "the level")
        if code in levels:
            raise TaxonomyError("duplicate level code", file=file, term=code)
        min_score = _int(raw.get("min_score"), file, code, "min_score")
        if levels and min_score <= list(levels.values())[-1].min_score:
            raise TaxonomyError("levels must be listed lowest first, with rising min_score", file=file, term=code)
        levels[code] = Level(
            code=code,
            labels=_texts(raw.get("label"), file, code, "label", required=True),
            descriptions=_texts(raw.get("description"), file, code, "description", required=True),
            min_score=min_score,
        )
    lowest_possible = sum(min(SCORE_MIN * c.weight, SCORE_MAX * c.weight) for c in criteria.values())
    first = next(iter(levels.values()))
    if first.min_score > lowest_possible:
        raise TaxonomyError(
            f"the lowest level must start at or below the lowest possible concern score ({lowest_possible})",
            file=file,
            term=first.code,
        )
    rule = data.get("rule")
    if not isinstance(rule, dict):
        raise TaxonomyError("the file needs a [rule] table", file=file)
    _unknown_keys(rule, _RULE_KEYS, file, "rule", "the rule")
    return Rubric(
        version=version,
        source=source,
        criteria=criteria,
        levels=levels,
        caps=_parse_level_rules(
            rule.get("caps"), key="caps", bound_key="when_at_most", criteria=criteria, levels=levels, file=file
        ),
        floors=_parse_level_rules(
            rule.get("floors"), key="floors", bound_key="when_at_least", criteria=criteria, levels=levels, file=file
        ),
        explanations=_texts(rule.get("explanation"), file, "rule", "explanation", required=True),
    )


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise TaxonomyError(f"unknown taxonomy kind {kind!r}; expected one of: {', '.join(KINDS)}")


@functools.cache
def _packaged(kind: str) -> Taxonomy:
    file = FILES[kind]
    return _parse_taxonomy(kind, _read(resources.files(__name__) / file, file), file)


@functools.cache
def _packaged_rubric() -> Rubric:
    file = FILES[RUBRIC]
    return _parse_rubric(_read(resources.files(__name__) / file, file), file)


@functools.cache
def _codes(kind: str, include_deprecated: bool) -> frozenset[str]:
    return frozenset(code for code, term in load(kind).terms.items() if include_deprecated or not term.deprecated)


# --- Public API ---------------------------------------------------------------------------------


def load(kind: str, *, path: Path | str | None = None) -> Taxonomy:
    """Return the taxonomy of ``kind`` (one of ``KINDS``), read once and cached.

    ``path`` reads another file instead of the packaged one (not cached) — for tests and for
    checking a new version before it replaces the shipped file.
    """
    _check_kind(kind)
    if path is None:
        return _packaged(kind)
    path = Path(path)
    return _parse_taxonomy(kind, _read(path, str(path)), str(path))


def rubric(*, path: Path | str | None = None) -> Rubric:
    """Return the concern rubric, read once and cached (``path`` as for ``load``)."""
    if path is None:
        return _packaged_rubric()
    path = Path(path)
    return _parse_rubric(_read(path, str(path)), str(path))


def codes(kind: str, *, include_deprecated: bool = False) -> frozenset[str]:
    """Return the codes of ``kind`` that may be assigned (deprecated ones too if asked)."""
    _check_kind(kind)
    return _codes(kind, include_deprecated)


def validate_codes(kind: str, values: Iterable[str], *, include_deprecated: bool = False) -> list[str]:
    """Return ``values`` as a sorted list without duplicates, or raise ``ValueError`` naming the bad codes.

    Unknown codes are always rejected; deprecated codes too unless ``include_deprecated`` (for
    example when importing or re-saving an entry classified under an earlier version).
    """
    if isinstance(values, str):
        raise TypeError("validate_codes expects a collection of codes, not a single string")
    taxonomy = load(kind)
    chosen = set(values)
    unknown = sorted((code for code in chosen if code not in taxonomy.terms), key=str)
    deprecated = sorted(
        code for code in chosen if code in taxonomy.terms and taxonomy.terms[code].deprecated and not include_deprecated
    )
    problems: list[str] = []
    if unknown:
        problems.append(f"unknown {kind} code(s): {', '.join(map(str, unknown))}")
    if deprecated:
        problems.append(f"deprecated {kind} code(s): {', '.join(deprecated)}")
    if problems:
        raise ValueError("; ".join(problems))
    return sorted(chosen)


def versions() -> dict[str, str]:
    """Return the version of every taxonomy and of the rubric (``"concern_rubric"``), by kind."""
    found = {kind: load(kind).version for kind in KINDS}
    found[RUBRIC] = rubric().version
    return found


def clear_cache() -> None:
    """Forget the files read so far (they are read again on next use)."""
    _packaged.cache_clear()
    _packaged_rubric.cache_clear()
    _codes.cache_clear()
