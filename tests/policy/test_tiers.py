"""Tier rules on plain objects: each persona against a field of each tier, State scoping, fail-closed."""

from __future__ import annotations

from typing import Any

import pytest

from nonpro.core.policy import ANONYMOUS, Role, Tier, Viewer, can_see, reach, strip_fields
from tests.policy.tiered import Item

STATE_A = 101
STATE_B = 202
REVIEWER_ID = 6

PERSONAS: dict[str, Viewer] = {
    "anonymous": ANONYMOUS,
    "learner": Viewer(user_id=1, held_roles=frozenset({Role.LEARNER})),
    "official_a": Viewer(user_id=2, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=STATE_A),
    "official_b": Viewer(user_id=3, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=STATE_B),
    "expert": Viewer(user_id=4, held_roles=frozenset({Role.EXPERT})),
    "vetted_expert": Viewer(user_id=5, held_roles=frozenset({Role.EXPERT}), is_vetted=True),
    "reviewer_assigned": Viewer(
        user_id=REVIEWER_ID, held_roles=frozenset({Role.EXPERT, Role.REVIEWER}), mfa_enabled=True, is_vetted=True
    ),
    "reviewer_unassigned": Viewer(
        user_id=7, held_roles=frozenset({Role.EXPERT, Role.REVIEWER}), mfa_enabled=True, is_vetted=True
    ),
    "analyst": Viewer(user_id=8, held_roles=frozenset({Role.COMMITTEE_ANALYST}), mfa_enabled=True),
    "administrator": Viewer(user_id=9, held_roles=frozenset({Role.ADMINISTRATOR}), mfa_enabled=True),
    "analyst_without_mfa": Viewer(user_id=10, held_roles=frozenset({Role.COMMITTEE_ANALYST})),
    "reviewer_assigned_without_mfa": Viewer(user_id=REVIEWER_ID, held_roles=frozenset({Role.EXPERT, Role.REVIEWER})),
}

FIELDS = {"summary": Tier.PUBLIC, "briefing": Tier.OFFICIAL, "assessment": Tier.COMMITTEE, "note": Tier.RESTRICTED}

# Which fields each persona sees on a PUBLIC object that belongs to no State. RESTRICTED needs a
# need-to-know grant, which only model instances can carry (see test_visible.py).
UNSCOPED = {
    "anonymous": {"summary"},
    "learner": {"summary"},
    "official_a": {"summary", "briefing"},
    "official_b": {"summary", "briefing"},
    "expert": {"summary"},
    "vetted_expert": {"summary", "briefing"},
    "reviewer_assigned": {"summary", "briefing", "assessment"},
    "reviewer_unassigned": {"summary", "briefing"},
    "analyst": {"summary", "briefing", "assessment"},
    "administrator": {"summary"},
    "analyst_without_mfa": {"summary"},
    "reviewer_assigned_without_mfa": {"summary"},
}

# The same on an object that belongs to State A: A's officials see its OFFICIAL and COMMITTEE
# fields, B's officials only its PUBLIC ones.
SCOPED_TO_A = {**UNSCOPED, "official_a": {"summary", "briefing", "assessment"}, "official_b": {"summary"}}


def make_item(*, tier: str = Tier.PUBLIC, country_id: int | None = None) -> Item:
    return Item(
        tier=tier,
        field_tiers=dict(FIELDS),
        country_id=country_id,
        assigned={REVIEWER_ID},
        values={name: f"{name} text" for name in FIELDS},
    )


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_field_of_each_tier_on_an_object_of_no_state(persona: str, field: str) -> None:
    assert can_see(PERSONAS[persona], make_item(), field) is (field in UNSCOPED[persona])


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_field_of_each_tier_on_an_object_of_state_a(persona: str, field: str) -> None:
    assert can_see(PERSONAS[persona], make_item(country_id=STATE_A), field) is (field in SCOPED_TO_A[persona])


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_strip_fields_keeps_exactly_the_visible_fields(persona: str) -> None:
    stripped = strip_fields(PERSONAS[persona], make_item(country_id=STATE_A))
    assert set(stripped) == SCOPED_TO_A[persona]
    assert all(stripped[name] == f"{name} text" for name in stripped)


@pytest.mark.parametrize(
    ("tier", "allowed"),
    [
        (Tier.PUBLIC, set(PERSONAS)),
        (
            Tier.OFFICIAL,
            {"official_a", "official_b", "vetted_expert", "reviewer_assigned", "reviewer_unassigned", "analyst"},
        ),
        (Tier.COMMITTEE, {"reviewer_assigned", "analyst"}),
        (Tier.RESTRICTED, set()),
    ],
)
def test_object_tier_on_an_object_of_no_state(tier: str, allowed: set[str]) -> None:
    seen = {name for name, viewer in PERSONAS.items() if can_see(viewer, make_item(tier=tier))}
    assert seen == allowed


@pytest.mark.parametrize(
    ("tier", "allowed"),
    [
        (Tier.OFFICIAL, {"official_a", "vetted_expert", "reviewer_assigned", "reviewer_unassigned", "analyst"}),
        (Tier.COMMITTEE, {"official_a", "reviewer_assigned", "analyst"}),
        (Tier.RESTRICTED, set()),
    ],
)
def test_object_tier_on_an_object_of_state_a(tier: str, allowed: set[str]) -> None:
    seen = {name for name, viewer in PERSONAS.items() if can_see(viewer, make_item(tier=tier, country_id=STATE_A))}
    assert seen == allowed


