"""The scanning library's core: identifiers, deduplication, the concern taxonomy. No Django.

Texts are synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from nonpro.scanning import dedupe
from nonpro.scanning.concern import LANGUAGES, load_taxonomy, parse_taxonomy
from nonpro.scanning.records import (
    Author,
    Identifiers,
    Record,
    normalize_arxiv,
    normalize_doi,
    normalize_openalex,
    normalize_pmid,
    title_key,
)


def record(title: str, **ids: str) -> Record:
    return Record(ids=Identifiers(**ids), title=title)


# --- identifiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://doi.org/10.1371/Journal.PONE.0033693", "10.1371/journal.pone.0033693"),
        ("doi:10.1000/XYZ123.", "10.1000/xyz123"),
        ("DOI 10.1126/science.169.3946.635", "10.1126/science.169.3946.635"),
        ("not a doi", ""),
    ],
)
def test_dois_are_normalised(raw: str, expected: str) -> None:
    assert normalize_doi(raw) == expected


def test_other_identifiers_are_normalised() -> None:
    assert normalize_pmid("PMID: 023439512") == "23439512"
    assert normalize_pmid("000000000000") == ""  # zeros are no identifier
    assert normalize_arxiv("http://arxiv.org/abs/2401.01234v3") == "2401.01234"
    assert normalize_arxiv("arXiv:hep-th/9901001v2") == "hep-th/9901001"
    assert normalize_openalex("https://openalex.org/W2099326003") == "W2099326003"


def test_title_keys_fold_case_accents_and_punctuation() -> None:
    assert title_key("Énergie  nucléaire: l'État—et la Sûreté!") == "energie nucleaire l etat et la surete"
    assert title_key("ЁЖ ёж") == "еж еж"
    assert title_key("合成示例") == "合成示例"


# --- deduplication ----------------------------------------------------------------------------------------

LONG = "Synthetic example: export control compliance in university research laboratories"


def test_a_shared_identifier_makes_a_duplicate_whatever_the_title() -> None:
    index = dedupe.DedupeIndex()
    assert index.add(record("Synthetic example: one title", doi="10.1/abc")) is None
    found = index.add(record("Synthetic example: another title", doi="10.1/abc"))
    assert found == dedupe.Duplicate(number=1, of=0, reason="doi")
    assert index.add(record("Synthetic example: a third", pmid="123", doi="10.1/zzz")) is None
    assert index.add(record("Synthetic example: a fourth", pmid="123")) == dedupe.Duplicate(3, 2, "pmid")


def test_titles_equal_once_folded_or_nearly_equal_are_duplicates() -> None:
    index = dedupe.DedupeIndex()
    index.add(record(LONG))
    assert index.add(record(LONG.upper().replace(":", " -"))) == dedupe.Duplicate(1, 0, "title")
    near = index.add(record(LONG.replace("laboratories", "laboratory")))
    assert near is not None
    assert near.of == 0
    assert near.reason == "similar title"
    assert index.add(record("Synthetic example: marine ecology of coral reefs in warming seas")) is None


def test_short_titles_and_different_dois_never_match_by_title() -> None:
    index = dedupe.DedupeIndex()
    index.add(record("Editorial"))
    assert index.add(record("Editorial")) is None  # too short to say
    index.add(record(LONG, doi="10.1/first"))
    assert index.add(record(LONG, doi="10.1/second")) is None  # a DOI names one work
    assert index.add(record(LONG)) is not None  # no DOI: the title decides


def test_groups_keep_the_richest_record() -> None:
    index = dedupe.DedupeIndex()
    index.add(record(LONG, pmid="1"))
    rich = Record(
        ids=Identifiers(pmid="1", doi="10.1/x"),
        title=LONG,
        abstract="Synthetic example: a longer abstract.",
        authors=(Author("Synthetic Author"),),
        venue="Synthetic Journal",
        date="2024",
    )
    index.add(rich)
    index.add(record("Synthetic example: unrelated work on soil chemistry and agriculture"))
    assert [(group.kept, group.others) for group in index.groups()] == [(1, [0])]


def test_signatures_are_deterministic() -> None:
    first = dedupe.signature(title_key(LONG))
    again = dedupe.signature(title_key(LONG))
    assert (first == again).all()
    assert (
        dedupe.similarity(first, dedupe.signature(title_key("Synthetic example: a different subject entirely"))) < 0.5
    )


# --- the concern taxonomy ---------------------------------------------------------------------------------


def test_the_taxonomy_has_every_topic_in_six_languages() -> None:
    taxonomy = load_taxonomy()
    raw = tomllib.loads(resources.files("nonpro.scanning").joinpath("data/concern_taxonomy.toml").read_text("utf-8"))
    assert taxonomy.version == raw["version"]
    assert {domain.code for domain in taxonomy.domains.values()} == {
        "nuclear", "radiological", "chemical", "biological", "delivery-systems", "enabling-technology",
    }  # fmt: skip
    for topic in raw["topics"]:
        assert set(topic["terms"]) == set(LANGUAGES), topic["code"]
        assert set(topic["label"]) == set(LANGUAGES), topic["code"]


def test_a_topic_without_terms_in_a_language_is_refused() -> None:
    raw = tomllib.loads(resources.files("nonpro.scanning").joinpath("data/concern_taxonomy.toml").read_text("utf-8"))
    del raw["topics"][0]["terms"]["ru"]
    with pytest.raises(ValueError, match="no terms in ru"):
        parse_taxonomy(raw)


def test_matches_weigh_by_field_and_explain_themselves() -> None:
    taxonomy = load_taxonomy()
    in_title = taxonomy.score(Record(Identifiers(), "Synthetic example: the Chemical Weapons Convention today"))
    in_abstract = taxonomy.score(
        Record(
            Identifiers(), "Synthetic example: a review", abstract="Synthetic example: the Chemical Weapons Convention."
        )
    )
    assert in_title.domains["chemical"] > in_abstract.domains["chemical"] > 0
    assert in_title.top_domains() == ["chemical"]
    topic, domain = "chemical-weapons-policy", "chemical"
    assert in_title.explanation() == [
        {"term": "chemical weapons", "topic": topic, "domain": domain, "field": "title", "evidence": 3.0},
        {"term": "Chemical Weapons Convention", "topic": topic, "domain": domain, "field": "title", "evidence": 0.75},
    ]  # the second term of a topic in the same field adds a quarter


def test_records_in_other_languages_are_scored() -> None:
    taxonomy = load_taxonomy()
    for title, domain in [
        ("Exemple synthétique : la Convention sur les armes chimiques", "chemical"),
        ("Пример: режим нераспространения и ядерного оружия", "nuclear"),
        ("مثال اصطناعي: اتفاقية الأسلحة البيولوجية", "biological"),
        ("合成示例：弹道导弹与出口管制", "delivery-systems"),
        ("Ejemplo sintético: drones y vehículo aéreo no tripulado", "delivery-systems"),
    ]:
        concern = taxonomy.score(Record(Identifiers(), title))
        assert concern.top_domains()[0] == domain, title


def test_enabling_technology_alone_scores_lower_than_with_a_weapons_domain() -> None:
    taxonomy = load_taxonomy()
    alone = taxonomy.score(Record(Identifiers(), "Synthetic example: machine learning for crop yields"))
    combined = taxonomy.score(
        Record(Identifiers(), "Synthetic example: machine learning and biological weapons policy")
    )
    unrelated = taxonomy.score(Record(Identifiers(), "Synthetic example: a history of medieval trade fairs"))
    assert unrelated.score == 0.0
    assert 0 < alone.score <= taxonomy.enabling_weight
    assert combined.score > alone.score
    assert 0.0 <= combined.score < 1.0


def test_prefix_terms_match_inflected_words() -> None:
    taxonomy = load_taxonomy()
    concern = taxonomy.score(Record(Identifiers(), "Синтетический пример: применение плутония"))
    assert [match.term for match in concern.matches] == ["плутони*"]


def test_a_given_richness_stands_for_a_record_made_light() -> None:
    index = dedupe.DedupeIndex()
    index.add(record(LONG, pmid="1"), richness=5)
    index.add(record(LONG, pmid="1"), richness=50_000)  # the full record was richer before it was made light
    assert [(group.kept, group.others) for group in index.groups()] == [(1, [0])]
