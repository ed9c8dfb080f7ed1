"""Writes to accounts: creating users and granting roles."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from nonpro.accounts.models import Role, RoleAssignment, User
from nonpro.core.models import Country


@transaction.atomic
def role_grant(*, user: User, role: Role, reason: str, granted_by: User | None, country: Country | None = None) -> bool:
    """Give ``user`` the ``role`` (bound to ``country`` for a national official); return whether it was new."""
    if not reason.strip():
        raise ValueError("A reason is required to grant a role.")
    if (role == Role.NATIONAL_OFFICIAL) != (country is not None):
        raise ValueError("A national official is bound to exactly one State; other roles are bound to none.")
    _assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, defaults={"country": country, "reason": reason, "granted_by": granted_by}
    )
    return created


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    roles: tuple[Role, ...]
    country_alpha2: str | None = None


# Synthetic demo people; the password is printed by `nonpro demo` and works only on demo data.
DEMO_PASSWORD = "nonpro-demo-2026"  # noqa: S105 - printed for the demo on purpose
DEMO_ACCOUNTS = (
    DemoAccount("learner@demo.nonpro.test", DEMO_PASSWORD, (Role.LEARNER,)),
    DemoAccount("official.kz@demo.nonpro.test", DEMO_PASSWORD, (Role.NATIONAL_OFFICIAL,), "KZ"),
    DemoAccount("expert@demo.nonpro.test", DEMO_PASSWORD, (Role.EXPERT,)),
    DemoAccount("reviewer@demo.nonpro.test", DEMO_PASSWORD, (Role.EXPERT, Role.REVIEWER)),
    DemoAccount("analyst@demo.nonpro.test", DEMO_PASSWORD, (Role.COMMITTEE_ANALYST, Role.LEARNER)),
    DemoAccount("admin@demo.nonpro.test", DEMO_PASSWORD, (Role.ADMINISTRATOR,)),
)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo accounts and their roles if missing; running it twice changes nothing."""
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            is_admin = Role.ADMINISTRATOR in account.roles
            user = User.objects.create_user(
                account.email, account.password, is_staff=is_admin, is_superuser=is_admin, display_name=""
            )
        EmailAddress.objects.get_or_create(user=user, email=account.email, defaults={"verified": True, "primary": True})
        country = Country.objects.get(alpha2=account.country_alpha2) if account.country_alpha2 else None
        for role in account.roles:
            role_grant(
                user=user,
                role=role,
                reason="Demo account created by `nonpro demo`.",
                granted_by=None,
                country=country if role == Role.NATIONAL_OFFICIAL else None,
            )
    return list(DEMO_ACCOUNTS)
