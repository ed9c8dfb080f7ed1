"""How long the shell's heaviest pages take to render, server side."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_benchmark.fixture import BenchmarkFixture


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/en/", "/ar/countries/", "/zh-hans/countries/"])
def test_render_page(benchmark: BenchmarkFixture, path: str) -> None:
    client = Client()
    response = benchmark(client.get, path)
    assert response.status_code == 200
