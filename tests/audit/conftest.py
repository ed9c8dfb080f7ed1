"""Fixtures of the audit tests: a signing key in a temporary folder, and raw-SQL tampering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from nonpro.core.audit import triggers
from nonpro.core.audit.keys import KeyInfo, keygen
from nonpro.core.audit.services import audit_record


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Path:
    """Point the signing key setting at an empty temporary folder (no key yet)."""
    path = tmp_path / "keys" / "audit-ed25519.pem"
    settings.AUDIT_SIGNING_KEY_FILE = path
    settings.AUDIT_ORIGIN = "audit.test.nonpro"
    return path


@pytest.fixture
def audit_key(key_file: Path) -> KeyInfo:
    """Create the signing key pair in the temporary folder."""
    return keygen()


@pytest.fixture
def tamper(db: None) -> Callable[..., None]:
    """Run raw SQL with the append-only triggers dropped, then put them back (as a careful intruder would)."""

    def run(sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cursor:
            for statement in triggers.drop_statements(connection.vendor):
                cursor.execute(statement)
            cursor.execute(sql, params or [])
            for statement in triggers.create_statements(connection.vendor):
                cursor.execute(statement)

    return run


@pytest.fixture
def some_events(db: None) -> Callable[[int], list[Any]]:
    """Append ``n`` events through the real service."""

    def append(n: int) -> list[Any]:
        return [
            audit_record(action="test.recorded", object_type="tests.thing", object_id=i, summary={"n": i})
            for i in range(1, n + 1)
        ]

    return append
