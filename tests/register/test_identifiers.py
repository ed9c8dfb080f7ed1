"""Identifiers ``RSD-YYYY-NNNNN``: reserved when a draft is created, from a per-year counter, never reused."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from nonpro.register import services
from nonpro.register.models import Entry, EntryIdCounter, Status
from tests.conftest import MakeUser
from tests.register.conftest import Draft, People, synthetic_values


def test_identifiers_have_the_register_format_and_follow_each_other(draft: Draft) -> None:
    year = timezone.now().year

    first, second = draft(), draft()

    assert re.fullmatch(rf"RSD-{year}-[0-9]{{5}}", first.rsd_id)
    assert (first.rsd_id, second.rsd_id) == (f"RSD-{year}-00001", f"RSD-{year}-00002")
    assert EntryIdCounter.objects.get(year=year).last == 2


def test_numbers_of_rejected_and_abandoned_drafts_are_never_reused(
    draft: Draft, under_review: Any, people: People
) -> None:
    rejected = services.entry_reject(
        entry=under_review(), reason="Synthetic example: outside the register's scope.", by=people.analyst
    )
    abandoned = draft()

    newest = draft()

    assert rejected.status == Status.REJECTED
    assert abandoned.status == Status.DRAFT
    numbers = [int(entry.rsd_id.rsplit("-", 1)[1]) for entry in (rejected, abandoned, newest)]
    assert numbers == [1, 2, 3]
    assert Entry.objects.filter(rsd_id=rejected.rsd_id, status=Status.REJECTED).exists()


def test_a_refused_draft_takes_no_number(draft: Draft, people: People) -> None:
    with pytest.raises(ValidationError):
        services.entry_create_draft(by=people.author, values=synthetic_values(domains=["not-a-domain"]))

    assert not Entry.objects.exists()
    assert draft().rsd_id.endswith("-00001")


def test_each_year_counts_from_one(draft: Draft, monkeypatch: pytest.MonkeyPatch) -> None:
    draft()
    monkeypatch.setattr(timezone, "now", lambda: datetime(2031, 1, 1, 0, 0, 1, tzinfo=UTC))

    entry = draft()

    assert entry.rsd_id == "RSD-2031-00001"
    assert EntryIdCounter.objects.get(year=2031).last == 1


def test_the_database_refuses_a_malformed_identifier(draft: Draft) -> None:
    entry = draft()

    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(rsd_id="CVE-1")


def test_the_database_refuses_a_duplicate_identifier(draft: Draft) -> None:
    first, second = draft(), draft()

    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=second.pk).update(rsd_id=first.rsd_id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_drafts_get_distinct_gapless_numbers_on_postgresql(make_user: MakeUser) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from nonpro.accounts.models import User

    author_id = make_user("concurrent.author@example.test", ["expert"]).pk

    def create(worker: int) -> list[str]:
        try:
            author = User.objects.get(pk=author_id)
            return [
                services.entry_create_draft(by=author, values=synthetic_values(worker * 10 + i)).rsd_id
                for i in range(5)
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        created = [rsd_id for batch in pool.map(create, range(4)) for rsd_id in batch]

    assert connection.vendor == "postgresql"
    numbers = sorted(int(rsd_id.rsplit("-", 1)[1]) for rsd_id in created)
    assert numbers == list(range(1, 21))
    assert Entry.objects.count() == 20
