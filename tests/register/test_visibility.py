"""What each person sees: which entries, which fields, which pending edits and related entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.models import Entry, Status
from nonpro.register.selectors import (
    can_see_entry,
    entries_visible_to,
    entries_with_visible_part,
    entry_data_for,
    entry_for,
)
from tests.register.conftest import Draft, People, review_round, to_review

REASON = "Synthetic example: a policy-level reason."
VIEWERS = [
    "anonymous",
    "learner",
    "official",
    "administrator",
    "other_expert",
    "author",
    "outsider_reviewer",
    "reviewer",
    "analyst",
]


class Register:
    """One entry in each state, all created by the author; reviewer and reviewer2 assigned from review on."""

    def __init__(self, draft: Draft, people: People) -> None:
        self.draft = draft()
        self.submitted = services.entry_submit(entry=draft(), by=people.author)
        self.under_review = to_review(draft(), people)
        self.rejected = services.entry_reject(entry=to_review(draft(), people), reason=REASON, by=people.analyst)
        self.published = services.entry_publish(entry=to_review(draft(), people), by=people.analyst)
        self.withdrawn = services.entry_withdraw(
            entry=services.entry_publish(entry=to_review(draft(), people), by=people.analyst),
            reason=REASON,
            by=people.analyst,
        )

    def names(self, entries: Any) -> set[str]:
        by_id = {getattr(self, name).rsd_id: name for name in vars(self)}
        return {by_id[entry.rsd_id] for entry in entries}


ALL = {"draft", "submitted", "under_review", "rejected", "published", "withdrawn"}
PUBLIC = {"published", "withdrawn"}
EXPECTED = {
    "anonymous": PUBLIC,
    "learner": PUBLIC,
    "official": PUBLIC,
    "administrator": PUBLIC,
    "other_expert": PUBLIC,
    "outsider_reviewer": PUBLIC,
    "author": ALL,
    "reviewer": PUBLIC | {"under_review", "rejected"},
    "analyst": ALL,
}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_which_entries_each_person_sees_in_lists_and_one_by_one(draft: Draft, people: People, viewer: str) -> None:
    register = Register(draft, people)

    listed = register.names(entries_visible_to(people.viewer(viewer)))

    assert listed == EXPECTED[viewer]
    assert entries_visible_to(people.viewer(viewer)).count() == len(EXPECTED[viewer])
    for name in ALL:
        entry = getattr(register, name)
        shown = entry_for(people.viewer(viewer), entry.rsd_id)
        assert (shown is not None) is (name in EXPECTED[viewer]), name
        assert can_see_entry(people.viewer(viewer), entry) is (name in EXPECTED[viewer])


def test_a_hidden_entry_answers_like_a_missing_one(draft: Draft, people: People) -> None:
    entry = draft()

    assert entry_for(people.viewer("anonymous"), entry.rsd_id) is None
    assert entry_for(people.viewer("anonymous"), "RSD-1999-99999") is None


def test_the_public_sees_only_public_fields_of_a_published_entry(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()

    shown = entry_for(people.viewer("anonymous"), entry.rsd_id)

    assert shown is not None
    assert shown["title"] == entry.title
    assert shown["summary"] == entry.summary
    for hidden in ("details", "domains", "concern_level", "sources", "credits", "pending_status", "related"):
        assert hidden not in shown
    assert shown["tiers"]["title"] == Tier.PUBLIC
    assert set(shown["tiers"].values()) == {Tier.PUBLIC}
    full = entry_for(people.viewer("analyst"), entry.rsd_id)
    assert full is not None
    assert full["details"] == entry.details
    assert full["tiers"]["details"] == Tier.COMMITTEE


def test_an_official_part_is_seen_by_officials_and_vetted_people_not_by_learners(
    published: Callable[..., Entry], people: People
) -> None:
    entry = services.entry_set_tier(
        entry=published(), field="details", tier=Tier.OFFICIAL, reason=REASON, by=people.analyst
    )

    assert "details" in entry_for(people.viewer("official"), entry.rsd_id)  # type: ignore[operator]
    assert "details" in entry_for(people.viewer("outsider_reviewer"), entry.rsd_id)  # type: ignore[operator]
    assert "details" not in entry_for(people.viewer("learner"), entry.rsd_id)  # type: ignore[operator]
    assert "details" not in entry_for(people.viewer("other_expert"), entry.rsd_id)  # type: ignore[operator]


def test_the_creator_sees_their_draft_up_to_committee_but_not_a_restricted_part(draft: Draft, people: People) -> None:
    entry = draft()
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )

    shown = entry_for(people.viewer("author"), entry.rsd_id)

    assert shown is not None
    assert shown["title"] == entry.title
    assert shown["domains"] == ["chemical"]
    assert shown["status"] == Status.DRAFT
    assert "details" not in shown
    assert "details" not in entry_for(people.viewer("analyst"), entry.rsd_id)  # type: ignore[operator]


def test_once_published_the_creator_sees_what_their_roles_allow(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()

    shown = entry_for(people.viewer("author"), entry.rsd_id)

    assert shown is not None
    assert "details" not in shown
    assert "title" in shown


def test_a_restricted_part_is_shown_to_grant_holders_only_and_its_view_is_audited(
    published: Callable[..., Entry], people: People
) -> None:
    entry = services.entry_set_tier(
        entry=published(), field="assessment", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=entry, user=people.learner, reason="Synthetic example: need to know.",
        expires_at=timezone.now() + timedelta(days=3), granted_by=people.analyst,
    )  # fmt: skip

    assert "concern_rationale" not in entry_for(people.viewer("analyst"), entry.rsd_id)  # type: ignore[operator]
    assert "concern_rationale" in entry_for(people.viewer("learner"), entry.rsd_id)  # type: ignore[operator]
    services.entry_view_record(viewer=people.viewer("learner"), entry=entry)
    services.entry_view_record(viewer=people.viewer("analyst"), entry=entry)
    views = AuditEvent.objects.filter(action="restricted.viewed")
    assert list(views.values_list("actor_id", flat=True)) == [people.learner.pk]
    assert "concern_rationale" in views.get().summary["fields"]


def test_a_pending_edit_is_committee_information(published: Callable[..., Entry], people: People) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"title": "Synthetic example: revised title"},
        by=people.analyst,
    )  # fmt: skip
    entry = services.entry_set_tier(
        entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst, pending=True
    )

    for viewer in ("anonymous", "official", "outsider_reviewer", "author"):
        shown = entry_for(people.viewer(viewer), entry.rsd_id)
        assert shown is not None
        assert "pending" not in shown
        assert "pending_status" not in shown
        assert "revised" not in str(shown)
    for viewer in ("analyst", "reviewer"):
        shown = entry_for(people.viewer(viewer), entry.rsd_id)
        assert shown is not None
        assert shown["pending"] == {"title": {"tier": "public", "value": "Synthetic example: revised title"}}
        assert shown["pending_status"] == "draft"


def test_related_entries_are_symmetric_and_shown_only_when_visible(
    draft: Draft, published: Callable[..., Entry], people: People
) -> None:
    hidden = draft()
    public_a, public_b = published(), published()
    public_a = services.entry_set_tier(
        entry=public_a, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst
    )
    public_b = services.entry_set_tier(
        entry=public_b, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst
    )
    public_a = services.entry_update(
        entry=public_a, expected_version=public_a.version, changes={"related": [public_b.rsd_id, hidden.rsd_id]},
        by=people.analyst,
    )  # fmt: skip
    public_a = services.entry_submit(entry=public_a, by=people.analyst)
    public_a = services.entry_start_review(entry=public_a, by=people.analyst)
    public_a = review_round(public_a, people)
    public_a = services.entry_set_tier(
        entry=public_a, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst, pending=True
    )
    public_a = services.entry_publish(entry=public_a, by=people.analyst)

    assert entry_for(people.viewer("anonymous"), public_a.rsd_id)["related"] == [public_b.rsd_id]  # type: ignore[index]
    assert entry_for(people.viewer("anonymous"), public_b.rsd_id)["related"] == [public_a.rsd_id]  # type: ignore[index]
    assert entry_for(people.viewer("analyst"), public_a.rsd_id)["related"] == sorted(  # type: ignore[index]
        [public_b.rsd_id, hidden.rsd_id]
    )
    assert public_a.related == [public_b.rsd_id]  # the model's own value holds public entries only


def test_entries_with_a_visible_part_filter_in_the_database(
    draft: Draft, published: Callable[..., Entry], people: People
) -> None:
    own_draft = draft()
    public = published()

    anonymous = people.viewer("anonymous")
    assert list(entries_with_visible_part(anonymous, "title")) == [public]
    assert not entries_with_visible_part(anonymous, "classification").exists()
    assert set(entries_with_visible_part(people.viewer("author"), "classification")) == {own_draft}
    assert set(entries_with_visible_part(people.viewer("analyst"), "classification")) == {own_draft, public}
    assert not entries_with_visible_part(people.viewer("analyst"), "no-such-part").exists()


def test_entry_data_for_is_what_entry_for_returns(published: Callable[..., Entry], people: People) -> None:
    entry = published()

    assert entry_data_for(people.viewer("official"), entry) == entry_for(people.viewer("official"), entry.rsd_id)


@pytest.mark.parametrize("viewer", ["anonymous", "official", "outsider_reviewer", "reviewer", "analyst"])
def test_outside_the_creator_rule_the_fields_are_exactly_those_strip_fields_gives(
    published: Callable[..., Entry], people: People, viewer: str
) -> None:
    from nonpro.core.policy import strip_fields

    entry = services.entry_set_tier(
        entry=published(), field="sources", tier=Tier.OFFICIAL, reason=REASON, by=people.analyst
    )

    shown = entry_for(people.viewer(viewer), entry.rsd_id)

    assert shown is not None
    stripped = strip_fields(people.viewer(viewer), entry)
    assert set(shown) - {"tiers", "pending"} == set(stripped)
    assert {key: value for key, value in shown.items() if key not in {"tiers", "pending", "related"}} == {
        key: value for key, value in stripped.items() if key != "related"
    }
