"""The register's JSON API: who sees which entries and fields, filters, pagination, ETag, the OpenAPI schema.

All texts are synthetic and policy-level ("Synthetic example: …"); markers are made-up words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from nonpro.accounts.tokens import token_create
from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.models import Entry
from nonpro.register.selectors import entry_for
from tests.conftest import ROLE_PERSONAS, MakeUser
from tests.experts.openapi_check import assert_matches_openapi
from tests.register.conftest import SCORES, People

BASE = "/api/v1/register/entries"
REASON = "Synthetic example: a policy-level reason."
SECRET = "Zorblax"  # a made-up word placed only in COMMITTEE parts
PUBLIC_FIELDS = {
    "rsd_id",
    "status",
    "serial",
    "original_language",
    "published_at",
    "modified_at",
    "withdrawn_at",
    "withdrawal_reason",
    "rejection_reason",
    "title",
    "title_translations",
    "translation_status",
    "summary",
    "summary_translations",
    "tiers",
}

Published = Callable[..., Entry]


def _token(user: Any, scopes: tuple[str, ...] = ("read",)) -> str:
    return token_create(user=user, name="test", scopes=list(scopes), expires_in_days=1).raw


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return document


@pytest.fixture
def call(client: Client, openapi: dict[str, Any]) -> Callable[..., Any]:
    """GET a register API path (optionally with a token); check the status and the body against OpenAPI."""

    def get(
        path: str, token: str | None = None, *, status: int = 200, schema_path: str | None = None, **headers: str
    ) -> Any:
        if token:
            headers["authorization"] = f"Bearer {token}"
        response = client.get(path, headers=headers)
        assert response.status_code == status, response.content
        if status != 304:
            assert_matches_openapi(
                openapi, schema_path or path.split("?", maxsplit=1)[0], "get", status, response.json()
            )
        return response

    return get


def _secret_entries(published: Published, under_review: Callable[..., Entry]) -> tuple[Entry, Entry]:
    """A published entry with the secret word in its COMMITTEE parts, and an unpublished one titled with it."""
    shown = published(
        details=f"Synthetic example: {SECRET} committee notes on the controls that apply.",
        concern_scores=SCORES,
        domains=["chemical"],
    )
    hidden = under_review(title=f"Synthetic example: {SECRET} unpublished development")
    return shown, hidden


def test_anonymous_callers_get_published_entries_with_public_fields_only(
    published: Published, under_review: Callable[..., Entry], people: People, call: Callable[..., Any]
) -> None:
    shown, hidden = _secret_entries(published, under_review)

    listing = call(BASE)
    body = listing.json()
    assert body["count"] == 1
    assert [item["rsd_id"] for item in body["items"]] == [shown.rsd_id]
    assert set(body["items"][0]) <= PUBLIC_FIELDS
    assert body["items"][0]["tiers"] == {}
    assert "details" not in body["items"][0]
    assert "concern_level" not in body["items"][0]
    detail = call(f"{BASE}/{shown.rsd_id}", schema_path=f"{BASE}/{{rsd_id}}")
    assert set(detail.json()) <= PUBLIC_FIELDS
    history = call(f"{BASE}/{shown.rsd_id}/history", schema_path=f"{BASE}/{{rsd_id}}/history")
    assert history.json()["items"]
    for response in (listing, detail, history):
        assert SECRET.encode() not in response.content
        assert hidden.rsd_id.encode() not in response.content
        assert "no-store" in response["Cache-Control"]


def test_an_analyst_token_gets_every_entry_and_every_field_with_tiers(
    published: Published, under_review: Callable[..., Entry], people: People, call: Callable[..., Any]
) -> None:
    shown, hidden = _secret_entries(published, under_review)
    token = _token(people.analyst)

    body = call(BASE, token).json()
    assert body["count"] == 2
    assert {item["rsd_id"] for item in body["items"]} == {shown.rsd_id, hidden.rsd_id}
    detail = call(f"{BASE}/{shown.rsd_id}", token, schema_path=f"{BASE}/{{rsd_id}}").json()
    expected = entry_for(people.viewer("analyst"), shown.rsd_id)
    assert expected is not None
    assert set(detail) == set(expected)
    assert SECRET in detail["details"]
    assert detail["concern_level"] in {"low", "moderate", "high", "critical"}
    assert detail["tiers"]["details"] == "committee"
    assert detail["tiers"]["assessment"] == "committee"
    assert "title" not in detail["tiers"]
    unpublished = call(f"{BASE}/{hidden.rsd_id}", token, schema_path=f"{BASE}/{{rsd_id}}").json()
    assert unpublished["tiers"]["record"] == "committee"


def test_an_unpublished_or_missing_entry_is_the_same_404_for_those_who_may_not_see_it(
    under_review: Callable[..., Entry], people: People, call: Callable[..., Any]
) -> None:
    hidden = under_review()
    learner = _token(people.learner)

    missing = call(f"{BASE}/RSD-2000-99999", status=404, schema_path=f"{BASE}/{{rsd_id}}").json()
    assert call(f"{BASE}/{hidden.rsd_id}", status=404, schema_path=f"{BASE}/{{rsd_id}}").json() == missing
    assert call(f"{BASE}/{hidden.rsd_id}", learner, status=404, schema_path=f"{BASE}/{{rsd_id}}").json() == missing
    history_path = f"{BASE}/{{rsd_id}}/history"
    assert call(f"{BASE}/{hidden.rsd_id}/history", status=404, schema_path=history_path).json() == missing
    call(f"{BASE}/{hidden.rsd_id}", _token(people.reviewer), schema_path=f"{BASE}/{{rsd_id}}")  # assigned


def test_tokens_and_sessions(published: Published, under_review: Callable[..., Entry], people: People) -> None:
    published()
    under_review()
    client = Client()
    client.force_login(people.analyst)
    assert client.get(BASE).json()["count"] == 1  # a session cookie does not authenticate the API
    bad = client.get(BASE, headers={"authorization": "Bearer npro_not-a-token"})
    assert bad.status_code == 401
    write_only = client.get(BASE, headers={"authorization": f"Bearer {_token(people.analyst, ('write',))}"})
    assert write_only.status_code == 403


def test_pagination_gives_next_and_previous_links(published: Published, call: Callable[..., Any]) -> None:
    entries = [published() for _ in range(3)]

    first = call(f"{BASE}?page_size=2").json()
    assert first["count"] == 3
    assert [item["rsd_id"] for item in first["items"]] == [entries[2].rsd_id, entries[1].rsd_id]
    assert first["previous"] is None
    assert first["next"] == f"{BASE}?page_size=2&page=2"
    second = call(first["next"]).json()
    assert [item["rsd_id"] for item in second["items"]] == [entries[0].rsd_id]
    assert second["next"] is None
    assert second["previous"] == f"{BASE}?page_size=2&page=1"
    call(f"{BASE}?page_size=101", status=422)


def test_filters_match_only_parts_the_caller_may_see(
    published: Published, under_review: Callable[..., Entry], people: People, call: Callable[..., Any]
) -> None:
    shown, _hidden = _secret_entries(published, under_review)
    level = Entry.objects.get(pk=shown.pk).concern_level
    analyst = _token(people.analyst)

    # classification and assessment are COMMITTEE: anonymous filters on them match (and count) nothing
    assert call(f"{BASE}?domain=chemical").json()["count"] == 0
    assert call(f"{BASE}?concern_level={level}").json()["count"] == 0
    assert call(f"{BASE}?domain=chemical", analyst).json()["count"] == 2
    assert call(f"{BASE}?concern_level={level}", analyst).json()["count"] == 1
    assert call(f"{BASE}?domain=nuclear", analyst).json()["count"] == 0
    services.entry_set_tier(entry=shown, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
    assert [item["rsd_id"] for item in call(f"{BASE}?domain=chemical").json()["items"]] == [shown.rsd_id]

    assert call(f"{BASE}?status=under_review").json()["count"] == 0
    assert call(f"{BASE}?status=under_review", analyst).json()["count"] == 1
    assert call(f"{BASE}?status=published").json()["count"] == 1
    since = (timezone.now() - timedelta(days=1)).isoformat()
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert call(f"{BASE}?modified_since={since.replace('+', '%2B')}").json()["count"] == 1
    assert call(f"{BASE}?modified_since={later.replace('+', '%2B')}").json()["count"] == 0
    call(f"{BASE}?domain=%22x%22", status=422)


def test_q_never_matches_text_in_a_part_the_caller_may_not_see(
    under_review: Callable[..., Entry], people: People, call: Callable[..., Any]
) -> None:
    entry = under_review(summary=f"Synthetic example: a {SECRET} summary of why this matters for resolution 1540.")
    entry = services.entry_set_tier(entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
    entry = services.entry_publish(entry=entry, by=people.analyst)  # the summary stays COMMITTEE
    analyst = _token(people.analyst)

    assert call(f"{BASE}?q={SECRET.lower()}").json()["count"] == 0
    assert call(f"{BASE}?q=committee").json()["count"] == 0  # a word of the COMMITTEE details
    assert call(f"{BASE}?q={SECRET.lower()}", _token(people.learner)).json()["count"] == 0
    assert [item["rsd_id"] for item in call(f"{BASE}?q={SECRET.lower()}", analyst).json()["items"]] == [entry.rsd_id]
    assert [item["rsd_id"] for item in call(f"{BASE}?q=ENABLING").json()["items"]] == [entry.rsd_id]  # public title


def test_etag_differs_per_viewer_and_if_none_match_gives_304(
    published: Published, people: People, call: Callable[..., Any]
) -> None:
    entry = published()
    analyst = _token(people.analyst)
    path = f"{BASE}/{entry.rsd_id}"

    for suffix, schema in (("", f"{BASE}/{{rsd_id}}"), ("/history", f"{BASE}/{{rsd_id}}/history")):
        anonymous = call(path + suffix, schema_path=schema)
        committee = call(path + suffix, analyst, schema_path=schema)
        assert anonymous["ETag"]
        assert anonymous["ETag"] != committee["ETag"]
        again = call(path + suffix, status=304, If_None_Match=anonymous["ETag"])
        assert again.content == b""
        assert again["ETag"] == anonymous["ETag"]
        assert "no-store" in again["Cache-Control"]
        call(path + suffix, analyst, status=304, If_None_Match=f'W/{committee["ETag"]}, "other"')
        call(path + suffix, analyst, schema_path=schema, If_None_Match=anonymous["ETag"])  # not this viewer's
    services.entry_set_tier(entry=entry, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
    changed = call(path, schema_path=f"{BASE}/{{rsd_id}}", If_None_Match=anonymous["ETag"])
    assert "domains" in changed.json()


def test_restricted_content_shown_through_the_api_is_audited(
    published: Published, people: People, call: Callable[..., Any]
) -> None:
    entry = services.entry_set_tier(
        entry=published(), field="assessment", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=entry, user=people.learner, reason="Synthetic example: need to know.",
        expires_at=timezone.now() + timedelta(days=3), granted_by=people.analyst,
    )  # fmt: skip
    views = AuditEvent.objects.filter(action="restricted.viewed")

    analyst = call(f"{BASE}/{entry.rsd_id}", _token(people.analyst), schema_path=f"{BASE}/{{rsd_id}}").json()
    assert "concern_rationale" not in analyst
    assert not views.exists()
    learner = call(f"{BASE}/{entry.rsd_id}", _token(people.learner), schema_path=f"{BASE}/{{rsd_id}}").json()
    assert learner["tiers"]["assessment"] == "restricted"
    assert list(views.values_list("actor_id", flat=True)) == [people.learner.pk]


def test_the_openapi_document_describes_the_register_operations(openapi: dict[str, Any]) -> None:
    for path in (BASE, f"{BASE}/{{rsd_id}}", f"{BASE}/{{rsd_id}}/history"):
        operation = openapi["paths"][path]["get"]
        assert {"200", "401", "403"} <= set(operation["responses"])
        assert {} in operation["security"]  # a token is optional
    entry = openapi["components"]["schemas"]["EntryOut"]
    assert "required" not in entry  # every field may be absent
    assert {"details", "concern_level", "tiers", "pending"} <= set(entry["properties"])


#: Status per persona (each with a `read` token; anonymous without one) for: the list, a published
#: entry and its history, an entry under review (created by someone else, reviewed by others).
PERSONA_STATUS = {
    "anonymous": (200, 200, 404),
    "learner": (200, 200, 404),
    "official_a": (200, 200, 404),
    "official_b": (200, 200, 404),
    "expert": (200, 200, 404),
    "reviewer": (200, 200, 404),
    "analyst": (200, 200, 200),
    "administrator": (200, 200, 404),
}


@pytest.mark.parametrize("persona", sorted(PERSONA_STATUS))
def test_each_persona_with_a_read_token(
    persona: str,
    published: Published,
    under_review: Callable[..., Entry],
    make_user: MakeUser,
    call: Callable[..., Any],
) -> None:
    shown, hidden = _secret_entries(published, under_review)
    token = None
    if persona != "anonymous":
        roles, country = ROLE_PERSONAS[persona]
        token = _token(make_user(f"{persona}.persona@example.test", roles, country=country))
    listing, public, unpublished = PERSONA_STATUS[persona]

    body = call(BASE, token, status=listing).json()
    assert body["count"] == (2 if unpublished == 200 else 1)
    call(f"{BASE}/{shown.rsd_id}", token, status=public, schema_path=f"{BASE}/{{rsd_id}}")
    call(f"{BASE}/{shown.rsd_id}/history", token, status=public, schema_path=f"{BASE}/{{rsd_id}}/history")
    call(f"{BASE}/{hidden.rsd_id}", token, status=unpublished, schema_path=f"{BASE}/{{rsd_id}}")
    call(f"{BASE}/{hidden.rsd_id}/history", token, status=unpublished, schema_path=f"{BASE}/{{rsd_id}}/history")
    call(f"{BASE}/RSD-2000-99999", token, status=404, schema_path=f"{BASE}/{{rsd_id}}")
