"""Django's ``flush``, able to empty the append-only audit tables too.

``flush`` deletes every row of every table: a deliberate, whole-database operation (the test
runner uses it after tests that commit). The audit triggers would refuse it, so this command
lifts them for the flush and puts them back, all in one transaction: if anything fails, the
rollback restores the triggers (PostgreSQL and SQLite both roll back DDL).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

from nonpro.core.audit import triggers


def _audit_tables_exist(connection: Any) -> bool:
    return set(triggers.TABLES) <= set(connection.introspection.table_names())


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if not _audit_tables_exist(connection):
            super().handle(**options)
            return
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                for statement in triggers.drop_statements(connection.vendor):
                    cursor.execute(statement)
            super().handle(**options)
            with connection.cursor() as cursor:
                for statement in triggers.create_statements(connection.vendor):
                    cursor.execute(statement)
