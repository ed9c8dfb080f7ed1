"""Account pages of our own: the profile, and the administrators' pages for people and their roles.

Sign-up, sign-in, e-mail, password, MFA and sessions are django-allauth's pages (``allauth.urls``),
styled by the templates under ``accounts/templates/{account,mfa,usersessions,allauth}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nonpro.accounts import services
from nonpro.accounts.forms import AccountStatusForm, PointOfContactForm, ProfileForm, RoleGrantForm, RoleRevokeForm
from nonpro.accounts.models import Role, RoleAssignment, User
from nonpro.core.models import Country
from nonpro.core.policy import can, check_request, policy_required, viewer_for

PEOPLE_PER_PAGE = 50


@dataclass(frozen=True)
class RoleRow:
    role: str
    label: str
    state: str
    granted_at: Any
    granted_by: str
    reason: str
    is_point_of_contact: bool = False


def _role_rows(user: User) -> list[RoleRow]:
    """Return the roles ``user`` holds, in the order of ``Role``, with the State of a national official."""
    order = {value: index for index, value in enumerate(Role.values)}
    assignments = user.role_assignments.select_related("country", "granted_by").prefetch_related(
        "country__translations"
    )
    rows = [
        RoleRow(
            role=assignment.role,
            label=str(Role(assignment.role).label) if assignment.role in Role.values else assignment.role,
            state=assignment.country.name() if assignment.country else "",
            granted_at=assignment.granted_at,
            granted_by=str(assignment.granted_by) if assignment.granted_by else "",
            reason=assignment.reason,
            is_point_of_contact=assignment.is_point_of_contact,
        )
        for assignment in assignments
    ]
    rows.sort(key=lambda row: order.get(row.role, len(order)))
    return rows


def _mfa_types(user: User) -> set[str]:
    from allauth.mfa.models import Authenticator

    return {str(kind) for kind in Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True)}


def _signed_in_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("accounts.profile.view")
def profile(request: HttpRequest) -> HttpResponse:
    """Show the signed-in person's profile: name, roles and State, and links to manage the account."""
    user = _signed_in_user(request)
    form = ProfileForm(initial={"display_name": user.display_name})
    if request.method == "POST":
        denial = check_request(request, "accounts.profile.edit", user)
        if denial is not None:
            return denial
        form = ProfileForm(request.POST)
        if form.is_valid():
            if services.profile_update(user=user, display_name=form.cleaned_data["display_name"], request=request):
                messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
    viewer = viewer_for(user)
    mfa_types = _mfa_types(user)
    context = {
        "form": form,
        "roles": _role_rows(user),
        "needs_mfa": viewer.needs_mfa,
        "has_totp": "totp" in mfa_types,
        "has_webauthn": "webauthn" in mfa_types,
        "has_recovery_codes": "recovery_codes" in mfa_types,
        "may_manage_tokens": can(viewer, "accounts.token.manage"),
        "may_edit_expert_profile": can(viewer, "experts.profile.edit"),
        "may_manage_roles": can(viewer, "accounts.role.manage"),
        "idle_minutes": settings.SESSION_IDLE_TIMEOUT // 60,
        "absolute_hours": settings.SESSION_ABSOLUTE_TIMEOUT // 3600,
    }
    return render(request, "accounts/profile.html", context)


def _people(query: str) -> QuerySet[User]:
    people = User.objects.order_by("email").prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role"))
    )
    if query:
        people = people.filter(Q(email__icontains=query) | Q(display_name__icontains=query))
    return people


@never_cache
@require_http_methods(["GET", "HEAD"])
@policy_required("accounts.role.manage")
def people(request: HttpRequest) -> HttpResponse:
    """List accounts for administrators (search by e-mail or name), with their roles."""
    query = request.GET.get("q", "").strip()[:200]
    page = Paginator(_people(query), PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "user": person,
            "roles": [str(Role(a.role).label) for a in person.role_assignments.all() if a.role in Role.values],
        }
        for person in page.object_list
    ]
    return render(request, "accounts/people.html", {"page": page, "rows": rows, "query": query})


def _apply_grant(request: HttpRequest, person: User, actor: User) -> tuple[bool, Any]:
    form = RoleGrantForm(request.POST, prefix="grant")
    if not form.is_valid():
        return False, form
    alpha2 = form.cleaned_data["country"]
    country = Country.objects.get(alpha2=alpha2) if alpha2 else None
    role = Role(form.cleaned_data["role"])
    granted = services.role_grant(
        user=person, role=role, reason=form.cleaned_data["reason"], granted_by=actor, country=country, request=request
    )
    if granted:
        messages.success(request, _("The role %(role)s was granted.") % {"role": role.label})
    else:
        messages.info(request, _("This person already holds the role %(role)s.") % {"role": role.label})
    return True, form


