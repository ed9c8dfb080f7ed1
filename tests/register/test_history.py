"""The change history: who changed what, old and new values — only what the viewer may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.history import entry_history_for
from nonpro.register.models import Entry, EntryRevision
from tests.register.conftest import Draft, People, review_round

REASON = "Synthetic example: a policy-level reason."


def changes_of(items: list[Any], field: str) -> list[dict[str, Any]]:
    return [change for item in items for change in item["changes"] if change["field"] == field]


def accept_edit(entry: Entry, people: People, changes: dict[str, Any], **pending_tiers: str) -> Entry:
    """Edit a published entry and take the edit through review to publication."""
    entry = services.entry_update(entry=entry, expected_version=entry.version, changes=changes, by=people.analyst)
    entry = services.entry_submit(entry=entry, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    entry = review_round(entry, people)
    for part, tier in pending_tiers.items():
        entry = services.entry_set_tier(entry=entry, field=part, tier=tier, reason=REASON, by=people.analyst,
                                        pending=True)  # fmt: skip
    return services.entry_publish(entry=entry, by=people.analyst)


def test_each_accepted_edit_bumps_the_serial_and_shows_old_and_new_public_values(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    old_title = entry.title

    entry = accept_edit(entry, people, {"title": "Synthetic example: a clearer title"}, title=Tier.PUBLIC)

    assert entry.serial == 2
    items = entry_history_for(people.viewer("anonymous"), entry)
    assert [(item["event"], item["serial"]) for item in items] == [("published", 1), ("published", 2)]
    first, second = changes_of(items[:1], "title"), changes_of(items[1:], "title")
    assert first == [{"field": "title", "pending": False, "new": old_title, "new_tier": "public"}]
    assert second == [
        {
            "field": "title",
            "pending": False,
            "old": old_title,
            "old_tier": "public",
            "new": "Synthetic example: a clearer title",
            "new_tier": "public",
        }
    ]
    assert all("changed_by" not in item and "reason" not in item for item in items)


def test_the_committee_sees_every_step_with_who_and_why(published: Callable[..., Entry], people: People) -> None:
    entry = accept_edit(published(), people, {"details": "Synthetic example: revised notes."})

    items = entry_history_for(people.viewer("analyst"), entry)

    events = [item["event"] for item in items]
    assert events == [
        "created", "submitted", "review_started", "tier_changed", "tier_changed", "published",
        "edited", "submitted", "review_started", "published",
    ]  # fmt: skip
    assert items[0]["changed_by"] == str(people.author)
    assert items[3]["reason"] == "Synthetic example: policy-level text."  # the reason the fixture gave
    edit = items[6]
    assert changes_of([edit], "details") == [
        {"field": "details", "pending": True, "new": "Synthetic example: revised notes.", "new_tier": "committee"}
    ]
    detail_changes = changes_of(items[9:], "details")
    assert [change["new"] for change in detail_changes] == ["Synthetic example: revised notes."]
    assert detail_changes[0]["old"].startswith("Synthetic example 1:")


def test_a_change_of_a_hidden_field_leaves_no_trace_for_those_below_its_tier(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    before = entry_history_for(people.viewer("anonymous"), entry)

    entry = accept_edit(entry, people, {"details": "Synthetic example: committee-only notes."})
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )

    for viewer in ("anonymous", "official", "learner"):
        items = entry_history_for(people.viewer(viewer), entry)
        assert items == before
        assert not changes_of(items, "details")
        assert "committee-only" not in str(items)
    analyst = entry_history_for(people.viewer("analyst"), entry)
    assert "committee-only" not in str(analyst)  # now RESTRICTED: hidden in earlier revisions too
    assert not any(item["event"] == "tier_changed" and not item["changes"] for item in analyst)


def test_anonymous_sees_nothing_of_an_unpublished_entry_or_of_its_time_before_publication(
    draft: Draft, published: Callable[..., Entry], people: People
) -> None:
    assert entry_history_for(people.viewer("anonymous"), draft()) == []

    items = entry_history_for(people.viewer("anonymous"), published())

    assert [item["event"] for item in items] == ["published"]
    assert {change["field"] for change in items[0]["changes"]} >= {"title", "summary", "status"}
    assert not {change["field"] for change in items[0]["changes"]} & {"details", "domains", "pending_status"}


def test_a_tier_raised_later_hides_the_same_value_in_earlier_revisions(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    summary = entry.summary
    assert changes_of(entry_history_for(people.viewer("anonymous"), entry), "summary")

    entry = services.entry_set_tier(entry=entry, field="summary", tier=Tier.COMMITTEE, reason=REASON, by=people.analyst)

    items = entry_history_for(people.viewer("anonymous"), entry)
    assert not changes_of(items, "summary")
    assert summary not in str(items)
    assert changes_of(entry_history_for(people.viewer("analyst"), entry), "summary")


def test_a_lowered_tier_shows_the_value_as_new_without_an_old_one(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()

    entry = services.entry_set_tier(entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)

    last = entry_history_for(people.viewer("anonymous"), entry)[-1]
    assert last["event"] == "tier_changed"
    assert last["serial"] == 2
    assert last["changes"] == [{"field": "details", "pending": False, "new": entry.details, "new_tier": "public"}]


def test_officials_see_changes_of_official_parts_with_their_tiers(
    published: Callable[..., Entry], people: People
) -> None:
    entry = services.entry_set_tier(
        entry=published(), field="details", tier=Tier.OFFICIAL, reason=REASON, by=people.analyst
    )
    old = entry.details

    entry = accept_edit(entry, people, {"details": "Synthetic example: notes for officials."}, details=Tier.OFFICIAL)

    official = changes_of(entry_history_for(people.viewer("official"), entry), "details")
    assert official[-1] == {
        "field": "details",
        "pending": False,
        "old": old,
        "old_tier": "official",
        "new": "Synthetic example: notes for officials.",
        "new_tier": "official",
    }
    assert not changes_of(entry_history_for(people.viewer("learner"), entry), "details")


def test_the_creator_follows_their_own_draft_and_sees_their_own_name(draft: Draft, people: People) -> None:
    entry = draft()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"summary": "Synthetic example: a sharper summary."},
        by=people.author,
    )  # fmt: skip
    entry = services.entry_set_tier(entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)

    items = entry_history_for(people.viewer("author"), entry)

    assert [item["event"] for item in items] == ["created", "edited", "tier_changed"]
    assert items[0]["changed_by"] == items[1]["changed_by"] == str(people.author)
    assert "changed_by" not in items[2]
    assert "reason" not in items[2]
    assert changes_of(items[1:2], "summary")[0]["old"].startswith("Synthetic example 1:")


def test_withdrawal_and_its_reason_are_public(published: Callable[..., Entry], people: People) -> None:
    entry = services.entry_withdraw(entry=published(), reason="Synthetic example: duplicate.", by=people.analyst)

    last = entry_history_for(people.viewer("anonymous"), entry)[-1]

    assert last["event"] == "withdrawn"
    assert last["reason"] == "Synthetic example: duplicate."
    assert {change["field"] for change in last["changes"]} >= {"status", "withdrawal_reason", "withdrawn_at"}


@pytest.mark.parametrize("viewer", ["anonymous", "official", "reviewer", "analyst", "author"])
def test_every_revision_is_kept_with_a_snapshot_of_each_field_and_its_tier(
    published: Callable[..., Entry], people: People, viewer: str
) -> None:
    entry = published()

    revisions = list(EntryRevision.objects.filter(entry=entry).order_by("version"))

    assert [revision.version for revision in revisions] == list(range(1, entry.version + 1))
    for revision in revisions:
        assert set(revision.snapshot["fields"]) == set(entry.policy_fields())
        assert all(set(cell) == {"tier", "value"} for cell in revision.snapshot["fields"].values())
    assert len(entry_history_for(people.viewer(viewer), entry)) <= len(revisions)


@pytest.mark.parametrize("viewer", ["anonymous", "reviewer", "analyst"])
def test_the_history_costs_a_few_queries_however_long_it_is(
    published: Callable[..., Entry], people: People, viewer: str
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    entries = []
    for edits in (1, 6):
        entry = published()
        for n in range(edits):
            changes = {"details": f"Synthetic example: notes, revision {n}."}
            entry = accept_edit(entry, people, changes, details=Tier.OFFICIAL)
        entries.append(
            services.entry_set_tier(
                entry=entry, field="assessment", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
            )
        )

    counts = []
    for entry in entries:
        with CaptureQueriesContext(connection) as queries:
            entry_history_for(people.viewer(viewer), entry)
        counts.append(len(queries))

    assert counts[1] == counts[0] <= 6
