"""The Ed25519 key that signs audit checkpoints, kept in files outside the database.

The private key is a PKCS#8 PEM file at ``settings.AUDIT_SIGNING_KEY_FILE`` (mode 0600, folder
0700); the public key is a SubjectPublicKeyInfo PEM file beside it with the suffix ``.pub``.
A key's id is the first 16 hex digits of SHA-256 over its 32 raw public-key bytes. Replacing a
key (``keygen(force=True)``) keeps the old public key as ``<name>.<key id>.pub`` so that older
checkpoints still verify.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


class AuditKeyError(Exception):
    """A key file is missing, unreadable, of the wrong kind, or would be overwritten."""


@dataclass(frozen=True)
class KeyInfo:
    """Where a key pair lives and its id."""

    private_path: Path
    public_path: Path
    key_id: str
    created: bool


def private_key_path() -> Path:
    return Path(settings.AUDIT_SIGNING_KEY_FILE)


def public_key_path(private_path: Path | None = None) -> Path:
    """Return the path of the public key beside the private key (same name, suffix ``.pub``)."""
    private_path = private_path or private_key_path()
    return private_path.with_suffix(".pub")


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the key id: the first 16 hex digits of SHA-256 over the raw public key."""
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file at ``path`` with ``mode`` from the start, then move it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # the umask may have narrowed it; never widen beyond ``mode``
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def keygen(*, force: bool = False) -> KeyInfo:
    """Create the signing key pair; refuse to replace an existing private key unless ``force``."""
    private_path = private_key_path()
    public_path = public_key_path(private_path)
    if private_path.exists() and not force:
        existing = signing_key_load()
        raise AuditKeyError(
            f"The audit signing key {private_path} exists (key id {key_id(existing.public_key())}); "
            "use --force to replace it."
        )
    private_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if private_path.exists():
        # Keep the old public key so that the checkpoints it signed still verify.
        old_public = signing_key_load().public_key()
        archived = private_path.with_name(f"{private_path.stem}.{key_id(old_public)}.pub")
        if not archived.exists():
            _write_new(archived, public_key_pem(old_public), 0o644)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_new(private_path, pem, 0o600)
    _write_new(public_path, public_key_pem(private_key.public_key()), 0o644)
    return KeyInfo(private_path, public_path, key_id(private_key.public_key()), created=True)


def key_ensure() -> KeyInfo:
    """Return the existing key pair, creating it first when there is none (used by the demo)."""
    private_path = private_key_path()
    if not private_path.exists():
        return keygen()
    public = signing_key_load().public_key()
    return KeyInfo(private_path, public_key_path(private_path), key_id(public), created=False)


def signing_key_load() -> Ed25519PrivateKey:
    """Return the private signing key, or raise ``AuditKeyError`` saying what to do."""
    path = private_key_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AuditKeyError(f"No audit signing key at {path}: run `nonpro audit keygen`.") from None
    except OSError as error:
        raise AuditKeyError(f"Cannot read the audit signing key {path}: {error.strerror}.") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise AuditKeyError(f"{path} is not an unencrypted PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditKeyError(f"{path} is not an Ed25519 key.")
    return key


def public_key_read(path: Path) -> Ed25519PublicKey:
    """Read a public key: a PEM file, or one line of base64 holding the 32 raw bytes."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AuditKeyError(f"Cannot read the public key {path}: {error.strerror}.") from None
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError):
            raise AuditKeyError(f"{path} is not a PEM public key.") from None
        if not isinstance(key, Ed25519PublicKey):
            raise AuditKeyError(f"{path} is not an Ed25519 public key.")
        return key
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditKeyError(f"{path} is neither a PEM public key nor base64.") from None
    if len(raw) != 32:
        raise AuditKeyError(f"{path} does not hold a 32-byte Ed25519 public key.")
    return Ed25519PublicKey.from_public_bytes(raw)


def public_keys_load(paths: list[Path] | None = None) -> dict[str, Ed25519PublicKey]:
    """Return the public keys to verify with, by key id.

    With ``paths``, exactly those files. Without, the keys beside the signing key: its ``.pub``
    (or the private key itself when the ``.pub`` is missing) and the archived ``<name>.<id>.pub``.
    """
    keys: dict[str, Ed25519PublicKey] = {}
    if paths:
        for path in paths:
            key = public_key_read(path)
            keys[key_id(key)] = key
        return keys
    private_path = private_key_path()
    public_path = public_key_path(private_path)
    if public_path.exists():
        key = public_key_read(public_path)
        keys[key_id(key)] = key
    elif private_path.exists():
        key = signing_key_load().public_key()
        keys[key_id(key)] = key
    if private_path.parent.is_dir():
        for archived in sorted(private_path.parent.glob(f"{private_path.stem}.*.pub")):
            key = public_key_read(archived)
            keys[key_id(key)] = key
    return keys
