"""Verify the audit log: every hash, every link, sequence continuity, every checkpoint and note.

``audit_verify`` is the function behind ``nonpro audit verify``. It reads the events once, in
sequence order, and reports the FIRST bad event (what is wrong with it) and every checkpoint or
published note that no longer matches the log. A verifier outside the platform can do the same
from docs/audit.md alone.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from nonpro.core.audit import triggers
from nonpro.core.audit.merkle import MerkleAccumulator
from nonpro.core.audit.models import AuditCheckpoint, AuditEvent
from nonpro.core.audit.notes import Note, NoteError, note_parse, note_verify
from nonpro.core.audit.services import GENESIS_HASH, event_content


class Problem(enum.StrEnum):
    EDITED = "content edited"
    MISSING = "event missing (deleted)"
    INSERTED = "event inserted"
    CHAIN_BROKEN = "chain broken"
    CHECKPOINT = "checkpoint does not match"
    PROTECTION = "append-only protection missing"


@dataclass(frozen=True)
class Finding:
    """One thing that is wrong; ``seq`` names the event, ``checkpoint`` the checkpoint (row id)."""

    problem: Problem
    message: str
    seq: int | None = None
    checkpoint: int | None = None

    def __str__(self) -> str:
        if self.seq is not None:
            return f"event #{self.seq}: {self.problem} — {self.message}"
        return f"{self.problem}: {self.message}"


@dataclass
class Report:
    """The outcome of one verification."""

    events: int = 0
    last_seq: int = 0
    checkpoints: int = 0
    notes: int = 0
    newest_checkpoint: str = ""
    sealed_up_to: int = 0
    first_bad_event: Finding | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    def lines(self) -> list[str]:
        """Return the human summary printed by the command."""
        if self.intact:
            lines = [
                f"Audit log intact: {self.events} events (#1..#{self.last_seq}), every hash and link verified.",
            ]
            if self.checkpoints:
                plural = "s" if self.checkpoints != 1 else ""
                lines.append(f"{self.checkpoints} signed checkpoint{plural} verified; {self.newest_checkpoint}.")
            else:
                lines.append("No checkpoint yet: seal one with `nonpro audit checkpoint`.")
            if self.notes:
                plural = "s" if self.notes != 1 else ""
                lines.append(f"{self.notes} published note{plural} verified against the log.")
            return lines
        lines = ["AUDIT LOG NOT INTACT."]
        if self.first_bad_event is not None:
            lines.append(f"First bad event: {self.first_bad_event}")
        lines.extend(str(finding) for finding in self.findings if finding is not self.first_bad_event)
        return lines


@dataclass
class _Seal:
    """A checkpoint or note whose root is recomputed during the pass over the events."""

    label: str
    checkpoint: int | None
    note: Note


@dataclass
class _Chain:
    """Walk the events in sequence order, remembering what the classification needs."""

    report: Report
    expected_seq: int = 1
    prev_hash: str = GENESIS_HASH
    prev_prev_hash: str | None = None
    prev_seq: int = 0

    def first(self, finding: Finding) -> None:
        if self.report.first_bad_event is None:
            self.report.first_bad_event = finding
            self.report.findings.insert(0, finding)

    def check(self, event: AuditEvent, content: bytes) -> None:
        if self.report.first_bad_event is None:
            self._classify(event, content)
        self.prev_prev_hash, self.prev_hash, self.prev_seq = self.prev_hash, event.hash, event.seq
        self.expected_seq = event.seq + 1

    def _classify(self, event: AuditEvent, content: bytes) -> None:
        seq = event.seq
        if seq > self.expected_seq:
            gap = f"#{self.expected_seq}" if seq == self.expected_seq + 1 else f"#{self.expected_seq}..#{seq - 1}"
            self.first(
                Finding(
                    Problem.MISSING,
                    f"event {gap} is not in the log; the next present is #{seq}.",
                    seq=self.expected_seq,
                )
            )
            return
        if seq < self.expected_seq:
            self.first(Finding(Problem.INSERTED, "sequence numbers start at 1; this event precedes them.", seq=seq))
            return
        if hashlib.sha256(content).hexdigest() != event.hash:
            if _hash_with_seq(event, seq - 1) == event.hash and event.prev_hash == self.prev_prev_hash:
                message = f"it is not in the original chain: the next event is the original #{seq - 1}, renumbered."
                self.first(Finding(Problem.INSERTED, message, seq=self.prev_seq))
            elif _hash_with_seq(event, seq + 1) == event.hash:
                message = (
                    f"the original #{seq} was deleted and later events renumbered (this is the original #{seq + 1})."
                )
                self.first(Finding(Problem.MISSING, message, seq=seq))
            else:
                self.first(Finding(Problem.EDITED, "its stored hash does not match its content.", seq=seq))
            return
        if event.prev_hash == self.prev_hash:
            return
        if self.prev_seq == 0:
            self.first(Finding(Problem.CHAIN_BROKEN, "the first event does not start from the genesis hash.", seq=seq))
        elif self.prev_prev_hash is not None and event.prev_hash == self.prev_prev_hash:
            message = f"the next event (#{seq}) links to #{self.prev_seq - 1}, skipping this one."
            self.first(Finding(Problem.INSERTED, message, seq=self.prev_seq))
        else:
            message = (
                f"event #{seq} does not link to this event's hash: this event was edited and re-hashed, "
                f"or the link in #{seq} was edited."
            )
            self.first(Finding(Problem.CHAIN_BROKEN, message, seq=self.prev_seq))


def _hash_with_seq(event: AuditEvent, seq: int) -> str:
    """Return the hash the event would have with another sequence number (to recognise renumbering)."""
    return hashlib.sha256(event_content(event, seq=seq)).hexdigest()


def _seal_check(seal: _Seal, accumulator: MerkleAccumulator, last_present: int, report: Report) -> None:
    """Compare a seal with the root over the events present up to its ``last``."""
    body = seal.note.body
    if last_present < body.last:
        message = f"it covers events up to #{body.last}, but event #{body.last} is not in the log (events deleted)."
    elif accumulator.size != body.events:
        message = f"it counts {body.events} events up to #{body.last}, but the log holds {accumulator.size}."
    elif accumulator.root().hex() != body.root:
        sealed = report.sealed_up_to
        where = f"#{sealed + 1}..#{body.last}" if sealed else f"#1..#{body.last}"
        message = f"the Merkle root differs: events in {where} were altered after sealing."
    else:
        report.sealed_up_to = max(report.sealed_up_to, body.last)
        return
    report.findings.append(Finding(Problem.CHECKPOINT, f"{seal.label}: {message}", checkpoint=seal.checkpoint))


def _checkpoint_seals(keys: dict[str, Ed25519PublicKey], report: Report) -> list[_Seal]:
    """Check each stored checkpoint's note and signature; return the ones whose root is still to be checked."""
    seals: list[_Seal] = []
    for checkpoint in AuditCheckpoint.objects.order_by("seq", "id").iterator():
        report.checkpoints += 1
        label = f"checkpoint over {checkpoint.event_count} events (#{checkpoint.pk})"
        try:
            note = note_parse(checkpoint.note)
            signer = note_verify(note, keys)
        except NoteError as error:
            report.findings.append(Finding(Problem.CHECKPOINT, f"{label}: {error}", checkpoint=checkpoint.pk))
            continue
        body = note.body
        stored = (checkpoint.seq, checkpoint.event_count, checkpoint.root, checkpoint.key_id)
        if stored != (body.last, body.events, body.root, signer):
            report.findings.append(
                Finding(
                    Problem.CHECKPOINT, f"{label}: its columns differ from its signed note.", checkpoint=checkpoint.pk
                )
            )
        report.newest_checkpoint = (
            f"the newest covers {body.events} events up to #{body.last} (root {body.root[:16]}…, key {signer})"
        )
        seals.append(_Seal(label=label, checkpoint=checkpoint.pk, note=note))
    return seals


