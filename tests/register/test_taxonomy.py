"""The register's taxonomies and concern rubric: the shipped files, the loader's checks, the rule."""

from __future__ import annotations

import importlib.resources
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nonpro.register import taxonomy
from nonpro.register.taxonomy import KINDS, LANGUAGES, TaxonomyError

REQUIRED_CODES = {
    "domain": {"nuclear", "radiological", "chemical", "biological", "delivery-systems", "enabling-technology"},
    "technology_area": {"ai-enabled-design", "additive-manufacturing", "synthetic-biology-tools", "lasers"},
    "control_list": {
        "NSG-1",
        "NSG-2",
        *(f"NSG-2-{n}" for n in range(1, 7)),
        "AG",
        "MTCR",
        "MTCR-I",
        "MTCR-II",
        *(f"MTCR-{n}" for n in range(1, 21)),
        "WA",
        *(f"WA-{n}" for n in range(1, 10)),
        "CWC",
        *(f"CWC-S{n}" for n in (1, 2, 3)),
        *(f"CWC-S{n}-{part}" for n in (1, 2, 3) for part in "AB"),
    },
    "obligation": {"OP1", "OP2", "OP3", "OP3a", "OP3b", "OP3c", "OP3d"},
}

# Every code ever released. Codes are never deleted or reused (deprecate instead): add the codes
# of each new release here, and never remove one.
RELEASED_CODES = {
    "domain": REQUIRED_CODES["domain"],
    "technology_area": {
        *REQUIRED_CODES["domain"],
        "additive-manufacturing",
        "advanced-reactors-fuels",
        "ai-enabled-design",
        "chemistry-biology-convergence",
        "cloud-automated-laboratories",
        "dna-synthesis-screening",
        "gene-drives",
        "genome-editing",
        "hypersonic-vehicles",
        "isotope-separation",
        "lasers",
        "mirror-life",
        "radioactive-source-security",
        "synthetic-biology-tools",
        "toxins-bioregulators",
        "uncrewed-aircraft",
    },
    "control_list": {
        *REQUIRED_CODES["control_list"],
        "AG-PRECURSORS",
        "AG-CHEM-EQUIPMENT",
        "AG-PATHOGENS",
        "AG-PLANT-PATHOGENS",
        "AG-BIO-EQUIPMENT",
        "NSG-1-MATERIAL",
        "NSG-1-REACTORS",
        "NSG-1-NONNUCLEAR",
        "NSG-1-REPROCESSING",
        "NSG-1-FUEL",
        "NSG-1-ISOTOPE",
        "NSG-1-HEAVYWATER",
        "NSG-1-CONVERSION",
        "IAEA-COC",
    },
    "obligation": REQUIRED_CODES["obligation"],
}

CRITERIA = [
    "capability-uplift",
    "accessibility-cost",
    "accessibility-skills",
    "accessibility-materials",
    "maturity",
    "proximity-to-weapons-application",
    "control-coverage",
]
CONCERN_CRITERIA = CRITERIA[:-1]


def scores(value: int, coverage: int, **overrides: int) -> dict[str, int]:
    """Return rubric scores: ``value`` for the six concern criteria, ``coverage`` for control coverage."""
    result = dict.fromkeys(CONCERN_CRITERIA, value)
    result["control-coverage"] = coverage
    result.update({name.replace("_", "-"): score for name, score in overrides.items()})
    return result


def all_texts() -> Iterator[tuple[str, str, str]]:
    """Yield ``(where, language, text)`` for every label, description and explanation shipped."""
    for kind in KINDS:
        loaded = taxonomy.load(kind)
        yield f"{kind} source", "en", loaded.source
        for term in loaded.terms.values():
            for language, text in term.labels.items():
                yield f"{kind} {term.code} label", language, text
            for language, text in term.descriptions.items():
                yield f"{kind} {term.code} description", language, text
    rubric = taxonomy.rubric()
    yield "rubric source", "en", rubric.source
    for language, text in rubric.explanations.items():
        yield "rubric explanation", language, text
    for criterion in rubric.criteria.values():
        for language, text in itertools.chain(criterion.labels.items(), criterion.descriptions.items()):
            yield f"criterion {criterion.code}", language, text
        for score, texts in criterion.scores.items():
            for language, text in texts.items():
                yield f"criterion {criterion.code} score {score}", language, text
    for level in rubric.levels.values():
        for language, text in itertools.chain(level.labels.items(), level.descriptions.items()):
            yield f"level {level.code}", language, text


