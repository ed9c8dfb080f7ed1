"""`nonpro manage database_optimize`: the query planner gets statistics on both engines."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_the_planner_gets_statistics_of_the_tables() -> None:
    out = io.StringIO()
    call_command("database_optimize", stdout=out)

    assert out.getvalue().strip() == f"{connection.vendor}: ANALYZE"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'django_content_type'")
            assert cursor.fetchone()[0] > 0
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'django_content_type'")
            assert cursor.fetchone()[0] >= 0  # -1 until the table is first analysed
