"""Fixtures of the account tests: a fresh cache (rate limits, used TOTP codes) and real sign-ins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.conftest import totp_code

PASSWORD = "correct horse battery staple"
LOGIN_URL = "/en/accounts/login/"
MFA_URL = "/en/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and used TOTP codes live in the cache: every test starts without them."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client: Client, email: str, password: str = PASSWORD, *, ip: str = "192.0.2.10", mfa: bool = False) -> Any:
    """Sign in through allauth's page (and its MFA step with ``mfa=True``); return the last response."""
    response = client.post(LOGIN_URL, {"login": email, "password": password}, REMOTE_ADDR=ip)
    if mfa:
        assert response.status_code == 302
        assert response["Location"] == MFA_URL
        response = client.post(MFA_URL, {"code": totp_code()}, REMOTE_ADDR=ip)
    return response


def signed_in_email(client: Client, *, ip: str = "192.0.2.10") -> str | None:
    """Return the e-mail address of the person the client is signed in as, or None."""
    response = client.get("/en/accounts/profile/", REMOTE_ADDR=ip)
    if response.status_code != 200:
        return None
    return str(response.wsgi_request.user.email)