# --- The shipped files ----------------------------------------------------------------------------


def test_the_data_files_are_package_resources() -> None:
    shipped = {entry.name for entry in importlib.resources.files("nonpro.register.taxonomy").iterdir()}
    assert set(taxonomy.FILES.values()) <= shipped


@pytest.mark.parametrize("kind", KINDS)
def test_every_taxonomy_loads_with_a_version_and_a_source(kind: str) -> None:
    loaded = taxonomy.load(kind)
    assert loaded.kind == kind
    assert re.fullmatch(r"20[0-9]{2}\.[1-9][0-9]*", loaded.version)
    assert loaded.source
    assert loaded.terms


def test_the_rubric_loads() -> None:
    rubric = taxonomy.rubric()
    assert list(rubric.criteria) == CRITERIA
    assert list(rubric.levels) == ["low", "moderate", "high", "critical"]
    assert rubric.criteria["control-coverage"].weight < 0
    assert all(rubric.criteria[code].weight > 0 for code in CONCERN_CRITERIA)


def test_versions_names_every_kind_and_the_rubric() -> None:
    found = taxonomy.versions()
    assert set(found) == {*KINDS, "concern_rubric"}
    assert found["domain"] == taxonomy.load("domain").version
    assert found["concern_rubric"] == taxonomy.rubric().version


def test_load_is_cached_until_the_cache_is_cleared() -> None:
    first = taxonomy.load("domain")
    assert taxonomy.load("domain") is first
    taxonomy.clear_cache()
    assert taxonomy.load("domain") is not first
    assert taxonomy.load("domain") == first


@pytest.mark.parametrize("kind", KINDS)
def test_every_label_and_description_is_in_all_six_languages(kind: str) -> None:
    for term in taxonomy.load(kind).terms.values():
        assert tuple(term.labels) == LANGUAGES, term.code
        assert all(text.strip() for text in term.labels.values()), term.code
        assert term.descriptions == {} or tuple(term.descriptions) == LANGUAGES, term.code
        assert all(text.strip() for text in term.descriptions.values()), term.code


def test_every_rubric_text_is_in_all_six_languages() -> None:
    rubric = taxonomy.rubric()
    assert tuple(rubric.explanations) == LANGUAGES
    for criterion in rubric.criteria.values():
        assert tuple(criterion.labels) == LANGUAGES
        assert tuple(criterion.descriptions) == LANGUAGES
        assert list(criterion.scores) == [0, 1, 2, 3]
        assert all(tuple(texts) == LANGUAGES for texts in criterion.scores.values())
    for level in rubric.levels.values():
        assert tuple(level.labels) == LANGUAGES
        assert tuple(level.descriptions) == LANGUAGES


def test_translations_differ_from_english_where_the_script_differs() -> None:
    # Arabic, Chinese and Russian texts must really be translated, not English copied over.
    for where, language, text in all_texts():
        if language in {"ar", "zh-hans", "ru"} and "source" not in where:
            assert not re.fullmatch(r"[A-Za-z0-9 ,.:;()'/-]+", text), (where, language, text)


@pytest.mark.parametrize(("kind", "required"), REQUIRED_CODES.items())
def test_the_required_codes_exist_and_are_assignable(kind: str, required: set[str]) -> None:
    assignable = taxonomy.codes(kind)
    reserved = {"MTCR-5", "MTCR-7", "MTCR-8"}
    assert required - reserved <= assignable
    assert required <= taxonomy.codes(kind, include_deprecated=True)


@pytest.mark.parametrize(("kind", "released"), RELEASED_CODES.items())
def test_no_released_code_is_ever_removed(kind: str, released: set[str]) -> None:
    assert released <= taxonomy.codes(kind, include_deprecated=True)


def test_technology_areas_sit_under_the_domains() -> None:
    areas = taxonomy.load("technology_area")
    assert set(areas.roots()) == taxonomy.codes("domain")
    assert areas.term("ai-enabled-design").parent == "enabling-technology"
    for code in ("ai-enabled-design", "additive-manufacturing", "synthetic-biology-tools", "lasers"):
        assert code in areas.children("enabling-technology")
    for code in areas.terms:
        assert (areas.ancestors(code) or [code])[-1] in taxonomy.codes("domain")


