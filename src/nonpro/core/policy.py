"""The access policy: the one place that decides who may see or do what.

Every output channel (pages, API, feeds, search, exports, e-mails, PDFs) asks this module;
no channel filters on its own. Fail closed: an unknown role, tier, action or object means no.

Vocabulary: ``Role`` (what a person is), ``Tier`` (how sensitive a piece of information is),
``Viewer`` (the roles a request really has — privileged roles count only once MFA is set up),
actions (named strings such as ``"audit.view"``, each with one rule in ``ACTION_RULES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of DESIGN.md; "public" is everyone not signed in and is never assigned."""

    LEARNER = "learner", _("Learner")
    NATIONAL_OFFICIAL = "national_official", _("National official")
    EXPERT = "expert", _("Expert")
    REVIEWER = "reviewer", _("Reviewer")
    COMMITTEE_ANALYST = "committee_analyst", _("Committee analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


#: Roles that count only when the person has set up multi-factor authentication.
PRIVILEGED_ROLES = frozenset({Role.REVIEWER, Role.COMMITTEE_ANALYST, Role.ADMINISTRATOR})


class Tier(models.TextChoices):
    """Information tiers, from least to most sensitive."""

    PUBLIC = "public", _("Public")
    OFFICIAL = "official", _("Official")
    COMMITTEE = "committee", _("Committee")
    RESTRICTED = "restricted", _("Restricted")


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the facts the policy needs about one user, read once per request."""

    user_id: int | None
    held_roles: frozenset[str]
    country_id: int | None = None
    mfa_enabled: bool = False
    is_vetted: bool = False
    is_active: bool = True

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None and self.is_active

    @property
    def roles(self) -> frozenset[str]:
        """Return the roles that count now: none for a disabled account, no privileged ones without MFA."""
        if not self.is_authenticated:
            return frozenset()
        known = self.held_roles & frozenset(Role.values)
        if self.mfa_enabled:
            return known
        return known - PRIVILEGED_ROLES

    @property
    def needs_mfa(self) -> bool:
        """Return whether a privileged role is held but does not count until MFA is set up."""
        return self.is_authenticated and not self.mfa_enabled and bool(self.held_roles & PRIVILEGED_ROLES)

    def has(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Viewer(user_id=None, held_roles=frozenset())
_CACHE_ATTRIBUTE = "_nonpro_viewer"


def _mfa_enabled(user_id: int) -> bool:
    from allauth.mfa.models import Authenticator

    return bool(
        Authenticator.objects.filter(
            user_id=user_id, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
    )


def viewer_for(user: Any) -> Viewer:
    """Return the ``Viewer`` for a user (or ``AnonymousUser``/``None``), cached on the user object.

    Roles are read through the user's ``role_assignments`` relation (``accounts.RoleAssignment``)
    and vetting through ``expert_profile.is_vetted()`` when the accounts app provides them.
    """
    if user is None or isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if isinstance(cached, Viewer):
        return cached
    held: set[str] = set()
    country_id: int | None = None
    assignments = getattr(user, "role_assignments", None)
    if assignments is not None:
        for role, country in assignments.values_list("role", "country_id"):
            held.add(role)
            if role == Role.NATIONAL_OFFICIAL:
                country_id = country
    profile = getattr(user, "expert_profile", None) if hasattr(user, "expert_profile") else None
    is_vetted = bool(profile is not None and callable(getattr(profile, "is_vetted", None)) and profile.is_vetted())
    viewer = Viewer(
        user_id=int(user.pk),
        held_roles=frozenset(held),
        country_id=country_id,
        mfa_enabled=_mfa_enabled(int(user.pk)),
        is_vetted=is_vetted,
        is_active=bool(user.is_active),
    )
    setattr(user, _CACHE_ATTRIBUTE, viewer)
    return viewer


def forget_viewer(user: Any) -> None:
    """Drop the cached ``Viewer`` after the user's roles or MFA changed within a request."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


# --- actions ---------------------------------------------------------------------------------

Rule = Callable[[Viewer, Any], bool]


def _signed_in(viewer: Viewer, obj: Any) -> bool:
    return viewer.is_authenticated


def _role(*roles: str) -> Rule:
    def rule(viewer: Viewer, obj: Any) -> bool:
        return any(viewer.has(role) for role in roles)

    return rule


#: One rule per action; an action missing here is denied to everyone.
ACTION_RULES: dict[str, Rule] = {
    "accounts.profile.edit": _signed_in,
    "accounts.token.manage": _signed_in,
    "accounts.role.manage": _role(Role.ADMINISTRATOR),
    "accounts.user.disable": _role(Role.ADMINISTRATOR),
    "experts.search": _role(Role.COMMITTEE_ANALYST),
    "experts.vet": _role(Role.ADMINISTRATOR),
    "audit.view": _role(Role.ADMINISTRATOR),
    "audit.export": _role(Role.ADMINISTRATOR),
    "admin.site": _role(Role.ADMINISTRATOR),
}


def can(viewer: Viewer, action: str, obj: Any = None) -> bool:
    """Return whether ``viewer`` may do ``action`` (on ``obj``); unknown actions are denied."""
    rule = ACTION_RULES.get(action)
    if rule is None:
        return False
    return bool(rule(viewer, obj))


def would_allow_with_mfa(viewer: Viewer, action: str, obj: Any = None) -> bool:
    """Return whether ``action`` would be allowed if the viewer set up MFA (to send them there)."""
    if not viewer.needs_mfa:
        return False
    upgraded = Viewer(
        user_id=viewer.user_id,
        held_roles=viewer.held_roles,
        country_id=viewer.country_id,
        mfa_enabled=True,
        is_vetted=viewer.is_vetted,
        is_active=viewer.is_active,
    )
    return can(upgraded, action, obj)


P = ParamSpec("P")


def policy_required(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view so that it runs only when the policy allows ``action``.

    Anonymous visitors go to sign-in; a privileged person without MFA goes to MFA setup;
    everyone else who may not gets 403 (which reveals nothing).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            denial = check_request(request, action)
            if denial is not None:
                return denial
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def check_request(request: HttpRequest, action: str, obj: Any = None) -> HttpResponse | None:
    """Return ``None`` when the request's user may do ``action``, else the response to send instead."""
    from django.contrib.auth.views import redirect_to_login

    viewer = viewer_for(request.user)
    if can(viewer, action, obj):
        return None
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if would_allow_with_mfa(viewer, action, obj):
        return redirect("mfa_activate_totp")
    raise PermissionDenied


class PolicyRequiredMixin:
    """Class-based-view counterpart of ``policy_required``: set ``policy_action``."""

    policy_action: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        denial = check_request(request, self.policy_action)
        if denial is not None:
            return denial
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
