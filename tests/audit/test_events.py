"""Account events are written to the audit log as people sign in, fail, sign out and change secrets."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.test import Client

from nonpro.core.audit.models import AuditEvent
from nonpro.core.audit.services import event_hash
from tests.conftest import MakeUser, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/en/accounts/login/"
BROWSER: dict[str, Any] = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "AuditTestBrowser/1.0"}


def row_text(event: AuditEvent) -> str:
    """Every stored column of the event as one string, to search for secrets that must not be there."""
    return " ".join(str(getattr(event, field.attname)) for field in AuditEvent._meta.concrete_fields) + json.dumps(
        event.summary
    )


def signed_in(client: Client, email: str) -> None:
    response = client.post(LOGIN, {"login": email, "password": PASSWORD}, **BROWSER)
    assert response.status_code == 302, response.content


def reauthenticated(client: Client) -> None:
    """Confirm the password again, as allauth asks before e-mail and MFA changes."""
    response = client.post("/en/accounts/reauthenticate/", {"password": PASSWORD}, **BROWSER)
    assert response.status_code == 302, response.content


def test_signing_in_records_who_from_where(make_user: MakeUser, client: Client) -> None:
    user = make_user("sign.in@example.test", ["learner"])

    signed_in(client, "sign.in@example.test")

    event = AuditEvent.objects.get(action="account.signed_in")
    assert event.actor_id == user.pk
    assert event.actor_label == "sign.in@example.test"
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
    assert event.ip_address == "203.0.113.7"
    assert event.user_agent == "AuditTestBrowser/1.0"
    assert event_hash(event) == event.hash


def test_a_failed_sign_in_records_the_attempted_email_and_never_the_password(
    make_user: MakeUser, client: Client
) -> None:
    user = make_user("target@example.test", ["learner"])

    response = client.post(LOGIN, {"login": "target@example.test", "password": "Wrong-Guess-4711"}, **BROWSER)

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="account.sign_in_failed")
    assert event.actor_id is None
    assert event.summary == {"email": "target@example.test"}
    assert (event.object_type, event.object_id) == ("accounts.user", str(user.pk))
    assert event.ip_address == "203.0.113.7"
    assert "Wrong-Guess-4711" not in row_text(event)
    assert not AuditEvent.objects.filter(action="account.signed_in").exists()


def test_a_failed_sign_in_for_an_unknown_address_is_recorded_without_an_object(client: Client, db: None) -> None:
    client.post(LOGIN, {"login": "nobody@example.test", "password": "Whatever-123-x"}, **BROWSER)

    event = AuditEvent.objects.get(action="account.sign_in_failed")
    assert event.summary == {"email": "nobody@example.test"}
    assert (event.object_type, event.object_id) == ("", "")
    assert "Whatever-123-x" not in row_text(event)


def test_signing_out_records_an_event(make_user: MakeUser, client: Client) -> None:
    user = make_user("sign.out@example.test", ["learner"])
    signed_in(client, "sign.out@example.test")

    response = client.post("/en/accounts/logout/", **BROWSER)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="account.signed_out")
    assert event.actor_id == user.pk
    assert event.ip_address == "203.0.113.7"


def test_signing_out_without_a_session_records_nothing(client: Client, db: None) -> None:
    client.post("/en/accounts/logout/", **BROWSER)

    assert not AuditEvent.objects.filter(action="account.signed_out").exists()


def test_changing_the_password_records_an_event_without_either_password(make_user: MakeUser, client: Client) -> None:
    user = make_user("changer@example.test", ["learner"])
    signed_in(client, "changer@example.test")
    new_password = "a much longer new passphrase 2026"

    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
        **BROWSER,
    )

    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(action="account.password_changed")
    assert event.actor_id == user.pk
    assert new_password not in row_text(event)
    assert PASSWORD not in row_text(event)


def test_a_refused_password_change_records_nothing(make_user: MakeUser, client: Client) -> None:
    make_user("refused@example.test", ["learner"])
    signed_in(client, "refused@example.test")

    response = client.post(
        "/en/accounts/password/change/",
        {"oldpassword": "not my password", "password1": "x", "password2": "y"},
        **BROWSER,
    )

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="account.password_changed").exists()


def test_turning_mfa_on_and_off_records_events_without_the_secret(make_user: MakeUser, client: Client) -> None:
    user = make_user("mfa.change@example.test", ["learner"])
    signed_in(client, "mfa.change@example.test")
    reauthenticated(client)
    client.get("/en/accounts/2fa/totp/activate/")
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post("/en/accounts/2fa/totp/activate/", {"code": totp_code(secret)}, **BROWSER)

    assert response.status_code == 302, response.content
    added = AuditEvent.objects.filter(action="mfa.authenticator_added", actor=user)
    assert {event.summary["type"] for event in added} == {"totp", "recovery_codes"}
    assert all(event.ip_address == "203.0.113.7" for event in added)
    assert all(secret not in row_text(event) for event in added)

    response = client.post("/en/accounts/2fa/totp/deactivate/", **BROWSER)

    assert response.status_code == 302, response.content
    removed = AuditEvent.objects.filter(action="mfa.authenticator_removed", actor=user)
    assert {event.summary["type"] for event in removed} == {"totp", "recovery_codes"}


def test_a_wrong_mfa_code_adds_nothing_and_records_no_change(make_user: MakeUser, client: Client) -> None:
    user = make_user("mfa.wrong@example.test", ["learner"])
    signed_in(client, "mfa.wrong@example.test")
    reauthenticated(client)
    client.get("/en/accounts/2fa/totp/activate/")
    wrong = f"{(int(totp_code(client.session[SECRET_SESSION_KEY])) + 1) % 1_000_000:06d}"

    response = client.post("/en/accounts/2fa/totp/activate/", {"code": wrong}, **BROWSER)

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="mfa.authenticator_added", actor=user).exists()


def test_adding_an_email_address_records_an_event(make_user: MakeUser, client: Client) -> None:
    user = make_user("mail.change@example.test", ["learner"])
    signed_in(client, "mail.change@example.test")
    reauthenticated(client)

    response = client.post("/en/accounts/email/", {"action_add": "", "email": "second@example.test"}, **BROWSER)

    assert response.status_code == 302, response.content
    event = AuditEvent.objects.get(action="account.email_added")
    assert event.actor_id == user.pk
    assert event.summary == {"email": "second@example.test"}


def test_every_recorded_account_event_keeps_the_chain(make_user: MakeUser, client: Client) -> None:
    make_user("chain@example.test", ["learner"])
    signed_in(client, "chain@example.test")
    client.post("/en/accounts/logout/", **BROWSER)

    events = list(AuditEvent.objects.order_by("seq"))
    for before, after in pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    assert all(event_hash(event) == event.hash for event in events)
