"""`nonpro manage database_optimize`: refresh the statistics the query planner uses.

SQLite keeps no statistics by itself: without them it may, for example, sort every published
entry to show the newest 25 instead of reading them newest first. ``ANALYZE`` reads every index
(about 0.2 s for a register of 100,000 entries on this machine; approximate statistics, with
``analysis_limit``, misled the planner in that very case). PostgreSQL's autovacuum analyses by
itself; ``ANALYZE`` here just does it now (after a bulk import, say).
Schedule it daily (docs/operations.md); ``nonpro demo`` runs it after loading the demo data.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection


def database_optimize() -> str:
    """Refresh the planner's statistics of the default database; return what was done."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return f"{connection.vendor}: ANALYZE"


class Command(BaseCommand):
    help = "Refresh the database statistics the query planner uses (schedule daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(database_optimize())