def _apply_revoke(request: HttpRequest, person: User, actor: User) -> tuple[bool, Any]:
    form = RoleRevokeForm(request.POST, prefix="revoke")
    if not form.is_valid():
        return False, form
    role = Role(form.cleaned_data["role"])
    if services.role_revoke(
        user=person, role=role, reason=form.cleaned_data["reason"], revoked_by=actor, request=request
    ):
        messages.success(request, _("The role %(role)s was revoked.") % {"role": role.label})
    return True, form


def _apply_point_of_contact(request: HttpRequest, person: User, actor: User) -> tuple[bool, Any]:
    form = PointOfContactForm(request.POST, prefix="poc")
    if not form.is_valid():
        return False, form
    services.point_of_contact_set(
        user=person,
        is_point_of_contact=form.cleaned_data["is_point_of_contact"],
        reason=form.cleaned_data["reason"],
        changed_by=actor,
        request=request,
    )
    messages.success(request, _("The point-of-contact designation was saved."))
    return True, form


def _apply_status(request: HttpRequest, person: User, actor: User, *, disable: bool) -> tuple[bool, Any]:
    form = AccountStatusForm(request.POST, prefix="status")
    if not form.is_valid():
        return False, form
    reason = form.cleaned_data["reason"]
    if disable:
        services.user_disable(user=person, reason=reason, disabled_by=actor, request=request)
        messages.success(request, _("The account was disabled and its sessions were ended."))
    else:
        services.user_enable(user=person, reason=reason, enabled_by=actor, request=request)
        messages.success(request, _("The account was enabled."))
    return True, form


def _apply(request: HttpRequest, person: User, action: str) -> tuple[bool, Any]:
    """Run the administrator's ``action`` on ``person``; return (done, the bound form to show again)."""
    actor = _signed_in_user(request)
    if action == "grant":
        return _apply_grant(request, person, actor)
    if action == "revoke":
        return _apply_revoke(request, person, actor)
    if action == "point_of_contact":
        return _apply_point_of_contact(request, person, actor)
    if action in ("disable", "enable"):
        return _apply_status(request, person, actor, disable=action == "disable")
    raise PermissionDenied


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("accounts.role.manage")
def person_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    """Show one person's roles and account status to an administrator, with forms to change them."""
    person = get_object_or_404(User, pk=user_id)
    grant_form = RoleGrantForm(prefix="grant")
    revoke_form: Any = None
    status_form = AccountStatusForm(prefix="status")
    official = person.role_assignments.filter(role=Role.NATIONAL_OFFICIAL).first()
    poc_form = PointOfContactForm(
        prefix="poc", initial={"is_point_of_contact": bool(official and official.is_point_of_contact)}
    )
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in ("disable", "enable"):
            denial = check_request(request, "accounts.user.disable", person)
            if denial is not None:
                return denial
        try:
            done, bound = _apply(request, person, action)
        except services.AccountsError as error:
            messages.error(request, _refusal(error))
            return redirect("accounts:person_roles", user_id=person.pk)
        if done:
            return redirect("accounts:person_roles", user_id=person.pk)
        if action == "grant":
            grant_form = bound
        elif action == "revoke":
            revoke_form = bound
        elif action == "point_of_contact":
            poc_form = bound
        else:
            status_form = bound
    viewer = viewer_for(_signed_in_user(request))
    context = {
        "person": person,
        "roles": _role_rows(person),
        "grant_form": grant_form,
        "revoke_role": revoke_form.data.get("revoke-role", "") if revoke_form is not None else "",
        "revoke_errors": revoke_form.errors.get("reason") if revoke_form is not None else None,
        "status_form": status_form,
        "poc_form": poc_form if official is not None else None,
        "may_change_status": can(viewer, "accounts.user.disable", person) and person.pk != viewer.user_id,
    }
    return render(request, "accounts/person_roles.html", context, status=400 if request.method == "POST" else 200)


def _refusal(error: services.AccountsError) -> str:
    """Return the translated message for a refusal of the services."""
    refusals = {
        "last_administrator": _("The last administrator keeps the role: grant it to someone else first."),
        "other_state": _("This person is already a national official of another State; revoke that role first."),
        "own_account": _("You cannot disable your own account."),
        "state_binding": _("A national official is bound to exactly one State; other roles are bound to none."),
        "reason_required": _("A reason is required."),
        "not_official": _("Only a national official can be a point of contact."),
    }
    return refusals.get(error.code, _("The change was refused."))
