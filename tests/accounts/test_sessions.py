"""Sessions: an idle and an absolute timeout, and disabling an account ends all its sessions."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.test import Client

from nonpro.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from nonpro.accounts.models import User
from nonpro.accounts.services import AccountsError, user_disable, user_enable
from nonpro.core.audit.models import AuditEvent
from tests.accounts.conftest import sign_in, signed_in_email
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db


def _set_clock(client: Client, key: str, seconds_ago: float) -> None:
    session = client.session
    session[key] = time.time() - seconds_ago
    session.save()


def _sessions_of(user: User) -> int:
    return sum(1 for s in Session.objects.all() if str(s.get_decoded().get("_auth_user_id")) == str(user.pk))


def test_timeouts_are_thirty_minutes_idle_and_twelve_hours_absolute() -> None:
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT


def test_sign_in_starts_both_clocks(make_user: MakeUser, client: Client) -> None:
    make_user("learner@example.test", ["learner"])
    before = time.time()

    sign_in(client, "learner@example.test")

    session = client.session
    assert before <= session[SIGNED_IN_AT] <= time.time()
    assert before <= session[LAST_SEEN_AT] <= time.time()


def test_activity_within_the_idle_timeout_keeps_the_session(make_user: MakeUser, client: Client) -> None:
    make_user("learner@example.test", ["learner"])
    sign_in(client, "learner@example.test")
    _set_clock(client, LAST_SEEN_AT, settings.SESSION_IDLE_TIMEOUT - 60)

    assert signed_in_email(client) == "learner@example.test"
    assert time.time() - client.session[LAST_SEEN_AT] < 5  # the request moved the idle clock


def test_idle_session_is_signed_out(make_user: MakeUser, client: Client) -> None:
    user = make_user("learner@example.test", ["learner"])
    sign_in(client, "learner@example.test")
    _set_clock(client, LAST_SEEN_AT, settings.SESSION_IDLE_TIMEOUT + 1)

    response = client.get("/en/accounts/profile/", follow=True)

    assert response.redirect_chain[0][0].startswith("/en/accounts/login/")
    assert "You were signed out after 30 minutes without activity" in response.content.decode()
    assert signed_in_email(client) is None
    assert _sessions_of(user) == 0
    assert not UserSession.objects.filter(user=user).exists()


def test_session_older_than_the_absolute_timeout_is_signed_out_despite_activity(
    make_user: MakeUser, client: Client
) -> None:
    make_user("learner@example.test", ["learner"])
    sign_in(client, "learner@example.test")
    _set_clock(client, SIGNED_IN_AT, settings.SESSION_ABSOLUTE_TIMEOUT + 1)
    _set_clock(client, LAST_SEEN_AT, 1)

    response = client.get("/en/", follow=True)

    assert "because you signed in more than 12 hours ago" in response.content.decode()
    assert signed_in_email(client) is None


def test_a_session_without_clocks_gets_them_at_its_first_request(make_user: MakeUser, client: Client) -> None:
    client.force_login(make_user("learner@example.test", ["learner"]))
    assert SIGNED_IN_AT not in client.session

    assert signed_in_email(client) == "learner@example.test"

    assert time.time() - client.session[SIGNED_IN_AT] < 5


def _three_sessions(user: User) -> tuple[Client, Client, Client]:
    signed_in = Client()
    sign_in(signed_in, user.email)  # tracked by allauth.usersessions at sign-in
    used = Client()
    used.force_login(user)
    used.get("/en/")  # tracked at its first request
    untracked = Client()
    untracked.force_login(user)  # never used: found by decoding the stored sessions
    return signed_in, used, untracked


def test_disabling_an_account_ends_all_its_sessions(make_user: MakeUser) -> None:
    admin = make_user("admin@example.test", ["administrator"])
    user = make_user("learner@example.test", ["learner"])
    clients = _three_sessions(user)
    assert _sessions_of(user) == 3

    ended = user_disable(user=user, reason="Left the ministry.", disabled_by=admin)

    assert ended >= 3
    assert _sessions_of(user) == 0
    assert not UserSession.objects.filter(user=user).exists()
    for client in clients:
        assert signed_in_email(client) is None
    event = AuditEvent.objects.get(action="user.disabled")
    assert event.actor_id == admin.pk
    assert event.object_id == str(user.pk)
    assert event.summary["reason"] == "Left the ministry."
    response = sign_in(Client(), "learner@example.test")
    assert response["Location"] == "/en/accounts/inactive/"


def test_enabling_an_account_lets_it_sign_in_again(make_user: MakeUser) -> None:
    admin = make_user("admin@example.test", ["administrator"])
    user = make_user("learner@example.test", ["learner"])
    user_disable(user=user, reason="Suspicious activity.", disabled_by=admin)

    assert user_enable(user=user, reason="Checked with the person.", enabled_by=admin) is True

    client = Client()
    assert sign_in(client, "learner@example.test").status_code == 302
    assert signed_in_email(client) == "learner@example.test"
    assert AuditEvent.objects.filter(action="user.enabled", actor_id=admin.pk).count() == 1


@pytest.mark.parametrize("actor_roles", [["learner"], ["committee_analyst"], ["national_official"]])
def test_only_an_administrator_may_disable_an_account(make_user: MakeUser, actor_roles: list[str]) -> None:
    actor = make_user("actor@example.test", actor_roles, country="FR")
    user = make_user("learner@example.test", ["learner"])
    client = Client()
    client.force_login(user)

    with pytest.raises(PermissionDenied):
        user_disable(user=user, reason="No reason to.", disabled_by=actor)

    user.refresh_from_db()
    assert user.is_active
    assert signed_in_email(client) == "learner@example.test"
    assert not AuditEvent.objects.filter(action="user.disabled").exists()


def test_an_administrator_without_mfa_may_not_disable_an_account(make_user: MakeUser) -> None:
    actor = make_user("admin@example.test", ["administrator"], mfa=False)
    user = make_user("learner@example.test", ["learner"])

    with pytest.raises(PermissionDenied):
        user_disable(user=user, reason="No MFA yet.", disabled_by=actor)

    user.refresh_from_db()
    assert user.is_active


def test_disabling_needs_a_reason_and_is_not_for_oneself(make_user: MakeUser) -> None:
    admin = make_user("admin@example.test", ["administrator"])
    user = make_user("learner@example.test", ["learner"])

    with pytest.raises(AccountsError):
        user_disable(user=user, reason="   ", disabled_by=admin)
    with pytest.raises(AccountsError):
        user_disable(user=admin, reason="Leaving.", disabled_by=admin)

    user.refresh_from_db()
    admin.refresh_from_db()
    assert user.is_active
    assert admin.is_active
    assert not AuditEvent.objects.filter(action="user.disabled").exists()


def test_admin_action_disables_with_a_reason_and_ends_sessions(make_user: MakeUser) -> None:
    admin = make_user("admin@example.test", ["administrator"])
    user = make_user("learner@example.test", ["learner"])
    victim_client = Client()
    sign_in(victim_client, "learner@example.test")
    admin_client = Client()
    admin_client.force_login(admin)
    changelist = "/en/admin/accounts/user/"
    chosen = {"action": "disable_accounts", "_selected_action": [str(user.pk)]}

    confirm = admin_client.post(changelist, chosen)
    assert confirm.status_code == 200
    assert "learner@example.test" in confirm.content.decode()
    without_reason = admin_client.post(changelist, {**chosen, "confirm": "yes", "status-reason": ""})
    assert without_reason.status_code == 200
    user.refresh_from_db()
    assert user.is_active

    done = admin_client.post(changelist, {**chosen, "confirm": "yes", "status-reason": "Account compromised."})

    assert done.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert signed_in_email(victim_client) is None
    assert AuditEvent.objects.get(action="user.disabled").summary["reason"] == "Account compromised."


def test_admin_form_cannot_flip_the_active_flag_directly(make_user: MakeUser) -> None:
    admin = make_user("admin@example.test", ["administrator"])
    user = make_user("learner@example.test", ["learner"])
    admin_client = Client()
    admin_client.force_login(admin)

    html = admin_client.get(f"/en/admin/accounts/user/{user.pk}/change/").content.decode()

    assert 'name="is_active"' not in html
    assert 'name="is_superuser"' not in html
    assert f"/en/accounts/people/{user.pk}/roles/" in html


def test_inconsistent_timeouts_stop_the_site_from_starting(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NONPRO_", "DJANGO_"))}
    env |= {"NONPRO_DATA_DIR": str(tmp_path), "NONPRO_SESSION_IDLE_TIMEOUT": "7200"}
    env["NONPRO_SESSION_ABSOLUTE_TIMEOUT"] = "3600"
    nonpro = str(Path(sys.executable).parent / "nonpro")

    done = subprocess.run(
        [nonpro, "manage", "check"], env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode != 0
    assert "NONPRO_SESSION_IDLE_TIMEOUT" in done.stderr
