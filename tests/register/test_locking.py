"""Optimistic locking: two people editing the same entry cannot silently overwrite each other."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nonpro.core.audit.models import AuditEvent
from nonpro.register import services
from nonpro.register.models import Entry, EntryRevision
from tests.register.conftest import Draft, People

REASON = "Synthetic example: a policy-level reason."


def test_the_second_writer_with_the_old_version_is_refused_and_nothing_changes(
    under_review: Callable[..., Entry], people: People
) -> None:
    entry = under_review()
    seen_by_both = entry.version
    first = services.entry_update(
        entry=entry, expected_version=seen_by_both, changes={"title": "Synthetic example: first writer"},
        by=people.analyst,
    )  # fmt: skip
    revisions, events = EntryRevision.objects.count(), AuditEvent.objects.count()

    with pytest.raises(services.StaleEntryError) as refused:
        services.entry_update(
            entry=entry, expected_version=seen_by_both, changes={"title": "Synthetic example: second writer"},
            by=people.analyst2,
        )  # fmt: skip

    assert refused.value.code == "stale"
    assert (refused.value.expected, refused.value.current) == (seen_by_both, seen_by_both + 1)
    stored = Entry.objects.get(pk=entry.pk)
    assert stored.title == "Synthetic example: first writer"
    assert stored.version == first.version == seen_by_both + 1
    assert (EntryRevision.objects.count(), AuditEvent.objects.count()) == (revisions, events)


def test_the_second_writer_succeeds_with_the_new_version(under_review: Callable[..., Entry], people: People) -> None:
    entry = under_review()
    first = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"title": "Synthetic example: first writer"},
        by=people.analyst,
    )  # fmt: skip

    second = services.entry_update(
        entry=entry, expected_version=first.version, changes={"details": "Synthetic example: second writer."},
        by=people.analyst2,
    )  # fmt: skip

    assert (second.title, second.details) == ("Synthetic example: first writer", "Synthetic example: second writer.")
    assert second.version == entry.version + 2


def test_a_pending_edit_of_a_published_entry_is_locked_too(published: Callable[..., Entry], people: People) -> None:
    entry = published()
    services.entry_update(
        entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: first."}, by=people.analyst
    )

    with pytest.raises(services.StaleEntryError):
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: second."},
            by=people.analyst2,
        )  # fmt: skip

    assert Entry.objects.get(pk=entry.pk).pending_changes == {"details": "Synthetic example: first."}


@pytest.mark.parametrize("step", ["submit", "publish", "reject", "set_tier"])
def test_workflow_steps_given_an_old_version_are_refused(
    under_review: Callable[..., Entry], people: People, step: str
) -> None:
    entry = under_review()
    old = entry.version
    entry = services.entry_update(
        entry=entry, expected_version=old, changes={"title": "Synthetic example: changed meanwhile"}, by=people.analyst
    )
    calls = {
        "submit": lambda: services.entry_submit(entry=entry, by=people.analyst, expected_version=old),
        "publish": lambda: services.entry_publish(entry=entry, by=people.analyst, expected_version=old),
        "reject": lambda: services.entry_reject(entry=entry, reason=REASON, by=people.analyst, expected_version=old),
        "set_tier": lambda: services.entry_set_tier(
            entry=entry, field="title", tier="public", reason=REASON, by=people.analyst, expected_version=old
        ),
    }

    with pytest.raises(services.StaleEntryError):
        calls[step]()

    stored = Entry.objects.get(pk=entry.pk)
    assert (stored.version, stored.status, stored.title_tier) == (entry.version, entry.status, entry.title_tier)


def test_an_edit_that_changes_nothing_writes_nothing(draft: Draft, people: People) -> None:
    entry = draft()
    revisions, events = EntryRevision.objects.count(), AuditEvent.objects.count()

    same = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"title": entry.title, "domains": entry.domains},
        by=people.author,
    )  # fmt: skip

    assert same.version == entry.version
    assert (EntryRevision.objects.count(), AuditEvent.objects.count()) == (revisions, events)