@pytest.mark.parametrize(
    ("kind", "child", "ancestors"),
    [
        ("obligation", "OP3a", ["OP3"]),
        ("obligation", "OP3d", ["OP3"]),
        ("control_list", "NSG-2-1", ["NSG-2"]),
        ("control_list", "NSG-1-ISOTOPE", ["NSG-1"]),
        ("control_list", "AG-PATHOGENS", ["AG"]),
        ("control_list", "MTCR-1", ["MTCR-I", "MTCR"]),
        ("control_list", "MTCR-19", ["MTCR-II", "MTCR"]),
        ("control_list", "WA-6", ["WA"]),
        ("control_list", "CWC-S2-B", ["CWC-S2", "CWC"]),
        ("technology_area", "gene-drives", ["biological"]),
        ("domain", "nuclear", []),
    ],
)
def test_parents_and_ancestors(kind: str, child: str, ancestors: list[str]) -> None:
    loaded = taxonomy.load(kind)
    assert loaded.ancestors(child) == ancestors
    if ancestors:
        assert loaded.term(child).parent == ancestors[0]
        assert child in loaded.children(ancestors[0])


def test_children_are_in_file_order_and_skip_deprecated_terms_unless_asked() -> None:
    lists = taxonomy.load("control_list")
    assert lists.children("NSG-2") == [f"NSG-2-{n}" for n in range(1, 7)]
    assert lists.children("MTCR-I") == ["MTCR-1", "MTCR-2"]
    assert "MTCR-5" not in lists.children("MTCR-II")
    assert "MTCR-5" in lists.children("MTCR-II", include_deprecated=True)
    assert lists.children("WA-1") == []
    assert lists.roots() == ["NSG-1", "NSG-2", "AG", "MTCR", "WA", "CWC", "IAEA-COC"]


def test_choices_put_parents_before_children() -> None:
    choices = taxonomy.load("obligation").choices("fr")
    assert [code for code, _label in choices] == ["OP1", "OP2", "OP3", "OP3a", "OP3b", "OP3c", "OP3d"]
    assert choices[3][1].startswith("Paragraphe 3 a)")


def test_unknown_codes_raise_key_error() -> None:
    with pytest.raises(KeyError, match="unknown obligation code 'OP9'"):
        taxonomy.load("obligation").label("OP9", "en")
    with pytest.raises(KeyError):
        taxonomy.load("obligation").children("OP9")


def test_labels_fall_back_to_english() -> None:
    obligations = taxonomy.load("obligation")
    english = obligations.label("OP3a", "en")
    assert english == "OP3 (a): account for and secure items"
    assert obligations.label("OP3a", "de") == english
    assert obligations.label("OP3a", "") == english
    assert obligations.label("OP3a", "zh-Hans") == obligations.term("OP3a").labels["zh-hans"]
    assert obligations.label("OP3a", "zh_hans") == obligations.term("OP3a").labels["zh-hans"]
    assert obligations.label("OP3a", "fr-ca") == obligations.term("OP3a").labels["fr"]
    assert taxonomy.load("domain").label("delivery-systems", "ru") == "Средства доставки"
    assert taxonomy.load("control_list").description("NSG-2-1", "fr") == ""


# --- validate_codes -------------------------------------------------------------------------------


def test_validate_codes_returns_the_sorted_codes_without_duplicates() -> None:
    assert taxonomy.validate_codes("obligation", ["OP3d", "OP1", "OP3d"]) == ["OP1", "OP3d"]
    assert taxonomy.validate_codes("domain", ()) == []
    assert taxonomy.validate_codes("control_list", iter(["WA-2", "MTCR-3"])) == ["MTCR-3", "WA-2"]


def test_validate_codes_rejects_unknown_codes_and_names_them() -> None:
    with pytest.raises(ValueError, match="unknown domain code") as excinfo:
        taxonomy.validate_codes("domain", ["nuclear", "cyber", "Nuclear"])
    assert "cyber" in str(excinfo.value)
    assert "Nuclear" in str(excinfo.value)
    assert "'nuclear'" not in str(excinfo.value)


