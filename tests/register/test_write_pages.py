"""The register's write pages: propose, edit, submit and classify — through the HTTP client, as people use them.

Every text is synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from nonpro.core.audit.models import AuditEvent
from nonpro.register import services
from nonpro.register.models import Entry, EntryRevision, RevisionEvent, Status
from tests.register.conftest import Draft, People
from tests.register.write_pages import CHECKLIST, REASON, STALE, form_values, proposal, signed_in, url

# --- propose ---------------------------------------------------------------------------------------------


def test_proposer_creates_a_draft_through_the_page(people: People) -> None:
    client = signed_in(people.author)
    form = client.get(url("propose"))
    assert form.status_code == 200
    html = form.content.decode()
    assert "Writing a non-operational entry" in html
    assert 'name="non_operational"' in html
    assert html.count('name="sources-') >= 5 * 6
    assert 'href="/en/register/"' in html  # the breadcrumb back to the register

    response = client.post(url("propose"), proposal())
    entry = Entry.objects.get(created_by=people.author)
    assert response.status_code == 302
    assert response["Location"] == url("entry", entry.rsd_id)
    assert entry.status == Status.DRAFT
    assert entry.title == "Synthetic example: a proposed development"
    assert entry.domains == ["chemical"]
    assert entry.obligations == ["OP1", "OP3a"]
    assert entry.aliases == ["SYN-EXAMPLE-1", "SYN-EXAMPLE-2"]
    assert [source["type"] for source in entry.sources] == ["article", "web"]
    assert entry.sources[0]["doi"] == "10.1234/synthetic.1"
    assert str(entry.first_reported) == "2025-03-01"

    page = client.get(response["Location"]).content.decode()
    assert f"Your draft {entry.rsd_id} was saved" in page
    assert "<em>committee</em>" in page  # the details, rendered from Markdown


@pytest.mark.parametrize("missing", sorted(CHECKLIST))
def test_every_checklist_box_is_required(people: People, missing: str) -> None:
    client = signed_in(people.author)
    response = client.post(url("propose"), proposal(**{missing: None}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Confirm this before you save the entry." in html
    assert 'value="Synthetic example: a proposed development"' in html  # the input is kept
    assert not Entry.objects.exists()


def test_summary_over_300_characters_is_refused_and_kept(people: People) -> None:
    summary = "Synthetic example: " + "x" * 282
    assert len(summary) == 301
    response = signed_in(people.author).post(url("propose"), proposal(summary=summary))
    assert response.status_code == 400
    html = response.content.decode()
    assert "has at most 300 characters" in html or "at most 300 characters (this has 301)" in html
    assert summary in html
    assert not Entry.objects.exists()


def test_a_line_break_in_the_summary_counts_as_one_character(people: People) -> None:
    summary = "Synthetic example: " + "x" * 140 + "\r\n" + "y" * 140
    response = signed_in(people.author).post(url("propose"), proposal(summary=summary))
    assert response.status_code == 302
    assert Entry.objects.get().summary == summary.replace("\r\n", "\n")


def test_a_bad_source_row_is_marked_on_its_row_and_kept(people: People) -> None:
    response = signed_in(people.author).post(url("propose"), proposal(**{"sources-1-doi": "not-a-doi"}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "A DOI looks like 10.1234/abc." in html
    assert 'value="not-a-doi"' in html
    assert not Entry.objects.exists()


def test_a_source_row_without_a_type_is_refused(people: People) -> None:
    response = signed_in(people.author).post(url("propose"), proposal(**{"sources-0-type": ""}))
    assert response.status_code == 400
    assert "Choose the type of the source." in response.content.decode()
    assert not Entry.objects.exists()


def test_errors_of_the_service_land_on_their_fields(people: People) -> None:
    response = signed_in(people.author).post(url("propose"), proposal(related="RSD-2020-99999", aliases="two words"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "No such entry: RSD-2020-99999." in html
    assert "An alias is one identifier" in html
    assert "RSD-2020-99999</textarea>" in html
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("official_a", 403),
        ("expert", 200),
        ("reviewer", 200),
        ("analyst", 200),
        ("administrator", 403),
    ],
)
def test_who_may_open_the_propose_page(persona_client: Callable[[str], Client], persona: str, expected: int) -> None:
    client = persona_client(persona)
    response = client.get(url("propose"))
    assert response.status_code == expected
    if expected == 302:
        assert "login" in response["Location"]
    posted = client.post(url("propose"), proposal())
    assert posted.status_code == (302 if expected == 200 else expected)
    assert Entry.objects.exists() == (expected == 200)


# --- edit ------------------------------------------------------------------------------------------------


def test_edit_is_prefilled_and_sends_only_what_changed(people: People, draft: Draft) -> None:
    entry = services.entry_create_draft(
        by=people.author,
        values={
            "title": "Synthetic example: a draft to edit",
            "summary": "Synthetic example: the first summary.",
            "domains": ["chemical"],
            "sources": [{"type": "report", "citation": "Synthetic example: a public report."}],
            "aliases": ["SYN-ALIAS-1"],
        },
    )
    client = signed_in(people.author)
    html = client.get(url("edit", entry.rsd_id)).content.decode()
    values = form_values(html)
    assert values["title"] == "Synthetic example: a draft to edit"
    assert values["domains"] == "chemical"
    assert values["sources-0-citation"] == "Synthetic example: a public report."
    assert values["aliases"] == "SYN-ALIAS-1"
    assert values["expected_version"] == str(entry.version)

    values.update(CHECKLIST, summary="Synthetic example: a better summary.")
    response = client.post(url("edit", entry.rsd_id), values)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.summary == "Synthetic example: a better summary."
    assert entry.aliases == ["SYN-ALIAS-1"]
    edited = AuditEvent.objects.filter(action="register.entry.edited").get()
    assert edited.summary["fields"] == ["summary"]


def test_edit_without_any_change_writes_nothing(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    response = client.post(url("edit", entry.rsd_id), {**values, **CHECKLIST})
    assert response.status_code == 302
    assert not EntryRevision.objects.filter(entry=entry, event=RevisionEvent.EDITED).exists()
    assert "Nothing was changed." in client.get(response["Location"]).content.decode()


def test_edit_with_a_stale_version_shows_the_error_and_keeps_the_input(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    services.entry_update(
        entry=entry,
        expected_version=entry.version,
        changes={"details": "Synthetic example: the analyst's change."},
        by=people.analyst,
    )
    values.update(CHECKLIST, title="Synthetic example: my new title")
    response = client.post(url("edit", entry.rsd_id), values)
    assert response.status_code == 409
    html = response.content.decode()
    assert STALE in html
    assert 'value="Synthetic example: my new title"' in html
    entry.refresh_from_db()
    assert entry.title != "Synthetic example: my new title"
    assert entry.details == "Synthetic example: the analyst's change."


def test_edit_needs_the_checklist_too(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    values = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    values["title"] = "Synthetic example: unconfirmed"
    response = client.post(url("edit", entry.rsd_id), values)
    assert response.status_code == 400
    assert "Confirm this before you save the entry." in response.content.decode()
    entry.refresh_from_db()
    assert entry.title != "Synthetic example: unconfirmed"


def test_editing_a_published_entry_makes_a_pending_edit(people: People, published: Callable[..., Entry]) -> None:
    entry = published()
    client = signed_in(people.analyst)
    html = client.get(url("edit", entry.rsd_id)).content.decode()
    assert "Your changes are saved as a pending edit" in html
    values = form_values(html)
    assert "original_language" not in values  # fixed once published (a disabled field is not sent)
    values.update(CHECKLIST, summary="Synthetic example: a revised public summary.")
    response = client.post(url("edit", entry.rsd_id), values)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.summary != "Synthetic example: a revised public summary."
    assert entry.pending_changes == {"summary": "Synthetic example: a revised public summary."}
    assert entry.pending_status == "draft"
    # The next edit starts from the pending values.
    again = form_values(client.get(url("edit", entry.rsd_id)).content.decode())
    assert again["summary"] == "Synthetic example: a revised public summary."


def test_hidden_parts_are_not_offered_for_editing(people: People, draft: Draft) -> None:
    entry = draft()
    services.entry_set_tier(entry=entry, field="details", tier="restricted", reason=REASON, by=people.analyst)
    html = signed_in(people.analyst).get(url("edit", entry.rsd_id)).content.decode()
    assert 'name="title"' in html
    assert 'name="details"' not in html
    assert "committee* notes" not in html


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("learner", 404),
        ("official", 404),
        ("other_expert", 404),
        ("outsider_reviewer", 404),
        ("administrator", 404),
        ("author", 200),
        ("analyst", 200),
    ],
)
def test_who_may_edit_a_draft(people: People, draft: Draft, who: str, expected: int) -> None:
    entry = draft()
    client = Client() if who == "anonymous" else signed_in(people.user(who))
    response = client.get(url("edit", entry.rsd_id))
    assert response.status_code == expected
    if who == "anonymous":
        assert "login" in response["Location"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("author", 403),
        ("reviewer", 403),
        ("outsider_reviewer", 403),
        ("administrator", 403),
        ("analyst", 200),
    ],
)
def test_who_may_edit_a_published_entry(
    people: People, published: Callable[..., Entry], who: str, expected: int
) -> None:
    entry = published()
    client = Client() if who == "anonymous" else signed_in(people.user(who))
    assert client.get(url("edit", entry.rsd_id)).status_code == expected
    posted = client.post(url("edit", entry.rsd_id), {"title": "Synthetic example: not allowed", **CHECKLIST})
    assert posted.status_code == (400 if expected == 200 else expected)  # the analyst's post lacks the version
    entry.refresh_from_db()
    assert entry.pending_changes == {}


def test_an_assigned_reviewer_sees_the_entry_but_may_not_edit_it(
    people: People, under_review: Callable[..., Entry]
) -> None:
    entry = under_review()
    assert signed_in(people.reviewer).get(url("edit", entry.rsd_id)).status_code == 403
    assert signed_in(people.author).get(url("edit", entry.rsd_id)).status_code == 403  # submitted: no longer a draft


def test_an_unknown_identifier_is_404_for_everyone_signed_in(people: People) -> None:
    for name in ("edit", "classify"):
        assert signed_in(people.analyst).get(url(name, "RSD-2020-99999")).status_code == 404
    assert signed_in(people.analyst).post(url("submit", "RSD-2020-99999")).status_code == 404


# --- submit ----------------------------------------------------------------------------------------------


def test_author_submits_the_draft(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    assert client.get(url("submit", entry.rsd_id)).status_code == 405
    response = client.post(url("submit", entry.rsd_id), {"expected_version": entry.version})
    assert response.status_code == 302
    assert response["Location"] == url("entry", entry.rsd_id)
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert "The entry was submitted for review." in client.get(response["Location"]).content.decode()


def test_submit_with_a_stale_version_changes_nothing(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    response = client.post(url("submit", entry.rsd_id), {"expected_version": entry.version + 1}, follow=True)
    assert STALE in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_submit_names_the_missing_fields(people: People, draft: Draft) -> None:
    entry = draft(domains=[])
    client = signed_in(people.author)
    response = client.post(url("submit", entry.rsd_id), {"expected_version": entry.version}, follow=True)
    assert "Domains: Fill this in before submitting." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_submit_without_a_version_is_a_bad_request(people: People, draft: Draft) -> None:
    entry = draft()
    assert signed_in(people.author).post(url("submit", entry.rsd_id)).status_code == 400
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("learner", 404), ("other_expert", 404), ("administrator", 404), ("analyst", 302)],
)
def test_who_may_submit_a_draft(people: People, draft: Draft, who: str, expected: int) -> None:
    entry = draft()
    client = Client() if who == "anonymous" else signed_in(people.user(who))
    response = client.post(url("submit", entry.rsd_id), {"expected_version": entry.version})
    assert response.status_code == expected
    entry.refresh_from_db()
    assert (entry.status == Status.SUBMITTED) == (who == "analyst")


def test_submitting_twice_is_refused(people: People, draft: Draft) -> None:
    entry = draft()
    client = signed_in(people.author)
    client.post(url("submit", entry.rsd_id), {"expected_version": entry.version})
    entry.refresh_from_db()
    assert client.post(url("submit", entry.rsd_id), {"expected_version": entry.version}).status_code == 403


# --- classify --------------------------------------------------------------------------------------------


def tier_form(client: Client, rsd_id: str) -> dict[str, Any]:
    response = client.get(url("classify", rsd_id))
    assert response.status_code == 200
    return form_values(response.content.decode())


def test_assigned_reviewer_classifies_a_part_with_a_reason(people: People, under_review: Callable[..., Entry]) -> None:
    entry = under_review()
    client = signed_in(people.reviewer)
    values = tier_form(client, entry.rsd_id)
    assert values["tier-details"] == "committee"
    assert {"tier-title", "tier-summary", "tier-classification", "tier-assessment", "tier-sources"} <= set(values)
    values.update({"tier-details": "official", "reason": REASON})
    response = client.post(url("classify", entry.rsd_id), values)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.details_tier == "official"
    event = AuditEvent.objects.get(action="register.entry.tier_changed")
    assert event.summary["part"] == "details"
    assert event.summary["reason"] == REASON


def test_a_change_of_tier_needs_a_reason(people: People, under_review: Callable[..., Entry]) -> None:
    entry = under_review()
    client = signed_in(people.analyst)
    values = tier_form(client, entry.rsd_id)
    values["tier-summary"] = "public"
    response = client.post(url("classify", entry.rsd_id), values)
    assert response.status_code == 400
    assert "Give a reason for the change of tier." in response.content.decode()
    entry.refresh_from_db()
    assert entry.summary_tier == "committee"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("learner", 404),
        ("other_expert", 404),
        ("outsider_reviewer", 404),
        ("administrator", 404),
        ("author", 403),
        ("reviewer", 200),
        ("analyst", 200),
    ],
)
def test_who_may_classify_an_entry_under_review(
    people: People, under_review: Callable[..., Entry], who: str, expected: int
) -> None:
    entry = under_review()
    client = Client() if who == "anonymous" else signed_in(people.user(who))
    assert client.get(url("classify", entry.rsd_id)).status_code == expected
    posted = client.post(
        url("classify", entry.rsd_id), {"expected_version": entry.version, "tier-title": "public", "reason": REASON}
    )
    assert posted.status_code == (302 if expected == 200 else expected)
    entry.refresh_from_db()
    assert (entry.title_tier == "public") == (expected == 200)


def test_only_an_analyst_lowers_a_published_part(people: People, published: Callable[..., Entry]) -> None:
    entry = published(details="Synthetic example: **committee** notes with a [link](https://example.org/note).")
    reviewer = signed_in(people.reviewer)
    values = tier_form(reviewer, entry.rsd_id)
    values.update({"tier-details": "public", "tier-sources": "restricted", "reason": REASON})
    response = reviewer.post(url("classify", entry.rsd_id), values)
    assert response.status_code == 400
    html = response.content.decode()
    assert "publication decision for a committee analyst" in html
    entry.refresh_from_db()
    assert entry.details_tier == "committee"
    assert entry.sources_tier == "restricted"  # raising a tier is anyone's to do, at once
    assert "committee</strong>" not in Client().get(url("entry", entry.rsd_id)).content.decode()

    analyst = signed_in(people.analyst)
    values = tier_form(analyst, entry.rsd_id)
    assert "tier-sources" not in values  # RESTRICTED now, and the analyst holds no grant
    values.update({"tier-details": "public", "reason": REASON})
    assert analyst.post(url("classify", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.details_tier == "public"
    page = Client().get(url("entry", entry.rsd_id)).content.decode()
    assert "<strong>committee</strong>" in page
    assert 'href="https://example.org/note" rel="nofollow noopener"' in page


def test_parts_the_viewer_cannot_see_are_not_listed(people: People, draft: Draft) -> None:
    entry = draft()
    services.entry_set_tier(entry=entry, field="credits", tier="restricted", reason=REASON, by=people.analyst)
    html = signed_in(people.analyst).get(url("classify", entry.rsd_id)).content.decode()
    assert 'name="tier-title"' in html
    assert 'name="tier-credits"' not in html
    assert "Credits" not in html


def test_pending_parts_of_a_published_entry_are_classified_apart(
    people: People, published: Callable[..., Entry]
) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry,
        expected_version=entry.version,
        changes={"summary": "Synthetic example: a pending summary."},
        by=people.analyst,
    )
    client = signed_in(people.analyst)
    values = tier_form(client, entry.rsd_id)
    assert values["tier-summary"] == "public"
    assert values["tier-pending-summary"] == "committee"
    assert "tier-pending-details" not in values
    values.update({"tier-pending-summary": "public", "reason": REASON})
    assert client.post(url("classify", entry.rsd_id), values).status_code == 302
    entry.refresh_from_db()
    assert entry.pending_tiers == {"summary": "public"}
    assert entry.summary_tier == "public"


def test_classify_with_a_stale_version_changes_nothing(people: People, under_review: Callable[..., Entry]) -> None:
    entry = under_review()
    client = signed_in(people.analyst)
    values = tier_form(client, entry.rsd_id)
    services.entry_set_tier(entry=entry, field="title", tier="official", reason=REASON, by=people.reviewer)
    values.update({"tier-details": "official", "reason": REASON})
    response = client.post(url("classify", entry.rsd_id), values)
    assert response.status_code == 409
    assert STALE in response.content.decode()
    entry.refresh_from_db()
    assert entry.details_tier == "committee"


# --- the entry page --------------------------------------------------------------------------------------


def actions_of(client: Client, rsd_id: str) -> set[str]:
    html = client.get(url("entry", rsd_id)).content.decode()
    found = set()
    for name in ("edit", "submit", "classify"):
        if f'"{url(name, rsd_id)}"' in html:
            found.add(name)
    return found


def test_the_entry_page_offers_the_actions_the_viewer_has(
    people: People, draft: Draft, under_review: Callable[..., Entry]
) -> None:
    entry = draft()
    assert actions_of(signed_in(people.author), entry.rsd_id) == {"edit", "submit"}
    assert actions_of(signed_in(people.analyst), entry.rsd_id) == {"edit", "submit", "classify"}
    reviewed = under_review()
    assert actions_of(signed_in(people.reviewer), reviewed.rsd_id) == {"classify"}
    assert actions_of(signed_in(people.author), reviewed.rsd_id) == set()


def test_the_entry_page_offers_nothing_to_the_public(people: People, published: Callable[..., Entry]) -> None:
    entry = published()
    assert actions_of(Client(), entry.rsd_id) == set()
    assert actions_of(signed_in(people.learner), entry.rsd_id) == set()
    assert actions_of(signed_in(people.analyst), entry.rsd_id) == {"edit", "classify"}


def test_details_render_only_for_those_who_may_see_them(people: People, published: Callable[..., Entry]) -> None:
    entry = published(details="Synthetic example: *DETAILMARK* <script>alert(1)</script> [x](javascript:alert(1))")
    public = Client().get(url("entry", entry.rsd_id)).content.decode()
    assert "DETAILMARK" not in public
    committee = signed_in(people.analyst).get(url("entry", entry.rsd_id)).content.decode()
    assert "<em>DETAILMARK</em>" in committee
    assert "<script>alert(1)</script>" not in committee
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in committee
    assert 'href="javascript' not in committee


@pytest.mark.parametrize("language", ["ar", "zh-hans", "fr"])
def test_write_pages_render_in_other_languages_without_inline_style(
    people: People, draft: Draft, language: str
) -> None:
    entry = draft()
    client = signed_in(people.analyst)
    for name, rsd_id in (("propose", None), ("edit", entry.rsd_id), ("classify", entry.rsd_id)):
        response = client.get(url(name, rsd_id, language))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}"' in html
        assert " style=" not in html
        assert "register/register.css" in html
