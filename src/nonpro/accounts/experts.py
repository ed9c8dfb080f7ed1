"""The expert directory: profiles, vetting and conflict-of-interest declarations.

Writes (services) run in one transaction each and record their audit event in it; reads
(selectors) ask the policy first and return plain rows, so that pages and the API show the same
thing. Analysts search the directory to pick reviewers; administrators vet; an expert edits
their own profile. Nobody else learns who is listed.

``ExpertProfile.expertise`` and ``languages`` are JSON lists of codes from fixed choices. A
filter on one code (``json_list_contains``) matches the code as a quoted JSON string in the
stored text, which works the same on SQLite and PostgreSQL; the codes hold no quotes and are
validated on every write, so the match is exact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import (
    Community,
    ConflictOfInterestDeclaration,
    ExpertiseField,
    ExpertProfile,
    RoleAssignment,
    User,
    VettingStatus,
    expert_language_codes,
    validate_expert_languages,
    validate_expertise_fields,
)
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Role, Viewer, can, forget_viewer, viewer_for

#: Roles whose holders are listed in the directory (a reviewer is a vetted expert).
EXPERT_ROLES = (Role.EXPERT, Role.REVIEWER)
#: The longest a vetting may run before it must be renewed.
MAX_VETTING_DAYS = 3 * 366


def _require(viewer: Viewer, action: str, obj: Any = None) -> None:
    if not can(viewer, action, obj):
        raise PermissionDenied


def json_list_contains(lookup: str, code: str) -> Q:
    """Return a filter for rows whose JSON list at ``lookup`` holds ``code`` (see the module docstring)."""
    return Q(**{f"{lookup}__icontains": json.dumps(code)})


def _expert_users() -> QuerySet[User]:
    holders = RoleAssignment.objects.filter(role__in=EXPERT_ROLES).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders)


def _is_expert(user: User) -> bool:
    return bool(user.is_active and user.role_assignments.filter(role__in=EXPERT_ROLES).exists())


# --- selectors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertRow:
    """One person in the directory, as analysts see them."""

    user_id: int
    name: str
    email: str
    has_profile: bool
    affiliation: str
    community: str
    community_label: str
    expertise: list[str]
    expertise_labels: list[str]
    languages: list[str]
    language_labels: list[str]
    vetting_status: str
    vetting_status_label: str
    vetted_until: date | None
    active_conflicts: int


@dataclass(frozen=True)
class ConflictRow:
    id: int
    relates_to: str
    description: str
    declared_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class ExpertDetail:
    expert: ExpertRow
    vetted_by: str
    vetted_at: datetime | None
    vetting_reason: str
    conflicts: list[ConflictRow] = field(default_factory=list)


def _row(user: User, active_conflicts: int) -> ExpertRow:
    profile: ExpertProfile | None = getattr(user, "expert_profile", None)
    if profile is None:
        profile = ExpertProfile(user=user)
    status = profile.effective_vetting_status
    return ExpertRow(
        user_id=user.pk,
        name=str(user.display_name or user.get_full_name() or user.email),
        email=user.email,
        has_profile=profile.pk is not None,
        affiliation=profile.affiliation,
        community=profile.community,
        community_label=str(Community(profile.community).label) if profile.community else "",
        expertise=list(profile.expertise),
        expertise_labels=profile.field_labels(),
        languages=list(profile.languages),
        language_labels=profile.language_labels(),
        vetting_status=status,
        vetting_status_label=str(VettingStatus(status).label),
        vetted_until=profile.vetted_until,
        active_conflicts=active_conflicts,
    )


def _rows(users: QuerySet[User]) -> list[ExpertRow]:
    annotated = users.select_related("expert_profile").annotate(
        active_conflicts=Count(
            "expert_profile__conflicts", filter=Q(expert_profile__conflicts__withdrawn_at__isnull=True)
        )
    )
    return [_row(user, user.active_conflicts) for user in annotated.order_by("display_name", "email")]


def experts_search(
    *,
    viewer: Viewer,
    q: str | None = None,
    community: str | None = None,
    field: str | None = None,
    language: str | None = None,
    vetted_only: bool = False,
) -> list[ExpertRow]:
    """Return the experts matching the search, for an analyst picking reviewers.

    ``q`` matches name, e-mail address and affiliation; the other filters need a completed
    profile. Raise ``PermissionDenied`` for anyone who may not search the directory, and
    ``ValueError`` for a filter code outside its fixed choices.
    """
    _require(viewer, "experts.search")
    users = _expert_users()
    if q and q.strip():
        term = q.strip()
        users = users.filter(
            Q(email__icontains=term)
            | Q(display_name__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(expert_profile__affiliation__icontains=term)
        )
    if community:
        if community not in Community.values:
            raise ValueError(f"Unknown community {community!r}.")
        users = users.filter(expert_profile__community=community)
    if field:
        if field not in ExpertiseField.values:
            raise ValueError(f"Unknown field of expertise {field!r}.")
        users = users.filter(json_list_contains("expert_profile__expertise", field))
    if language:
        if language not in expert_language_codes():
            raise ValueError(f"Unknown language {language!r}.")
        users = users.filter(json_list_contains("expert_profile__languages", language))
    if vetted_only:
        users = users.filter(
            expert_profile__vetting_status=VettingStatus.VETTED,
            expert_profile__vetted_until__gte=timezone.localdate(),
        )
    return _rows(users)


def experts_vetting_list(*, viewer: Viewer) -> list[ExpertRow]:
    """Return every listed expert with their vetting status, for an administrator who vets."""
    _require(viewer, "experts.vet")
    return _rows(_expert_users())


def expert_detail(*, viewer: Viewer, user_id: int) -> ExpertDetail:
    """Return one expert with their conflict-of-interest declarations (withdrawn ones included).

    Raise ``PermissionDenied`` for anyone who may not view the directory, and
    ``User.DoesNotExist`` when ``user_id`` is not a listed expert.
    """
    _require(viewer, "experts.view")
    user = _expert_users().select_related("expert_profile").get(pk=user_id)
    profile: ExpertProfile | None = getattr(user, "expert_profile", None)
    conflicts = list(profile.conflicts.all()) if profile is not None else []
    vetted_by = profile.vetted_by if profile is not None else None
    return ExpertDetail(
        expert=_row(user, sum(1 for conflict in conflicts if conflict.is_active)),
        vetted_by=str(vetted_by) if vetted_by is not None else "",
        vetted_at=profile.vetted_at if profile is not None else None,
        vetting_reason=profile.vetting_reason if profile is not None else "",
        conflicts=[
            ConflictRow(
                id=conflict.pk,
                relates_to=conflict.relates_to,
                description=conflict.description,
                declared_at=conflict.declared_at,
                withdrawn_at=conflict.withdrawn_at,
            )
            for conflict in conflicts
        ],
    )


def expert_profile_for_vetting(*, viewer: Viewer, user_id: int) -> ExpertProfile:
    """Return the profile an administrator is about to vet (unsaved when the expert has none yet)."""
    _require(viewer, "experts.vet")
    user = _expert_users().get(pk=user_id)
    return ExpertProfile.objects.filter(user=user).first() or ExpertProfile(user=user)


def expert_profile_own(*, user: User) -> ExpertProfile:
    """Return the signed-in expert's own profile (unsaved when they have not filled it in yet)."""
    _require(viewer_for(user), "experts.profile.edit")
    return ExpertProfile.objects.filter(user=user).first() or ExpertProfile(user=user)