def test_validate_codes_rejects_deprecated_codes_unless_allowed() -> None:
    with pytest.raises(ValueError, match="deprecated control_list code") as excinfo:
        taxonomy.validate_codes("control_list", ["MTCR-3", "MTCR-5"])
    assert "MTCR-5" in str(excinfo.value)
    assert "MTCR-3" not in str(excinfo.value)
    assert taxonomy.validate_codes("control_list", ["MTCR-5"], include_deprecated=True) == ["MTCR-5"]


def test_validate_codes_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        taxonomy.validate_codes("domain", "nuclear")


@pytest.mark.parametrize("call", [taxonomy.load, taxonomy.codes, lambda kind: taxonomy.validate_codes(kind, [])])
def test_an_unknown_kind_is_a_taxonomy_error(call: Callable[[str], object]) -> None:
    with pytest.raises(TaxonomyError, match="unknown taxonomy kind 'entries'"):
        call("entries")


def test_taxonomy_error_is_not_a_value_error() -> None:
    # A broken file must not be caught and shown as if a user had entered a wrong code.
    assert not issubclass(TaxonomyError, ValueError)


# --- The loader's checks, on files written to tmp_path --------------------------------------------


def texts_toml(table: str, languages: tuple[str, ...] = LANGUAGES, text: str = "Heading") -> str:
    return f"[{table}]\n" + "".join(f'{language} = "{text} ({language})"\n' for language in languages)


def term_toml(code: str, parent: str | None = None, *, languages: tuple[str, ...] = LANGUAGES, extra: str = "") -> str:
    lines = f'[[terms]]\ncode = "{code}"\n'
    if parent is not None:
        lines += f'parent = "{parent}"\n'
    return lines + extra + texts_toml("terms.label", languages) + "\n"


def write(tmp_path: Path, body: str, *, version: str = '"2026.1"', name: str = "domains.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'version = {version}\nsource = "A public document (2026)"\n\n{body}', encoding="utf-8")
    return path


def test_a_valid_file_loads_from_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, term_toml("a") + term_toml("b", "a", extra="deprecated = true\n"))
    loaded = taxonomy.load("domain", path=path)
    assert loaded.version == "2026.1"
    assert loaded.ancestors("b") == ["a"]
    assert loaded.term("b").deprecated
    assert loaded.label("b", "ar") == "Heading (ar)"


@pytest.mark.parametrize(
    ("body", "term", "problem"),
    [
        (term_toml("a") + term_toml("a"), "a", "duplicate code"),
        (term_toml("a") + term_toml("b", "nowhere"), "b", "unknown parent 'nowhere'"),
        (term_toml("a", "c") + term_toml("b", "a") + term_toml("c", "b"), "a", "parent cycle: a -> c -> b -> a"),
        (term_toml("a", "a"), "a", "parent cycle: a -> a"),
        (term_toml("a", languages=("ar", "en", "fr", "es")), "a", "label is missing language(s): zh-hans, ru"),
        (term_toml("a", languages=(*LANGUAGES, "de")), "a", "label has unknown language(s): de"),
        ('[[terms]]\ncode = "a"\n', "a", "label is missing"),
        (term_toml("a", extra=texts_toml("terms.description", ("en",))), "a", "description is missing language"),
        (term_toml("nucléaire"), "nucléaire", "code must be ASCII"),
        (term_toml("a b"), "a b", "code must be ASCII"),
        (term_toml("a", extra="deprecated = 1\n"), "a", "deprecated must be true or false"),
        (term_toml("a", extra='lable = "typo"\n'), "a", "unknown key(s) in the term: lable"),
    ],
)
def test_bad_terms_are_reported_with_file_term_and_problem(tmp_path: Path, body: str, term: str, problem: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(TaxonomyError) as excinfo:
        taxonomy.load("domain", path=path)
    message = str(excinfo.value)
    assert str(path) in message
    assert f"term {term!r}" in message
    assert problem in message
    assert excinfo.value.term == term


@pytest.mark.parametrize(
    "version", ['"2026"', '"26.1"', '"2026.0"', '"v2026.1"', '"2026.1.0"', "2026.1", '"２０２６.1"']
)
def test_a_bad_version_string_is_reported(tmp_path: Path, version: str) -> None:
    path = write(tmp_path, term_toml("a"), version=version)
    with pytest.raises(TaxonomyError, match="version must be a string") as excinfo:
        taxonomy.load("domain", path=path)
    assert str(path) in str(excinfo.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('version = "2026.1"\n' + term_toml("a"), "source must be a non-empty string"),
        ('version = "2026.1"\nsource = "x"\n', "non-empty array of tables [[terms]]"),
        ('version = "2026.1"\nsource = "x"\nterms = "a"\n', "non-empty array of tables [[terms]]"),
        ('version = "2026.1"\nsource = "x"\ncolour = "blue"\n' + term_toml("a"), "unknown key(s) in the file: colour"),
        ('version = "2026.1"\nsource = "x\n', "invalid TOML"),
    ],
)
def test_bad_files_are_reported(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaxonomyError) as excinfo:
        taxonomy.load("obligation", path=path)
    assert str(path) in str(excinfo.value)
    assert problem in str(excinfo.value)


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read the file"):
        taxonomy.load("domain", path=tmp_path / "absent.toml")


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('version = "2026.1"\nsource = "Résolution"\n'.encode("latin-1"))
    with pytest.raises(TaxonomyError, match="not UTF-8"):
        taxonomy.load("domain", path=path)


