"""Pages of the expert directory: search (analysts), own profile (experts), vetting (administrators)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nonpro.accounts import experts
from nonpro.accounts.models import Community, ConflictOfInterestDeclaration, ExpertiseField, User
from nonpro.core.policy import policy_required, viewer_for

# --- forms ---------------------------------------------------------------------------------------------


def _with_blank(choices: Sequence[tuple[str, Any]], blank: str) -> list[tuple[str, Any]]:
    return [("", blank), *choices]


class ExpertSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, e-mail address or affiliation"), required=False, max_length=200)
    community = forms.ChoiceField(label=_("Community"), required=False)
    field = forms.ChoiceField(label=_("Field of expertise"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    vetted = forms.BooleanField(label=_("Vetted experts only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = _with_blank(Community.choices, gettext("All communities"))  # type: ignore[attr-defined]
        self.fields["field"].choices = _with_blank(ExpertiseField.choices, gettext("All fields"))  # type: ignore[attr-defined]
        self.fields["language"].choices = _with_blank(experts.language_choices(), gettext("All languages"))  # type: ignore[attr-defined]


class ExpertProfileForm(forms.Form):
    affiliation = forms.CharField(label=_("Affiliation"), required=False, max_length=200)
    community = forms.ChoiceField(label=_("Community"), required=False)
    expertise = forms.MultipleChoiceField(
        label=_("Fields of expertise"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=ExpertiseField.choices,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you work in"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = _with_blank(Community.choices, gettext("Not stated"))  # type: ignore[attr-defined]
        self.fields["languages"].choices = experts.language_choices()  # type: ignore[attr-defined]


class ConflictForm(forms.Form):
    relates_to = forms.CharField(
        label=_("Relates to"),
        max_length=300,
        help_text=_("The organisation, project, State or interest the conflict concerns."),
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)


class VetForm(forms.Form):
    until = forms.DateField(
        label=_("Vetted until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The vetting lapses after this day; it can be renewed."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        today = timezone.localdate()
        if until < today or until > today + timedelta(days=experts.MAX_VETTING_DAYS):
            raise ValidationError(
                gettext("Choose a day between today and %(days)s days from now."),
                params={"days": experts.MAX_VETTING_DAYS},
            )
        return until


class RevokeForm(forms.Form):
    revoke_reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- views ---------------------------------------------------------------------------------------------


@never_cache
@require_safe
@policy_required("experts.search")
def directory(request: HttpRequest) -> HttpResponse:
    form = ExpertSearchForm(request.GET or None)
    criteria: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        criteria = {
            "q": data["q"] or None,
            "community": data["community"] or None,
            "field": data["field"] or None,
            "language": data["language"] or None,
            "vetted_only": data["vetted"],
        }
    rows = experts.experts_search(viewer=viewer_for(request.user), **criteria) if not form.errors else []
    return render(request, "accounts/experts/directory.html", {"form": form, "rows": rows})


@never_cache
@require_safe
@policy_required("experts.view")
def detail(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    try:
        expert = experts.expert_detail(viewer=viewer, user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None
    return render(request, "accounts/experts/detail.html", {"detail": expert})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("experts.profile.edit")
def me(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    profile = experts.expert_profile_own(user=user)
    initial = {
        "affiliation": profile.affiliation,
        "community": profile.community,
        "expertise": profile.expertise,
        "languages": profile.languages,
    }
    profile_form = ExpertProfileForm(initial=initial)
    conflict_form = ConflictForm()
    if request.method == "POST" and request.POST.get("form") == "profile":
        profile_form = ExpertProfileForm(request.POST)
        if profile_form.is_valid():
            try:
                experts.expert_profile_update(user=user, request=request, **profile_form.cleaned_data)
            except ValidationError as error:
                _apply_errors(profile_form, error)
            else:
                messages.success(request, gettext("Your expert profile was saved."))
                return redirect("experts:me")
    elif request.method == "POST" and request.POST.get("form") == "conflict":
        conflict_form = ConflictForm(request.POST)
        if conflict_form.is_valid():
            try:
                experts.coi_declare(user=user, request=request, **conflict_form.cleaned_data)
            except ValidationError as error:
                _apply_errors(conflict_form, error)
            else:
                messages.success(request, gettext("Your declaration was recorded."))
                return redirect("experts:me")
    elif request.method == "POST":
        return HttpResponse(status=400)
    context = {
        "profile": profile,
        "profile_form": profile_form,
        "conflict_form": conflict_form,
        "conflicts": experts.coi_list_own(user=user),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/experts/me.html", context, status=status)


@never_cache
@require_POST
@policy_required("experts.profile.edit")
def coi_withdraw(request: HttpRequest, coi_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        declaration = experts.coi_own(user=user, coi_id=coi_id)
    except ConflictOfInterestDeclaration.DoesNotExist:
        raise Http404 from None
    if experts.coi_withdraw(declaration=declaration, user=user, request=request):
        messages.success(request, gettext("The declaration was withdrawn."))
    return redirect("experts:me")


@never_cache
@require_safe
@policy_required("experts.vet")
def vetting(request: HttpRequest) -> HttpResponse:
    rows = experts.experts_vetting_list(viewer=viewer_for(request.user))
    return render(request, "accounts/experts/vetting.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("experts.vet")
def vet(request: HttpRequest, user_id: int) -> HttpResponse:
    admin: User = request.user  # type: ignore[assignment]
    viewer = viewer_for(admin)
    try:
        profile = experts.expert_profile_for_vetting(viewer=viewer, user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None
    default_until = timezone.localdate() + timedelta(days=365)
    vet_form = VetForm(initial={"until": profile.vetted_until or default_until})
    revoke_form = RevokeForm()
    if request.method == "POST" and request.POST.get("action") == "vet":
        vet_form = VetForm(request.POST)
        if vet_form.is_valid():
            try:
                experts.expert_vet(profile=profile, vetted_by=admin, request=request, **vet_form.cleaned_data)
            except ValidationError as error:
                _apply_errors(vet_form, error)
            else:
                messages.success(request, gettext("The vetting was recorded."))
                return redirect("experts:vetting")
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        revoke_form = RevokeForm(request.POST)
        if revoke_form.is_valid():
            experts.expert_vetting_revoke(
                profile=profile, revoked_by=admin, reason=revoke_form.cleaned_data["revoke_reason"], request=request
            )
            messages.success(request, gettext("The vetting was revoked."))
            return redirect("experts:vetting")
    elif request.method == "POST":
        return HttpResponse(status=400)
    context = {
        "detail": experts.expert_detail(viewer=viewer, user_id=user_id),
        "vet_form": vet_form,
        "revoke_form": revoke_form,
        "is_self": profile.user_id == admin.pk,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/experts/vet.html", context, status=status)
