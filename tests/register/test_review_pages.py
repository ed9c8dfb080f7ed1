"""The review pages: who may open each, what each shows, errors that keep the input, and the whole flow."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from nonpro.accounts.experts import coi_declare
from nonpro.register import reviews, services, taxonomy
from nonpro.register.models import Entry, ReviewAssignment, Status
from tests.conftest import MakeUser
from tests.register.conftest import SCORES, Draft, People, review

PERSONAS = [
    "anonymous",
    "learner",
    "official",
    "other_expert",
    "author",
    "outsider_reviewer",
    "reviewer",
    "administrator",
    "analyst",
]


def url(name: str, language: str = "en", **kwargs: str) -> str:
    with translation.override(language):
        return reverse(f"register:{name}", kwargs=kwargs)


def client_for(people: People, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(people.user(persona))
    return client


def signs_in(response: Any) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def assigned(draft: Draft, people: People) -> Entry:
    """An entry under review with reviewer and reviewer2 assigned, neither has reviewed."""
    entry = services.entry_submit(entry=draft(), by=people.author)
    for reviewer in (people.reviewer, people.reviewer2):
        services.review_assign(
            entry=entry, reviewer=reviewer, by=people.analyst, due_at=timezone.now() + timedelta(days=3)
        )
    return services.entry_start_review(entry=entry, by=people.analyst)


# --- who may open what ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_review_list_is_for_analysts_and_reviewers(people: People, assigned: Entry, persona: str) -> None:
    response = client_for(people, persona).get(url("reviews"))

    if persona == "anonymous":
        assert signs_in(response)
    elif persona in {"reviewer", "outsider_reviewer", "analyst"}:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
    html = response.content.decode()
    assert (assigned.rsd_id in html) is (persona in {"reviewer", "analyst"})


def test_a_reviewer_without_mfa_is_sent_to_set_it_up(people: People, make_user: MakeUser) -> None:
    client = Client()
    client.force_login(make_user("no.mfa@example.test", ["expert", "reviewer"], mfa=False))

    response = client.get(url("reviews"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("name", ["assign", "decide"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_assignment_and_decision_pages_are_for_analysts(
    people: People, assigned: Entry, persona: str, name: str
) -> None:
    client = client_for(people, persona)

    response = client.get(url(name, rsd_id=assigned.rsd_id))
    posted = client.post(url(name, rsd_id=assigned.rsd_id), {"action": "publish", "expected_version": 1})

    if persona == "anonymous":
        assert signs_in(response)
        assert signs_in(posted)
    elif persona == "analyst":
        assert response.status_code == 200
        assert client.get(url(name, rsd_id="RSD-2001-99999")).status_code == 404
    else:
        assert response.status_code == 403
        assert posted.status_code == 403
    assert Entry.objects.get(pk=assigned.pk).status == Status.UNDER_REVIEW


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_review_form_is_for_the_assigned_reviewer(people: People, assigned: Entry, persona: str) -> None:
    client = client_for(people, persona)

    response = client.get(url("review", rsd_id=assigned.rsd_id))

    if persona == "anonymous":
        assert signs_in(response)
    elif persona == "reviewer":
        assert response.status_code == 200
    elif persona in {"analyst", "author"}:
        assert response.status_code == 403  # sees the entry, is not its reviewer
    else:
        assert response.status_code == 404  # may not see the entry at all: no hint that it exists
    if persona != "reviewer":
        posted = client.post(url("review", rsd_id=assigned.rsd_id), {"recommendation": "publish"})
        assert posted.status_code in {302, 403, 404}
        assert not ReviewAssignment.objects.filter(entry=assigned, completed_at__isnull=False).exists()


def test_the_entry_page_panel_shows_analysts_and_reviewers_their_links_and_nobody_else_anything(
    people: People, assigned: Entry
) -> None:
    def entry_page(persona: str) -> str:
        response = client_for(people, persona).get(url("entry", rsd_id=assigned.rsd_id))
        assert response.status_code == 200
        return response.content.decode()

    analyst = entry_page("analyst")
    assert url("assign", rsd_id=assigned.rsd_id) in analyst
    assert url("decide", rsd_id=assigned.rsd_id) in analyst
    assert url("review", rsd_id=assigned.rsd_id) in entry_page("reviewer")
    author = entry_page("author")
    assert "review-panel-heading" not in author
    assert url("review", rsd_id=assigned.rsd_id) not in author


# --- what the pages show, and errors that keep the input -----------------------------------------------


def test_the_assignment_page_shows_vetting_expertise_and_declared_conflicts(people: People, draft: Draft) -> None:
    entry = services.entry_submit(entry=draft(), by=people.author)
    coi_declare(user=people.outsider_reviewer, relates_to="Synthetic Company", description="Synthetic example.")
    client = client_for(people, "analyst")

    html = client.get(url("assign", rsd_id=entry.rsd_id)).content.decode()

    assert "Synthetic Company" in html
    assert people.reviewer.email in html
    assert people.author.email not in html
    assert "Vetted until" in html

    due = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(
        url("assign", rsd_id=entry.rsd_id),
        {"reviewer": people.outsider_reviewer.pk, "due_at": due, "conflict_note": ""},
    )
    assert refused.status_code == 400
    assert "declared conflicts of interest" in refused.content.decode()
    assert due in refused.content.decode()  # the input is kept
    assert not ReviewAssignment.objects.filter(entry=entry).exists()

    done = client.post(
        url("assign", rsd_id=entry.rsd_id),
        {"reviewer": people.outsider_reviewer.pk, "due_at": due, "conflict_note": "Synthetic example: unrelated."},
    )
    assert done.status_code == 302
    assert ReviewAssignment.objects.get(entry=entry).conflict_note == "Synthetic example: unrelated."


def test_the_review_form_shows_the_rubric_in_the_readers_language_and_keeps_input_on_error(
    people: People, assigned: Entry
) -> None:
    client = client_for(people, "reviewer")
    criterion = taxonomy.rubric().criteria["maturity"]

    arabic = client.get(url("review", "ar", rsd_id=assigned.rsd_id)).content.decode()
    assert criterion.description("ar") in arabic
    assert len(re.findall(r"<select name=\"score_", arabic)) == len(taxonomy.rubric().criteria)

    data = {f"score_{code}": str(score) for code, score in SCORES.items()}
    data.update({"recommendation": "revise", "comments": "Synthetic example: kept comment."})
    refused = client.post(url("review", rsd_id=assigned.rsd_id), data)  # no confirmation

    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Synthetic example: kept comment." in html
    assert 'value="revise" selected' in html
    assert "no enabling detail" in html
    assert not ReviewAssignment.objects.filter(entry=assigned, completed_at__isnull=False).exists()


def test_the_decision_page_refuses_to_publish_without_reviews_and_a_stale_decision(
    people: People, assigned: Entry
) -> None:
    client = client_for(people, "analyst")
    page = client.get(url("decide", rsd_id=assigned.rsd_id)).content.decode()
    assert re.search(r'value="publish">\s*<button type="submit" disabled', page)

    refused = client.post(
        url("decide", rsd_id=assigned.rsd_id), {"action": "publish", "expected_version": assigned.version}
    )
    assert refused.status_code == 400
    assert "Publishing needs 2 completed reviews" in refused.content.decode()

    stale = client.post(
        url("decide", rsd_id=assigned.rsd_id),
        {"action": "reject", "expected_version": assigned.version - 1, "reason": "Synthetic example: kept reason."},
    )
    assert stale.status_code == 409
    assert "Someone else changed this entry" in stale.content.decode()
    assert "Synthetic example: kept reason." in stale.content.decode()
    assert Entry.objects.get(pk=assigned.pk).status == Status.UNDER_REVIEW


def test_the_decision_page_shows_the_reviews_side_by_side(people: People, assigned: Entry) -> None:
    review(assigned, people.reviewer, comments="Synthetic example: FIRSTMARK.", recommendation="publish")
    review(assigned, people.reviewer2, comments="Synthetic example: SECONDMARK.", recommendation="revise")

    html = client_for(people, "analyst").get(url("decide", rsd_id=assigned.rsd_id)).content.decode()

    assert "FIRSTMARK" in html
    assert "SECONDMARK" in html
    assert taxonomy.rubric().criteria["maturity"].label("en") in html
    assert not re.search(r'value="publish">\s*<button type="submit" disabled', html)
    reviewer_html = client_for(people, "reviewer").get(url("review", rsd_id=assigned.rsd_id)).content.decode()
    assert "FIRSTMARK" in reviewer_html
    assert "SECONDMARK" not in reviewer_html


# --- the whole flow ------------------------------------------------------------------------------------


def test_an_analyst_starts_assigns_two_reviewers_review_and_the_analyst_publishes(draft: Draft, people: People) -> None:
    entry = services.entry_submit(entry=draft(), by=people.author)
    analyst = client_for(people, "analyst")

    def version() -> int:
        return Entry.objects.get(pk=entry.pk).version

    queue = analyst.get(url("reviews")).content.decode()
    assert entry.rsd_id in queue
    started = analyst.post(url("decide", rsd_id=entry.rsd_id), {"action": "start", "expected_version": version()})
    assert started.status_code == 302
    due = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    for reviewer in (people.reviewer, people.reviewer2):
        assigned = analyst.post(url("assign", rsd_id=entry.rsd_id), {"reviewer": reviewer.pk, "due_at": due})
        assert assigned.status_code == 302, assigned.content.decode()

    for persona in ("reviewer", "reviewer2"):
        client = client_for(people, persona)
        assert entry.rsd_id in client.get(url("reviews")).content.decode()
        data: dict[str, Any] = {f"score_{code}": str(score) for code, score in SCORES.items()}
        data.update({"recommendation": "publish", "comments": "Synthetic example.", "no_enabling_detail": "on"})
        submitted = client.post(url("review", rsd_id=entry.rsd_id), data)
        assert submitted.status_code == 302
        assert submitted["Location"] == url("reviews")
        assert entry.rsd_id not in client.get(url("reviews")).content.decode()  # no longer open for them

    published = analyst.post(url("decide", rsd_id=entry.rsd_id), {"action": "publish", "expected_version": version()})

    assert published.status_code == 302
    entry = Entry.objects.get(pk=entry.pk)
    assert entry.status == Status.PUBLISHED
    assert (
        ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=False, completed_at__isnull=False).count() == 2
    )
    assert entry.rsd_id not in analyst.get(url("reviews")).content.decode()
    assert reviews.triage_queue(people.viewer("analyst")) == []