# --- The rubric's rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_scores", "concern_score", "level"),
    [
        (scores(0, 0), 0, "low"),
        (scores(1, 3), 3, "low"),
        (scores(1, 0, maturity=0), 5, "low"),
        (scores(1, 0), 6, "moderate"),
        (scores(2, 3), 9, "moderate"),  # well covered by controls: coverage lowers high to moderate
        (scores(2, 0), 12, "high"),
        (scores(2, 0, capability_uplift=3, maturity=3), 14, "critical"),
        (scores(2, 1, capability_uplift=3, maturity=3), 13, "high"),  # the same with some coverage
        (scores(3, 0), 18, "critical"),
        (scores(3, 3), 15, "critical"),
        (scores(3, 0, capability_uplift=0), 15, "moderate"),  # cap: no uplift is at most moderate
        (scores(0, 3, capability_uplift=3, proximity_to_weapons_application=3), 3, "high"),  # floor
    ],
)
def test_level_for_known_answers(given_scores: dict[str, int], concern_score: int, level: str) -> None:
    rubric = taxonomy.rubric()
    assert rubric.concern_score(given_scores) == concern_score
    assert rubric.level_for(given_scores) == level


def test_the_explanation_states_the_thresholds() -> None:
    rubric = taxonomy.rubric()
    for level in list(rubric.levels.values())[1:]:
        for language in LANGUAGES:
            assert str(level.min_score) in rubric.explanation(language), (level.code, language)
    assert rubric.level_label("critical", "fr") == "Critique"
    assert rubric.criteria["maturity"].score_description(0, "es") == "Teórica o en fase inicial de investigación."