def _note_seals(note_paths: list[Path], keys: dict[str, Ed25519PublicKey], report: Report) -> list[_Seal]:
    seals: list[_Seal] = []
    for path in note_paths:
        label = f"note {path}"
        try:
            note = note_parse(path.read_text(encoding="utf-8"))
            note_verify(note, keys)
        except (OSError, UnicodeDecodeError, NoteError) as error:
            report.findings.append(Finding(Problem.CHECKPOINT, f"{label}: {error}"))
            continue
        report.notes += 1
        seals.append(_Seal(label=label, checkpoint=None, note=note))
    return seals


def audit_verify(*, keys: dict[str, Ed25519PublicKey], note_paths: list[Path] | None = None) -> Report:
    """Verify the whole log with the trusted public ``keys`` (by key id) and any published notes."""
    report = Report()
    seals = _checkpoint_seals(keys, report) + _note_seals(note_paths or [], keys, report)
    pending = sorted(seals, key=lambda seal: seal.note.body.last)
    chain = _Chain(report)
    accumulator = MerkleAccumulator()
    fields = [field.attname for field in AuditEvent._meta.concrete_fields]
    for event in AuditEvent.objects.order_by("seq").only(*fields).iterator(chunk_size=2000):
        # A seal covering up to ``last`` is due once the walk passes ``last``.
        while pending and pending[0].note.body.last < event.seq:
            _seal_check(pending.pop(0), accumulator, chain.prev_seq, report)
        content = event_content(event)
        chain.check(event, content)
        accumulator.append(content)
        report.events += 1
        report.last_seq = event.seq
    for seal in pending:
        _seal_check(seal, accumulator, chain.prev_seq, report)
    missing = triggers.missing(connection)
    if missing:
        report.findings.append(
            Finding(Problem.PROTECTION, f"these triggers are absent or disabled: {', '.join(missing)}.")
        )
    return report
