"""Sign-up with a verified e-mail address, sign-in, sign-out, password reset and password rules."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from nonpro.accounts.models import User
from nonpro.core.audit.models import AuditEvent
from tests.accounts.conftest import PASSWORD, sign_in, signed_in_email
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/en/accounts/signup/"


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://testserver(/\S+)", str(message.body))
    assert match is not None, message.body
    return match.group(1)


def test_sign_up_sends_a_verification_e_mail_and_sign_in_waits_for_it(client: Client) -> None:
    response = client.post(SIGNUP_URL, {"email": "new@example.test", "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/confirm-email/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.test"]
    assert "/en/accounts/confirm-email/" in str(mail.outbox[0].body)
    assert signed_in_email(client) is None

    refused = sign_in(Client(), "new@example.test")
    assert refused.status_code == 302
    assert refused["Location"] == "/en/accounts/confirm-email/"

    confirm_url = _link(mail.outbox[0])
    assert client.post(confirm_url).status_code == 302

    person = Client()
    assert sign_in(person, "new@example.test")["Location"] == "/en/accounts/profile/"
    assert signed_in_email(person) == "new@example.test"


def test_sign_up_refuses_a_short_or_common_password_and_creates_no_account(client: Client) -> None:
    for password in ("short-pass1", "password1234"):
        response = client.post(SIGNUP_URL, {"email": "weak@example.test", "password1": password, "password2": password})
        assert response.status_code == 200
    assert not User.objects.filter(email="weak@example.test").exists()
    assert mail.outbox == []


def test_sign_up_accepts_a_passphrase_of_128_characters_but_not_129(client: Client) -> None:
    long_enough = ("the quick brown fox jumps over the lazy dog " * 3)[:128]
    too_long = long_enough + "x"
    response = client.post(SIGNUP_URL, {"email": "long@example.test", "password1": too_long, "password2": too_long})
    assert response.status_code == 200
    assert "at most 128 characters" in response.content.decode()
    assert not User.objects.filter(email="long@example.test").exists()

    response = client.post(
        SIGNUP_URL, {"email": "long@example.test", "password1": long_enough, "password2": long_enough}
    )
    assert response.status_code == 302
    assert User.objects.get(email="long@example.test").check_password(long_enough)


def test_sign_in_and_sign_out(make_user: MakeUser, client: Client) -> None:
    make_user("learner@example.test", ["learner"])

    response = sign_in(client, "learner@example.test")

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/profile/"
    assert signed_in_email(client) == "learner@example.test"
    assert AuditEvent.objects.filter(action="account.signed_in", actor_label="learner@example.test").exists()

    response = client.post("/en/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_email(client) is None


def test_a_wrong_password_does_not_sign_in(make_user: MakeUser, client: Client) -> None:
    make_user("learner@example.test", ["learner"])

    response = sign_in(client, "learner@example.test", "not the right password")

    assert response.status_code == 200
    assert signed_in_email(client) is None


def test_password_reset_sends_a_link_that_sets_a_new_password(make_user: MakeUser, client: Client) -> None:
    make_user("forgetful@example.test", ["learner"])

    response = client.post("/en/accounts/password/reset/", {"email": "forgetful@example.test"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0])
    assert "/en/accounts/password/reset/key/" in link
    form_url = client.get(link)["Location"]  # allauth moves the key out of the URL into the session
    new_password = "a brand new passphrase for nonpro"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    assert User.objects.get(email="forgetful@example.test").check_password(new_password)


def test_password_reset_for_an_unknown_address_reveals_nothing(client: Client) -> None:
    response = client.post("/en/accounts/password/reset/", {"email": "nobody@example.test"})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/password/reset/done/"


@pytest.mark.parametrize("language", ["ar", "zh-hans", "en", "fr", "ru", "es"])
def test_account_pages_render_in_every_language_inside_the_site_layout(
    make_user: MakeUser, client: Client, language: str
) -> None:
    for path in ("login/", "signup/", "password/reset/"):
        html = client.get(f"/{language}/accounts/{path}").content.decode()
        assert f'<html lang="{language}"' in html
        assert 'class="site-header"' in html
        assert " style=" not in html
    user = make_user(f"{language}@example.test", ["learner"])
    client.force_login(user)
    for path in ("profile/", "email/", "password/change/", "2fa/", "sessions/"):
        response = client.get(f"/{language}/accounts/{path}")
        assert response.status_code == 200, path
        html = response.content.decode()
        assert 'class="account-nav-tabs"' in html
        assert " style=" not in html
        for script in re.findall(r"<script[^>]*>", html):
            assert 'src="/static/' in script or 'type="application/json"' in script or "nonce=" in script


def test_sign_in_page_uses_allauth_translations(client: Client) -> None:
    assert "Sign In" in client.get("/en/accounts/login/").content.decode()
    assert "Connexion" in client.get("/fr/accounts/login/").content.decode()
