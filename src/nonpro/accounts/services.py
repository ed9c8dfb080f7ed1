"""Writes to accounts: profiles, roles, disabling and enabling accounts, the demo accounts.

Each function runs in one transaction and writes its audit event in it. Functions that an
administrator triggers take the acting user (``granted_by``, ``revoked_by``, ``disabled_by`` …) and
check the policy; ``None`` means the system itself (fixtures, ``nonpro demo``), which is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from typing import Any
from urllib.parse import quote, urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from nonpro.accounts.models import Role, RoleAssignment, User
from nonpro.core.audit.services import audit_record
from nonpro.core.models import Country
from nonpro.core.policy import PRIVILEGED_ROLES, can, forget_viewer, viewer_for


class AccountsError(ValueError):
    """A request the rules refuse; ``code`` names the rule (pages translate it, the text is for logs)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def _require_allowed(actor: User | None, action: str, obj: Any = None) -> None:
    if actor is not None and not can(viewer_for(actor), action, obj):
        raise PermissionDenied


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AccountsError("A reason is required.", code="reason_required")
    return reason


# --- profile -------------------------------------------------------------------------------------


@transaction.atomic
def profile_update(*, user: User, display_name: str, request: HttpRequest | None = None) -> bool:
    """Set the user's display name; return whether it changed."""
    display_name = display_name.strip()
    if display_name == user.display_name:
        return False
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    audit_record(
        action="user.profile_changed", actor=user, obj=user, summary={"fields": ["display_name"]}, request=request
    )
    return True


# --- roles ---------------------------------------------------------------------------------------


@transaction.atomic
def role_grant(
    *,
    user: User,
    role: Role,
    reason: str,
    granted_by: User | None,
    country: Country | None = None,
    request: HttpRequest | None = None,
) -> bool:
    """Give ``user`` the ``role`` (bound to ``country`` for a national official); return whether it was new.

    Granting a role the person already holds (with the same State) changes nothing and records nothing.
    """
    _require_allowed(granted_by, "accounts.role.manage", user)
    reason = _require_reason(reason)
    role = Role(role)
    if (role == Role.NATIONAL_OFFICIAL) != (country is not None):
        raise AccountsError(
            "A national official is bound to exactly one State; other roles are bound to none.", code="state_binding"
        )
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, defaults={"country": country, "reason": reason, "granted_by": granted_by}
    )
    if not created:
        if assignment.country_id != (country.pk if country is not None else None):
            raise AccountsError(
                "This person is already a national official of another State; revoke that first.",
                code="other_state",
            )
        return False
    audit_record(
        action="role.granted",
        actor=granted_by,
        obj=user,
        summary={"role": role.value, "country": country.alpha2 if country else None, "reason": reason},
        request=request,
    )
    forget_viewer(user)
    return True


@transaction.atomic
def role_revoke(
    *, user: User, role: Role, reason: str, revoked_by: User | None, request: HttpRequest | None = None
) -> bool:
    """Take ``role`` away from ``user``; return whether they held it.

    The last administrator's role cannot be revoked, so that someone can always manage roles.
    """
    _require_allowed(revoked_by, "accounts.role.manage", user)
    reason = _require_reason(reason)
    role = Role(role)
    assignment = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("country")
        .filter(user=user, role=role)
        .first()
    )
    if assignment is None:
        return False
    if role == Role.ADMINISTRATOR:
        # Lock every administrator row, so that two administrators cannot remove each other at once.
        others = RoleAssignment.objects.select_for_update().filter(role=role).exclude(user=user)
        if not list(others.values_list("pk", flat=True)):
            raise AccountsError("The last administrator keeps the role.", code="last_administrator")
    country = assignment.country
    assignment.delete()
    audit_record(
        action="role.revoked",
        actor=revoked_by,
        obj=user,
        summary={"role": role.value, "country": country.alpha2 if country else None, "reason": reason},
        request=request,
    )
    forget_viewer(user)
    return True


