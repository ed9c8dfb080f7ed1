"""Schemathesis on the register API: generated requests from the OpenAPI schema never get a server error.

Every response must also match the schema it is declared with (status code, content type, body).
The examples run against a database holding published, committee-only and draft entries, so that
the generated identifiers and filters meet real rows as well as missing ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from nonpro.register.models import Entry
from nonpro.wsgi import application
from tests.register.conftest import Draft

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(path_regex="^/api/v1/register/")


@pytest.fixture
def same_connection() -> Iterator[None]:
    """Keep the test's database connection across requests, as Django's test client does.

    Schemathesis calls the WSGI application directly; Django would close the connection at the end
    of each request, and with it the test's transaction on PostgreSQL.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def entries(published: Callable[..., Entry], draft: Draft) -> list[str]:
    """A published entry (title and summary public, the rest committee) and a draft nobody else sees."""
    return [published().rsd_id, draft(title="Synthetic example: a draft").rsd_id]


@pytest.mark.django_db(transaction=False)
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_register_api_never_fails(case: Any, entries: list[str], same_connection: None) -> None:
    response = case.call()
    case.validate_response(
        response,
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
    assert response.status_code < 500
