"""``visible()`` filters in the database exactly as ``can_see()`` decides; grants open RESTRICTED rows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Count
from django.test import RequestFactory
from django.utils import timezone

from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant, need_to_know_revoke
from nonpro.core.models import Country
from nonpro.core.policy import Tier, Viewer, can_see, record_restricted_view, strip_fields, viewer_for, visible
from tests.conftest import MakeUser
from tests.policy.tiered import Dossier

TIERS = [Tier.PUBLIC, Tier.OFFICIAL, Tier.COMMITTEE, Tier.RESTRICTED, "secret"]
STATES = [None, "KZ", "FR"]
SCOPING = {"country_field": "country", "assigned_field": "reviewers"}
OFFICIAL_ALL = {"official/none", "official/KZ", "official/FR"}
COMMITTEE_ALL = {"committee/none", "committee/KZ", "committee/FR"}


def title(tier: str, state: str | None) -> str:
    return f"{tier}/{state or 'none'}"


def public_titles() -> set[str]:
    return {title(Tier.PUBLIC, state) for state in STATES}


class World:
    """Every combination of tier and State as a dossier, real people, two grants."""

    def __init__(self, make_user: MakeUser) -> None:
        self.users = {
            "learner": make_user("learner@example.test", ["learner"]),
            "official_a": make_user("official.a@example.test", ["national_official"], country="KZ"),
            "official_b": make_user("official.b@example.test", ["national_official"], country="FR"),
            "expert": make_user("expert@example.test", ["expert"]),
            "vetted_expert": make_user("vetted@example.test", ["expert"]),
            "reviewer_assigned": make_user("reviewer.a@example.test", ["expert", "reviewer"]),
            "reviewer_unassigned": make_user("reviewer.b@example.test", ["expert", "reviewer"]),
            "analyst": make_user("analyst@example.test", ["committee_analyst"]),
            "granter": make_user("granter@example.test", ["committee_analyst"]),
            "administrator": make_user("admin@example.test", ["administrator"]),
            "analyst_without_mfa": make_user("analyst.nomfa@example.test", ["committee_analyst"], mfa=False),
        }
        self.viewers: dict[str, Viewer] = {"anonymous": viewer_for(None)}
        for name, user in self.users.items():
            self.viewers[name] = viewer_for(user)
        # Vetting is recorded by the accounts app; the policy reads it from the viewer.
        self.viewers["vetted_expert"] = dataclasses.replace(self.viewers["vetted_expert"], is_vetted=True)
        self.dossiers: dict[str, Dossier] = {}
        for tier in TIERS:
            for state in STATES:
                country = Country.objects.get(alpha2=state) if state else None
                dossier = Dossier.objects.create(title=title(tier, state), tier=tier, country=country)
                self.dossiers[dossier.title] = dossier
        for name in ("committee/none", "committee/FR"):
            self.dossiers[name].reviewers.add(self.users["reviewer_assigned"], self.users["reviewer_unassigned"].pk)
            self.dossiers[name].reviewers.remove(self.users["reviewer_unassigned"])
        self.dossiers["committee/KZ"].reviewers.add(self.users["learner"])  # not a reviewer: gives nothing
        expires = timezone.now() + timedelta(days=30)
        self.grants = {
            "official_a": need_to_know_grant(
                obj=self.dossiers["restricted/none"],
                user=self.users["official_a"],
                reason="Prepares the State's report.",
                expires_at=expires,
                granted_by=self.users["granter"],
            ),
            "analyst": need_to_know_grant(
                obj=self.dossiers["restricted/KZ"],
                user=self.users["analyst"],
                reason="Assesses the item.",
                expires_at=expires,
                granted_by=self.users["granter"],
            ),
        }

    def seen_by_visible(self, persona: str) -> set[str]:
        rows = visible(Dossier.objects.all(), self.viewers[persona], **SCOPING)
        return set(rows.values_list("title", flat=True))

    def seen_by_can_see(self, persona: str) -> set[str]:
        return {name for name, dossier in self.dossiers.items() if can_see(self.viewers[persona], dossier)}


@pytest.fixture
def world(make_user: MakeUser) -> World:
    return World(make_user)


EXPECTED = {
    "anonymous": public_titles(),
    "learner": public_titles(),
    "expert": public_titles(),
    "administrator": public_titles(),
    "analyst_without_mfa": public_titles(),
    "official_a": public_titles() | {"official/none", "official/KZ", "committee/KZ", "restricted/none"},
    "official_b": public_titles() | {"official/none", "official/FR", "committee/FR"},
    "vetted_expert": public_titles() | OFFICIAL_ALL,
    "reviewer_assigned": public_titles() | OFFICIAL_ALL | {"committee/none", "committee/FR"},
    "reviewer_unassigned": public_titles() | OFFICIAL_ALL,
    "analyst": public_titles() | OFFICIAL_ALL | COMMITTEE_ALL | {"restricted/KZ"},
    "granter": public_titles() | OFFICIAL_ALL | COMMITTEE_ALL,
}


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_visible_returns_what_each_persona_may_see(world: World, persona: str) -> None:
    assert world.seen_by_visible(persona) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_visible_and_can_see_agree(world: World, persona: str) -> None:
    assert world.seen_by_visible(persona) == world.seen_by_can_see(persona)


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_counts_and_facets_leak_nothing(world: World, persona: str) -> None:
    rows = visible(Dossier.objects.all(), world.viewers[persona], **SCOPING)
    assert rows.count() == len(EXPECTED[persona])
    facets = dict(rows.order_by().values_list("tier").annotate(n=Count("pk")))
    assert sum(facets.values()) == len(EXPECTED[persona])
    assert "secret" not in facets


def test_rows_with_an_unknown_tier_reach_nobody(world: World) -> None:
    for persona in EXPECTED:
        assert not any(name.startswith("secret/") for name in world.seen_by_visible(persona))


def test_several_reviewers_do_not_duplicate_rows(world: World) -> None:
    world.dossiers["committee/none"].reviewers.add(world.users["reviewer_unassigned"], world.users["analyst"])
    rows = visible(Dossier.objects.all(), world.viewers["analyst"], **SCOPING)
    assert rows.filter(title="committee/none").count() == 1
    assert rows.count() == len(EXPECTED["analyst"])


def test_official_of_a_never_reads_b(world: World) -> None:
    official_a = world.viewers["official_a"]
    for name in ("official/FR", "committee/FR", "restricted/FR"):
        assert not can_see(official_a, world.dossiers[name])
        assert strip_fields(official_a, world.dossiers[name]) == {}
    assert set(strip_fields(official_a, world.dossiers["public/FR"])) == {"title", "summary"}


def test_strip_fields_for_the_state_own_official_on_a_draft(world: World) -> None:
    fields = strip_fields(world.viewers["official_a"], world.dossiers["committee/KZ"])
    assert set(fields) == {"title", "summary", "briefing", "assessment"}
    assert "handling_note" not in fields


def test_a_grant_opens_restricted_fields_of_that_object_only(world: World) -> None:
    analyst = world.viewers["analyst"]
    assert set(strip_fields(analyst, world.dossiers["restricted/KZ"])) == {
        "title",
        "summary",
        "briefing",
        "assessment",
        "handling_note",
    }
    assert "handling_note" not in strip_fields(analyst, world.dossiers["public/KZ"])
    assert not can_see(analyst, world.dossiers["restricted/FR"])


def test_an_expired_grant_gives_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    later = timezone.now() + timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "restricted/KZ" not in world.seen_by_visible("analyst")
    assert not can_see(world.viewers["analyst"], world.dossiers["restricted/KZ"])


def test_a_revoked_grant_gives_nothing(world: World) -> None:
    need_to_know_revoke(grant=world.grants["analyst"], reason="Assessment finished.", revoked_by=world.users["granter"])
    assert "restricted/KZ" not in world.seen_by_visible("analyst")
    assert not can_see(world.viewers["analyst"], world.dossiers["restricted/KZ"])
    assert "restricted/none" in world.seen_by_visible("official_a")


def test_a_grant_on_another_kind_of_object_with_the_same_id_gives_nothing(make_user: MakeUser) -> None:
    granter = make_user("granter@example.test", ["committee_analyst"])
    learner = make_user("learner@example.test", ["learner"])
    country = Country.objects.get(alpha2="KZ")
    dossier = Dossier.objects.create(pk=country.pk, title="restricted", tier=Tier.RESTRICTED)
    grant = need_to_know_grant(
        obj=country,
        user=learner,
        reason="Unrelated grant.",
        expires_at=timezone.now() + timedelta(days=1),
        granted_by=granter,
    )
    assert grant.target == country
    viewer = viewer_for(learner)
    assert not can_see(viewer, dossier)
    assert not visible(Dossier.objects.all(), viewer).exists()


def test_a_grant_does_not_help_a_disabled_account(world: World) -> None:
    user = world.users["official_a"]
    user.is_active = False
    user.save()
    viewer = viewer_for(type(user).objects.get(pk=user.pk))
    assert not can_see(viewer, world.dossiers["restricted/none"])
    rows = visible(Dossier.objects.all(), viewer, **SCOPING)
    assert set(rows.values_list("title", flat=True)) == public_titles()


def test_visible_without_optional_fields_ignores_assignment_and_scoping(world: World) -> None:
    rows = visible(Dossier.objects.all(), world.viewers["reviewer_assigned"])
    assert not rows.filter(tier=Tier.COMMITTEE).exists()
    rows = visible(Dossier.objects.filter(country__isnull=True), world.viewers["official_b"])
    assert set(rows.values_list("title", flat=True)) == {"public/none", "official/none"}


def test_visible_with_another_tier_field(make_user: MakeUser) -> None:
    analyst = viewer_for(make_user("analyst@example.test", ["committee_analyst"]))
    Dossier.objects.create(title="a", tier=Tier.COMMITTEE)
    Dossier.objects.create(title="b", tier=Tier.PUBLIC)
    rows = visible(Dossier.objects.all(), analyst, tier_field="title")
    assert not rows.exists()


# --- auditing views of RESTRICTED content ------------------------------------------------------


def test_a_view_of_restricted_content_is_audited(world: World) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="pytest")
    request.user = world.users["analyst"]
    dossier = world.dossiers["restricted/KZ"]
    event = record_restricted_view(world.viewers["analyst"], dossier, request)
    assert event is not None
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "restricted.viewed"
    assert stored.actor_id == world.users["analyst"].pk
    assert stored.object_type == "policy_tests.dossier"
    assert stored.object_id == str(dossier.pk)
    assert stored.summary == {"object": True, "fields": ["title", "handling_note"]}
    assert stored.ip_address == "192.0.2.7"
    assert dossier.handling_note not in str(stored.summary)


def test_a_restricted_field_on_a_public_object_is_audited_for_its_grantee(world: World) -> None:
    dossier = world.dossiers["public/none"]
    need_to_know_grant(
        obj=dossier,
        user=world.users["official_b"],
        reason="Needs the handling note.",
        expires_at=timezone.now() + timedelta(days=5),
        granted_by=world.users["granter"],
    )
    event: Any = record_restricted_view(world.viewers["official_b"], dossier, None)
    assert event.summary == {"object": False, "fields": ["handling_note"]}
    assert event.actor_id == world.users["official_b"].pk


@pytest.mark.parametrize("persona", ["anonymous", "learner", "official_b", "administrator", "granter"])
def test_no_event_when_nothing_restricted_is_shown(world: World, persona: str) -> None:
    before = AuditEvent.objects.filter(action="restricted.viewed").count()
    for dossier in world.dossiers.values():
        assert record_restricted_view(world.viewers[persona], dossier, None) is None
    assert AuditEvent.objects.filter(action="restricted.viewed").count() == before


def test_no_event_for_content_that_is_not_restricted(world: World) -> None:
    assert record_restricted_view(world.viewers["analyst"], world.dossiers["committee/KZ"], None) is None
    assert not AuditEvent.objects.filter(action="restricted.viewed").exists()


def test_an_unsaved_restricted_object_shows_nothing(world: World) -> None:
    unsaved = Dossier(title="draft", tier=Tier.RESTRICTED)
    for viewer in world.viewers.values():
        assert not can_see(viewer, unsaved)
        assert strip_fields(viewer, unsaved) == {}