@transaction.atomic
def point_of_contact_set(
    *, user: User, is_point_of_contact: bool, reason: str, changed_by: User | None, request: HttpRequest | None = None
) -> bool:
    """Mark (or unmark) a national official as a point of contact of their State; return whether it changed."""
    _require_allowed(changed_by, "accounts.role.manage", user)
    reason = _require_reason(reason)
    assignment = (
        RoleAssignment.objects.select_for_update(of=("self",))
        .select_related("country")
        .filter(user=user, role=Role.NATIONAL_OFFICIAL)
        .first()
    )
    if assignment is None:
        raise AccountsError("Only a national official can be a point of contact.", code="not_official")
    if assignment.is_point_of_contact == is_point_of_contact:
        return False
    assignment.is_point_of_contact = is_point_of_contact
    assignment.save(update_fields=["is_point_of_contact"])
    audit_record(
        action="role.point_of_contact_set" if is_point_of_contact else "role.point_of_contact_unset",
        actor=changed_by,
        obj=user,
        summary={"country": assignment.country.alpha2 if assignment.country else None, "reason": reason},
        request=request,
    )
    return True


# --- disabling and enabling accounts --------------------------------------------------------------


def _sessions_end(user: User) -> int:
    """End every session of ``user``: the ones allauth tracks, and any other stored session of theirs."""
    from allauth.usersessions.models import UserSession

    ended = 0
    for tracked in UserSession.objects.filter(user_id=user.pk):
        tracked.end()
        ended += 1
    if settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"):
        # Sessions opened without a request tracked by allauth (rare) are found by decoding them.
        from django.contrib.sessions.models import Session

        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
                store(session.session_key).delete()
                ended += 1
    return ended


@transaction.atomic
def user_disable(*, user: User, reason: str, disabled_by: User | None, request: HttpRequest | None = None) -> int:
    """Disable ``user``'s account and end all its sessions; return how many sessions were ended."""
    _require_allowed(disabled_by, "accounts.user.disable", user)
    reason = _require_reason(reason)
    if disabled_by is not None and disabled_by.pk == user.pk:
        raise AccountsError("You cannot disable your own account.", code="own_account")
    was_active = user.is_active
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = _sessions_end(user)
    audit_record(
        action="user.disabled",
        actor=disabled_by,
        obj=user,
        summary={"reason": reason, "was_active": was_active, "sessions_ended": ended},
        request=request,
    )
    forget_viewer(user)
    return ended


@transaction.atomic
def user_enable(*, user: User, reason: str, enabled_by: User | None, request: HttpRequest | None = None) -> bool:
    """Enable ``user``'s account again; return whether it was disabled."""
    _require_allowed(enabled_by, "accounts.user.disable", user)
    reason = _require_reason(reason)
    if user.is_active:
        return False
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action="user.enabled", actor=enabled_by, obj=user, summary={"reason": reason}, request=request)
    forget_viewer(user)
    return True


# --- demo accounts -------------------------------------------------------------------------------

# Synthetic demo people; the password is printed by `nonpro demo` and works only on demo data.
DEMO_PASSWORD = "nonpro-demo-2026"  # noqa: S105 - printed for the demo on purpose
# The TOTP secret (base32) of the demo accounts with privileged roles, printed by `nonpro demo`
# so that anyone can add it to an authenticator app. Never use it for a real account.
DEMO_TOTP_SECRET = "NONPRODEMOTOTPSECRETFORDEMOONLY2"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    roles: tuple[Role, ...]
    country_alpha2: str | None = None
    totp_secret: str | None = field(default=None)

    @property
    def otpauth_uri(self) -> str:
        """Return the ``otpauth://`` URI an authenticator app reads (empty without TOTP)."""
        if not self.totp_secret:
            return ""
        issuer = str(settings.MFA_TOTP_ISSUER)
        query = urlencode({"secret": self.totp_secret, "issuer": issuer}, quote_via=quote)
        return f"otpauth://totp/{quote(issuer)}:{quote(self.email)}?{query}"


