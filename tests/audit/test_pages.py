"""The administrators' audit pages: list, filters, detail, CSV export — and nobody else gets in."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from nonpro.core.audit.models import AuditEvent
from nonpro.core.audit.services import audit_record
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db

PersonaClient = Callable[[str], Client]
LIST = "/en/audit/"
EXPORT = "/en/audit/export.csv"


@pytest.fixture
def admin(persona_client: PersonaClient) -> Client:
    return persona_client("administrator")


@pytest.fixture
def recorded(make_user: MakeUser) -> dict[str, Any]:
    """A few events by two people on two kinds of object."""
    alice = make_user("alice@example.test", ["learner"])
    bob = make_user("bob@example.test", ["learner"])
    return {
        "alice": alice,
        "bob": bob,
        "a1": audit_record(action="register.entry_created", actor=alice, object_type="register.entry", object_id=7,
                           summary={"title": "Policy note"}),
        "a2": audit_record(action="register.entry_updated", actor=alice, object_type="register.entry", object_id=7),
        "b1": audit_record(action="matrices.matrix_commented", actor=bob, object_type="matrices.matrix",
                           object_id=3, summary={"cell": "OP2"}),
    }  # fmt: skip


def no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def rows(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_administrator_sees_the_newest_events_first(admin: Client, recorded: dict[str, Any]) -> None:
    response = admin.get(LIST)

    assert response.status_code == 200
    assert no_store(response)
    page = list(response.context["page"].object_list)
    assert page == sorted(page, key=lambda event: -event.seq)
    assert page[0].seq == AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    content = response.content.decode()
    assert f'href="/en/audit/{recorded["b1"].seq}/"' in content
    assert "matrices.matrix_commented" in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "alice@"}, {"a1", "a2"}),
        ({"action": "register"}, {"a1", "a2"}),
        ({"action": "register.entry_updated"}, {"a2"}),
        ({"object_type": "matrices.matrix"}, {"b1"}),
        ({"object_type": "register.entry", "object_id": "7"}, {"a1", "a2"}),
        ({"actor": "bob@", "action": "register"}, set()),
    ],
)
def test_the_filters_narrow_the_list(
    admin: Client, recorded: dict[str, Any], query: dict[str, str], expected: set[str]
) -> None:
    response = admin.get(LIST, query)

    assert response.status_code == 200
    shown = {event.seq for event in response.context["page"].object_list}
    assert shown == {recorded[name].seq for name in expected}


def test_the_date_filter_is_inclusive_and_in_utc(admin: Client, recorded: dict[str, Any]) -> None:
    day = recorded["a1"].created_at.date().isoformat()

    same_day = admin.get(LIST, {"date_from": day, "date_to": day})
    before = admin.get(LIST, {"date_to": "2000-01-01"})

    assert recorded["a1"].seq in {event.seq for event in same_day.context["page"].object_list}
    assert list(before.context["page"].object_list) == []


def test_a_reversed_date_range_is_an_error_that_shows_nothing(admin: Client, recorded: dict[str, Any]) -> None:
    response = admin.get(LIST, {"date_from": "2030-01-02", "date_to": "2030-01-01"})

    assert response.status_code == 400
    assert "The start date must not be after the end date." in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_the_list_is_paginated_by_50_and_keeps_the_filter(admin: Client, db: None) -> None:
    for i in range(60):
        audit_record(action="test.bulk", object_type="tests.thing", object_id=i)

    first = admin.get(LIST, {"action": "test.bulk"})
    second = admin.get(LIST, {"action": "test.bulk", "page": "2"})

    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 10
    assert "?action=test.bulk&amp;page=2" in first.content.decode()


def test_the_list_page_costs_a_fixed_number_of_queries(admin: Client, recorded: dict[str, Any]) -> None:
    admin.get(LIST)
    with CaptureQueriesContext(connection) as few:
        admin.get(LIST)
    for i in range(30):
        audit_record(action="test.more", object_id=i)
    with CaptureQueriesContext(connection) as many:
        admin.get(LIST)

    assert len(many) == len(few)


def test_the_detail_page_shows_fields_summary_and_hashes(admin: Client, recorded: dict[str, Any]) -> None:
    event = AuditEvent.objects.get(pk=recorded["b1"].pk)

    response = admin.get(f"/en/audit/{event.seq}/")

    assert response.status_code == 200
    assert no_store(response)
    content = response.content.decode()
    for text in ("bob@example.test", "matrices.matrix_commented", "matrices.matrix", event.hash, event.prev_hash):
        assert text in content
    assert "&quot;cell&quot;: &quot;OP2&quot;" in content
    assert response.context["hash_matches"] is True


def test_an_unknown_event_is_404(admin: Client, db: None) -> None:
    assert admin.get("/en/audit/999999/").status_code == 404


def test_the_export_is_a_csv_of_the_filtered_events_and_is_itself_audited(
    admin: Client, recorded: dict[str, Any]
) -> None:
    response = admin.get(EXPORT, {"actor": "alice@"})

    assert response.status_code == 200
    assert no_store(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="nonpro-audit-')
    exported = rows(response)
    assert list(exported[0]) == [
        "seq", "created_at", "actor", "action", "object_type", "object_id", "summary", "ip", "user_agent",
        "prev_hash", "hash",
    ]  # fmt: skip
    assert [row["seq"] for row in exported] == [str(recorded["a1"].seq), str(recorded["a2"].seq)]
    first = exported[0]
    stored = AuditEvent.objects.get(pk=recorded["a1"].pk)
    assert first["actor"] == "alice@example.test"
    assert first["action"] == "register.entry_created"
    assert (first["object_type"], first["object_id"]) == ("register.entry", "7")
    assert json.loads(first["summary"]) == {"title": "Policy note"}
    assert (first["prev_hash"], first["hash"]) == (stored.prev_hash, stored.hash)
    assert first["created_at"].endswith("Z")
    export_event = AuditEvent.objects.get(action="audit.exported")
    assert export_event.actor_label == "administrator@example.test"
    assert export_event.summary["filter"] == {"actor": "alice@"}
    assert export_event.summary["rows"] == 2
    assert export_event.summary["up_to_seq"] == export_event.seq - 1


def test_the_export_defuses_cells_that_a_spreadsheet_would_run(admin: Client, db: None) -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT="=HYPERLINK(1)")
    request.user = AnonymousUser()
    audit_record(action="test.agent", request=request)

    (row,) = rows(admin.get(EXPORT, {"action": "test.agent"}))

    assert row["user_agent"] == "'=HYPERLINK(1)"


def test_an_invalid_export_filter_exports_nothing_and_records_nothing(admin: Client, db: None) -> None:
    response = admin.get(EXPORT, {"date_from": "not a date"})

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize("persona", ["learner", "official_a", "official_b", "expert", "reviewer", "analyst"])
@pytest.mark.parametrize("url", [LIST, "/en/audit/1/", EXPORT])
def test_every_other_persona_is_refused(persona_client: PersonaClient, persona: str, url: str) -> None:
    client = persona_client(persona)
    audit_record(action="test.secret")

    response = client.get(url)

    assert response.status_code == 403
    assert b"test.secret" not in response.content
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize("url", [LIST, "/en/audit/1/", EXPORT])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, url: str, db: None) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=")
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_an_administrator_without_mfa_is_sent_to_set_it_up(make_user: MakeUser, url: str) -> None:
    user = make_user("admin.nomfa@example.test", ["administrator"], mfa=False)
    client = Client()
    client.force_login(user)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/2fa/totp/activate/"
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_pages_refuse_other_methods(admin: Client, db: None) -> None:
    assert admin.post(LIST).status_code == 405
    assert admin.post(EXPORT).status_code == 405
