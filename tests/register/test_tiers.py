"""Per-part tiers: COMMITTEE when new or edited, changed only by a classifier, with a reason, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier, viewer_for
from nonpro.register import services
from nonpro.register.models import TIER_GROUPS, Entry, EntryRevision, RevisionEvent
from nonpro.register.selectors import entry_for
from tests.register.conftest import Draft, People, synthetic_values

REASON = "Synthetic example: the text is policy-level."


def tiers(entry: Entry) -> dict[str, str]:
    entry = Entry.objects.get(pk=entry.pk)
    return {part: entry.tier_of(part) for part in TIER_GROUPS}


@pytest.mark.parametrize("creator", ["author", "analyst"])
def test_every_part_of_a_new_entry_starts_at_committee(people: People, creator: str) -> None:
    entry = services.entry_create_draft(by=people.user(creator), values=synthetic_values())

    assert set(tiers(entry).values()) == {Tier.COMMITTEE}
    snapshot = EntryRevision.objects.get(entry=entry).snapshot
    assert {snapshot["fields"][field]["tier"] for part in TIER_GROUPS for field in TIER_GROUPS[part]} == {"committee"}


def test_an_edited_part_goes_back_to_committee_and_the_others_keep_their_tier(
    under_review: Callable[..., Entry], people: People
) -> None:
    entry = under_review()
    for part in ("title", "summary"):
        entry = services.entry_set_tier(entry=entry, field=part, tier=Tier.PUBLIC, reason=REASON, by=people.reviewer)

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"summary": "Synthetic example: a revised summary."},
        by=people.analyst,
    )  # fmt: skip

    assert tiers(entry)["summary"] == Tier.COMMITTEE
    assert tiers(entry)["title"] == Tier.PUBLIC


def test_a_translation_is_an_edit_of_its_part(under_review: Callable[..., Entry], people: People) -> None:
    entry = under_review()
    entry = services.entry_set_tier(entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)

    entry = services.entry_update(
        entry=entry, expected_version=entry.version,
        changes={"translations": {"fr": {"title": "Exemple synthétique : une technique"}}}, by=people.analyst,
    )  # fmt: skip

    assert tiers(entry)["title"] == Tier.COMMITTEE
    assert tiers(entry)["summary"] == Tier.COMMITTEE


def test_a_tier_change_is_its_own_audited_action_with_its_reason(
    under_review: Callable[..., Entry], people: People
) -> None:
    entry = under_review()
    version = entry.version

    entry = services.entry_set_tier(entry=entry, field="details", tier=Tier.OFFICIAL, reason=REASON, by=people.reviewer)

    assert tiers(entry)["details"] == Tier.OFFICIAL
    assert entry.version == version + 1
    revision = EntryRevision.objects.get(entry=entry, version=entry.version)
    assert (revision.event, revision.reason, revision.changed_by) == (
        RevisionEvent.TIER_CHANGED,
        REASON,
        people.reviewer,
    )
    assert revision.snapshot["fields"]["details"]["tier"] == "official"
    event = AuditEvent.objects.get(action="register.entry.tier_changed")
    assert event.actor_id == people.reviewer.pk
    assert event.summary == {
        "rsd_id": entry.rsd_id,
        "version": entry.version,
        "serial": 0,
        "part": "details",
        "from": "committee",
        "to": "official",
        "pending": False,
        "reason": REASON,
    }
    assert entry.details not in str(event.summary)


def test_a_tier_change_needs_a_reason_a_known_part_and_a_known_tier(
    under_review: Callable[..., Entry], people: People
) -> None:
    entry = under_review()
    for field, tier, reason in [
        ("details", Tier.PUBLIC, " "),
        ("handling_note", Tier.PUBLIC, REASON),
        ("details", "secret", REASON),
    ]:
        with pytest.raises(ValidationError):
            services.entry_set_tier(entry=entry, field=field, tier=tier, reason=reason, by=people.analyst)

    assert tiers(entry)["details"] == Tier.COMMITTEE
    assert not AuditEvent.objects.filter(action="register.entry.tier_changed").exists()


def test_nobody_classifies_a_part_they_cannot_see(under_review: Callable[..., Entry], people: People) -> None:
    entry = under_review()
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )

    with pytest.raises(PermissionDenied):
        services.entry_set_tier(entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst2)
    with pytest.raises(PermissionDenied):
        services.entry_update(
            entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: overwritten."},
            by=people.analyst2,
        )  # fmt: skip

    assert tiers(entry)["details"] == Tier.RESTRICTED
    assert Entry.objects.get(pk=entry.pk).details.startswith("Synthetic example 1:")


def test_an_edit_of_a_restricted_part_stays_restricted(under_review: Callable[..., Entry], people: People) -> None:
    entry = under_review()
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=entry, user=people.analyst, reason="Synthetic example: edits the notes.",
        expires_at=timezone.now() + timedelta(days=7), granted_by=people.analyst2,
    )  # fmt: skip

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: revised notes."},
        by=people.analyst,
    )  # fmt: skip

    assert tiers(entry)["details"] == Tier.RESTRICTED
    assert entry.details == "Synthetic example: revised notes."


def test_on_a_published_entry_raising_a_tier_is_immediate_and_bumps_the_serial(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    assert entry_for(viewer_for(None), entry.rsd_id)["summary"]  # type: ignore[index]

    entry = services.entry_set_tier(
        entry=entry, field="summary", tier=Tier.COMMITTEE, reason=REASON, by=people.reviewer
    )

    assert "summary" not in entry_for(viewer_for(None), entry.rsd_id)  # type: ignore[operator]
    assert entry.serial == 2
    assert entry.modified_at is not None
    assert entry.modified_at > entry.published_at  # type: ignore[operator]


def test_on_a_published_entry_only_an_analyst_lowers_a_tier(published: Callable[..., Entry], people: People) -> None:
    entry = published()

    with pytest.raises(PermissionDenied):
        services.entry_set_tier(entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.reviewer)
    assert tiers(entry)["details"] == Tier.COMMITTEE
    assert "details" not in entry_for(viewer_for(None), entry.rsd_id)  # type: ignore[operator]

    entry = services.entry_set_tier(entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)

    assert entry_for(viewer_for(None), entry.rsd_id)["details"] == entry.details  # type: ignore[index]


def test_the_parts_of_a_pending_edit_are_classified_for_their_publication(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: public notes."},
        by=people.analyst,
    )  # fmt: skip
    assert entry.pending_tiers == {"details": "committee"}

    with pytest.raises(ValidationError):
        services.entry_set_tier(entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst,
                                pending=True)  # fmt: skip
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst, pending=True
    )

    assert entry.pending_tiers == {"details": "public"}
    assert tiers(entry)["details"] == Tier.COMMITTEE  # the published part is unchanged until publication
    assert entry.serial == 1
    assert "details" not in entry_for(viewer_for(None), entry.rsd_id)  # type: ignore[operator]


def test_setting_the_tier_a_part_already_has_writes_nothing(draft: Draft, people: People) -> None:
    entry = draft()
    version = entry.version

    same = services.entry_set_tier(entry=entry, field="title", tier=Tier.COMMITTEE, reason=REASON, by=people.analyst)

    assert same.version == version
    assert not AuditEvent.objects.filter(action="register.entry.tier_changed").exists()
