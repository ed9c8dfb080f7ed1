"""The register's write pages for the concern assessment, the translations and the credits.

Every text is synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from nonpro.core.audit.models import AuditEvent
from nonpro.register import services
from nonpro.register.models import Entry, EntryRevision, RevisionEvent
from nonpro.register.taxonomy import rubric
from tests.register.conftest import SCORES, Draft, People
from tests.register.write_pages import CHECKLIST, REASON, form_values, proposal, signed_in, url

# --- concern assessment, translations, credits ------------------------------------------------------------


def assessed(values: dict[str, Any], scores: dict[str, int], rationale: str = "") -> dict[str, Any]:
    """Return the page's values with the scores (and rationale) of the assessment filled in."""
    values = {**values, **CHECKLIST}
    values.update({f"score-{code}": str(score) for code, score in scores.items()})
    values["concern_rationale"] = rationale
    return values


def test_analyst_records_the_assessment_and_the_rubric_computes_the_level(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.analyst)
    html = client.get(url("edit", entry.rsd_id)).content.decode()
    assert "the rubric computes it from the scores when you save" in html
    for code in rubric().criteria:
        assert f'name="score-{code}"' in html
    rationale = "Synthetic example: a policy-level rationale for the scores."
    response = client.post(url("edit", entry.rsd_id), assessed(form_values(html), SCORES, rationale))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.concern_scores == SCORES
    assert entry.concern_level == rubric().level_for(SCORES)
    assert entry.concern_rationale == rationale
    edited = AuditEvent.objects.filter(action="register.entry.edited").get()
    assert edited.summary["fields"] == ["concern_level", "concern_rationale", "concern_scores"]
    assert EntryRevision.objects.filter(entry=entry, event=RevisionEvent.EDITED).count() == 1
    # The next visit shows the scores chosen and the level computed.
    again = client.get(url("edit", entry.rsd_id)).content.decode()
    assert form_values(again)["score-control-coverage"] == "2"
    assert rubric().level_label(entry.concern_level, "en") in again


def test_scoring_only_some_criteria_is_refused_and_kept(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.analyst)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    response = client.post(url("edit", entry.rsd_id), assessed(values, {"maturity": 3}, "Synthetic example: half."))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Score every criterion, or none to clear the assessment." in html
    assert form_values(html)["score-maturity"] == "3"
    entry.refresh_from_db()
    assert entry.concern_scores == {}


def test_the_assessment_is_offered_only_to_those_who_see_it(people: People, draft: Draft) -> None:
    entry = draft()
    services.entry_update(
        entry=entry, expected_version=entry.version, changes={"concern_scores": SCORES}, by=people.analyst
    )
    entry.refresh_from_db()
    services.entry_set_tier(entry=entry, field="assessment", tier="restricted", reason=REASON, by=people.analyst)
    html = signed_in(people.analyst).get(url("edit", entry.rsd_id)).content.decode()
    assert 'name="title"' in html
    assert 'name="score-' not in html
    assert "Concern assessment" not in html


def test_published_assessment_is_hidden_from_the_public(people: People, published: Callable[..., Entry]) -> None:
    entry = published()
    client = signed_in(people.analyst)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    assert (
        client.post(url("edit", entry.rsd_id), assessed(values, SCORES, "Synthetic example: why.")).status_code == 302
    )
    entry.refresh_from_db()
    assert entry.pending_changes["concern_scores"] == SCORES
    assert entry.pending_changes["concern_level"] == rubric().level_for(SCORES)
    public = Client().get(url("entry", entry.rsd_id)).content.decode()
    assert "Synthetic example: why." not in public
    assert "Synthetic example: why." in client.get(url("entry", entry.rsd_id)).content.decode()


def test_reviewers_scores_are_shown_beside_each_criterion(people: People, under_review: Callable[..., Entry]) -> None:
    entry = under_review()
    decide = signed_in(people.analyst).get(url("decide", entry.rsd_id)).content.decode()
    assert "Record the committee's assessment" in decide
    assert f'href="{url("edit", entry.rsd_id)}#assessment"' in decide
    html = signed_in(people.analyst).get(url("edit", entry.rsd_id)).content.decode()
    assert html.count('class="register-review-scores"') == len(rubric().criteria) + 1
    for reviewer in (people.reviewer, people.reviewer2):
        assert (reviewer.display_name or reviewer.email) in html
    assert "Reviewers' scores" in html


def translated(values: dict[str, Any], language: str, title: str, summary: str) -> dict[str, Any]:
    return {**values, **CHECKLIST, f"translation-{language}-title": title, f"translation-{language}-summary": summary}


