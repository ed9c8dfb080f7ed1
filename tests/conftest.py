"""Fixtures shared by every test: people with roles, created through the real services."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import pytest
from django.test import Client

#: A fixed TOTP secret for test users with MFA (base32). Tests compute codes from it.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that run ``nonpro demo`` in a subprocess: they share one worker (one demo per run)."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.demo)
            item.add_marker(pytest.mark.xdist_group("demo"))


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Start every test in the default language: a request to /fr/… leaves French active in the thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Start every test with an empty cache: rate-limit counters and cached counts belong to one test.

    (Revision ids, which key the register's cached facet counts, come back after a rolled-back test on SQLite.)
    """
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client()


class MakeUser(Protocol):
    def __call__(
        self,
        email: str,
        roles: Iterable[str] = (),
        *,
        country: str | None = None,
        mfa: bool | None = None,
        password: str = "correct horse battery staple",
    ) -> Any: ...


@pytest.fixture
def make_user(db: None) -> MakeUser:
    """Create a user with a verified e-mail address and roles; MFA is on for privileged roles by default."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    from nonpro.accounts.models import User
    from nonpro.accounts.services import role_grant
    from nonpro.core.models import Country
    from nonpro.core.policy import PRIVILEGED_ROLES, Role

    def make(
        email: str,
        roles: Iterable[str] = (),
        *,
        country: str | None = None,
        mfa: bool | None = None,
        password: str = "correct horse battery staple",
    ) -> Any:
        roles = list(roles)
        user = User.objects.create_user(email, password)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        state = Country.objects.get(alpha2=country) if country else None
        for role in roles:
            role_grant(
                user=user,
                role=Role(role),
                reason="test fixture",
                granted_by=None,
                country=state if role == Role.NATIONAL_OFFICIAL else None,
            )
        if mfa if mfa is not None else bool(set(roles) & PRIVILEGED_ROLES):
            TOTP.activate(user, TEST_TOTP_SECRET)
            RecoveryCodes.activate(user)
        return user

    return make


def totp_code(secret: str = TEST_TOTP_SECRET) -> str:
    """Return the current TOTP code for ``secret``."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


ROLE_PERSONAS: dict[str, tuple[list[str], str | None]] = {
    "anonymous": ([], None),
    "learner": (["learner"], None),
    "official_a": (["national_official"], "KZ"),
    "official_b": (["national_official"], "FR"),
    "expert": (["expert"], None),
    "reviewer": (["expert", "reviewer"], None),
    "analyst": (["committee_analyst"], None),
    "administrator": (["administrator"], None),
}


@pytest.fixture
def persona_client(make_user: MakeUser) -> Callable[[str], Client]:
    """Return a client signed in as one of ROLE_PERSONAS (MFA set up and passed for privileged roles)."""

    def signed_in(persona: str) -> Client:
        client = Client()
        roles, country = ROLE_PERSONAS[persona]
        if persona == "anonymous":
            return client
        user = make_user(f"{persona}@example.test", roles, country=country)
        client.force_login(user)
        return client

    return signed_in
