"""Background work of the core app: tasks take plain arguments and call a service."""

from __future__ import annotations

from dataclasses import asdict

from django.tasks import task

from nonpro.core.services import countries_load


@task()
def reference_data_refresh() -> dict[str, int]:
    """Reload the States and their CLDR names (after a Babel upgrade, say); idempotent."""
    return asdict(countries_load())
