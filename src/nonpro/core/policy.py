"""The access policy: the one place that decides who may see or do what.

Every output channel (pages, API, feeds, search, exports, e-mails, PDFs) asks this module;
no channel filters on its own. Fail closed: an unknown role, tier, action or object means no.

Vocabulary: ``Role`` (what a person is), ``Tier`` (how sensitive a piece of information is),
``Viewer`` (the roles a request really has — privileged roles count only once MFA is set up),
actions (named strings such as ``"audit.view"``, each with one rule in ``ACTION_RULES``).

Information tiers (DESIGN.md, docs/security.md):

- PUBLIC: everyone.
- OFFICIAL: signed-in national officials, vetted experts, reviewers and committee analysts. On an
  object scoped to a State, the officials of that State only (officials of another State see its
  PUBLIC information only).
- COMMITTEE: committee analysts, the reviewers assigned to the object, and — on an object scoped
  to a State — that State's national officials (a draft matrix is "COMMITTEE plus that State").
- RESTRICTED: only the people holding an active need-to-know grant on the object
  (``core.grants``); no role sees it by itself, not even an analyst or an administrator.

Administrators get nothing beyond PUBLIC by their role alone (least privilege).

The object protocol. Every object whose information has a tier implements four methods::

    def policy_tier(self, field: str | None = None) -> str: ...
        # the object's tier when field is None, else the tier of that field
    def policy_fields(self) -> Iterable[str]: ...
        # the names of the fields that may be shown (strip_fields reads these)
    def policy_country_id(self) -> int | None: ...
        # the id of the State the object belongs to, or None when it belongs to none
    def policy_assigned_user_ids(self) -> set[int]: ...
        # the ids of the reviewers assigned to the object

A field is visible when the object is visible and the field's own tier allows it. An object that
does not implement the protocol shows nothing; a tier string that is not a ``Tier`` shows nothing.
Need-to-know grants attach to model instances with integer primary keys.

Building blocks: ``can_see`` (one object or field), ``strip_fields`` (the visible fields only —
absent, not null), ``visible`` (a queryset filtered in the database, so that counts and facets
leak nothing), ``record_restricted_view`` (the audit event every view of RESTRICTED content needs),
``can`` / ``policy_required`` / ``PolicyRequiredMixin`` / ``check_request`` for actions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce, wraps
from typing import Any, ParamSpec, Protocol, runtime_checkable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
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


def _everyone(viewer: Viewer, obj: Any) -> bool:
    """Allow the public too: for reference data that is published anyway."""
    return True


def _signed_in(viewer: Viewer, obj: Any) -> bool:
    return viewer.is_authenticated


def _role(*roles: str) -> Rule:
    def rule(viewer: Viewer, obj: Any) -> bool:
        return any(viewer.has(role) for role in roles)

    return rule


#: Who may propose register entries (a reviewer is a vetted expert; analysts draft from scanning).
_ENTRY_PROPOSERS = (Role.EXPERT, Role.REVIEWER, Role.COMMITTEE_ANALYST)


def _draft_author(viewer: Viewer, obj: Any) -> bool:
    """Return whether ``obj`` is a register draft created by ``viewer``, who may still propose."""
    if obj is None or getattr(obj, "status", None) != "draft":
        return False
    if viewer.user_id is None or getattr(obj, "created_by_id", None) != viewer.user_id:
        return False
    return any(viewer.has(role) for role in _ENTRY_PROPOSERS)


def _analyst_or_draft_author(viewer: Viewer, obj: Any) -> bool:
    return viewer.has(Role.COMMITTEE_ANALYST) or _draft_author(viewer, obj)


def _assigned_reviewer(viewer: Viewer, obj: Any) -> bool:
    assigned = getattr(obj, "policy_assigned_user_ids", None)
    if not callable(assigned) or viewer.user_id is None or not viewer.has(Role.REVIEWER):
        return False
    return viewer.user_id in assigned()


def _analyst_or_assigned_reviewer(viewer: Viewer, obj: Any) -> bool:
    return viewer.has(Role.COMMITTEE_ANALYST) or _assigned_reviewer(viewer, obj)


#: One rule per action; an action missing here is denied to everyone.
ACTION_RULES: dict[str, Rule] = {
    "accounts.profile.edit": _signed_in,
    "accounts.token.manage": _signed_in,
    "accounts.role.manage": _role(Role.ADMINISTRATOR),
    "accounts.user.disable": _role(Role.ADMINISTRATOR),
    "accounts.profile.view": _signed_in,
    "core.countries.view": _everyone,
    "experts.search": _role(Role.COMMITTEE_ANALYST),
    "experts.view": _role(Role.COMMITTEE_ANALYST, Role.ADMINISTRATOR),
    "experts.vet": _role(Role.ADMINISTRATOR),
    "experts.profile.edit": _role(Role.EXPERT, Role.REVIEWER),
    "audit.view": _role(Role.ADMINISTRATOR),
    "audit.export": _role(Role.ADMINISTRATOR),
    "admin.site": _role(Role.ADMINISTRATOR),
    "need_to_know.grant": _role(Role.COMMITTEE_ANALYST),
    # The register (nonpro.register): object-level conditions on an entry, read by duck typing.
    # Which entries and fields each caller sees is the register selectors' work (tiers per part).
    "register.entry.view": _everyone,
    "register.entry.propose": _role(*_ENTRY_PROPOSERS),
    "register.entry.edit": _analyst_or_draft_author,
    "register.entry.submit": _analyst_or_draft_author,
    "register.review.assign": _role(Role.COMMITTEE_ANALYST),
    "register.review.start": _role(Role.COMMITTEE_ANALYST),
    "register.entry.publish": _role(Role.COMMITTEE_ANALYST),
    "register.entry.reject": _role(Role.COMMITTEE_ANALYST),
    "register.entry.withdraw": _role(Role.COMMITTEE_ANALYST),
    "register.entry.classify": _analyst_or_assigned_reviewer,
    "register.review.submit": _assigned_reviewer,
    "register.trend_note.submit": _role(*_ENTRY_PROPOSERS),
    "register.trend_note.view": _role(Role.COMMITTEE_ANALYST),
    "register.dashboard.view": _role(Role.COMMITTEE_ANALYST),
    "register.subscription.manage": _signed_in,
    "register.report.view": _everyone,
    # Horizon scanning (nonpro.horizon): a project's candidates are COMMITTEE-tier; its reviewers are
    # its members (``policy_assigned_user_ids``). Which projects a person sees is ``horizon.selectors``'s work.
    "horizon.project.create": _role(Role.COMMITTEE_ANALYST),
    "horizon.project.manage": _role(Role.COMMITTEE_ANALYST),
    "horizon.project.view": _analyst_or_assigned_reviewer,
    "horizon.import.start": _analyst_or_assigned_reviewer,
    "horizon.import.server": _role(Role.COMMITTEE_ANALYST),
    "horizon.import.feed": _role(Role.COMMITTEE_ANALYST),
    "horizon.candidate.screen": _analyst_or_assigned_reviewer,
    "horizon.candidate.promote": _analyst_or_assigned_reviewer,
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


# --- information tiers -----------------------------------------------------------------------


@runtime_checkable
class PolicyObject(Protocol):
    """What an object with tiered information implements (see the module docstring)."""

    def policy_tier(self, field: str | None = None) -> str: ...

    def policy_fields(self) -> Iterable[str]: ...

    def policy_country_id(self) -> int | None: ...

    def policy_assigned_user_ids(self) -> set[int]: ...


_PROTOCOL_METHODS = ("policy_tier", "policy_fields", "policy_country_id", "policy_assigned_user_ids")


@dataclass(frozen=True)
class Reach:
    """Which objects of one tier a viewer reaches; every set part widens it, none narrows it."""

    everything: bool = False
    own_state_id: int | None = None  # objects scoped to this State
    unscoped: bool = False  # objects scoped to no State
    assigned_user_id: int | None = None  # objects this reviewer is assigned to
    granted_user_id: int | None = None  # objects this person holds an active need-to-know grant on


NOTHING = Reach()


def _is_vetted_expert(viewer: Viewer) -> bool:
    if not viewer.is_vetted:
        return False
    return viewer.has(Role.EXPERT)


def _official_state(viewer: Viewer) -> int | None:
    """Return the State of a national official (None for anyone else)."""
    if not viewer.has(Role.NATIONAL_OFFICIAL):
        return None
    return viewer.country_id


def _official_reach(viewer: Viewer) -> Reach:
    if viewer.has(Role.COMMITTEE_ANALYST):
        return Reach(everything=True)
    if viewer.has(Role.REVIEWER):
        return Reach(everything=True)
    if _is_vetted_expert(viewer):
        return Reach(everything=True)
    state = _official_state(viewer)
    if state is None:
        return NOTHING
    return Reach(own_state_id=state, unscoped=True)


def _committee_reach(viewer: Viewer) -> Reach:
    if viewer.has(Role.COMMITTEE_ANALYST):
        return Reach(everything=True)
    assigned = viewer.user_id if viewer.has(Role.REVIEWER) else None
    return Reach(own_state_id=_official_state(viewer), assigned_user_id=assigned)


def reach(viewer: Viewer, tier: str) -> Reach:
    """Return which objects of ``tier`` the viewer reaches; an unknown tier reaches nothing."""
    if tier == Tier.PUBLIC:
        return Reach(everything=True)
    if not viewer.is_authenticated:
        return NOTHING
    if tier == Tier.OFFICIAL:
        return _official_reach(viewer)
    if tier == Tier.COMMITTEE:
        return _committee_reach(viewer)
    if tier == Tier.RESTRICTED:
        return Reach(granted_user_id=viewer.user_id)
    return NOTHING


def _implements_protocol(obj: Any) -> bool:
    return all(callable(getattr(obj, name, None)) for name in _PROTOCOL_METHODS)


def _grantable_model(model: type[models.Model]) -> bool:
    """Return whether need-to-know grants can point at rows of ``model`` (integer primary keys)."""
    pk = model._meta.pk
    if pk is None:
        return False
    target = pk.target_field if isinstance(pk, models.ForeignKey) else pk
    return isinstance(target, models.IntegerField)


def _holds_grant(user_id: int, obj: Any) -> bool:
    """Return whether ``user_id`` holds an active need-to-know grant on ``obj``."""
    from django.contrib.contenttypes.models import ContentType

    from nonpro.core.models import NeedToKnowGrant

    if not isinstance(obj, models.Model):
        return False
    if not _grantable_model(type(obj)):
        return False
    if obj.pk is None:
        return False
    content_type = ContentType.objects.get_for_model(obj)
    grants = NeedToKnowGrant.objects.active().filter(user_id=user_id, content_type=content_type, object_id=obj.pk)
    return bool(grants.exists())


class _Judge:
    """Answer tier questions about one object for one viewer; remembers the grant lookup."""

    def __init__(self, viewer: Viewer, obj: Any) -> None:
        self.viewer = viewer
        self.obj = obj
        self._grant: bool | None = None

    def has_grant(self, user_id: int) -> bool:
        if self._grant is None:
            self._grant = _holds_grant(user_id, self.obj)
        return self._grant

    def reaches(self, tier: object) -> bool:
        if not isinstance(tier, str):
            return False
        return self.within(reach(self.viewer, tier))

    def within(self, scope: Reach) -> bool:
        """Return whether the object lies in ``scope`` (one condition per line: coverage proves each)."""
        if scope.everything:
            return True
        country_id = self.obj.policy_country_id()
        if scope.own_state_id is not None and country_id == scope.own_state_id:
            return True
        if scope.unscoped and country_id is None:
            return True
        if scope.assigned_user_id is not None and scope.assigned_user_id in self.obj.policy_assigned_user_ids():
            return True
        return scope.granted_user_id is not None and self.has_grant(scope.granted_user_id)

    def sees_object(self) -> bool:
        if not _implements_protocol(self.obj):
            return False
        return self.reaches(self.obj.policy_tier(None))

    def sees_field(self, field: str) -> bool:
        if not self.sees_object():
            return False
        if field not in set(self.obj.policy_fields()):
            return False
        return self.reaches(self.obj.policy_tier(field))


def tier_within(tier: str, ceiling: str) -> bool:
    """Return whether information of ``tier`` may leave through a channel cleared up to ``ceiling``.

    For outputs that serve a tier rather than a person (the register's export files): no viewer,
    only the ceiling the operator chose. Fail closed: an unknown tier or ceiling is never within.
    """
    order = list(Tier.values)
    if tier not in order or ceiling not in order:
        return False
    return order.index(tier) <= order.index(ceiling)


def can_see(viewer: Viewer, obj: Any, field: str | None = None) -> bool:
    """Return whether ``viewer`` may see ``obj`` (``field`` is None) or one of its fields.

    A field is visible only when the object is visible too; a field the object does not list in
    ``policy_fields()`` is not.
    """
    judge = _Judge(viewer, obj)
    if field is None:
        return judge.sees_object()
    return judge.sees_field(field)


def strip_fields(viewer: Viewer, obj: Any) -> dict[str, Any]:
    """Return ``{field: value}`` for the fields of ``obj`` that ``viewer`` may see — and no others.

    A hidden field is absent, not null: that it exists is information too. Render or serialize
    from this dictionary, never from the object itself.
    """
    judge = _Judge(viewer, obj)
    if not judge.sees_object():
        return {}
    return {field: getattr(obj, field) for field in obj.policy_fields() if judge.sees_field(field)}


def restricted_fields_shown(viewer: Viewer, obj: Any) -> list[str]:
    """Return the RESTRICTED parts of ``obj`` that ``viewer`` sees: ``""`` for the object itself, then field names."""
    judge = _Judge(viewer, obj)
    if not judge.sees_object():
        return []
    shown = [""] if obj.policy_tier(None) == Tier.RESTRICTED else []
    for field in obj.policy_fields():
        if obj.policy_tier(field) == Tier.RESTRICTED and judge.sees_field(field):
            shown.append(field)
    return shown


def record_restricted_view(viewer: Viewer, obj: Any, request: HttpRequest | None) -> Any:
    """Write a ``restricted.viewed`` audit event when ``viewer`` is shown RESTRICTED information of ``obj``.

    Call it wherever an object is rendered or serialized for a person (page, API, export, PDF,
    e-mail). It returns the audit event, or ``None`` when nothing RESTRICTED is shown (then nothing
    is written). The event names the fields, never their content.
    """
    from django.contrib.auth import get_user_model

    from nonpro.core.audit.services import audit_record

    shown = restricted_fields_shown(viewer, obj)
    if not shown or viewer.user_id is None:
        return None
    actor = getattr(request, "user", None) if request is not None else None
    if actor is None or getattr(actor, "pk", None) != viewer.user_id:
        actor = get_user_model()._default_manager.get(pk=viewer.user_id)
    fields = [field for field in shown if field]
    summary = {"object": "" in shown, "fields": fields}
    return audit_record(action="restricted.viewed", actor=actor, obj=obj, summary=summary, request=request)


def _reach_condition(
    scope: Reach,
    model: type[models.Model],
    *,
    country_field: str | None,
    assigned_field: str | None,
    prefix: str = "",
    pk_lookup: str | None = None,
) -> Q | None:
    """Return the database condition for ``scope`` on ``model`` (``None``: no row is reached).

    ``prefix`` is the lookup path from the queried rows to ``model`` (``""``: the rows are ``model``'s);
    ``pk_lookup`` the lookup of ``model``'s primary key from the queried rows (default ``{prefix}pk``).
    """
    pk = f"{prefix}pk" if pk_lookup is None else pk_lookup
    if scope.everything:
        return Q()
    parts: list[Q] = []
    if scope.own_state_id is not None and country_field is not None:
        parts.append(Q(**{f"{prefix}{country_field}": scope.own_state_id}))
    if scope.unscoped and country_field is None:
        return Q()
    if scope.unscoped:
        parts.append(Q(**{f"{prefix}{country_field}__isnull": True}))
    if scope.assigned_user_id is not None and assigned_field is not None:
        assigned = model._base_manager.filter(**{assigned_field: scope.assigned_user_id}).values("pk")
        parts.append(Q(**{f"{pk}__in": assigned}))
    if scope.granted_user_id is not None and _grantable_model(model):
        parts.append(Q(**{f"{pk}__in": _granted_ids(model, scope.granted_user_id)}))
    if not parts:
        return None
    return reduce(operator.or_, parts)


def _granted_ids(model: type[models.Model], user_id: int) -> QuerySet[Any, Any]:
    from django.contrib.contenttypes.models import ContentType

    from nonpro.core.models import NeedToKnowGrant

    content_type = ContentType.objects.get_for_model(model)
    return NeedToKnowGrant.objects.active().filter(user_id=user_id, content_type=content_type).values("object_id")


def visible[M: models.Model](
    queryset: QuerySet[M, M],
    viewer: Viewer,
    *,
    tier_field: str = "tier",
    country_field: str | None = None,
    assigned_field: str | None = None,
) -> QuerySet[M, M]:
    """Return the rows of ``queryset`` whose object tier ``viewer`` may see, filtered in the database.

    ``tier_field`` holds the object's tier; ``country_field`` the State the row is scoped to
    (give it for every State-scoped model: without it no row counts as scoped); ``assigned_field``
    the lookup from the row to its assigned reviewers (a foreign key or many-to-many to the user).
    Rows with an unknown tier are never returned. Field tiers are ``strip_fields``'s work.
    """
    condition = visible_condition(
        viewer, queryset.model, tier_field=tier_field, country_field=country_field, assigned_field=assigned_field
    )
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def visible_condition(
    viewer: Viewer,
    model: type[models.Model],
    *,
    tier_field: str = "tier",
    prefix: str = "",
    country_field: str | None = None,
    assigned_field: str | None = None,
    pk_lookup: str | None = None,
) -> Q | None:
    """Return ``visible()``'s condition as a ``Q`` (``None``: no row is visible), reached through ``prefix``.

    For queries over rows related to ``model`` — e.g. search documents joined to their entry
    (``prefix="entry__"``) — so that visibility becomes a condition on the joined row rather than
    a subquery over every row of ``model``. ``tier_field``, ``country_field`` and
    ``assigned_field`` are named from ``model`` (without the prefix); the rules are ``visible()``'s.
    ``pk_lookup`` names ``model``'s primary key on the queried rows when they carry it and the tier
    themselves (e.g. ``"entry_id"`` on search documents that copy their entry's tiers): no join then.
    """
    conditions: list[Q] = []
    for tier in Tier:
        condition = _reach_condition(
            reach(viewer, tier),
            model,
            country_field=country_field,
            assigned_field=assigned_field,
            prefix=prefix,
            pk_lookup=pk_lookup,
        )
        if condition is not None:
            conditions.append(Q(**{f"{prefix}{tier_field}": tier.value}) & condition)
    if not conditions:
        return None
    return reduce(operator.or_, conditions)
