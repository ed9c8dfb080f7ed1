"""Granting and revoking roles: administrators only, always with a reason, always audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from nonpro.accounts.models import Role, RoleAssignment, User
from nonpro.accounts.services import AccountsError, role_grant, role_revoke
from nonpro.core.audit.models import AuditEvent
from nonpro.core.models import Country
from nonpro.core.policy import viewer_for
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db


def _roles(user: User) -> set[tuple[str, str | None]]:
    return {
        (role, alpha2)
        for role, alpha2 in RoleAssignment.objects.filter(user=user).values_list("role", "country__alpha2")
    }


@pytest.fixture
def admin(make_user: MakeUser) -> Any:
    return make_user("admin@example.test", ["administrator"])


@pytest.fixture
def person(make_user: MakeUser) -> Any:
    return make_user("person@example.test", ["learner"])


def test_grant_with_a_reason_is_audited_and_takes_effect_at_once(admin: User, person: User) -> None:
    assert not viewer_for(person).has(Role.NATIONAL_OFFICIAL)
    kazakhstan = Country.objects.get(alpha2="KZ")

    created = role_grant(
        user=person,
        role=Role.NATIONAL_OFFICIAL,
        reason="Nominated by the mission.",
        granted_by=admin,
        country=kazakhstan,
    )

    assert created is True
    assert _roles(person) == {("learner", None), ("national_official", "KZ")}
    assert viewer_for(person).has(Role.NATIONAL_OFFICIAL)  # the cached viewer was dropped
    assert viewer_for(person).country_id == kazakhstan.pk
    event = AuditEvent.objects.get(action="role.granted", object_id=str(person.pk), actor_id=admin.pk)
    assert event.object_type == "accounts.user"
    assert event.summary == {"role": "national_official", "country": "KZ", "reason": "Nominated by the mission."}


def test_granting_a_role_held_already_changes_and_records_nothing(admin: User, person: User) -> None:
    before = AuditEvent.objects.count()

    assert role_grant(user=person, role=Role.LEARNER, reason="Again.", granted_by=admin) is False

    assert AuditEvent.objects.count() == before


def test_revoke_with_a_reason_is_audited(admin: User, make_user: MakeUser) -> None:
    official = make_user("official@example.test", ["national_official", "learner"], country="FR")

    assert role_revoke(user=official, role=Role.NATIONAL_OFFICIAL, reason="Left the post.", revoked_by=admin) is True

    assert _roles(official) == {("learner", None)}
    assert not viewer_for(official).has(Role.NATIONAL_OFFICIAL)
    event = AuditEvent.objects.get(action="role.revoked")
    assert event.actor_id == admin.pk
    assert event.summary == {"role": "national_official", "country": "FR", "reason": "Left the post."}


@pytest.mark.parametrize("reason", ["", "   "])
def test_grant_and_revoke_are_refused_without_a_reason(admin: User, person: User, reason: str) -> None:
    before = _roles(person)
    with pytest.raises(AccountsError):
        role_grant(user=person, role=Role.EXPERT, reason=reason, granted_by=admin)
    with pytest.raises(AccountsError):
        role_revoke(user=person, role=Role.LEARNER, reason=reason, revoked_by=admin)
    assert _roles(person) == before
    assert not AuditEvent.objects.filter(action__in=["role.granted", "role.revoked"], actor_id=admin.pk).exists()


@pytest.mark.parametrize(
    ("roles", "mfa"),
    [(["learner"], True), (["committee_analyst"], True), (["expert", "reviewer"], True), (["administrator"], False)],
)
def test_grant_and_revoke_are_refused_to_anyone_but_an_administrator_with_mfa(
    make_user: MakeUser, person: User, roles: list[str], mfa: bool
) -> None:
    actor = make_user("actor@example.test", roles, mfa=mfa)
    before = _roles(person)

    with pytest.raises(PermissionDenied):
        role_grant(user=person, role=Role.ADMINISTRATOR, reason="Promote myself.", granted_by=actor)
    with pytest.raises(PermissionDenied):
        role_revoke(user=person, role=Role.LEARNER, reason="Because.", revoked_by=actor)

    assert _roles(person) == before
    assert not AuditEvent.objects.filter(action__in=["role.granted", "role.revoked"], actor_id=actor.pk).exists()


def test_a_national_official_is_bound_to_exactly_one_state(admin: User, person: User) -> None:
    with pytest.raises(AccountsError):
        role_grant(user=person, role=Role.NATIONAL_OFFICIAL, reason="No State.", granted_by=admin)
    with pytest.raises(AccountsError):
        role_grant(
            user=person,
            role=Role.EXPERT,
            reason="With a State.",
            granted_by=admin,
            country=Country.objects.get(alpha2="FR"),
        )
    role_grant(
        user=person,
        role=Role.NATIONAL_OFFICIAL,
        reason="KZ.",
        granted_by=admin,
        country=Country.objects.get(alpha2="KZ"),
    )
    with pytest.raises(AccountsError):
        role_grant(
            user=person,
            role=Role.NATIONAL_OFFICIAL,
            reason="FR.",
            granted_by=admin,
            country=Country.objects.get(alpha2="FR"),
        )
    assert _roles(person) == {("learner", None), ("national_official", "KZ")}


def test_the_last_administrator_keeps_the_role(admin: User) -> None:
    with pytest.raises(AccountsError):
        role_revoke(user=admin, role=Role.ADMINISTRATOR, reason="Stepping down.", revoked_by=admin)
    assert _roles(admin) == {("administrator", None)}


# --- the roles page ------------------------------------------------------------------------------


def _page(user: User) -> str:
    return f"/en/accounts/people/{user.pk}/roles/"


def test_administrator_grants_a_role_on_the_page(admin: User, person: User) -> None:
    client = Client()
    client.force_login(admin)

    response = client.post(
        _page(person),
        {"action": "grant", "grant-role": "national_official", "grant-country": "KZ", "grant-reason": "Nominated."},
    )

    assert response.status_code == 302
    assert _roles(person) == {("learner", None), ("national_official", "KZ")}
    event = AuditEvent.objects.get(action="role.granted", actor_id=admin.pk)
    assert event.ip_address == "127.0.0.1"
    html = client.get(_page(person)).content.decode()
    assert "National official" in html
    assert "Kazakhstan" in html


def test_the_page_refuses_a_grant_without_a_reason_or_state(admin: User, person: User) -> None:
    client = Client()
    client.force_login(admin)

    no_reason = client.post(_page(person), {"action": "grant", "grant-role": "expert", "grant-reason": ""})
    no_state = client.post(_page(person), {"action": "grant", "grant-role": "national_official", "grant-reason": "x"})

    assert no_reason.status_code == 400
    assert no_state.status_code == 400
    assert "Choose the State" in no_state.content.decode()
    assert _roles(person) == {("learner", None)}


def test_administrator_revokes_a_role_on_the_page_with_a_reason(admin: User, make_user: MakeUser) -> None:
    expert = make_user("expert@example.test", ["expert", "learner"])
    client = Client()
    client.force_login(admin)

    refused = client.post(_page(expert), {"action": "revoke", "revoke-role": "expert", "revoke-reason": ""})
    assert refused.status_code == 400
    assert _roles(expert) == {("expert", None), ("learner", None)}

    done = client.post(_page(expert), {"action": "revoke", "revoke-role": "expert", "revoke-reason": "Retired."})
    assert done.status_code == 302
    assert _roles(expert) == {("learner", None)}


def test_the_page_refuses_revoking_the_last_administrator_with_a_message(admin: User) -> None:
    client = Client()
    client.force_login(admin)

    response = client.post(
        _page(admin), {"action": "revoke", "revoke-role": "administrator", "revoke-reason": "Bye."}, follow=True
    )

    assert "The last administrator keeps the role" in response.content.decode()
    assert _roles(admin) == {("administrator", None)}


@pytest.mark.parametrize("persona", ["learner", "official_a", "expert", "reviewer", "analyst"])
def test_people_pages_are_closed_to_everyone_but_administrators(
    persona_client: Any, person: User, persona: str
) -> None:
    client = persona_client(persona)

    assert client.get("/en/accounts/people/").status_code == 403
    assert client.get(_page(person)).status_code == 403
    response = client.post(_page(person), {"action": "grant", "grant-role": "administrator", "grant-reason": "me"})
    assert response.status_code == 403
    assert _roles(person) == {("learner", None)}


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, person: User) -> None:
    for path in ("/en/accounts/people/", _page(person), "/en/accounts/profile/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")


def test_people_list_searches_by_e_mail(admin: User, person: User, make_user: MakeUser) -> None:
    make_user("someone.else@example.test", ["expert"])
    client = Client()
    client.force_login(admin)

    html = client.get("/en/accounts/people/?q=person@").content.decode()

    assert "person@example.test" in html
    assert "someone.else@example.test" not in html


def test_administrator_disables_an_account_from_the_page(admin: User, person: User) -> None:
    person_client = Client()
    person_client.force_login(person)
    client = Client()
    client.force_login(admin)

    client.post(_page(person), {"action": "disable", "status-reason": ""})
    person.refresh_from_db()
    assert person.is_active

    response = client.post(_page(person), {"action": "disable", "status-reason": "Left."})
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.is_active
    assert person_client.get("/en/accounts/profile/").status_code == 302


def test_admin_inline_shows_roles_read_only(admin: User, person: User) -> None:
    client = Client()
    client.force_login(admin)

    html = client.get(f"/en/admin/accounts/user/{person.pk}/change/").content.decode()
    assert "Learner" in html
    assert "test fixture" in html  # the reason, shown
    for field in ("role", "country", "reason", "DELETE"):
        assert f'name="role_assignments-0-{field}"' not in html  # but not editable
    assert 'name="role_assignments-__prefix__-' not in html  # and none can be added


# --- profile -------------------------------------------------------------------------------------


def test_profile_lists_roles_and_state_and_saves_the_display_name(make_user: MakeUser) -> None:
    official = make_user("official@example.test", ["national_official", "learner"], country="KZ")
    client = Client()
    client.force_login(official)

    html = client.get("/en/accounts/profile/").content.decode()
    assert "National official" in html
    assert "Learner" in html
    assert "Kazakhstan" in html
    for link in ("/en/accounts/password/change/", "/en/accounts/email/", "/en/accounts/2fa/", "/en/accounts/sessions/"):
        assert f'href="{link}"' in html

    response = client.post("/en/accounts/profile/", {"display_name": "A. Official"})
    assert response.status_code == 302
    official.refresh_from_db()
    assert official.display_name == "A. Official"
    assert AuditEvent.objects.filter(action="user.profile_changed", actor_id=official.pk).count() == 1
    assert "Казахстан" in client.get("/ru/accounts/profile/").content.decode()


def test_a_crafted_admin_post_cannot_change_roles(admin: User, person: User) -> None:
    client = Client()
    client.force_login(admin)
    assignment = RoleAssignment.objects.get(user=person)
    data = {
        "email": person.email,
        "display_name": "Renamed",
        "first_name": "",
        "last_name": "",
        "role_assignments-TOTAL_FORMS": "2",
        "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-id": str(assignment.pk),
        "role_assignments-0-user": str(person.pk),
        "role_assignments-0-role": "administrator",
        "role_assignments-0-reason": "crafted",
        "role_assignments-0-DELETE": "on",
        "role_assignments-1-user": str(person.pk),
        "role_assignments-1-role": "committee_analyst",
        "role_assignments-1-reason": "crafted",
    }

    response = client.post(f"/en/admin/accounts/user/{person.pk}/change/", data)

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.display_name == "Renamed"
    assert _roles(person) == {("learner", None)}
    assert AuditEvent.objects.get(action="user.changed").summary == {"via": "admin", "fields": ["Display name"]}


def test_point_of_contact_is_set_with_a_reason_audited_and_only_for_officials(
    admin: User, person: User, make_user: MakeUser
) -> None:
    from django.db import IntegrityError, transaction

    from nonpro.accounts.services import point_of_contact_set

    official = make_user("poc@example.test", ["national_official"], country="KZ")
    assert point_of_contact_set(
        user=official, is_point_of_contact=True, reason="Named by the mission.", changed_by=admin
    )
    assert RoleAssignment.objects.get(user=official, role="national_official").is_point_of_contact
    event = AuditEvent.objects.get(action="role.point_of_contact_set", object_id=str(official.pk))
    assert event.summary == {"country": "KZ", "reason": "Named by the mission."}
    # the same value again changes and records nothing
    before = AuditEvent.objects.count()
    assert not point_of_contact_set(user=official, is_point_of_contact=True, reason="Again.", changed_by=admin)
    assert AuditEvent.objects.count() == before
    # refused: no reason, not an official, not an administrator
    with pytest.raises(AccountsError):
        point_of_contact_set(user=official, is_point_of_contact=False, reason=" ", changed_by=admin)
    with pytest.raises(AccountsError):
        point_of_contact_set(user=person, is_point_of_contact=True, reason="No.", changed_by=admin)
    with pytest.raises(PermissionDenied):
        point_of_contact_set(user=official, is_point_of_contact=False, reason="No.", changed_by=person)
    assert RoleAssignment.objects.get(user=official, role="national_official").is_point_of_contact
    # the database refuses a point of contact on another role
    with transaction.atomic(), pytest.raises(IntegrityError):
        RoleAssignment.objects.filter(user=person, role="learner").update(is_point_of_contact=True)


def test_administrator_designates_a_point_of_contact_on_the_roles_page(admin: User, make_user: MakeUser) -> None:
    official = make_user("page-poc@example.test", ["national_official"], country="FR")
    client = Client()
    client.force_login(admin)
    url = f"/en/accounts/people/{official.pk}/roles/"
    page = client.get(url).content.decode()
    assert "Point of contact of their State" in page
    response = client.post(url, {"action": "point_of_contact", "poc-is_point_of_contact": "on", "poc-reason": "Named."})
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=official, role="national_official").is_point_of_contact
    assert "point of contact" in client.get(url).content.decode()
