"""Vetting (administrators) and conflict-of-interest declarations (experts), through the services and pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from nonpro.accounts.experts import (
    coi_declare,
    coi_withdraw,
    expert_profile_update,
    expert_vet,
    expert_vetting_revoke,
    expert_vettings_expire,
    experts_search,
)
from nonpro.accounts.models import ExpertProfile, User, VettingStatus
from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import viewer_for
from tests.conftest import MakeUser


def _profile(user: Any) -> ExpertProfile:
    return ExpertProfile.objects.get(user=user)


def _shift_today(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """Pretend that ``days`` days have passed (``timezone.localdate`` is what vetting reads)."""
    real = timezone.localdate

    def later(value: Any = None, timezone: Any = None) -> date:
        return real(value, timezone) + timedelta(days=days)

    monkeypatch.setattr("django.utils.timezone.localdate", later)


@pytest.mark.django_db
def test_administrator_vets_an_expert_with_an_audit_event(make_expert: Callable[..., Any], administrator: Any) -> None:
    expert = make_expert("to-vet@example.test")
    until = timezone.localdate() + timedelta(days=200)
    profile = expert_vet(profile=_profile(expert), vetted_by=administrator, until=until, reason="Checked references.")
    assert profile.vetting_status == VettingStatus.VETTED
    assert profile.vetted_by == administrator
    assert profile.vetted_at is not None
    assert profile.vetted_until == until
    assert profile.is_vetted()
    event = AuditEvent.objects.filter(action="experts.vetting.grant").get()
    assert event.actor_id == administrator.pk
    assert event.object_type == "accounts.expertprofile"
    assert event.object_id == str(profile.pk)
    assert event.summary["before"] == {"status": "not_vetted", "until": None}
    assert event.summary["after"] == {"status": "vetted", "until": until.isoformat()}
    assert event.summary["reason"] == "Checked references."
    assert viewer_for(User.objects.get(pk=expert.pk)).is_vetted


@pytest.mark.django_db
def test_vetting_expires_after_its_end_date(
    make_expert: Callable[..., Any], administrator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expert = make_expert("expiring@example.test")
    until = timezone.localdate() + timedelta(days=10)
    expert_vet(profile=_profile(expert), vetted_by=administrator, until=until, reason="Initial vetting.")
    _shift_today(monkeypatch, 10)
    assert _profile(expert).is_vetted()  # the last day still counts
    _shift_today(monkeypatch, 11)
    profile = _profile(expert)
    assert not profile.is_vetted()
    assert profile.effective_vetting_status == VettingStatus.EXPIRED
    assert not viewer_for(User.objects.get(pk=expert.pk)).is_vetted
    # Marking the lapsed vettings is audited and idempotent.
    assert expert_vettings_expire() == 1
    assert expert_vettings_expire() == 0
    assert _profile(expert).vetting_status == VettingStatus.EXPIRED
    assert AuditEvent.objects.filter(action="experts.vetting.expire").count() == 1


@pytest.mark.django_db
def test_revoking_a_vetting(make_expert: Callable[..., Any], administrator: Any) -> None:
    expert = make_expert("revoked@example.test")
    until = timezone.localdate() + timedelta(days=100)
    expert_vet(profile=_profile(expert), vetted_by=administrator, until=until, reason="Vetted.")
    profile = expert_vetting_revoke(profile=_profile(expert), revoked_by=administrator, reason="Left the institute.")
    assert profile.vetting_status == VettingStatus.REVOKED
    assert not profile.is_vetted()
    event = AuditEvent.objects.filter(action="experts.vetting.revoke").get()
    assert event.summary["before"]["status"] == "vetted"
    assert event.summary["after"]["status"] == "revoked"


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["committee_analyst"], ["expert"], ["learner"], ["reviewer", "expert"]])
def test_only_administrators_vet(make_expert: Callable[..., Any], make_user: MakeUser, roles: list[str]) -> None:
    expert = make_expert("target@example.test")
    someone = make_user("someone@example.test", roles)
    until = timezone.localdate() + timedelta(days=30)
    with pytest.raises(PermissionDenied):
        expert_vet(profile=_profile(expert), vetted_by=someone, until=until, reason="Not allowed.")
    with pytest.raises(PermissionDenied):
        expert_vetting_revoke(profile=_profile(expert), revoked_by=someone, reason="Not allowed.")
    assert _profile(expert).vetting_status == VettingStatus.NOT_VETTED
    assert not AuditEvent.objects.filter(action__startswith="experts.vetting").exists()


@pytest.mark.django_db
def test_administrator_without_mfa_cannot_vet(make_expert: Callable[..., Any], make_user: MakeUser) -> None:
    expert = make_expert("target@example.test")
    admin = make_user("weak-admin@example.test", ["administrator"], mfa=False)
    with pytest.raises(PermissionDenied):
        expert_vet(
            profile=_profile(expert), vetted_by=admin, until=timezone.localdate() + timedelta(days=5), reason="No MFA."
        )
    assert not _profile(expert).is_vetted()


@pytest.mark.django_db
def test_vetting_rules(make_expert: Callable[..., Any], make_user: MakeUser, administrator: Any) -> None:
    expert = make_expert("rules@example.test")
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        expert_vet(profile=_profile(expert), vetted_by=administrator, until=today + timedelta(days=30), reason="  ")
    with pytest.raises(ValidationError):
        expert_vet(profile=_profile(expert), vetted_by=administrator, until=today - timedelta(days=1), reason="Past.")
    with pytest.raises(ValidationError):
        expert_vet(profile=_profile(expert), vetted_by=administrator, until=today + timedelta(days=5000), reason="X")
    # Nobody vets themselves, even an administrator who is also an expert.
    admin_expert = make_expert("admin-expert@example.test", roles=("administrator", "expert"))
    with pytest.raises(PermissionDenied):
        expert_vet(profile=_profile(admin_expert), vetted_by=admin_expert, until=today + timedelta(days=5), reason="X")
    # Only people holding the expert role are vetted.
    learner = make_user("learner@example.test", ["learner"])
    with pytest.raises(ValidationError):
        expert_vet(
            profile=ExpertProfile(user=learner), vetted_by=administrator, until=today + timedelta(days=5), reason="No."
        )
    assert not ExpertProfile.objects.filter(vetting_status=VettingStatus.VETTED).exists()
    assert not AuditEvent.objects.filter(action="experts.vetting.grant").exists()


@pytest.mark.django_db
def test_vetting_an_expert_without_a_profile_creates_it(make_expert: Callable[..., Any], administrator: Any) -> None:
    expert = make_expert("no-profile@example.test", profile=False)
    until = timezone.localdate() + timedelta(days=30)
    expert_vet(profile=ExpertProfile(user=expert), vetted_by=administrator, until=until, reason="Vetted on paper.")
    assert _profile(expert).is_vetted()


@pytest.mark.django_db
def test_vetted_only_search(make_expert: Callable[..., Any], administrator: Any, analyst: Any) -> None:
    vetted = make_expert("vetted@example.test")
    make_expert("unvetted@example.test")
    expert_vet(
        profile=_profile(vetted), vetted_by=administrator, until=timezone.localdate() + timedelta(days=3), reason="Ok."
    )
    rows = experts_search(viewer=viewer_for(analyst), vetted_only=True)
    assert [row.email for row in rows] == ["vetted@example.test"]
    assert rows[0].vetting_status == "vetted"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "roles", [[], ["learner"], ["expert"], ["reviewer", "expert"], ["administrator"], ["national_official"]]
)
def test_search_selector_refuses_everyone_but_analysts(
    make_user: MakeUser, make_expert: Callable[..., Any], roles: list[str]
) -> None:
    make_expert("hidden@example.test")
    user = make_user("asker@example.test", roles, country="KZ" if "national_official" in roles else None)
    with pytest.raises(PermissionDenied):
        experts_search(viewer=viewer_for(user))


@pytest.mark.django_db
def test_vet_page_vets_and_revokes(make_expert: Callable[..., Any], administrator: Any) -> None:
    expert = make_expert("paged@example.test", affiliation="Paged Institute")
    client = Client()
    client.force_login(administrator)
    listing = client.get("/en/experts/vetting/").content.decode()
    assert f'href="/en/experts/{expert.pk}/vet/"' in listing
    page = client.get(f"/en/experts/{expert.pk}/vet/")
    assert page.status_code == 200
    assert "Paged Institute" in page.content.decode()
    until = timezone.localdate() + timedelta(days=90)
    response = client.post(
        f"/en/experts/{expert.pk}/vet/", {"action": "vet", "until": until.isoformat(), "reason": "Interviewed."}
    )
    assert response.status_code == 302
    assert _profile(expert).is_vetted()
    assert _profile(expert).vetted_until == until
    # A vetting without a reason is refused and changes nothing.
    events = AuditEvent.objects.count()
    response = client.post(f"/en/experts/{expert.pk}/vet/", {"action": "revoke", "revoke_reason": ""})
    assert response.status_code == 400
    assert _profile(expert).is_vetted()
    assert AuditEvent.objects.count() == events
    response = client.post(f"/en/experts/{expert.pk}/vet/", {"action": "revoke", "revoke_reason": "Conflict found."})
    assert response.status_code == 302
    assert _profile(expert).vetting_status == VettingStatus.REVOKED


@pytest.mark.django_db
def test_vet_page_refuses_an_end_date_too_far(make_expert: Callable[..., Any], administrator: Any) -> None:
    expert = make_expert("far@example.test")
    client = Client()
    client.force_login(administrator)
    until = timezone.localdate() + timedelta(days=4000)
    response = client.post(f"/en/experts/{expert.pk}/vet/", {"action": "vet", "until": until, "reason": "Too long."})
    assert response.status_code == 400
    assert not _profile(expert).is_vetted()


@pytest.mark.django_db
def test_analyst_cannot_post_a_vetting(make_expert: Callable[..., Any], analyst: Any) -> None:
    expert = make_expert("target@example.test")
    client = Client()
    client.force_login(analyst)
    until = timezone.localdate() + timedelta(days=90)
    response = client.post(f"/en/experts/{expert.pk}/vet/", {"action": "vet", "until": until, "reason": "Sneaky."})
    assert response.status_code == 403
    assert not _profile(expert).is_vetted()


# --- conflicts of interest --------------------------------------------------------------------------


@pytest.mark.django_db
def test_declare_and_withdraw_a_conflict(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("coi@example.test")
    declaration = coi_declare(user=expert, relates_to="Research council", description="Holds a grant from it.")
    assert declaration.is_active
    assert declaration.expert == _profile(expert)
    event = AuditEvent.objects.filter(action="experts.coi.declare").get()
    # The log records lengths, never the words of a declaration.
    assert event.summary == {"relates_to_length": len("Research council"), "description_length": 22}
    assert "Research council" not in str(event.summary)
    assert coi_withdraw(declaration=declaration, user=expert) is True
    declaration.refresh_from_db()
    assert declaration.withdrawn_at is not None
    assert not declaration.is_active
    assert coi_withdraw(declaration=declaration, user=expert) is False  # already withdrawn
    assert AuditEvent.objects.filter(action="experts.coi.withdraw").count() == 1


@pytest.mark.django_db
def test_declaring_creates_the_profile_when_missing(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("fresh@example.test", profile=False)
    coi_declare(user=expert, relates_to="Something", description="Details.")
    assert _profile(expert).conflicts.count() == 1


@pytest.mark.django_db
def test_conflicts_need_the_expert_role_and_content(make_user: MakeUser, make_expert: Callable[..., Any]) -> None:
    learner = make_user("learner@example.test", ["learner"])
    with pytest.raises(PermissionDenied):
        coi_declare(user=learner, relates_to="Something", description="Details.")
    expert = make_expert("expert@example.test")
    with pytest.raises(ValidationError):
        coi_declare(user=expert, relates_to=" ", description="Details.")
    other = make_expert("other@example.test")
    declaration = coi_declare(user=expert, relates_to="Something", description="Details.")
    with pytest.raises(PermissionDenied):
        coi_withdraw(declaration=declaration, user=other)
    declaration.refresh_from_db()
    assert declaration.is_active
    assert not ExpertProfile.objects.filter(user=learner).exists()


@pytest.mark.django_db
def test_profile_update_validates_codes(make_expert: Callable[..., Any]) -> None:
    expert = make_expert("codes@example.test")
    with pytest.raises(ValidationError):
        expert_profile_update(user=expert, affiliation="", community="", expertise=["unknown"], languages=[])
    with pytest.raises(ValidationError):
        expert_profile_update(user=expert, affiliation="", community="", expertise=[], languages=["de"])
    with pytest.raises(ValidationError):
        expert_profile_update(user=expert, affiliation="", community="military", expertise=[], languages=[])
    profile = expert_profile_update(
        user=expert, affiliation=" X ", community="legal", expertise=["law", "law"], languages=["zh-hans"]
    )
    assert profile.affiliation == "X"
    assert profile.expertise == ["law"]


@pytest.mark.django_db
def test_expire_vettings_command_and_task(
    make_expert: Callable[..., Any], administrator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from nonpro.accounts.tasks import vettings_expire

    expert = make_expert("command@example.test")
    expert_vet(
        profile=_profile(expert), vetted_by=administrator, until=timezone.localdate() + timedelta(days=1), reason="x"
    )
    _shift_today(monkeypatch, 2)
    out = StringIO()
    call_command("expire_vettings", stdout=out)
    assert out.getvalue().strip() == "1 vetting(s) expired."
    assert _profile(expert).vetting_status == VettingStatus.EXPIRED
    assert vettings_expire.call() == 0