def test_official_of_another_state_never_reads_non_public_information() -> None:
    official_b = PERSONAS["official_b"]
    for tier in (Tier.OFFICIAL, Tier.COMMITTEE, Tier.RESTRICTED):
        item = make_item(tier=tier, country_id=STATE_A)
        assert not can_see(official_b, item)
        assert strip_fields(official_b, item) == {}
    assert strip_fields(official_b, make_item(country_id=STATE_A)) == {"summary": "summary text"}


def test_a_field_is_hidden_when_its_object_is_hidden() -> None:
    item = make_item(tier=Tier.COMMITTEE)
    official = PERSONAS["official_a"]
    assert can_see(official, item, "summary") is False
    assert strip_fields(official, item) == {}


def test_an_unassigned_reviewer_of_the_right_state_is_still_unassigned() -> None:
    item = make_item(tier=Tier.COMMITTEE, country_id=STATE_A)
    assert not can_see(PERSONAS["reviewer_unassigned"], item)


def test_a_disabled_account_sees_public_information_only() -> None:
    disabled = Viewer(user_id=8, held_roles=frozenset({Role.COMMITTEE_ANALYST}), mfa_enabled=True, is_active=False)
    assert can_see(disabled, make_item(), "summary")
    assert not can_see(disabled, make_item(), "briefing")
    assert not can_see(disabled, make_item(tier=Tier.OFFICIAL))


def test_vetting_counts_only_for_an_expert() -> None:
    vetted_learner = Viewer(user_id=11, held_roles=frozenset({Role.LEARNER}), is_vetted=True)
    assert not can_see(vetted_learner, make_item(tier=Tier.OFFICIAL))


def test_roles_combine() -> None:
    official_and_analyst = Viewer(
        user_id=12,
        held_roles=frozenset({Role.NATIONAL_OFFICIAL, Role.COMMITTEE_ANALYST}),
        country_id=STATE_B,
        mfa_enabled=True,
    )
    assert can_see(official_and_analyst, make_item(tier=Tier.COMMITTEE, country_id=STATE_A))


def test_an_official_bound_to_no_state_gets_no_official_reach() -> None:
    unbound = Viewer(user_id=13, held_roles=frozenset({Role.NATIONAL_OFFICIAL}), country_id=None)
    assert not can_see(unbound, make_item(tier=Tier.OFFICIAL))
    assert not can_see(unbound, make_item(tier=Tier.COMMITTEE))


# --- fail closed -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(PERSONAS))
@pytest.mark.parametrize("tier", ["secret", "PUBLIC", "", None, 3])
def test_an_unknown_object_tier_shows_nothing(persona: str, tier: Any) -> None:
    item = make_item()
    item.tier = tier
    assert not can_see(PERSONAS[persona], item)
    assert strip_fields(PERSONAS[persona], item) == {}


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_an_unknown_field_tier_hides_that_field(persona: str) -> None:
    item = make_item()
    item.field_tiers["odd"] = "top"
    item.values["odd"] = "odd text"
    assert not can_see(PERSONAS[persona], item, "odd")
    assert "odd" not in strip_fields(PERSONAS[persona], item)


def test_a_field_the_object_does_not_list_is_hidden() -> None:
    assert not can_see(PERSONAS["analyst"], make_item(), "not_a_field")


def test_unknown_roles_give_nothing_beyond_public() -> None:
    stranger = Viewer(user_id=14, held_roles=frozenset({"superuser", "root"}), mfa_enabled=True, is_vetted=True)
    assert stranger.roles == frozenset()
    assert can_see(stranger, make_item(), "summary")
    for tier in (Tier.OFFICIAL, Tier.COMMITTEE, Tier.RESTRICTED):
        assert not can_see(stranger, make_item(tier=tier))


class Bare:
    """An object that does not implement the policy protocol."""

    tier = Tier.PUBLIC
    summary = "text"

    def policy_tier(self, field: str | None = None) -> str:
        return Tier.PUBLIC


@pytest.mark.parametrize("obj", [Bare(), object(), None, {"tier": "public"}, "public"])
def test_an_object_without_the_protocol_shows_nothing(obj: Any) -> None:
    for viewer in PERSONAS.values():
        assert not can_see(viewer, obj)
        assert not can_see(viewer, obj, "summary")
        assert strip_fields(viewer, obj) == {}


def test_the_reach_of_an_unknown_tier_is_nothing() -> None:
    assert reach(PERSONAS["analyst"], "classified") == reach(ANONYMOUS, Tier.OFFICIAL)
    assert not reach(PERSONAS["analyst"], "classified").everything


def test_administrators_see_public_information_only_by_their_role() -> None:
    administrator = PERSONAS["administrator"]
    assert reach(administrator, Tier.PUBLIC).everything
    for tier in (Tier.OFFICIAL, Tier.COMMITTEE):
        scope = reach(administrator, tier)
        assert not scope.everything
        assert scope.own_state_id is None
        assert scope.assigned_user_id is None
