"""MFA: privileged roles count only with MFA, are kept out of privileged areas until then, and sign in with it."""

from __future__ import annotations

import pytest
from django.test import Client

from nonpro.core.policy import viewer_for
from tests.accounts.conftest import MFA_URL, PASSWORD, sign_in, signed_in_email
from tests.conftest import MakeUser, totp_code

pytestmark = pytest.mark.django_db

TOTP_SETUP = "/en/accounts/2fa/totp/activate/"
PRIVILEGED_AREAS = ["/en/admin/", "/en/admin/accounts/user/", "/en/audit/", "/en/experts/", "/en/experts/vetting/"]


@pytest.mark.parametrize("roles", [["expert", "reviewer"], ["committee_analyst"], ["administrator"]])
@pytest.mark.parametrize("path", PRIVILEGED_AREAS)
def test_privileged_person_without_mfa_is_sent_to_mfa_setup(
    make_user: MakeUser, client: Client, roles: list[str], path: str
) -> None:
    user = make_user("no-mfa@example.test", roles, mfa=False)
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == TOTP_SETUP


def test_privileged_person_without_mfa_sees_a_notice_on_every_page_once(make_user: MakeUser, client: Client) -> None:
    client.force_login(make_user("no-mfa@example.test", ["committee_analyst"], mfa=False))

    for path in ("/en/", "/en/countries/", "/en/accounts/profile/"):
        html = client.get(path).content.decode()
        assert html.count("Your role needs two-factor authentication") == 1, path


def test_privileged_person_with_mfa_sees_no_notice(make_user: MakeUser, client: Client) -> None:
    client.force_login(make_user("analyst@example.test", ["committee_analyst"]))

    html = client.get("/en/").content.decode()

    assert "Your role needs two-factor authentication" not in html


def test_people_without_privileged_roles_get_no_mfa_redirect_but_a_refusal(make_user: MakeUser, client: Client) -> None:
    client.force_login(make_user("learner@example.test", ["learner", "national_official"], country="KZ"))

    assert client.get("/en/audit/").status_code == 403
    assert client.get("/en/experts/").status_code == 403
    assert "Your role needs" not in client.get("/en/").content.decode()


def test_privileged_person_signs_in_sets_up_totp_and_then_gets_the_role(make_user: MakeUser, client: Client) -> None:
    make_user("admin@example.test", ["administrator"], mfa=False)

    response = sign_in(client, "admin@example.test")
    assert response["Location"] == TOTP_SETUP
    assert client.get("/en/admin/")["Location"] == TOTP_SETUP

    response = client.get(TOTP_SETUP)  # changing MFA asks for the password again
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response["Location"] == TOTP_SETUP
    setup = client.get(TOTP_SETUP)
    assert setup.status_code == 200
    assert " style=" not in setup.content.decode()
    assert 'src="data:image/svg+xml;base64,' in setup.content.decode()  # the QR code, drawn on the server
    secret = client.session["mfa.totp.secret"]
    response = client.post(TOTP_SETUP, {"code": totp_code(secret)})
    assert response.status_code == 302

    assert client.get("/en/admin/").status_code == 200
    assert "Your role needs two-factor authentication" not in client.get("/en/").content.decode()


def test_sign_in_with_totp_needs_the_code(make_user: MakeUser, client: Client) -> None:
    make_user("reviewer@example.test", ["expert", "reviewer"])

    response = sign_in(client, "reviewer@example.test")

    assert response["Location"] == MFA_URL
    assert signed_in_email(client) is None
    wrong = client.post(MFA_URL, {"code": "000000"})
    assert wrong.status_code == 200
    assert signed_in_email(client) is None


def test_sign_in_with_totp_and_the_right_code_opens_privileged_pages(make_user: MakeUser, client: Client) -> None:
    user = make_user("admin@example.test", ["administrator"])

    response = sign_in(client, "admin@example.test", mfa=True)

    assert response.status_code == 302
    assert signed_in_email(client) == "admin@example.test"
    assert viewer_for(user).has("administrator")
    assert client.get("/en/admin/").status_code == 200
    assert client.get("/en/audit/").status_code == 200


def test_admin_site_needs_the_administrator_role_with_mfa_not_is_staff(make_user: MakeUser, client: Client) -> None:
    staff = make_user("staff@example.test", ["learner"])
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)

    assert client.get("/en/admin/").status_code == 302
    assert client.get("/en/admin/login/?next=/en/admin/").status_code == 403


def test_admin_login_page_is_the_accounts_sign_in(client: Client) -> None:
    response = client.get("/en/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith("/en/accounts/login/?next=")

    posted = client.post("/en/admin/login/", {"username": "x@example.test", "password": "whatever it is"})
    assert posted.status_code == 302
    assert posted["Location"].startswith("/en/accounts/login/")


def test_mfa_pages_ask_for_the_password_again_after_a_while(make_user: MakeUser, client: Client) -> None:
    client.force_login(make_user("learner@example.test", ["learner"]))

    response = client.get(TOTP_SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/reauthenticate/")


def test_email_changes_ask_for_the_password_again(make_user: MakeUser, client: Client) -> None:
    user = make_user("learner@example.test", ["learner"])
    client.force_login(user)

    response = client.post("/en/accounts/email/", {"action_add": "", "email": "second@example.test"})

    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/reauthenticate/")
    assert list(user.emailaddress_set.values_list("email", flat=True)) == ["learner@example.test"]


def test_password_change_needs_the_current_password(make_user: MakeUser, client: Client) -> None:
    user = make_user("learner@example.test", ["learner"])
    client.force_login(user)
    new = "another long passphrase for nonpro"

    response = client.post(
        "/en/accounts/password/change/", {"oldpassword": "not the password", "password1": new, "password2": new}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