def test_translations_are_saved_and_shown_in_their_language(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    html = client.get(url("edit", entry.rsd_id)).content.decode()
    assert 'name="translation-en-title"' not in html  # the original language is no translation
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html
    assert 'lang="zh-Hans"' in html
    values = translated(form_values(html), "fr", "Exemple synthétique : un titre", "Exemple synthétique : un résumé.")
    response = client.post(url("edit", entry.rsd_id), values)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title_translations == {"fr": "Exemple synthétique : un titre"}
    assert entry.translation_status == {"fr": "current"}
    page = client.get(url("entry", entry.rsd_id, "fr")).content.decode()
    assert "Exemple synthétique : un titre" in page
    assert EntryRevision.objects.filter(entry=entry, event=RevisionEvent.EDITED).count() == 1


def test_a_translation_is_flagged_out_of_date_when_the_original_changes(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    values = translated(values, "es", "Ejemplo sintético: un título", "Ejemplo sintético: un resumen.")
    assert client.post(url("edit", entry.rsd_id), values).status_code == 302
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    values.update(CHECKLIST, title="Synthetic example: a changed original title")
    assert client.post(url("edit", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.translation_status == {"es": "outdated"}
    html = client.get(url("edit", entry.rsd_id)).content.decode()
    assert "Translation out of date" in html
    assert 'name="translation-es-confirm"' in html
    assert "Synthetic example: a changed original title" in html  # the original, beside the translations
    # Confirming it as it is makes it current again.
    values = {**form_values(html), **CHECKLIST, "translation-es-confirm": "on"}
    assert client.post(url("edit", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.translation_status == {"es": "current"}


def test_a_long_translated_summary_is_refused_on_its_field_and_kept(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    long_summary = "Пример " + "x" * 300
    response = client.post(url("edit", entry.rsd_id), translated(values, "ru", "Синтетический пример", long_summary))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Use at most 300 characters" in html
    kept = form_values(html)
    assert kept["translation-ru-summary"] == long_summary
    assert kept["translation-ru-title"] == "Синтетический пример"
    entry.refresh_from_db()
    assert entry.title_translations == {}


def test_credits_are_saved_and_a_half_row_is_refused(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = {**form_values(client.get(url("edit", entry.rsd_id)).content.decode()), **CHECKLIST}
    refused = client.post(url("edit", entry.rsd_id), {**values, "credits-0-name": "Synthetic Person"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose the role of each person credited." in html
    assert form_values(html)["credits-0-name"] == "Synthetic Person"
    values.update({"credits-0-name": "Synthetic Person", "credits-0-role": "finder"})
    assert client.post(url("edit", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.credits == [{"name": "Synthetic Person", "role": "finder", "user": None}]
    edited = AuditEvent.objects.filter(action="register.entry.edited").get()
    assert edited.summary["fields"] == ["credits"]


def test_credits_keep_the_link_to_a_persons_account(people: People, draft: Draft) -> None:
    entry = draft(credits=[{"user": people.author.pk, "name": "Synthetic Author", "role": "reporter"}])
    client = signed_in(people.analyst)
    values = {**form_values(client.get(url("edit", entry.rsd_id)).content.decode()), **CHECKLIST}
    values.update({"credits-1-name": "Synthetic Analyst", "credits-1-role": "analyst"})
    assert client.post(url("edit", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.credits == [
        {"name": "Synthetic Author", "role": "reporter", "user": people.author.pk},
        {"name": "Synthetic Analyst", "role": "analyst", "user": None},
    ]


def test_proposal_with_translations_and_credits(people: People) -> None:
    client = signed_in(people.author)
    html = client.get(url("propose")).content.decode()
    assert 'name="translation-fr-title"' in html
    assert 'name="credits-0-name"' in html
    assert 'name="score-' not in html  # the assessment is the committee's, after the proposal
    data = proposal(
        **{
            "translation-fr-title": "Exemple synthétique : une proposition",
            "translation-fr-summary": "Exemple synthétique : pourquoi cela compte.",
            "credits-TOTAL_FORMS": "2",
            "credits-INITIAL_FORMS": "0",
            "credits-0-name": "Synthetic Finder",
            "credits-0-role": "finder",
        }
    )
    assert client.post(url("propose"), data).status_code == 302
    entry = Entry.objects.get()
    assert entry.title_translations == {"fr": "Exemple synthétique : une proposition"}
    assert entry.credits == [{"name": "Synthetic Finder", "role": "finder", "user": None}]


def test_the_original_language_cannot_hold_a_translation_in_a_proposal(people: People) -> None:
    client = signed_in(people.author)
    data = proposal(original_language="fr", **{"translation-fr-title": "Exemple synthétique : doublon"})
    response = client.post(url("propose"), data)
    assert response.status_code == 400
    assert "This is the original language now" in response.content.decode()
    assert not Entry.objects.exists()
