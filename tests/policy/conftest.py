"""Fixtures of the policy tests: the ``Dossier`` table and personas as viewers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from tests.policy.tiered import Dossier


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Create the table of the test-only ``Dossier`` model (and its reviewers table) once per database."""
    with django_db_blocker.unblock():
        if Dossier._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Dossier)


@pytest.fixture(autouse=True)
def _fresh_content_types() -> Iterator[None]:
    """Forget cached content types: the test-only model's row is rolled back with each test."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()
