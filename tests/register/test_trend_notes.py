"""Trend notes: experts write them, analysts read and acknowledge them, nobody else learns of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from nonpro.accounts.services import role_revoke
from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import Role, forget_viewer
from nonpro.register.models import TrendNote, TrendNoteStatus
from nonpro.register.services import RegisterError
from nonpro.register.trend_notes import (
    trend_note_acknowledge,
    trend_note_data_for,
    trend_note_submit,
    trend_notes_for,
)
from tests.register.conftest import People

TITLE = "Synthetic example: cloud laboratories widen access"
BODY = "Synthetic example: remote laboratory services are spreading; why this matters for OP2 and OP3 controls."


def submit(by: Any, **overrides: Any) -> TrendNote:
    values = {"domain": "biological", "title": TITLE, "body": BODY, "language": "en", **overrides}
    return trend_note_submit(by=by, **values)


@pytest.mark.parametrize("name", ["author", "reviewer", "analyst"])
def test_experts_reviewers_and_analysts_submit_notes(people: People, name: str) -> None:
    note = submit(people.user(name))

    assert note.status == TrendNoteStatus.NEW
    assert (note.domain, note.title, note.body, note.language) == ("biological", TITLE, BODY, "en")
    event = AuditEvent.objects.get(action="register.trend_note.submitted")
    assert event.object_id == str(note.pk)
    assert TITLE not in str(event.summary)
    assert BODY not in str(event.summary)


@pytest.mark.parametrize("name", ["learner", "official", "administrator"])
def test_others_may_not_submit_notes(people: People, name: str) -> None:
    with pytest.raises(PermissionDenied):
        submit(people.user(name))

    assert not TrendNote.objects.exists()
    assert not AuditEvent.objects.filter(action="register.trend_note.submitted").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"domain": "not-a-domain"}, "domain"),
        ({"title": "   "}, "title"),
        ({"title": "Synthetic example\nsecond line"}, "title"),
        ({"title": "x" * 251}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"language": "de"}, "language"),
    ],
)
def test_bad_input_is_refused_field_by_field(people: People, overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        submit(people.author, **overrides)

    assert set(refused.value.message_dict) == {field}
    assert not TrendNote.objects.exists()


def test_analysts_see_every_note_and_authors_only_their_own(people: People) -> None:
    mine = submit(people.author)
    theirs = submit(people.other_expert, domain="nuclear")

    assert set(trend_notes_for(people.viewer("analyst"))) == {mine, theirs}
    assert list(trend_notes_for(people.viewer("author"))) == [mine]
    assert list(trend_notes_for(people.viewer("other_expert"))) == [theirs]
    for name in ("anonymous", "learner", "official", "administrator", "reviewer"):
        assert not trend_notes_for(people.viewer(name)).exists(), name
    assert trend_note_data_for(people.viewer("other_expert"), mine) is None
    assert trend_note_data_for(people.viewer("learner"), mine) is None
    data = trend_note_data_for(people.viewer("author"), mine)
    assert data is not None
    assert data["title"] == TITLE


def test_an_author_who_lost_the_role_no_longer_sees_their_notes(people: People) -> None:
    note = submit(people.author)

    role_revoke(user=people.author, role=Role.EXPERT, reason="Synthetic example: left the roster.", revoked_by=None)
    forget_viewer(people.author)

    assert not trend_notes_for(people.viewer("author")).exists()
    assert trend_note_data_for(people.viewer("author"), note) is None


def test_notes_filter_by_domain_and_status_new_first(people: People) -> None:
    old = submit(people.author, domain="nuclear")
    trend_note_acknowledge(note=old, by=people.analyst)
    newer = submit(people.other_expert, domain="chemical")
    analyst = people.viewer("analyst")

    assert list(trend_notes_for(analyst)) == [newer, old]
    assert list(trend_notes_for(analyst, domain="nuclear")) == [old]
    assert list(trend_notes_for(analyst, status=TrendNoteStatus.NEW)) == [newer]


def test_analysts_acknowledge_a_note_once(people: People) -> None:
    note = submit(people.author)

    acknowledged = trend_note_acknowledge(note=note, by=people.analyst)

    assert acknowledged.status == TrendNoteStatus.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == people.analyst
    assert acknowledged.acknowledged_at is not None
    event = AuditEvent.objects.get(action="register.trend_note.acknowledged")
    assert TITLE not in str(event.summary)
    assert BODY not in str(event.summary)
    with pytest.raises(RegisterError) as refused:
        trend_note_acknowledge(note=note, by=people.analyst2)
    assert refused.value.code == "already_acknowledged"
    note.refresh_from_db()
    assert note.acknowledged_by == people.analyst
    assert AuditEvent.objects.filter(action="register.trend_note.acknowledged").count() == 1


@pytest.mark.parametrize("name", ["author", "reviewer", "administrator", "learner"])
def test_only_analysts_acknowledge(people: People, name: str) -> None:
    note = submit(people.author)

    with pytest.raises(PermissionDenied):
        trend_note_acknowledge(note=note, by=people.user(name))

    note.refresh_from_db()
    assert note.status == TrendNoteStatus.NEW
    assert not AuditEvent.objects.filter(action="register.trend_note.acknowledged").exists()


# --- the pages -----------------------------------------------------------------------------------------


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
@pytest.mark.parametrize("url_name", ["register:trend_note_new", "register:trend_notes"])
def test_who_opens_the_note_pages(
    persona_client: Callable[[str], Client], persona: str, expected: int, url_name: str
) -> None:
    assert persona_client(persona).get(reverse(url_name)).status_code == expected


def test_the_form_offers_domains_in_the_readers_language_and_defaults_to_it(people: People, client: Client) -> None:
    client.force_login(people.author)

    html = client.get("/fr/register/trends/notes/new/").content.decode()

    assert "Nucléaire" in html
    assert '<option value="fr" selected>' in html
    assert "1540" in html  # the safety reminder


def test_a_note_sent_through_the_form_lands_with_the_analysts(people: People, client: Client) -> None:
    client.force_login(people.author)

    response = client.post(
        reverse("register:trend_note_new"),
        {"domain": "chemical", "title": TITLE, "body": BODY, "language": "en"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("register:trend_notes")
    note = TrendNote.objects.get()
    assert (note.author, note.domain, note.title) == (people.author, "chemical", TITLE)
    listing = client.get(reverse("register:trend_notes")).content.decode()
    assert TITLE in listing


def test_bad_input_comes_back_with_errors_and_nothing_lost(people: People, client: Client) -> None:
    client.force_login(people.author)

    response = client.post(
        reverse("register:trend_note_new"), {"domain": "not-a-domain", "title": TITLE, "body": "", "language": "en"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert TITLE in html
    assert html.count('class="errorlist') >= 2
    assert not TrendNote.objects.exists()


def test_the_list_shows_analysts_every_note_and_authors_their_own(people: People, client: Client) -> None:
    submit(people.author, title="Synthetic example: note of the author")
    submit(people.other_expert, title="Synthetic example: note of another expert", domain="nuclear")

    client.force_login(people.other_expert)
    own = client.get(reverse("register:trend_notes")).content.decode()
    client.force_login(people.analyst)
    every = client.get(reverse("register:trend_notes")).content.decode()
    filtered = client.get(reverse("register:trend_notes"), {"domain": "nuclear"}).content.decode()

    assert "note of another expert" in own
    assert "note of the author" not in own
    assert "/acknowledge/" not in own
    assert "note of another expert" in every
    assert "note of the author" in every
    assert "note of another expert" in filtered
    assert "note of the author" not in filtered


def test_the_acknowledge_button_works_and_returns_to_the_page(people: People, client: Client) -> None:
    note = submit(people.author)
    client.force_login(people.analyst)
    dashboard_url = reverse("register:dashboard")
    assert "/acknowledge/" in client.get(dashboard_url).content.decode()

    url = reverse("register:trend_note_acknowledge", kwargs={"pk": note.pk})
    response = client.post(url, {"next": dashboard_url})
    again = client.post(url, {"next": "https://elsewhere.example/"})

    assert response.status_code == 302
    assert response["Location"] == dashboard_url
    assert again.status_code == 302
    assert again["Location"] == reverse("register:trend_notes")
    note.refresh_from_db()
    assert note.status == TrendNoteStatus.ACKNOWLEDGED
    assert AuditEvent.objects.filter(action="register.trend_note.acknowledged").count() == 1


def test_acknowledging_takes_post_from_analysts_only(people: People, client: Client) -> None:
    note = submit(people.author)
    url = reverse("register:trend_note_acknowledge", kwargs={"pk": note.pk})

    client.force_login(people.author)
    assert client.post(url).status_code == 403
    client.force_login(people.analyst)
    assert client.get(url).status_code == 405
    assert client.post(reverse("register:trend_note_acknowledge", kwargs={"pk": note.pk + 1000})).status_code == 404
    note.refresh_from_db()
    assert note.status == TrendNoteStatus.NEW


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_and_the_list_need_no_more_queries_for_more_notes(people: People, client: Client) -> None:
    client.force_login(people.analyst)
    submit(people.author, title="Synthetic example: the first note")
    client.get(reverse("register:dashboard"))  # warm the session and the taxonomy caches
    one = {name: _queries(client, reverse(name)) for name in ("register:dashboard", "register:trend_notes")}
    for number in range(5):
        submit(people.other_expert, title=f"Synthetic example: note {number}")

    six = {name: _queries(client, reverse(name)) for name in ("register:dashboard", "register:trend_notes")}

    assert six == one
    assert one["register:dashboard"] <= 30
