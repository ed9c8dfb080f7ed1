"""`nonpro audit verify`: an intact log passes; an edited, deleted or inserted event is named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from nonpro.cli import main
from nonpro.core.audit import triggers
from nonpro.core.audit.keys import KeyInfo, public_keys_load
from nonpro.core.audit.models import AuditEvent
from nonpro.core.audit.services import canonical_content, checkpoint_seal
from nonpro.core.audit.verify import Problem, Report, audit_verify

pytestmark = pytest.mark.django_db

Events = Callable[[int], list[Any]]
Tamper = Callable[..., None]


def verify(**options: Any) -> Report:
    """Run the function behind `nonpro audit verify` with the keys it would use by default."""
    return audit_verify(keys=public_keys_load(), **options)


def forged_hash(seq: int, event: AuditEvent, **changes: Any) -> str:
    fields = {
        "seq": seq,
        "created_at": event.created_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "prev_hash": event.prev_hash,
    } | changes
    return hashlib.sha256(canonical_content(**fields)).hexdigest()


def shift_seqs(tamper: Tamper, *, from_seq: int, by: int) -> None:
    """Renumber the events from ``from_seq`` on by ``by`` (through a detour, so unique checks pass)."""
    tamper("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq >= %s", [from_seq])
    tamper("UPDATE audit_auditevent SET seq = seq - 1000000 + %s WHERE seq >= 1000000", [by])


def test_an_intact_log_verifies_and_the_command_exits_0(
    audit_key: KeyInfo, some_events: Events, capsys: pytest.CaptureFixture[str]
) -> None:
    events = some_events(5)
    checkpoint_seal()
    some_events(2)

    report = verify()

    assert report.intact, report.lines()
    assert report.events == report.last_seq == events[-1].seq + 2
    assert report.checkpoints == 1
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"Audit log intact: {report.events} events" in out
    assert "1 signed checkpoint verified; the newest covers" in out


def test_an_empty_log_verifies(key_file: Path) -> None:
    report = audit_verify(keys={})

    assert report.intact
    assert report.events == 0
    assert "No checkpoint yet" in "\n".join(report.lines())


def test_an_edited_event_is_named_and_the_command_exits_1(
    audit_key: KeyInfo, some_events: Events, tamper: Tamper, capsys: pytest.CaptureFixture[str]
) -> None:
    events = some_events(5)
    target = events[2]
    tamper("UPDATE audit_auditevent SET summary = %s WHERE seq = %s", ['{"n": 99}', target.seq])

    report = verify()

    assert not report.intact
    assert report.first_bad_event is not None
    assert report.first_bad_event.seq == target.seq
    assert report.first_bad_event.problem == Problem.EDITED
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "AUDIT LOG NOT INTACT." in out
    assert f"First bad event: event #{target.seq}: content edited" in out


def test_an_edited_and_rehashed_event_breaks_the_chain_at_that_event(some_events: Events, tamper: Tamper) -> None:
    events = some_events(5)
    target = AuditEvent.objects.get(pk=events[1].pk)
    new_hash = forged_hash(target.seq, target, summary={"n": 99})
    tamper("UPDATE audit_auditevent SET summary = %s, hash = %s WHERE seq = %s", ['{"n": 99}', new_hash, target.seq])

    report = audit_verify(keys={})

    assert report.first_bad_event is not None
    assert report.first_bad_event.seq == target.seq
    assert report.first_bad_event.problem == Problem.CHAIN_BROKEN


def test_a_deleted_event_is_named(some_events: Events, tamper: Tamper) -> None:
    events = some_events(5)
    target = events[2]
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [target.seq])

    report = audit_verify(keys={})

    assert report.first_bad_event is not None
    assert report.first_bad_event.seq == target.seq
    assert report.first_bad_event.problem == Problem.MISSING


def test_a_deleted_event_is_named_even_when_the_later_ones_are_renumbered(some_events: Events, tamper: Tamper) -> None:
    events = some_events(5)
    target = events[1]
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [target.seq])
    shift_seqs(tamper, from_seq=target.seq + 1, by=-1)

    report = audit_verify(keys={})

    assert report.first_bad_event is not None
    assert report.first_bad_event.seq == target.seq
    assert report.first_bad_event.problem == Problem.MISSING


def test_an_inserted_event_is_named(some_events: Events, tamper: Tamper) -> None:
    events = some_events(5)
    before = AuditEvent.objects.get(pk=events[1].pk)
    position = before.seq + 1
    shift_seqs(tamper, from_seq=position, by=1)
    # A well-formed forgery: it links to its predecessor and its own hash is right.
    forged = AuditEvent(
        seq=position, created_at=before.created_at, action="test.forged", object_type="tests.thing", object_id="x",
        summary={}, ip_address=None, user_agent="", actor_label="", prev_hash=before.hash,
    )  # fmt: skip
    forged_digest = forged_hash(position, forged)
    tamper(
        "INSERT INTO audit_auditevent (seq, created_at, actor_label, action, object_type, object_id, summary, "
        "ip_address, user_agent, prev_hash, hash) VALUES (%s, %s, '', 'test.forged', 'tests.thing', 'x', '{}', "
        "NULL, '', %s, %s)",
        [position, before.created_at, before.hash, forged_digest],
    )

    report = audit_verify(keys={})

    assert report.first_bad_event is not None
    assert report.first_bad_event.seq == position
    assert report.first_bad_event.problem == Problem.INSERTED


def test_a_chain_forged_from_end_to_end_is_caught_by_the_signed_checkpoint(
    audit_key: KeyInfo, some_events: Events, tamper: Tamper
) -> None:
    events = some_events(4)
    checkpoint_seal()
    # Rewrite an event and re-hash it and every later one: the chain alone now looks intact.
    target_seq = events[1].seq
    prev_hash: str | None = None
    for event in AuditEvent.objects.filter(seq__gte=target_seq).order_by("seq"):
        summary = {"n": 99} if event.seq == target_seq else event.summary
        link = prev_hash or event.prev_hash
        new_hash = forged_hash(event.seq, event, summary=summary, prev_hash=link)
        tamper(
            "UPDATE audit_auditevent SET summary = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            ['{"n": 99}' if event.seq == target_seq else json.dumps(event.summary), link, new_hash, event.seq],
        )
        prev_hash = new_hash

    report = verify()

    assert report.first_bad_event is None
    assert not report.intact
    (finding,) = report.findings
    assert finding.problem == Problem.CHECKPOINT
    assert "Merkle root differs" in finding.message


def test_events_deleted_from_the_end_are_caught_by_the_checkpoint(
    audit_key: KeyInfo, some_events: Events, tamper: Tamper, capsys: pytest.CaptureFixture[str]
) -> None:
    events = some_events(4)
    checkpoint_seal()
    tamper("DELETE FROM audit_auditevent WHERE seq >= %s", [events[-2].seq])

    report = verify()

    assert not report.intact
    assert report.first_bad_event is None
    assert any(
        finding.problem == Problem.CHECKPOINT and "not in the log" in finding.message for finding in report.findings
    )
    assert main(["audit", "verify"]) == 1
    assert "checkpoint does not match" in capsys.readouterr().out


def test_a_published_note_catches_a_checkpoint_deleted_with_the_events_it_sealed(
    audit_key: KeyInfo, some_events: Events, tamper: Tamper, tmp_path: Path
) -> None:
    events = some_events(3)
    checkpoint = checkpoint_seal()
    assert checkpoint is not None
    published = tmp_path / "published-note.txt"
    published.write_text(checkpoint.note, encoding="utf-8")
    assert verify(note_paths=[published]).intact

    tamper("DELETE FROM audit_auditcheckpoint")
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [events[-1].seq])

    report = verify(note_paths=[published])
    assert any(str(published) in finding.message for finding in report.findings)
    assert main(["audit", "verify", "--note", str(published)]) == 1


def test_dropped_triggers_are_reported(some_events: Events) -> None:
    some_events(1)
    with connection.cursor() as cursor:
        for statement in triggers.drop_statements(connection.vendor):
            cursor.execute(statement)

    report = audit_verify(keys={})

    assert not report.intact
    assert report.findings[-1].problem == Problem.PROTECTION


def test_verify_with_an_unreadable_public_key_exits_2(
    key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.pub"

    assert main(["audit", "verify", "--public-key", str(missing)]) == 2
    assert f"Cannot read the public key {missing}" in capsys.readouterr().err
