"""The checkpoint note: a small signed text that a person can print, publish or compare.

Format (UTF-8, lines end with ``\\n``; see docs/audit.md)::

    Nonpro audit log checkpoint
    origin: nonpro.example.org
    events: 1234
    last: 1234
    root: 5c1d…(64 hex digits)
    time: 2026-11-28T13:40:00Z

    — 0123456789abcdef <base64 Ed25519 signature>

The body is the six lines up to and including the newline after ``time``; each signature line
(an em dash U+2014, a space, the 16-hex-digit key id, a space, base64) signs exactly those bytes.
No Django here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from nonpro.core.audit.keys import key_id

HEADER = "Nonpro audit log checkpoint"
SIGNATURE_MARK = "\u2014 "
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_BODY = re.compile(
    r"\A" + re.escape(HEADER) + r"\n"
    r"origin: (?P<origin>[^\n]+)\n"
    r"events: (?P<events>0|[1-9][0-9]*)\n"
    r"last: (?P<last>0|[1-9][0-9]*)\n"
    r"root: (?P<root>[0-9a-f]{64})\n"
    r"time: (?P<time>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)\n\Z"
)
_SIGNATURE = re.compile(r"\A" + SIGNATURE_MARK + r"(?P<key_id>[0-9a-f]{16}) (?P<signature>[A-Za-z0-9+/=]+)\Z")


class NoteError(Exception):
    """The note is malformed, or no trusted key's signature on it verifies."""


@dataclass(frozen=True)
class NoteBody:
    """What a checkpoint asserts."""

    origin: str
    events: int
    last: int
    root: str
    time: datetime

    def text(self) -> str:
        """Return the body lines that the signature covers."""
        if not self.origin or "\n" in self.origin or "\r" in self.origin:
            raise NoteError("The origin must be one non-empty line.")
        return (
            f"{HEADER}\n"
            f"origin: {self.origin}\n"
            f"events: {self.events}\n"
            f"last: {self.last}\n"
            f"root: {self.root}\n"
            f"time: {self.time.astimezone(UTC).strftime(TIME_FORMAT)}\n"
        )


@dataclass(frozen=True)
class Note:
    """A parsed note: its body, the exact signed bytes, and its signatures as (key id, signature)."""

    body: NoteBody
    signed_text: str
    signatures: tuple[tuple[str, bytes], ...]


def note_sign(body: NoteBody, private_key: Ed25519PrivateKey) -> tuple[str, str, str]:
    """Return (the full note, the signer's key id, the base64 signature) for ``body``."""
    text = body.text()
    signature = base64.b64encode(private_key.sign(text.encode("utf-8"))).decode("ascii")
    signer = key_id(private_key.public_key())
    return f"{text}\n{SIGNATURE_MARK}{signer} {signature}\n", signer, signature


def note_parse(note: str) -> Note:
    """Parse a note (CRLF line ends are accepted); raise ``NoteError`` when it is malformed."""
    text = note.replace("\r\n", "\n")
    body_text, separator, signature_block = text.partition("\n\n")
    if not separator:
        raise NoteError("The note has no blank line before its signature.")
    body_text += "\n"
    match = _BODY.match(body_text)
    if match is None:
        raise NoteError("The note's body is not in the checkpoint format.")
    signatures: list[tuple[str, bytes]] = []
    for line in signature_block.rstrip("\n").split("\n"):
        signature_match = _SIGNATURE.match(line)
        if signature_match is None:
            raise NoteError("A signature line of the note is malformed.")
        try:
            signature = base64.b64decode(signature_match["signature"], validate=True)
        except (binascii.Error, ValueError):
            raise NoteError("A signature of the note is not valid base64.") from None
        signatures.append((signature_match["key_id"], signature))
    body = NoteBody(
        origin=match["origin"],
        events=int(match["events"]),
        last=int(match["last"]),
        root=match["root"],
        time=datetime.strptime(match["time"], TIME_FORMAT).replace(tzinfo=UTC),
    )
    return Note(body=body, signed_text=body_text, signatures=tuple(signatures))


def note_verify(note: Note, keys: dict[str, Ed25519PublicKey]) -> str:
    """Return the id of the trusted key whose signature verifies; raise ``NoteError`` otherwise.

    A signature by a trusted key that does not verify is an error even if another one does.
    """
    verified: str | None = None
    for signer, signature in note.signatures:
        key = keys.get(signer)
        if key is None:
            continue
        try:
            key.verify(signature, note.signed_text.encode("utf-8"))
        except InvalidSignature:
            raise NoteError(f"The signature by key {signer} does not verify: the note was altered or forged.") from None
        verified = verified or signer
    if verified is None:
        signers = ", ".join(signer for signer, _ in note.signatures)
        trusted = ", ".join(sorted(keys)) or "none"
        raise NoteError(f"The note is signed by key {signers}, which is not a trusted key (trusted: {trusted}).")
    return verified
