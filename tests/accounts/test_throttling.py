"""Failed sign-ins are throttled per IP address and per (account + IP address), never per account alone.

Limits (settings ``ACCOUNT_RATE_LIMITS["login_failed"]``): 5 failures in 5 minutes for one account
from one address; 10 failures a minute and 60 an hour from one address, whatever the accounts.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.accounts.conftest import PASSWORD, sign_in, signed_in_email
from tests.conftest import MakeUser

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
VICTIM_HOME = "198.51.100.7"
TOO_MANY = "Too many failed login attempts"


def test_documented_limits_are_the_configured_ones() -> None:
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "10/m/ip,60/h/ip,5/5m/key"


def test_attacker_is_slowed_but_cannot_lock_the_owner_out(make_user: MakeUser) -> None:
    make_user("victim@example.test", ["learner"])
    attacker = Client()
    for _attempt in range(5):
        response = sign_in(attacker, "victim@example.test", "guessed wrongly", ip=ATTACKER)
        assert response.status_code == 200
        assert TOO_MANY not in response.content.decode()

    slowed = sign_in(attacker, "victim@example.test", PASSWORD, ip=ATTACKER)  # even the right password

    assert slowed.status_code == 200
    assert TOO_MANY in slowed.content.decode()
    assert signed_in_email(attacker, ip=ATTACKER) is None

    owner = Client()
    response = sign_in(owner, "victim@example.test", PASSWORD, ip=VICTIM_HOME)
    assert response.status_code == 302
    assert signed_in_email(owner, ip=VICTIM_HOME) == "victim@example.test"


def test_one_address_failing_on_many_accounts_is_slowed_for_all_of_them(make_user: MakeUser) -> None:
    for number in range(6):
        make_user(f"person{number}@example.test", ["learner"])
    attacker = Client()
    for attempt in range(10):
        response = sign_in(attacker, f"person{attempt % 5}@example.test", "guessed wrongly", ip=ATTACKER)
        assert TOO_MANY not in response.content.decode()

    slowed = sign_in(attacker, "person5@example.test", PASSWORD, ip=ATTACKER)

    assert TOO_MANY in slowed.content.decode()
    assert signed_in_email(attacker, ip=ATTACKER) is None
    elsewhere = Client()
    assert sign_in(elsewhere, "person5@example.test", PASSWORD, ip=VICTIM_HOME).status_code == 302


def test_successful_sign_ins_do_not_use_up_the_failure_budget(make_user: MakeUser) -> None:
    make_user("busy@example.test", ["learner"])
    for _attempt in range(8):
        client = Client()
        assert sign_in(client, "busy@example.test", ip=VICTIM_HOME).status_code == 302


def test_ipv6_neighbours_in_one_network_share_the_account_limit(make_user: MakeUser) -> None:
    make_user("victim@example.test", ["learner"])
    attacker = Client()
    for host in range(5):
        sign_in(attacker, "victim@example.test", "guessed wrongly", ip=f"2001:db8:1:2::{host + 1}")

    slowed = sign_in(attacker, "victim@example.test", PASSWORD, ip="2001:db8:1:2::99")

    assert TOO_MANY in slowed.content.decode()
    assert sign_in(Client(), "victim@example.test", PASSWORD, ip="2001:db8:ffff::1").status_code == 302
