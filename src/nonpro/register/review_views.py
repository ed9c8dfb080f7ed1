"""The register's review pages: the triage queue and a reviewer's list, assignment, the review form, the decision.

Thin views: they read through ``nonpro.register.selectors`` and ``nonpro.register.reviews``, write
through ``reviews.review_assign`` / ``reviews.review_submit`` and the workflow services, and show a
refusal (stale version, missing reviews, a rule of assignment) as a message while keeping what the
person typed. A hidden or missing entry is a 404; a visible one the person may not act on, a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from nonpro.accounts.models import User
from nonpro.core.policy import Role, Viewer, can, check_request, viewer_for, would_allow_with_mfa
from nonpro.register import reviews, services, taxonomy
from nonpro.register.models import Entry, ReviewAssignment, ReviewRecommendation
from nonpro.register.selectors import entry_actions_for, entry_data_for, entry_get_visible

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The default due date of a new assignment.
DEFAULT_REVIEW_DAYS = 14
DATETIME_INPUT = "%Y-%m-%dT%H:%M"
NO_ENABLING_DETAIL = _(
    "I confirm this entry contains no enabling detail (nothing that would help make, acquire, enhance or "
    "deliver a weapon)"
)


def _language() -> str:
    return get_language() or "en"


def _entry(viewer: Viewer, rsd_id: str) -> Entry:
    entry = entry_get_visible(viewer, rsd_id)
    if entry is None:
        raise Http404
    return entry


def _title(viewer: Viewer, entry: Entry) -> str:
    """Return the entry's title as the viewer may see it ("" when hidden)."""
    data = entry_data_for(viewer, entry) or {}
    return str(data.get("title") or "")


def _show_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: on its fields where the form has them."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


# --- the list ------------------------------------------------------------------------------------------


@require_safe
def review_list(request: HttpRequest) -> HttpResponse:
    """Show analysts the triage queue and reviewers their open assignments."""
    viewer = viewer_for(request.user)
    analyst = can(viewer, services.ASSIGN)
    reviewer = viewer.has(Role.REVIEWER)
    if not (analyst or reviewer):
        if not viewer.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if would_allow_with_mfa(viewer, services.ASSIGN) or Role.REVIEWER in viewer.held_roles:
            return redirect("mfa_activate_totp")
        raise PermissionDenied
    context = {
        "queue": reviews.triage_queue(viewer) if analyst else None,
        "assigned": reviews.open_reviews_for(request.user) if reviewer else None,  # type: ignore[arg-type]
        "required": services.REVIEWERS_REQUIRED,
        "now": timezone.now(),
    }
    return render(request, "register/review/list.html", context)


# --- assignment ----------------------------------------------------------------------------------------