def _demo(email: str, roles: tuple[Role, ...], country_alpha2: str | None = None) -> DemoAccount:
    privileged = bool(set(roles) & PRIVILEGED_ROLES)
    return DemoAccount(email, DEMO_PASSWORD, roles, country_alpha2, DEMO_TOTP_SECRET if privileged else None)


DEMO_ACCOUNTS = (
    _demo("learner@demo.nonpro.test", (Role.LEARNER,)),
    _demo("official.kz@demo.nonpro.test", (Role.NATIONAL_OFFICIAL,), "KZ"),
    _demo("expert@demo.nonpro.test", (Role.EXPERT,)),
    _demo("reviewer@demo.nonpro.test", (Role.EXPERT, Role.REVIEWER)),
    _demo("reviewer2@demo.nonpro.test", (Role.EXPERT, Role.REVIEWER)),
    _demo("analyst@demo.nonpro.test", (Role.COMMITTEE_ANALYST, Role.LEARNER)),
    _demo("admin@demo.nonpro.test", (Role.ADMINISTRATOR,)),
)


def _demo_mfa_ensure(user: User, secret: str) -> bool:
    """Give ``user`` TOTP with ``secret`` and recovery codes unless they have them; return whether added."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    held = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    added = []
    if Authenticator.Type.TOTP not in held:
        TOTP.activate(user, secret)
        added.append(str(Authenticator.Type.TOTP))
    if Authenticator.Type.RECOVERY_CODES not in held:
        RecoveryCodes.activate(user)
        added.append(str(Authenticator.Type.RECOVERY_CODES))
    for kind in added:
        audit_record(action="mfa.authenticator_added", actor=None, obj=user, summary={"type": kind, "via": "demo"})
    return bool(added)


@transaction.atomic
def demo_accounts_ensure() -> list[DemoAccount]:
    """Create the demo accounts, their roles and (for privileged roles) their MFA if missing.

    Every account has a verified e-mail address; running it twice changes nothing.
    """
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            # No superuser flag: what the administrator may do comes from the role, through the policy.
            user = User.objects.create_user(account.email, account.password, display_name="")
            audit_record(action="user.created", obj=user, summary={"demo": True})
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
        if account.totp_secret:
            _demo_mfa_ensure(user, account.totp_secret)
    _demo_experts_ensure()
    return list(DEMO_ACCOUNTS)


def _demo_experts_ensure() -> None:
    """Give the demo expert and reviewer directory profiles, and vet the reviewer, once."""
    from nonpro.accounts.experts import expert_profile_update, expert_vet
    from nonpro.accounts.models import ExpertProfile, VettingStatus

    profiles = {
        "expert@demo.nonpro.test": ("Synthetic University (demo)", "academic", ["chemical", "export_control"]),
        "reviewer@demo.nonpro.test": ("Synthetic Institute (demo)", "scientific", ["biological", "law"]),
        "reviewer2@demo.nonpro.test": ("Synthetic Agency (demo)", "technical", ["nuclear", "export_control"]),
    }
    for email, (affiliation, community, expertise) in profiles.items():
        user = User.objects.get(email=email)
        if not ExpertProfile.objects.filter(user=user).exists():
            expert_profile_update(
                user=user, affiliation=affiliation, community=community, expertise=expertise, languages=["en", "fr"]
            )
    for reviewer in ExpertProfile.objects.filter(
        user__email__in=["reviewer@demo.nonpro.test", "reviewer2@demo.nonpro.test"]
    ).exclude(vetting_status=VettingStatus.VETTED):
        expert_vet(
            profile=reviewer,
            vetted_by=User.objects.get(email="admin@demo.nonpro.test"),
            until=timezone.localdate() + timedelta(days=365),
            reason="Demo: the reviewer is a vetted expert.",
        )
