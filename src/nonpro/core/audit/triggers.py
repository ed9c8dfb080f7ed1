"""Database triggers that make the audit tables append-only (SQLite and PostgreSQL).

An UPDATE or DELETE (and on PostgreSQL a TRUNCATE) of an audit table fails with an integrity
error. Only deliberate raw SQL that drops or disables these triggers can change history, and
``nonpro audit verify`` reports both the change and the missing protection.

Migration 0001 creates the triggers; a later migration that rebuilds an audit table on SQLite
must call ``create`` again. Do not edit these statements in place: add a migration.
"""

from __future__ import annotations

from typing import Any

TABLES = ("audit_auditevent", "audit_auditcheckpoint")
MESSAGE = "the audit log is append-only"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$
"""


def trigger_names(table: str) -> tuple[str, ...]:
    """Return the names of the triggers that protect ``table``."""
    return (f"{table}_no_update", f"{table}_no_delete", f"{table}_no_truncate")


def _sqlite_create(table: str) -> list[str]:
    no_update, no_delete, _ = trigger_names(table)
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{no_update}" BEFORE UPDATE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
        f'CREATE TRIGGER IF NOT EXISTS "{no_delete}" BEFORE DELETE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    ]


def _postgresql_create(table: str) -> list[str]:
    no_update, no_delete, no_truncate = trigger_names(table)
    return [
        f'DROP TRIGGER IF EXISTS "{no_update}" ON "{table}"',
        f'DROP TRIGGER IF EXISTS "{no_delete}" ON "{table}"',
        f'DROP TRIGGER IF EXISTS "{no_truncate}" ON "{table}"',
        f'CREATE TRIGGER "{no_update}" BEFORE UPDATE ON "{table}" FOR EACH ROW EXECUTE FUNCTION audit_append_only()',
        f'CREATE TRIGGER "{no_delete}" BEFORE DELETE ON "{table}" FOR EACH ROW EXECUTE FUNCTION audit_append_only()',
        f'CREATE TRIGGER "{no_truncate}" BEFORE TRUNCATE ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    ]


def create_statements(vendor: str) -> list[str]:
    """Return the SQL that installs the triggers on ``vendor`` ("sqlite" or "postgresql")."""
    if vendor == "sqlite":
        return [statement for table in TABLES for statement in _sqlite_create(table)]
    if vendor == "postgresql":
        return [_PG_FUNCTION, *(statement for table in TABLES for statement in _postgresql_create(table))]
    raise NotImplementedError(f"The audit log supports SQLite and PostgreSQL, not {vendor}.")


def drop_statements(vendor: str) -> list[str]:
    """Return the SQL that removes the triggers (used when migrating backwards and by ``flush``)."""
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{name}"' for table in TABLES for name in trigger_names(table)[:2]]
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"' for table in TABLES for name in trigger_names(table)]
    raise NotImplementedError(f"The audit log supports SQLite and PostgreSQL, not {vendor}.")


def create(schema_editor: Any) -> None:
    """Install the triggers (a ``RunPython`` forward function, also usable with a plain cursor wrapper)."""
    for statement in create_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def drop(schema_editor: Any) -> None:
    """Remove the triggers."""
    for statement in drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def missing(connection: Any) -> list[str]:
    """Return the names of protecting triggers that are absent or disabled (empty when all are in force)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            expected = [name for table in TABLES for name in trigger_names(table)[:2]]
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        elif vendor == "postgresql":
            expected = [name for table in TABLES for name in trigger_names(table)]
            # tgenabled 'D' means ALTER TABLE … DISABLE TRIGGER: present but not in force.
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
        else:
            return [f"(unsupported database {vendor})"]
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in expected if name not in present]
