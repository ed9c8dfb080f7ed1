"""Need-to-know services: who may grant, reason and expiry rules, renewal, revocation, audit events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.utils import timezone

from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant, need_to_know_renew, need_to_know_revoke
from nonpro.core.models import NeedToKnowGrant
from nonpro.core.policy import Tier, can, can_see, viewer_for
from tests.conftest import MakeUser
from tests.policy.tiered import Dossier


def in_days(days: float) -> datetime:
    return timezone.now() + timedelta(days=days)


class People:
    def __init__(self, make_user: MakeUser) -> None:
        self.granter = make_user("granter@example.test", ["committee_analyst"])
        self.other_analyst = make_user("other@example.test", ["committee_analyst"])
        self.grantee = make_user("grantee@example.test", ["national_official"], country="KZ")
        self.dossier = Dossier.objects.create(title="restricted item", tier=Tier.RESTRICTED)

    def grant(self, **overrides: Any) -> NeedToKnowGrant:
        arguments: dict[str, Any] = {
            "obj": self.dossier,
            "user": self.grantee,
            "reason": "Prepares the State's report.",
            "expires_at": in_days(30),
            "granted_by": self.granter,
        }
        arguments.update(overrides)
        return need_to_know_grant(**arguments)


@pytest.fixture
def people(make_user: MakeUser) -> People:
    return People(make_user)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_only_committee_analysts_may_grant(make_user: MakeUser) -> None:
    assert can(viewer_for(make_user("a@example.test", ["committee_analyst"])), "need_to_know.grant")
    for email, roles, mfa in [
        ("b@example.test", ["administrator"], None),
        ("c@example.test", ["expert", "reviewer"], None),
        ("d@example.test", ["learner"], None),
        ("e@example.test", ["committee_analyst"], False),
    ]:
        assert not can(viewer_for(make_user(email, roles, mfa=mfa)), "need_to_know.grant")


def test_a_grant_opens_the_object_and_is_audited(people: People) -> None:
    assert not can_see(viewer_for(people.grantee), people.dossier)
    request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.9")
    request.user = people.granter
    grant = people.grant(request=request)
    assert grant.is_active()
    assert grant.granted_by == people.granter
    assert (grant.content_type.model, grant.object_id) == ("dossier", people.dossier.pk)
    assert can_see(viewer_for(type(people.grantee).objects.get(pk=people.grantee.pk)), people.dossier)
    [event] = events("need_to_know.granted")
    assert event.actor_id == people.granter.pk
    assert (event.object_type, event.object_id) == ("policy_tests.dossier", str(people.dossier.pk))
    assert event.summary["user"] == people.grantee.pk
    assert event.summary["grant"] == grant.pk
    assert event.summary["reason"] == "Prepares the State's report."
    assert event.summary["expires_at"] == grant.expires_at.isoformat()
    assert event.ip_address == "192.0.2.9"
    assert people.dossier.handling_note not in str(event.summary)


@pytest.mark.parametrize(
    ("roles", "mfa"),
    [
        (["administrator"], None),
        (["expert", "reviewer"], None),
        (["national_official"], None),
        (["committee_analyst"], False),
    ],
)
def test_others_may_not_grant(people: People, make_user: MakeUser, roles: list[str], mfa: bool | None) -> None:
    country = "KZ" if "national_official" in roles else None
    someone = make_user("someone@example.test", roles, country=country, mfa=mfa)
    with pytest.raises(PermissionDenied):
        people.grant(granted_by=someone)
    assert not NeedToKnowGrant.objects.exists()
    assert not events("need_to_know.granted")


def test_nobody_grants_to_themselves(people: People) -> None:
    with pytest.raises(PermissionDenied):
        people.grant(user=people.granter)
    with pytest.raises(PermissionDenied):
        people.grant(granted_by=None)
    assert not NeedToKnowGrant.objects.exists()
    assert not events("need_to_know.granted")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"reason": ""}, "reason_required"),
        ({"reason": "   \n"}, "reason_required"),
        ({"expires_at": in_days(-1)}, "expiry_past"),
        ({"expires_at": in_days(91)}, "expiry_too_far"),
        ({"expires_at": datetime(2999, 1, 1)}, "expiry_naive"),
    ],
)
def test_bad_input_is_refused(people: People, overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationError) as error:
        people.grant(**overrides)
    assert error.value.code == code
    assert not NeedToKnowGrant.objects.exists()
    assert not events("need_to_know.granted")


def test_the_maximum_comes_from_the_setting(people: People, settings: Any) -> None:
    settings.NEED_TO_KNOW_MAX_DAYS = 7
    with pytest.raises(ValidationError):
        people.grant(expires_at=in_days(8))
    assert people.grant(expires_at=in_days(6.9)).is_active()


def test_a_disabled_account_gets_no_grant(people: People) -> None:
    people.grantee.is_active = False
    people.grantee.save()
    with pytest.raises(ValidationError):
        people.grant()
    assert not NeedToKnowGrant.objects.exists()


def test_an_object_without_an_integer_key_gets_no_grant(people: People) -> None:
    with pytest.raises(ValidationError):
        people.grant(obj=Dossier(title="unsaved", tier=Tier.RESTRICTED))
    assert not NeedToKnowGrant.objects.exists()


def test_one_open_grant_per_person_and_object(people: People) -> None:
    people.grant()
    with pytest.raises(ValidationError) as error:
        people.grant(granted_by=people.other_analyst)
    assert error.value.code == "grant_exists"
    assert NeedToKnowGrant.objects.count() == 1
    assert len(events("need_to_know.granted")) == 1


def test_renewal_sets_a_new_expiry_and_is_audited(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    grant = people.grant(expires_at=in_days(10))
    first_expiry = grant.expires_at
    # Eleven days later the grant has lapsed; a renewal opens the object again.
    later = timezone.now() + timedelta(days=11)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert not grant.is_active()
    assert not can_see(viewer_for(type(people.grantee).objects.get(pk=people.grantee.pk)), people.dossier)
    renewed = need_to_know_renew(
        grant=grant, expires_at=later + timedelta(days=20), reason="Report delayed.", renewed_by=people.other_analyst
    )
    assert renewed.is_active()
    assert renewed.expires_at == later + timedelta(days=20)
    assert renewed.renewed_by == people.other_analyst
    assert renewed.reason == "Report delayed."
    assert can_see(viewer_for(type(people.grantee).objects.get(pk=people.grantee.pk)), people.dossier)
    [event] = events("need_to_know.renewed")
    assert event.actor_id == people.other_analyst.pk
    assert (event.object_type, event.object_id) == ("policy_tests.dossier", str(people.dossier.pk))
    assert event.summary["previous_expires_at"] == first_expiry.isoformat()
    assert event.summary["expires_at"] == renewed.expires_at.isoformat()


def test_renewal_follows_the_same_rules(people: People, make_user: MakeUser) -> None:
    grant = people.grant(expires_at=in_days(10))
    with pytest.raises(ValidationError):
        need_to_know_renew(grant=grant, expires_at=in_days(100), reason="Longer.", renewed_by=people.granter)
    with pytest.raises(ValidationError):
        need_to_know_renew(grant=grant, expires_at=in_days(20), reason="", renewed_by=people.granter)
    with pytest.raises(PermissionDenied):
        need_to_know_renew(grant=grant, expires_at=in_days(20), reason="Mine.", renewed_by=people.grantee)
    administrator = make_user("admin@example.test", ["administrator"])
    with pytest.raises(PermissionDenied):
        need_to_know_renew(grant=grant, expires_at=in_days(20), reason="Admin.", renewed_by=administrator)
    grant.refresh_from_db()
    assert grant.renewed_at is None
    assert not events("need_to_know.renewed")


def test_an_analyst_does_not_renew_their_own_grant(people: People) -> None:
    grant = people.grant(user=people.other_analyst)
    with pytest.raises(PermissionDenied):
        need_to_know_renew(grant=grant, expires_at=in_days(20), reason="Mine.", renewed_by=people.other_analyst)


def test_revocation_ends_access_and_is_audited(people: People) -> None:
    grant = people.grant()
    revoked = need_to_know_revoke(grant=grant, reason="Report finished.", revoked_by=people.other_analyst)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == people.other_analyst
    assert revoked.revoke_reason == "Report finished."
    assert not revoked.is_active()
    assert not NeedToKnowGrant.objects.active().exists()
    assert not can_see(viewer_for(type(people.grantee).objects.get(pk=people.grantee.pk)), people.dossier)
    [event] = events("need_to_know.revoked")
    assert event.actor_id == people.other_analyst.pk
    assert event.summary["reason"] == "Report finished."
    assert (event.object_type, event.object_id) == ("policy_tests.dossier", str(people.dossier.pk))


def test_a_revoked_grant_is_neither_revoked_again_nor_renewed(people: People) -> None:
    grant = people.grant()
    need_to_know_revoke(grant=grant, reason="Done.", revoked_by=people.granter)
    with pytest.raises(ValidationError):
        need_to_know_revoke(grant=grant, reason="Again.", revoked_by=people.granter)
    with pytest.raises(ValidationError):
        need_to_know_renew(grant=grant, expires_at=in_days(5), reason="Back.", renewed_by=people.granter)
    assert len(events("need_to_know.revoked")) == 1
    assert not events("need_to_know.renewed")


def test_revocation_needs_a_reason_and_the_right(people: People) -> None:
    grant = people.grant()
    with pytest.raises(ValidationError):
        need_to_know_revoke(grant=grant, reason=" ", revoked_by=people.granter)
    with pytest.raises(PermissionDenied):
        need_to_know_revoke(grant=grant, reason="Not mine to revoke.", revoked_by=people.grantee)
    grant.refresh_from_db()
    assert grant.is_active()
    assert not events("need_to_know.revoked")


def test_a_new_grant_after_revocation_keeps_the_history(people: People) -> None:
    first = people.grant()
    need_to_know_revoke(grant=first, reason="Paused.", revoked_by=people.granter)
    second = people.grant(reason="Resumed.")
    assert second.pk != first.pk
    assert NeedToKnowGrant.objects.count() == 2
    assert list(NeedToKnowGrant.objects.active()) == [second]