class AssignForm(forms.Form):
    """Pick a vetted reviewer, a due date and, when they declared conflicts, why they may still review."""

    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int)
    due_at = forms.DateTimeField(
        label=_("Due date"),
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
        help_text=_("Reviewers get a reminder e-mail from two days before this date."),
    )
    conflict_note = forms.CharField(
        label=_("Note on declared conflicts of interest"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when the reviewer has declared conflicts of interest: say why they may review this entry."
        ),
    )

    def __init__(self, *args: Any, candidates: list[reviews.Candidate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.TypedChoiceField", self.fields["reviewer"])
        field.choices = [("", _("Choose a reviewer"))] + [
            (
                candidate.user_id,
                candidate.name if candidate.name == candidate.email else f"{candidate.name} <{candidate.email}>",
            )
            for candidate in candidates
            if not candidate.already_assigned
        ]


def _assign_post(request: HttpRequest, entry: Entry, form: AssignForm) -> bool:
    """Assign from a valid form; return True when done (errors land on the form)."""
    reviewer = User.objects.filter(pk=form.cleaned_data["reviewer"]).first()
    if reviewer is None:
        form.add_error("reviewer", _("Choose a reviewer."))
        return False
    try:
        reviews.review_assign(
            entry=entry,
            reviewer=reviewer,
            by=request.user,  # type: ignore[arg-type]
            due_at=form.cleaned_data["due_at"],
            conflict_note=form.cleaned_data["conflict_note"],
            request=request,
        )
    except services.RegisterError as refused:
        form.add_error("conflict_note" if refused.code == "conflict_note_required" else None, str(refused))
        return False
    except ValidationError as error:
        _show_errors(form, error)
        return False
    return True


@require_http_methods(["GET", "HEAD", "POST"])
def assign(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Show the vetted reviewers who may review the entry and assign one (analysts)."""
    denial = check_request(request, services.ASSIGN)
    if denial is not None:
        return denial
    viewer = viewer_for(request.user)
    entry = _entry(viewer, rsd_id)
    candidates = reviews.reviewer_candidates(viewer, entry)
    open_step = entry.workflow_allows(services.ASSIGN)
    initial = {"due_at": timezone.localtime() + timedelta(days=DEFAULT_REVIEW_DAYS)}
    form = AssignForm(request.POST or None, initial=initial, candidates=candidates)
    status = 200
    if request.method == "POST":
        if open_step and form.is_valid() and _assign_post(request, entry, form):
            messages.success(request, _("The reviewer was assigned."))
            return redirect("register:assign", rsd_id=entry.rsd_id)
        if not open_step:
            form.add_error(None, _("Reviewers cannot be assigned in this state of the entry."))
        status = 400
    context = {
        "rsd_id": entry.rsd_id,
        "title": _title(viewer, entry),
        "candidates": candidates,
        "round": reviews.open_round_for(viewer, entry),
        "form": form,
        "open_step": open_step,
    }
    return render(request, "register/review/assign.html", context, status=status)


# --- the review ----------------------------------------------------------------------------------------


def _score_field(criterion: taxonomy.Criterion, language: str) -> forms.TypedChoiceField:
    choices = [
        (score, f"{score} — {criterion.score_description(score, language)}")
        for score in range(taxonomy.SCORE_MIN, taxonomy.SCORE_MAX + 1)
    ]
    return forms.TypedChoiceField(
        label=criterion.label(language),
        help_text=criterion.description(language),
        choices=[("", _("Choose a score")), *choices],
        coerce=int,
    )


class ReviewForm(forms.Form):
    """The structured review: one score per rubric criterion, a level, comments, a recommendation, the confirmation."""

    proposed_level = forms.ChoiceField(
        label=_("Proposed concern level"),
        required=False,
        help_text=_("Leave it to the rubric to derive the level from your scores, or choose one."),
    )
    comments = forms.CharField(
        label=_("Comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Policy level only: why it matters, which controls apply — never how anything is done."),
    )
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=ReviewRecommendation.choices)
    no_enabling_detail = forms.BooleanField(label=NO_ENABLING_DETAIL, required=True)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rubric = taxonomy.rubric()
        self.criteria = list(rubric.criteria)
        scores = {f"score_{code}": _score_field(criterion, language) for code, criterion in rubric.criteria.items()}
        self.fields = {**scores, **self.fields}
        level = cast("forms.ChoiceField", self.fields["proposed_level"])
        level.choices = [("", _("Derived from the scores"))] + [
            (code, rubric.level_label(code, language)) for code in rubric.levels
        ]
        recommendation = cast("forms.ChoiceField", self.fields["recommendation"])
        recommendation.choices = [("", _("Choose a recommendation")), *ReviewRecommendation.choices]

    def scores(self) -> dict[str, int]:
        return {code: self.cleaned_data[f"score_{code}"] for code in self.criteria}


def _review_context(
    viewer: Viewer, entry: Entry, assignment: ReviewAssignment, form: ReviewForm | None
) -> dict[str, Any]:
    language = _language()
    rubric = taxonomy.rubric()
    return {
        "rsd_id": entry.rsd_id,
        "title": _title(viewer, entry),
        "assignment": assignment,
        "reviewable": reviews.under_review(entry),
        "form": form,
        "rubric_explanation": rubric.explanation(language),
        "scores": _score_rows(assignment, language),
        "level": rubric.level_label(assignment.proposed_level, language) if assignment.proposed_level else "",
    }


def _score_rows(assignment: ReviewAssignment, language: str) -> list[tuple[str, Any]]:
    criteria = taxonomy.rubric().criteria
    return [
        (criteria[code].label(language) if code in criteria else code, score)
        for code, score in assignment.scores.items()
    ]


@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Show the assigned reviewer the review form of the entry and record their review."""
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    entry = _entry(viewer, rsd_id)
    assignment = reviews.open_review_for(viewer, entry)
    if assignment is None:
        raise PermissionDenied
    services.entry_view_record(viewer=viewer, entry=entry, request=request)
    open_form = assignment.completed_at is None and reviews.under_review(entry)
    form = ReviewForm(request.POST or None, language=_language()) if open_form else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This review cannot be submitted now."))
            return redirect("register:review", rsd_id=entry.rsd_id)
        if form.is_valid() and _submit(request, assignment, form):
            messages.success(request, _("Thank you: your review was recorded."))
            return redirect("register:reviews")
        status = 400
    return render(
        request, "register/review/review.html", _review_context(viewer, entry, assignment, form), status=status
    )


def _submit(request: HttpRequest, assignment: ReviewAssignment, form: ReviewForm) -> bool:
    try:
        reviews.review_submit(
            assignment=assignment,
            by=request.user,  # type: ignore[arg-type]
            scores=form.scores(),
            proposed_level=form.cleaned_data["proposed_level"],
            comments=form.cleaned_data["comments"],
            recommendation=form.cleaned_data["recommendation"],
            no_enabling_detail=form.cleaned_data["no_enabling_detail"],
            request=request,
        )
    except services.RegisterError as refused:
        form.add_error(None, str(refused))
        return False
    except ValidationError as error:
        _show_errors(form, error)
        return False
    return True


# --- the decision --------------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    """One decision on the entry; the version the analyst saw guards against deciding on a changed entry."""

    action = forms.ChoiceField(
        choices=[("start", "start"), ("publish", "publish"), ("reject", "reject"), ("withdraw", "withdraw")]
    )
    expected_version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, strip=True)


Decision = Callable[..., Entry]
DECISIONS: dict[str, tuple[Decision, StrOrPromise]] = {
    "start": (services.entry_start_review, _("The review has started.")),
    "publish": (services.entry_publish, _("The entry was published.")),
    "reject": (services.entry_reject, _("The entry was rejected.")),
    "withdraw": (services.entry_withdraw, _("The entry was withdrawn.")),
}


def _decide(request: HttpRequest, entry: Entry, form: DecisionForm) -> tuple[str, str] | None:
    """Run the chosen decision; return None when done, else the error's code and text (nothing was written)."""
    action = form.cleaned_data["action"]
    call = DECISIONS[action][0]
    arguments: dict[str, Any] = {
        "entry": entry,
        "by": request.user,
        "expected_version": form.cleaned_data["expected_version"],
        "request": request,
    }
    if action in {"reject", "withdraw"}:
        arguments["reason"] = form.cleaned_data["reason"]
    try:
        call(**arguments)
    except services.RegisterError as refused:
        return refused.code, str(refused)
    except ValidationError as error:
        return "invalid", " ".join(error.messages)
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def decide(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Show the completed reviews side by side and record the analyst's decision."""
    denial = check_request(request, services.PUBLISH)
    if denial is not None:
        return denial
    viewer = viewer_for(request.user)
    entry = _entry(viewer, rsd_id)
    form = DecisionForm(request.POST or None)
    error: str | None = None
    status = 200
    if request.method == "POST":
        refused = _decide(request, entry, form) if form.is_valid() else ("invalid", "")
        if refused is None:
            messages.success(request, DECISIONS[form.cleaned_data["action"]][1])
            return redirect("register:decide", rsd_id=entry.rsd_id)
        code, error = refused
        error = error or str(_("Choose a decision and send the form again."))
        status = 409 if code == "stale" else 400
        entry = _entry(viewer, rsd_id)
    return render(request, "register/review/decide.html", _decide_context(viewer, entry, form, error), status=status)


def _decide_context(viewer: Viewer, entry: Entry, form: DecisionForm, error: str | None) -> dict[str, Any]:
    language = _language()
    rubric = taxonomy.rubric()
    all_reviews = reviews.reviews_for(viewer, entry)
    completed = [item for item in all_reviews if item.closed_at is None and item.completed_at is not None]
    criteria = [
        (criterion.label(language), [item.scores.get(code, "") for item in completed])
        for code, criterion in rubric.criteria.items()
    ]
    actions = entry_actions_for(viewer, entry)
    done = reviews.completed_reviews(entry)
    return {
        "rsd_id": entry.rsd_id,
        "title": _title(viewer, entry),
        "status": entry.get_status_display(),
        "pending_status": entry.get_pending_status_display() if entry.pending_status else "",
        "version": entry.version,
        "completed": completed,
        "criteria": criteria,
        "levels": [
            rubric.level_label(item.proposed_level, language) if item.proposed_level else "" for item in completed
        ],
        "round": reviews.open_round_for(viewer, entry),
        "earlier": [item for item in all_reviews if item.closed_at is not None],
        "done": done,
        "required": services.REVIEWERS_REQUIRED,
        "can_start": services.START_REVIEW in actions,
        "can_publish": services.PUBLISH in actions and done >= services.REVIEWERS_REQUIRED,
        "publish_step": services.PUBLISH in actions,
        "can_reject": services.REJECT in actions,
        "can_withdraw": services.WITHDRAW in actions,
        "can_assign": services.ASSIGN in actions,
        "can_edit": services.EDIT in actions,
        "error": error,
        "reason": form.data.get("reason", "") if form.is_bound else "",
        "chosen": form.data.get("action", "") if form.is_bound else "",
    }
