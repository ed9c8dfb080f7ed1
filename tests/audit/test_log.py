"""The append-only, hash-chained event table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from nonpro.core.audit.models import AuditCheckpoint, AuditEvent
from nonpro.core.audit.services import GENESIS_HASH, audit_record, event_content, event_hash
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db


def test_each_event_links_to_the_previous_and_hashes_its_canonical_content(
    some_events: Callable[[int], list[Any]],
) -> None:
    first, *_ = some_events(3)
    stored = list(AuditEvent.objects.filter(seq__gte=first.seq).order_by("seq"))

    assert [event.seq for event in stored] == [first.seq, first.seq + 1, first.seq + 2]
    assert stored[1].prev_hash == stored[0].hash
    assert stored[2].prev_hash == stored[1].hash
    for event in stored:
        assert event.hash == hashlib.sha256(event_content(event)).hexdigest()
    if first.seq == 1:
        assert first.prev_hash == GENESIS_HASH


def test_the_canonical_content_is_sorted_compact_json_with_utc_microseconds(
    some_events: Callable[[int], list[Any]],
) -> None:
    (event,) = some_events(1)
    event.refresh_from_db()

    document = json.loads(event_content(event))

    assert list(document) == sorted(document)
    assert set(document) == {
        "seq", "created_at", "actor_id", "actor_label", "action", "object_type", "object_id", "summary",
        "ip_address", "user_agent", "prev_hash",
    }  # fmt: skip
    assert document["created_at"].endswith("Z")
    assert len(document["created_at"]) == len("2026-01-01T00:00:00.000000Z")
    assert b": " not in event_content(event)
    assert b", " not in event_content(event)


def test_the_stored_event_hashes_the_same_after_a_database_round_trip(make_user: MakeUser) -> None:
    user = make_user("round.trip@example.test", ["learner"])
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0:0:0:0:1", HTTP_USER_AGENT="Agent\x00/1.0")
    request.user = user
    summary: dict[Any, Any] = {
        "when": date(2026, 1, 2),
        "amount": Decimal("1.50"),
        "ratio": 0.1,
        "tags": ("a", "b"),
        3: None,
    }

    event = audit_record(action="test.round_trip", obj=user, summary=summary, request=request)
    stored = AuditEvent.objects.get(pk=event.pk)

    assert stored.ip_address == "2001:db8::1"
    assert stored.actor_id == user.pk
    assert stored.actor_label == "round.trip@example.test"
    assert stored.object_type == "accounts.user"
    assert stored.object_id == str(user.pk)
    assert stored.summary == {"when": "2026-01-02", "amount": "1.50", "ratio": "0.1", "tags": ["a", "b"], "3": None}
    assert event_hash(stored) == stored.hash


def test_an_update_through_the_orm_is_refused_by_the_database(some_events: Callable[[int], list[Any]]) -> None:
    (event,) = some_events(1)

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")

    event.refresh_from_db()
    assert event.action == "test.recorded"


def test_a_delete_through_the_orm_is_refused_by_the_database(some_events: Callable[[int], list[Any]]) -> None:
    (event,) = some_events(1)

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET summary = '{}' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_raw_sql_that_does_not_drop_the_triggers_is_refused_too(
    some_events: Callable[[int], list[Any]], sql: str
) -> None:
    (event,) = some_events(1)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).hash == event.hash


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_is_refused_on_postgresql(some_events: Callable[[int], list[Any]]) -> None:
    some_events(1)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")

    assert AuditEvent.objects.exists()


def test_checkpoints_are_append_only_too(audit_key: Any, some_events: Callable[[int], list[Any]]) -> None:
    from nonpro.core.audit.services import checkpoint_seal

    some_events(1)
    checkpoint = checkpoint_seal()
    assert checkpoint is not None

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(root="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).delete()

    assert AuditCheckpoint.objects.get(pk=checkpoint.pk).root == checkpoint.root


def test_sequence_numbers_are_unique_in_the_database(some_events: Callable[[int], list[Any]]) -> None:
    # Concurrency safety: appends are serialised (an advisory lock on PostgreSQL, IMMEDIATE
    # transactions on SQLite), and a second row with a taken seq cannot exist whatever happens.
    (event,) = some_events(1)

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(
            seq=event.seq, created_at=event.created_at, action="test.duplicate", prev_hash=event.hash, hash="f" * 64
        )

    assert AuditEvent.objects.filter(seq=event.seq).count() == 1


def test_an_event_is_rolled_back_with_the_change_it_records(some_events: Callable[[int], list[Any]]) -> None:
    (before,) = some_events(1)

    def change_that_fails() -> None:
        with transaction.atomic():
            audit_record(action="test.doomed")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()

    assert not AuditEvent.objects.filter(action="test.doomed").exists()
    (after,) = some_events(1)
    assert after.seq == before.seq + 1
    assert after.prev_hash == before.hash


def test_deleting_a_person_leaves_their_events_untouched(make_user: MakeUser) -> None:
    user = make_user("leaver@example.test", ["learner"])
    event = audit_record(action="test.acted", actor=user)

    user.delete()

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == event.actor_id
    assert stored.actor_label == "leaver@example.test"
    assert event_hash(stored) == stored.hash
