"""What an entry accepts: taxonomy codes, a short plain summary, rubric scores, typed sources, translations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from nonpro.register import services
from nonpro.register.models import Entry, EntryRelation, EntrySource, EntryTranslation
from tests.register.conftest import SCORES, Draft, People, synthetic_values


@pytest.mark.parametrize(
    ("field", "codes"),
    [
        ("domains", ["nuclear", "weather-control"]),
        ("technology_areas", ["time-travel"]),
        ("control_lists", ["NSG-99"]),
        ("obligations", ["OP9"]),
        ("domains", "nuclear"),
    ],
)
def test_unknown_taxonomy_codes_are_refused_and_nothing_is_written(
    draft: Draft, people: People, field: str, codes: Any
) -> None:
    entry = draft()

    with pytest.raises(ValidationError) as refused:
        services.entry_update(entry=entry, expected_version=entry.version, changes={field: codes}, by=people.author)
    with pytest.raises(ValidationError):
        services.entry_create_draft(by=people.author, values=synthetic_values(**{field: codes}))

    assert set(refused.value.message_dict) == {field}
    assert Entry.objects.count() == 1
    assert Entry.objects.get().version == entry.version


def test_known_codes_are_kept_sorted_without_duplicates(people: People) -> None:
    entry = services.entry_create_draft(
        by=people.author,
        values=synthetic_values(
            domains=["nuclear", "biological", "nuclear", "enabling-technology"],
            technology_areas=["ai-enabled-design"],
            control_lists=["NSG-2", "MTCR-I", "CWC-S2"],
            obligations=["OP3a", "OP1"],
        ),
    )

    assert entry.domains == ["biological", "enabling-technology", "nuclear"]
    assert entry.control_lists == ["CWC-S2", "MTCR-I", "NSG-2"]
    assert entry.obligations == ["OP1", "OP3a"]
    assert entry.technology_areas == ["ai-enabled-design"]


def test_the_summary_is_short_plain_text(draft: Draft, people: People) -> None:
    entry = draft()

    with pytest.raises(ValidationError) as refused:
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"summary": "Synthetic example. " * 20},
            by=people.author,
        )  # fmt: skip

    assert set(refused.value.message_dict) == {"summary"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(summary="x" * 301)
    assert (
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"summary": "y" * 300}, by=people.author
        ).summary
        == "y" * 300
    )


@pytest.mark.parametrize("missing", ["title", "summary"])
def test_a_draft_needs_a_title_and_a_summary(people: People, missing: str) -> None:
    values = synthetic_values()
    del values[missing]

    with pytest.raises(ValidationError) as refused:
        services.entry_create_draft(by=people.author, values=values)

    assert set(refused.value.message_dict) == {missing}
    assert not Entry.objects.exists()


def test_unknown_and_derived_fields_cannot_be_set(draft: Draft, people: People) -> None:
    entry = draft()

    for changes in ({"concern_level": "low"}, {"status": "published"}, {"title_tier": "public"}, {"rsd_id": "x"}):
        with pytest.raises(ValidationError):
            services.entry_update(entry=entry, expected_version=entry.version, changes=changes, by=people.analyst)

    stored = Entry.objects.get(pk=entry.pk)
    assert (stored.version, stored.concern_level, stored.status) == (entry.version, "", "draft")


def test_the_concern_level_is_derived_from_complete_rubric_scores(draft: Draft, people: People) -> None:
    entry = draft()

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"concern_scores": SCORES}, by=people.analyst
    )

    assert entry.concern_scores == SCORES
    assert entry.concern_level in {"low", "moderate", "high", "critical"}
    for bad in ({"capability-uplift": 1}, {**SCORES, "maturity": 4}, {**SCORES, "unknown-criterion": 1}):
        with pytest.raises(ValidationError) as refused:
            services.entry_update(
                entry=entry, expected_version=entry.version, changes={"concern_scores": bad}, by=people.analyst
            )
        assert set(refused.value.message_dict) == {"concern_scores"}
    cleared = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"concern_scores": {}}, by=people.analyst
    )
    assert (cleared.concern_scores, cleared.concern_level) == ({}, "")


def test_sources_are_typed_references_with_checked_identifiers(draft: Draft, people: People) -> None:
    entry = draft()
    sources = [
        {"type": "article", "doi": "10.5555/synthetic.0001", "citation": "Synthetic example: a journal article."},
        {"type": "preprint", "arxiv_id": "2401.01234v2"},
        {"type": "report", "url": "https://example.org/synthetic-report"},
        {"type": "article", "pmid": "12345678"},
    ]

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"sources": sources}, by=people.author
    )

    assert [source["type"] for source in entry.sources] == ["article", "preprint", "report", "article"]
    assert EntrySource.objects.filter(entry=entry).count() == 4
    for bad in (
        {"type": "rumour", "url": "https://example.org"},
        {"type": "article"},
        {"type": "article", "doi": "not-a-doi"},
        {"type": "article", "pmid": "PMC123"},
        {"type": "web", "url": "javascript:alert(1)"},
        {"type": "web", "url": "https://example.org", "exploit": "x"},
    ):
        with pytest.raises(ValidationError):
            services.entry_update(
                entry=entry, expected_version=entry.version, changes={"sources": [bad]}, by=people.author
            )
    assert EntrySource.objects.filter(entry=entry).count() == 4


def test_credits_and_aliases(draft: Draft, people: People) -> None:
    entry = draft()

    entry = services.entry_update(
        entry=entry, expected_version=entry.version,
        changes={
            "credits": [{"user": people.author, "role": "finder"}, {"name": "Synthetic Analyst", "role": "analyst"}],
            "aliases": ["HZN-2026-0042", "HZN-2026-0042", "EXT:example-7"],
        },
        by=people.author,
    )  # fmt: skip

    assert entry.credits == [
        {"name": str(people.author), "role": "finder", "user": people.author.pk},
        {"name": "Synthetic Analyst", "role": "analyst", "user": None},
    ]
    assert entry.aliases == ["EXT:example-7", "HZN-2026-0042"]
    for changes in (
        {"credits": [{"name": "Someone", "role": "owner"}]},
        {"credits": [{"role": "finder"}]},
        {"aliases": ["has space"]},
        {"aliases": [entry.rsd_id]},
    ):
        with pytest.raises(ValidationError):
            services.entry_update(entry=entry, expected_version=entry.version, changes=changes, by=people.author)


def test_related_entries_must_exist_and_be_visible_and_are_stored_once_per_pair(draft: Draft, people: People) -> None:
    mine, also_mine = draft(), draft()
    not_mine = services.entry_create_draft(by=people.other_expert, values=synthetic_values())

    for wanted in ([not_mine.rsd_id], ["RSD-1999-99999"], [mine.rsd_id]):
        with pytest.raises(ValidationError) as refused:
            services.entry_update(
                entry=mine, expected_version=mine.version, changes={"related": wanted}, by=people.author
            )
        assert set(refused.value.message_dict) == {"related"}
    hidden_error = "No such entry: %s." % not_mine.rsd_id  # noqa: UP031 - the message as shown
    assert hidden_error in str(_refusal(mine, people, [not_mine.rsd_id]))

    mine = services.entry_update(
        entry=mine, expected_version=mine.version, changes={"related": [also_mine.rsd_id]}, by=people.author
    )
    also_mine = services.entry_update(
        entry=also_mine, expected_version=also_mine.version, changes={"related": [mine.rsd_id]}, by=people.author
    )

    assert EntryRelation.objects.count() == 1
    assert list(also_mine.related_entries()) == [mine]
    services.entry_update(entry=mine, expected_version=mine.version, changes={"related": []}, by=people.author)
    assert not EntryRelation.objects.exists()


def _refusal(entry: Entry, people: People, wanted: list[str]) -> ValidationError:
    try:
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"related": wanted}, by=people.author
        )
    except ValidationError as error:
        return error
    raise AssertionError("not refused")


def test_translations_carry_their_status_and_go_out_of_date_with_the_original(draft: Draft, people: People) -> None:
    entry = draft()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version,
        changes={"translations": {
            "fr": {"title": "Exemple synthétique : titre", "summary": "Exemple synthétique : résumé."},
            "es": {"title": "Ejemplo sintético: título"},
        }},
        by=people.author,
    )  # fmt: skip
    assert entry.translation_status == {"es": "current", "fr": "current"}
    assert entry.summary_translations == {"fr": "Exemple synthétique : résumé."}

    entry = services.entry_update(
        entry=entry, expected_version=entry.version,
        changes={"title": "Synthetic example: a new title", "translations": {"es": {"title": "Ejemplo: nuevo"}}},
        by=people.author,
    )  # fmt: skip

    assert entry.translation_status == {"es": "current", "fr": "outdated"}
    assert EntryTranslation.objects.get(master=entry, language="fr").status == "outdated"
    with pytest.raises(ValidationError):
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"translations": {"en": {"title": "Original"}}},
            by=people.author,
        )  # fmt: skip
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"translations": {"es": {"title": "", "summary": ""}}},
        by=people.author,
    )  # fmt: skip
    assert set(entry.translation_status) == {"fr"}


def test_first_reported_is_a_past_date(draft: Draft, people: People) -> None:
    entry = draft()

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"first_reported": "2024-05-01"}, by=people.author
    )

    assert str(entry.first_reported) == "2024-05-01"
    for bad in ("2999-01-01", "May 2024", 20240501):
        with pytest.raises(ValidationError):
            services.entry_update(
                entry=entry, expected_version=entry.version, changes={"first_reported": bad}, by=people.author
            )


def test_the_original_language_of_a_published_entry_is_fixed(published: Callable[..., Entry], people: People) -> None:
    entry = published()

    with pytest.raises(ValidationError):
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"original_language": "fr"}, by=people.analyst
        )

    assert Entry.objects.get(pk=entry.pk).original_language == "en"


def test_changing_the_original_language_drops_its_old_translation(draft: Draft, people: People) -> None:
    translations = {"fr": {"title": "Exemple synthétique", "summary": "Exemple synthétique : un résumé."}}
    entry = draft(translations=translations)
    assert entry.title_translations == {"fr": "Exemple synthétique"}

    entry = services.entry_update(
        entry=entry,
        expected_version=entry.version,
        changes={"original_language": "fr", "title": "Exemple synthétique", "summary": "Exemple synthétique."},
        by=people.author,
    )

    entry = Entry.objects.get(pk=entry.pk)
    assert entry.original_language == "fr"
    assert entry.title_translations == {}
    assert not EntryTranslation.objects.filter(master=entry, language="fr").exists()
    with pytest.raises(ValidationError) as refused:
        services.entry_update(
            entry=entry,
            expected_version=entry.version,
            changes={"translations": {"fr": {"title": "Autre", "summary": ""}}},
            by=people.author,
        )
    assert "translations" in refused.value.message_dict
