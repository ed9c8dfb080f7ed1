"""Background work of accounts."""

from __future__ import annotations

from django.tasks import task

from nonpro.accounts.experts import expert_vettings_expire


@task()
def vettings_expire() -> int:
    """Mark lapsed expert vettings as expired (daily); idempotent."""
    return expert_vettings_expire()
