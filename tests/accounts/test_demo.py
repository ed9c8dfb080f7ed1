"""The demo accounts: one per role, verified, MFA ready for privileged roles, and idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.test import Client

from nonpro.accounts.models import RoleAssignment, User
from nonpro.accounts.services import DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts_ensure
from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import PRIVILEGED_ROLES, Role, viewer_for
from tests.accounts.conftest import MFA_URL, sign_in, signed_in_email
from tests.conftest import totp_code

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "users": list(User.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "emails": list(EmailAddress.objects.order_by("pk").values()),
        "authenticators": list(Authenticator.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("seq").values_list("seq", "hash")),
    }


def test_demo_twice_gives_the_same_rows_and_authenticators() -> None:
    demo_accounts_ensure()
    first = _snapshot()

    demo_accounts_ensure()

    assert _snapshot() == first
    assert len(first["users"]) == len(DEMO_ACCOUNTS) == 7


def test_every_role_has_a_demo_account_with_a_verified_address() -> None:
    demo_accounts_ensure()

    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == len(DEMO_ACCOUNTS)
    official = User.objects.get(email="official.kz@demo.nonpro.test")
    assert RoleAssignment.objects.get(user=official).country is not None


def test_privileged_demo_accounts_have_totp_and_recovery_codes_and_the_others_none() -> None:
    accounts = demo_accounts_ensure()

    for account in accounts:
        user = User.objects.get(email=account.email)
        types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
        privileged = bool(set(account.roles) & PRIVILEGED_ROLES)
        assert types == ({"totp", "recovery_codes"} if privileged else set()), account.email
        assert (account.totp_secret == DEMO_TOTP_SECRET) is privileged
        if privileged:
            assert viewer_for(user).roles >= {role.value for role in account.roles}
            assert account.otpauth_uri.startswith("otpauth://totp/Nonpro:")
            assert f"secret={DEMO_TOTP_SECRET}" in account.otpauth_uri


def test_demo_administrator_signs_in_with_the_printed_secret() -> None:
    demo_accounts_ensure()
    client = Client()

    response = sign_in(client, "admin@demo.nonpro.test", DEMO_PASSWORD)
    assert response["Location"] == MFA_URL
    client.post(MFA_URL, {"code": totp_code(DEMO_TOTP_SECRET)})

    assert signed_in_email(client) == "admin@demo.nonpro.test"
    assert client.get("/en/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_reviewer_is_a_vetted_expert_and_the_expert_is_listed() -> None:
    from nonpro.accounts.models import ExpertProfile
    from nonpro.core.policy import viewer_for

    demo_accounts_ensure()
    reviewer = ExpertProfile.objects.get(user__email="reviewer@demo.nonpro.test")
    assert reviewer.is_vetted()
    assert viewer_for(reviewer.user).is_vetted
    expert = ExpertProfile.objects.get(user__email="expert@demo.nonpro.test")
    assert not expert.is_vetted()
    assert "(demo)" in expert.affiliation
