"""``visible_condition()`` through a relation gives exactly ``visible()``'s rows (used by register search)."""

from __future__ import annotations

import pytest

from nonpro.core.policy import visible, visible_condition
from tests.conftest import MakeUser
from tests.policy.test_visible import EXPECTED, SCOPING, World
from tests.policy.tiered import Dossier


@pytest.fixture
def world(make_user: MakeUser) -> World:
    world = World(make_user)
    # One related row per dossier (the learner is no reviewer: being "assigned" gives nothing).
    for dossier in world.dossiers.values():
        dossier.reviewers.add(world.users["learner"])
    return world


def _seen_through_relation(world: World, persona: str) -> set[str]:
    through = Dossier.reviewers.through
    condition = visible_condition(world.viewers[persona], Dossier, prefix="dossier__", **SCOPING)
    if condition is None:
        return set()
    rows = through.objects.filter(condition, user=world.users["learner"])
    return set(rows.values_list("dossier__title", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_condition_through_a_relation_matches_visible(world: World, persona: str) -> None:
    assert _seen_through_relation(world, persona) == EXPECTED[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_condition_without_prefix_is_visibles_filter(world: World, persona: str) -> None:
    condition = visible_condition(world.viewers[persona], Dossier, **SCOPING)
    direct = visible(Dossier.objects.all(), world.viewers[persona], **SCOPING)
    filtered = set() if condition is None else set(Dossier.objects.filter(condition).values_list("title", flat=True))
    assert filtered == set(direct.values_list("title", flat=True)) == EXPECTED[persona]


@pytest.mark.django_db
def test_unknown_tier_field_values_reach_nothing(world: World) -> None:
    """Rows whose tier is unknown ("secret") are never reached, through a relation either."""
    assert not any(name.startswith("secret/") for name in _seen_through_relation(world, "granter"))