def coi_list_own(*, user: User) -> list[ConflictOfInterestDeclaration]:
    """Return the signed-in expert's own declarations, newest first."""
    _require(viewer_for(user), "experts.profile.edit")
    return list(ConflictOfInterestDeclaration.objects.filter(expert__user=user))


def coi_own(*, user: User, coi_id: int) -> ConflictOfInterestDeclaration:
    """Return one of the expert's own declarations; ``DoesNotExist`` for anyone else's."""
    _require(viewer_for(user), "experts.profile.edit")
    return ConflictOfInterestDeclaration.objects.get(pk=coi_id, expert__user=user)


# --- services --------------------------------------------------------------------------------------


def _clean_codes(value: list[str], validator: Any) -> list[str]:
    codes = list(dict.fromkeys(value))  # drop repeats, keep order
    validator(codes)
    return codes


def _locked_profile(user: User) -> ExpertProfile:
    profile, _created = ExpertProfile.objects.select_for_update().get_or_create(user=user)
    return profile


def _vetting_state(profile: ExpertProfile) -> dict[str, Any]:
    return {
        "status": profile.vetting_status,
        "until": profile.vetted_until.isoformat() if profile.vetted_until else None,
    }


@transaction.atomic
def expert_profile_update(
    *,
    user: User,
    affiliation: str,
    community: str,
    expertise: list[str],
    languages: list[str],
    request: HttpRequest | None = None,
) -> ExpertProfile:
    """Save the expert's own directory profile (created on first save); return it."""
    _require(viewer_for(user), "experts.profile.edit")
    if community and community not in Community.values:
        unknown = ValidationError(_("Unknown community: %(code)s."), params={"code": community})
        raise ValidationError({"community": unknown})
    new = {
        "affiliation": affiliation.strip(),
        "community": community,
        "expertise": _clean_codes(expertise, validate_expertise_fields),
        "languages": _clean_codes(languages, validate_expert_languages),
    }
    profile = _locked_profile(user)
    changed = sorted(name for name, value in new.items() if getattr(profile, name) != value)
    for name, value in new.items():
        setattr(profile, name, value)
    profile.save()
    audit_record(
        action="experts.profile.update", actor=user, obj=profile, summary={"changed": changed}, request=request
    )
    return profile