@pytest.mark.parametrize(
    ("given_scores", "problem"),
    [
        ({code: 1 for code in CRITERIA if code != "maturity"}, "missing scores for criteria: maturity"),
        ({}, "missing scores for criteria: accessibility-cost"),
        ({**scores(1, 1), "novelty": 2}, "unknown criteria: novelty"),
        (scores(1, 4), "score for control-coverage must be an integer from 0 to 3, not 4"),
        (scores(1, 0, maturity=-1), "score for maturity must be an integer from 0 to 3, not -1"),
        ({**scores(1, 0), "maturity": 1.5}, "score for maturity must be an integer"),
        ({**scores(1, 0), "maturity": "2"}, "score for maturity must be an integer"),
        ({**scores(1, 0), "maturity": True}, "score for maturity must be an integer"),
    ],
)
def test_level_for_rejects_bad_scores(given_scores: dict[str, int], problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        taxonomy.rubric().level_for(given_scores)


score = st.integers(min_value=0, max_value=3)


@given(
    base=st.fixed_dictionaries(dict.fromkeys(CRITERIA, score)),
    criterion=st.sampled_from(CRITERIA),
)
def test_level_for_is_monotone(base: dict[str, int], criterion: str) -> None:
    # More concern on any concern criterion never lowers the level; more coverage never raises it.
    rubric = taxonomy.rubric()
    order = list(rubric.levels)
    if base[criterion] == 3:
        return
    raised = {**base, criterion: base[criterion] + 1}
    before = order.index(rubric.level_for(base))
    after = order.index(rubric.level_for(raised))
    if criterion == "control-coverage":
        assert after <= before
    else:
        assert after >= before


RUBRIC_LEVELS = (
    '[[levels]]\ncode = "low"\nmin_score = 0\n'
    + texts_toml("levels.label")
    + texts_toml("levels.description")
    + '[[levels]]\ncode = "high"\nmin_score = 2\n'
    + texts_toml("levels.label")
    + texts_toml("levels.description")
)


def rubric_toml(*, score_values: tuple[int, ...] = (0, 1, 2, 3), levels: str = RUBRIC_LEVELS, rule: str = "") -> str:
    body = '[[criteria]]\ncode = "uplift"\nweight = 1\n'
    body += texts_toml("criteria.label") + texts_toml("criteria.description")
    for value in score_values:
        body += f"[[criteria.scores]]\nscore = {value}\n" + texts_toml("criteria.scores.description")
    body += levels
    body += "[rule]\n" + texts_toml("rule.explanation") + rule
    return body


def test_a_valid_rubric_loads_from_a_path(tmp_path: Path) -> None:
    path = write(tmp_path, rubric_toml(rule='[[rule.caps]]\nwhen_at_most = { uplift = 2 }\nlevel = "low"\n'))
    rubric = taxonomy.rubric(path=path)
    assert rubric.level_for({"uplift": 3}) == "high"
    assert rubric.level_for({"uplift": 2}) == "low"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (rubric_toml(score_values=(0, 1, 2)), "scores must describe each of 0 to 3 once"),
        (rubric_toml(score_values=(0, 1, 1, 2, 3)), "score 1 is described twice"),
        (rubric_toml(levels=RUBRIC_LEVELS.replace("min_score = 2", "min_score = 0")), "rising min_score"),
        (rubric_toml(levels=RUBRIC_LEVELS.replace("min_score = 0", "min_score = 1")), "lowest possible concern score"),
        (rubric_toml(rule='[[rule.caps]]\nwhen_at_most = { novelty = 0 }\nlevel = "low"\n'), "unknown criterion"),
        (rubric_toml(rule='[[rule.floors]]\nwhen_at_least = { uplift = 3 }\nlevel = "severe"\n'), "unknown level"),
        (rubric_toml(rule='[[rule.floors]]\nwhen_at_least = { uplift = 4 }\nlevel = "high"\n'), "from 0 to 3"),
    ],
)
def test_bad_rubrics_are_reported(tmp_path: Path, body: str, problem: str) -> None:
    path = write(tmp_path, body, name="concern_rubric.toml")
    with pytest.raises(TaxonomyError, match=re.escape(problem)) as excinfo:
        taxonomy.rubric(path=path)
    assert str(path) in str(excinfo.value)


# --- Safety: headings only ------------------------------------------------------------------------

FORBIDDEN_PHRASES = [
    "synthesis route",
    "yield",
    "precursor quantity",
    "enrichment level",
    "how to",
    "step-by-step",
    "step by step",
    "recipe",
    "protocol for",
    "lethal dose",
    "weaponiz",
    "weaponis",
    "voie de synthèse",
    "mode opératoire",
    "ruta de síntesis",
    "методика синтеза",
    "合成路线",
]
# A number followed by a unit is an item parameter: the files carry headings, not specifications.
PARAMETER = re.compile(
    r"[0-9]+(?:[.,][0-9]+)?\s*(?:%|°|km|kg|g/|mg|nm|µm|mm|m/s|mhz|ghz|kev|mev|bq|ci\b|litres?)", re.I
)


def test_no_text_contains_operational_wording_or_parameters() -> None:
    found = []
    for where, language, text in all_texts():
        lowered = text.lower()
        found += [(where, language, phrase) for phrase in FORBIDDEN_PHRASES if phrase in lowered]
        found += [(where, language, match.group(0)) for match in PARAMETER.finditer(text)]
    assert found == []


def test_the_safety_scan_would_catch_a_forbidden_phrase() -> None:
    assert any(phrase in "a high yield process".lower() for phrase in FORBIDDEN_PHRASES)
    assert PARAMETER.search("range of 300 km")
