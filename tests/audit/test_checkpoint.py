"""Signed checkpoints: the note, its Ed25519 signature, the key files and periodic sealing."""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nonpro.cli import main
from nonpro.core.audit.keys import KeyInfo, keygen, public_keys_load
from nonpro.core.audit.models import AuditCheckpoint, AuditEvent
from nonpro.core.audit.notes import NoteError, note_parse, note_verify
from nonpro.core.audit.services import AuditIntegrityError, checkpoint_seal, event_content
from nonpro.core.audit.tasks import audit_checkpoint
from nonpro.core.audit.verify import Problem, audit_verify

pytestmark = pytest.mark.django_db

Events = Callable[[int], list[Any]]


def sealed(checkpoint: AuditCheckpoint | None) -> AuditCheckpoint:
    assert checkpoint is not None
    return checkpoint


def rfc6962_root(entries: list[bytes]) -> bytes:
    """An independent Merkle tree hash, as an outside verifier would write it."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962_root(entries[:k]) + rfc6962_root(entries[k:])).digest()


def test_the_note_is_signed_text_that_an_outside_verifier_can_check(audit_key: KeyInfo, some_events: Events) -> None:
    some_events(3)
    checkpoint = sealed(checkpoint_seal())
    lines = checkpoint.note.split("\n")
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None

    assert lines[0] == "Nonpro audit log checkpoint"
    assert lines[1] == "origin: audit.test.nonpro"
    assert lines[2] == f"events: {last.seq}"
    assert lines[3] == f"last: {last.seq}"
    assert lines[4] == f"root: {checkpoint.root}"
    assert lines[5] == f"time: {checkpoint.created_at:%Y-%m-%dT%H:%M:%SZ}"
    assert lines[6] == ""
    dash, key_id, signature = lines[7].split(" ")
    assert (dash, key_id, lines[8:]) == ("\u2014", audit_key.key_id, [""])
    # Verify with nothing but the published public key file and the cryptography package.
    public_key = serialization.load_pem_public_key(audit_key.public_path.read_bytes())
    assert isinstance(public_key, Ed25519PublicKey)
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert hashlib.sha256(raw).hexdigest()[:16] == key_id
    body = "\n".join(lines[:6]) + "\n"
    public_key.verify(base64.b64decode(signature), body.encode("utf-8"))
    # And the root is the RFC 6962 hash over the canonical content of events 1..last.
    contents = [event_content(event) for event in AuditEvent.objects.order_by("seq")]
    assert rfc6962_root(contents).hex() == checkpoint.root
    assert (checkpoint.seq, checkpoint.event_count, checkpoint.key_id) == (last.seq, last.seq, audit_key.key_id)


def test_a_forged_note_does_not_verify(audit_key: KeyInfo, some_events: Events) -> None:
    some_events(2)
    checkpoint = sealed(checkpoint_seal())
    keys = public_keys_load()
    forged = checkpoint.note.replace(f"root: {checkpoint.root}", "root: " + "ab" * 32)

    assert note_verify(note_parse(checkpoint.note), keys) == audit_key.key_id
    with pytest.raises(NoteError, match="does not verify"):
        note_verify(note_parse(forged), keys)


def test_a_note_signed_by_another_key_under_our_key_id_does_not_verify(audit_key: KeyInfo, some_events: Events) -> None:
    some_events(1)
    checkpoint = sealed(checkpoint_seal())
    body = checkpoint.note.split("\n\n")[0] + "\n"
    intruder = Ed25519PrivateKey.generate()
    signature = base64.b64encode(intruder.sign(body.encode())).decode()
    forged = f"{body}\n\u2014 {audit_key.key_id} {signature}\n"

    with pytest.raises(NoteError, match="does not verify"):
        note_verify(note_parse(forged), public_keys_load())


def test_a_checkpoint_checked_with_the_wrong_public_key_fails(
    audit_key: KeyInfo, some_events: Events, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    some_events(2)
    sealed(checkpoint_seal())
    other = tmp_path / "other.pub"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )

    report = audit_verify(keys=public_keys_load([other]))

    assert not report.intact
    assert report.findings[0].problem == Problem.CHECKPOINT
    assert "not a trusted key" in report.findings[0].message
    assert main(["audit", "verify", "--public-key", str(other)]) == 1
    assert main(["audit", "verify", "--public-key", str(audit_key.public_path)]) == 0
    capsys.readouterr()


def test_a_forged_checkpoint_row_is_caught_by_verify(audit_key: KeyInfo, some_events: Events, tamper: Any) -> None:
    some_events(2)
    checkpoint = sealed(checkpoint_seal())
    forged_note = checkpoint.note.replace(f"root: {checkpoint.root}", "root: " + "cd" * 32)
    tamper(
        "UPDATE audit_auditcheckpoint SET note = %s, root = %s WHERE id = %s",
        [forged_note, "cd" * 32, checkpoint.pk],
    )

    report = audit_verify(keys=public_keys_load())

    assert report.first_bad_event is None
    assert [finding.problem for finding in report.findings] == [Problem.CHECKPOINT]
    assert "does not verify" in report.findings[0].message


def test_a_public_key_as_base64_is_accepted(audit_key: KeyInfo, some_events: Events, tmp_path: Path) -> None:
    some_events(1)
    sealed(checkpoint_seal())
    key = public_keys_load()[audit_key.key_id]
    raw = tmp_path / "key.b64"
    raw.write_text(
        base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode() + "\n"
    )

    assert audit_verify(keys=public_keys_load([raw])).intact


def test_keygen_writes_a_private_key_only_its_owner_can_read(key_file: Path) -> None:
    info = keygen()

    assert info.private_path == key_file
    assert info.public_path == key_file.with_name("audit-ed25519.pub")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in key_file.read_bytes()
    assert b"PUBLIC KEY" in info.public_path.read_bytes()
    assert len(info.key_id) == 16


def test_keygen_refuses_to_overwrite_without_force(
    audit_key: KeyInfo, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = key_file.read_bytes()

    assert main(["audit", "keygen"]) == 1

    assert "exists" in capsys.readouterr().err
    assert key_file.read_bytes() == before


def test_keygen_force_replaces_the_key_and_old_checkpoints_still_verify(
    audit_key: KeyInfo, key_file: Path, some_events: Events, capsys: pytest.CaptureFixture[str]
) -> None:
    some_events(1)
    sealed(checkpoint_seal())

    assert main(["audit", "keygen", "--force"]) == 0
    new_id = capsys.readouterr().out.split("key id ")[1][:16]
    some_events(1)
    newest = sealed(checkpoint_seal())

    assert new_id != audit_key.key_id
    assert newest.key_id == new_id
    assert key_file.with_name(f"audit-ed25519.{audit_key.key_id}.pub").is_file()
    assert set(public_keys_load()) == {audit_key.key_id, new_id}
    assert audit_verify(keys=public_keys_load()).intact


def test_the_checkpoint_command_prints_the_note(
    audit_key: KeyInfo, some_events: Events, capsys: pytest.CaptureFixture[str]
) -> None:
    some_events(2)

    assert main(["audit", "checkpoint"]) == 0

    newest = AuditCheckpoint.objects.order_by("-id").first()
    assert newest is not None
    assert capsys.readouterr().out == newest.note
    assert main(["audit", "checkpoint", "--if-new"]) == 0
    assert capsys.readouterr().out == "No new events since the last checkpoint.\n"
    assert AuditCheckpoint.objects.count() == 1


def test_the_checkpoint_command_without_a_key_exits_1(
    key_file: Path, some_events: Events, capsys: pytest.CaptureFixture[str]
) -> None:
    some_events(1)

    assert main(["audit", "checkpoint"]) == 1

    assert "nonpro audit keygen" in capsys.readouterr().err
    assert not AuditCheckpoint.objects.exists()


def test_sealing_refuses_a_chain_that_does_not_verify(audit_key: KeyInfo, some_events: Events, tamper: Any) -> None:
    events = some_events(3)
    tamper("UPDATE audit_auditevent SET action = 'test.edited' WHERE seq = %s", [events[1].seq])

    with pytest.raises(AuditIntegrityError):
        checkpoint_seal()

    assert not AuditCheckpoint.objects.exists()


def test_the_periodic_task_seals_only_when_there_is_something_new(audit_key: KeyInfo, some_events: Events) -> None:
    some_events(2)

    first = audit_checkpoint.call()
    again = audit_checkpoint.call()
    some_events(1)
    later = audit_checkpoint.call()

    assert first is not None
    assert again is None
    assert later is not None
    assert later["events"] == int(first["events"]) + 1
    assert AuditCheckpoint.objects.count() == 2


def test_the_demo_preparation_makes_a_key_and_one_checkpoint_and_is_idempotent(
    key_file: Path, some_events: Events
) -> None:
    from nonpro.core.audit.services import audit_demo_prepare

    some_events(2)

    line = audit_demo_prepare()
    audit_demo_prepare()

    assert key_file.is_file()
    assert "Audit log: signing key" in line
    assert AuditCheckpoint.objects.count() == 1


def test_a_malformed_note_is_refused() -> None:
    with pytest.raises(NoteError):
        note_parse("Nonpro audit log checkpoint\norigin: x\n")
    with pytest.raises(NoteError):
        note_parse("not a note\n\n\u2014 0123456789abcdef AAAA\n")


def test_verifying_a_signature_directly_with_cryptography_rejects_a_changed_body(audit_key: KeyInfo) -> None:
    checkpoint = sealed(checkpoint_seal())
    note = note_parse(checkpoint.note)
    key = public_keys_load()[audit_key.key_id]
    _, signature = note.signatures[0]

    with pytest.raises(InvalidSignature):
        key.verify(signature, note.signed_text.replace("events: ", "events: 1").encode())