def _vetting_saved(
    profile: ExpertProfile, *, action: str, actor: User, before: dict[str, Any], request: HttpRequest | None
) -> ExpertProfile:
    """Save a vetting decision, record it (before and after, with its reason) and refresh the policy's view."""
    profile.save()
    audit_record(
        action=action,
        actor=actor,
        obj=profile,
        summary={
            "expert": profile.user.email,
            "before": before,
            "after": _vetting_state(profile),
            "reason": profile.vetting_reason,
        },
        request=request,
    )
    forget_viewer(profile.user)
    return profile


@transaction.atomic
def expert_vet(
    *, profile: ExpertProfile, vetted_by: User, until: date, reason: str, request: HttpRequest | None = None
) -> ExpertProfile:
    """Record that ``vetted_by`` (an administrator) vetted the expert until ``until``.

    A vetting runs from today to at most ``MAX_VETTING_DAYS`` ahead and needs a reason; nobody
    vets themselves.
    """
    _require(viewer_for(vetted_by), "experts.vet")
    if not reason.strip():
        raise ValidationError({"reason": _("A reason is required to vet an expert.")})
    today = timezone.localdate()
    if until < today or until > today + timedelta(days=MAX_VETTING_DAYS):
        raise ValidationError(
            {
                "until": ValidationError(
                    _("Choose a day between today and %(days)s days from now."), params={"days": MAX_VETTING_DAYS}
                )
            }
        )
    if profile.user_id == vetted_by.pk:
        raise PermissionDenied
    if not _is_expert(profile.user):
        raise ValidationError(_("Only a person holding the expert role can be vetted."))
    locked = _locked_profile(profile.user)
    before = _vetting_state(locked)
    locked.vetting_status = VettingStatus.VETTED
    locked.vetted_by = vetted_by
    locked.vetted_at = timezone.now()
    locked.vetted_until = until
    locked.vetting_reason = reason.strip()
    return _vetting_saved(locked, action="experts.vetting.grant", actor=vetted_by, before=before, request=request)


@transaction.atomic
def expert_vetting_revoke(
    *, profile: ExpertProfile, revoked_by: User, reason: str, request: HttpRequest | None = None
) -> ExpertProfile:
    """Revoke the expert's vetting (an administrator's decision, with a reason)."""
    _require(viewer_for(revoked_by), "experts.vet")
    if not reason.strip():
        raise ValidationError({"reason": _("A reason is required to revoke a vetting.")})
    locked = _locked_profile(profile.user)
    before = _vetting_state(locked)
    locked.vetting_status = VettingStatus.REVOKED
    locked.vetting_reason = reason.strip()
    return _vetting_saved(locked, action="experts.vetting.revoke", actor=revoked_by, before=before, request=request)


@transaction.atomic
def expert_vettings_expire() -> int:
    """Mark vettings past their end date as expired; return how many. Running it twice changes nothing."""
    today = timezone.localdate()
    due = ExpertProfile.objects.select_for_update().filter(vetting_status=VettingStatus.VETTED, vetted_until__lt=today)
    count = 0
    for profile in due:
        before = _vetting_state(profile)
        profile.vetting_status = VettingStatus.EXPIRED
        profile.save(update_fields=["vetting_status", "updated_at"])
        audit_record(
            action="experts.vetting.expire",
            obj=profile,
            summary={"expert": profile.user.email, "before": before, "after": _vetting_state(profile)},
        )
        count += 1
    return count


@transaction.atomic
def coi_declare(
    *, user: User, relates_to: str, description: str, request: HttpRequest | None = None
) -> ConflictOfInterestDeclaration:
    """Record a conflict of interest the expert declares about themselves."""
    _require(viewer_for(user), "experts.profile.edit")
    if not relates_to.strip() or not description.strip():
        raise ValidationError(_("A declaration needs what it relates to and a description."))
    profile = _locked_profile(user)
    declaration = ConflictOfInterestDeclaration.objects.create(
        expert=profile, relates_to=relates_to.strip(), description=description.strip()
    )
    # The declaration's words stay out of the log: only their length is recorded.
    audit_record(
        action="experts.coi.declare",
        actor=user,
        obj=declaration,
        summary={"relates_to_length": len(declaration.relates_to), "description_length": len(declaration.description)},
        request=request,
    )
    return declaration


@transaction.atomic
def coi_withdraw(*, declaration: ConflictOfInterestDeclaration, user: User, request: HttpRequest | None = None) -> bool:
    """Withdraw one of the expert's own declarations; return False when it was already withdrawn."""
    _require(viewer_for(user), "experts.profile.edit")
    locked = ConflictOfInterestDeclaration.objects.select_for_update().select_related("expert").get(pk=declaration.pk)
    if locked.expert.user_id != user.pk:
        raise PermissionDenied
    if locked.withdrawn_at is not None:
        return False
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["withdrawn_at"])
    audit_record(action="experts.coi.withdraw", actor=user, obj=locked, summary={}, request=request)
    return True


def language_choices() -> list[tuple[str, str]]:
    """Return the six UN languages as (code, translated name) pairs, in the site's order."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]
