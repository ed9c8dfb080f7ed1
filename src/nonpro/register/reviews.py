"""The register's review workflow: assignments, structured reviews, and the reads of triage and review.

Analysts triage submitted entries (``triage_queue``), pick reviewers from the vetted experts
(``reviewer_candidates``) and assign them (``review_assign``); each assigned reviewer scores the
entry on the concern rubric, proposes a level, comments, recommends, and confirms that the entry
holds no enabling detail (``review_submit``); the analyst then decides (``services.entry_publish``
needs ``services.REVIEWERS_REQUIRED`` completed reviews of the open round; publish and reject
close the round).

Decisions:

- **Who may review.** The reviewer role counts only with MFA (the policy's rule), and the person
  must have a directory profile that is vetted today: a lapsed vetting stops new assignments.
  Nobody reviews their own entry, and a reviewer has at most one open assignment per entry.
- **Conflicts of interest.** A reviewer with active (not withdrawn) declarations may still be the
  right person; the analyst then writes why the conflict does not bar them (``conflict_note``),
  which stays on the assignment for the record.
- **A completed review is final** and belongs to its round: a later edit of the published entry
  is reviewed by a new round of assignments.
- **Reviews are COMMITTEE information**: analysts see every review of an entry, an assigned
  reviewer only their own; the entry's creator sees none (``reviews_for``).
- Audit summaries hold identifiers, dates, scores and the recommendation — never comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import ConflictOfInterestDeclaration, ExpertProfile, RoleAssignment, User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Role, Tier, Viewer, can, viewer_for
from nonpro.register import taxonomy
from nonpro.register.models import (
    Entry,
    EntryRevision,
    PendingStatus,
    ReviewAssignment,
    ReviewRecommendation,
    RevisionEvent,
    Status,
)
from nonpro.register.selectors import PREFETCH, EntryView, entries_visible_to, entry_data_for
from nonpro.register.services import (
    ASSIGN,
    REVIEWERS_REQUIRED,
    InvalidTransitionError,
    RegisterError,
    _lock,
    _require,
    _require_step,
)

SUBMIT_REVIEW = "register.review.submit"
SEARCH_EXPERTS = "experts.search"
#: The states in which the entry (or its edit) is under review: reviews may be submitted then.
REVIEWING: frozenset[tuple[str, str]] = frozenset(
    {(Status.UNDER_REVIEW, ""), (Status.PUBLISHED, PendingStatus.UNDER_REVIEW)}
)
#: Entries waiting for an analyst: submitted or under review, as new entries or as edits.
TRIAGE = Q(status__in=[Status.SUBMITTED, Status.UNDER_REVIEW]) | Q(
    status=Status.PUBLISHED, pending_status__in=[PendingStatus.SUBMITTED, PendingStatus.UNDER_REVIEW]
)
#: A review is due soon when its due date is this close (reminders, and the "due soon" mark).
DUE_SOON = timedelta(hours=48)
#: The register's domains and the directory's field of expertise that covers each.
DOMAIN_EXPERTISE: dict[str, str] = {
    "nuclear": "nuclear",
    "radiological": "radiological",
    "chemical": "chemical",
    "biological": "biological",
    "delivery-systems": "delivery_systems",
    "enabling-technology": "enabling_technologies",
}


def under_review(entry: Entry) -> bool:
    """Return whether the entry, or the edit of it, is under review now (reviews may be submitted)."""
    return (str(entry.status), str(entry.pending_status)) in REVIEWING


def _vetted_profile(user: User) -> ExpertProfile | None:
    profile = ExpertProfile.objects.filter(user=user).first()
    if profile is None or not profile.is_vetted():
        return None
    return profile


def _active_conflicts(user: User) -> list[ConflictOfInterestDeclaration]:
    return list(ConflictOfInterestDeclaration.objects.filter(expert__user=user, withdrawn_at__isnull=True))


# --- writes ----------------------------------------------------------------------------------------------


@transaction.atomic
def review_assign(
    *,
    entry: Entry,
    reviewer: User,
    by: User,
    due_at: datetime | None = None,
    conflict_note: str = "",
    request: HttpRequest | None = None,
) -> ReviewAssignment:
    """Assign a reviewer to an entry: they then see its COMMITTEE information and may classify and review it.

    Refused (``RegisterError`` with ``code``): not a reviewer with MFA (``not_a_reviewer``), not
    vetted today (``not_vetted``), the entry's creator (``own_entry``), already holding an open
    assignment on the entry (``already_assigned``), declared conflicts of interest without a note
    (``conflict_note_required``). The assignment is no change of the entry (no revision); it is audited.
    """
    given = entry
    entry = _lock(entry)
    _require(viewer_for(by), ASSIGN, entry)
    _require_step(entry, ASSIGN)
    if not viewer_for(reviewer).has(Role.REVIEWER):
        raise RegisterError(
            _("Only a reviewer (with two-factor authentication) can be assigned."), code="not_a_reviewer"
        )
    if _vetted_profile(reviewer) is None:
        raise RegisterError(_("This reviewer is not vetted, or their vetting has expired."), code="not_vetted")
    if reviewer.pk == entry.created_by_id:
        raise RegisterError(_("Nobody reviews their own entry."), code="own_entry")
    if due_at is not None and (timezone.is_naive(due_at) or due_at <= timezone.now()):
        raise ValidationError({"due_at": [_("The due date lies in the future, with its time zone.")]})
    if ReviewAssignment.objects.filter(entry=entry, reviewer=reviewer, closed_at__isnull=True).exists():
        raise RegisterError(_("This reviewer is already assigned."), code="already_assigned")
    note = (conflict_note or "").strip()
    if _active_conflicts(reviewer) and not note:
        raise RegisterError(
            _("This reviewer has declared conflicts of interest: say why they may review this entry."),
            code="conflict_note_required",
        )
    assignment = ReviewAssignment.objects.create(
        entry=entry, reviewer=reviewer, assigned_by=by, due_at=due_at, conflict_note=note
    )
    given.forget_assignments()
    audit_record(
        action="register.review.assigned",
        actor=by,
        obj=entry,
        summary={
            "rsd_id": entry.rsd_id,
            "assignment": assignment.pk,
            "reviewer": reviewer.pk,
            "due_at": due_at.isoformat() if due_at is not None else None,
        },
        request=request,
    )
    return assignment


def _clean_scores(scores: Mapping[str, Any]) -> dict[str, int] | None:
    """Return the scores as ``{criterion: int}`` when they give every rubric criterion a score in range."""
    rubric = taxonomy.rubric()
    cleaned: dict[str, int] = {}
    for code, value in scores.items():
        if isinstance(value, bool):
            return None
        try:
            cleaned[str(code)] = int(value)
        except (TypeError, ValueError):
            return None
    try:
        rubric.check_scores(cleaned)
    except ValueError:
        return None
    return cleaned


def _clean_review(
    *, scores: Mapping[str, Any], proposed_level: str, recommendation: str, no_enabling_detail: bool
) -> tuple[dict[str, int], str]:
    """Return the checked scores and level; raise ``ValidationError`` (field → messages) for bad input."""
    errors: dict[str, list[Any]] = {}
    cleaned = _clean_scores(scores)
    if cleaned is None:
        errors["scores"] = [
            _("Score every criterion of the rubric from %(low)s to %(high)s.")
            % {"low": taxonomy.SCORE_MIN, "high": taxonomy.SCORE_MAX}
        ]
    level = (proposed_level or "").strip()
    if level and level not in taxonomy.rubric().levels:
        errors["proposed_level"] = [_("Choose a concern level.")]
    if recommendation not in ReviewRecommendation.values:
        errors["recommendation"] = [_("Choose a recommendation.")]
    if no_enabling_detail is not True:
        errors["no_enabling_detail"] = [_("Confirm that the entry contains no enabling detail.")]
    if errors or cleaned is None:
        raise ValidationError(errors)
    return cleaned, level or taxonomy.rubric().level_for(cleaned)


@transaction.atomic
def review_submit(
    *,
    assignment: ReviewAssignment,
    by: User,
    scores: Mapping[str, Any],
    proposed_level: str,
    comments: str,
    recommendation: str,
    no_enabling_detail: bool,
    request: HttpRequest | None = None,
) -> ReviewAssignment:
    """Record the assigned reviewer's review; it is final.

    Only the assigned reviewer (``PermissionDenied`` for anyone else), only on an open assignment
    (``review_closed``) not yet completed (``review_completed``), only while the entry or its edit
    is under review (``InvalidTransitionError``). ``scores`` gives every rubric criterion 0 to 3;
    an empty ``proposed_level`` takes the rubric's level for the scores; ``no_enabling_detail``
    must be True (``ValidationError`` names each bad field).
    """
    entry = _lock(assignment.entry)
    locked = ReviewAssignment.objects.select_for_update().get(pk=assignment.pk)
    if locked.reviewer_id != by.pk or not can(viewer_for(by), SUBMIT_REVIEW, entry):
        raise PermissionDenied
    if locked.closed_at is not None:
        raise RegisterError(_("This review round is closed."), code="review_closed")
    if locked.completed_at is not None:
        raise RegisterError(_("You have already submitted this review."), code="review_completed")
    if not under_review(entry):
        raise InvalidTransitionError(entry, SUBMIT_REVIEW)
    cleaned, level = _clean_review(
        scores=scores,
        proposed_level=proposed_level,
        recommendation=recommendation,
        no_enabling_detail=no_enabling_detail,
    )
    locked.scores = cleaned
    locked.proposed_level = level
    locked.comments = (comments or "").strip()
    locked.recommendation = recommendation
    locked.no_enabling_detail = True
    locked.completed_at = timezone.now()
    locked.save()
    audit_record(
        action="register.review.submitted",
        actor=by,
        obj=entry,
        summary={
            "rsd_id": entry.rsd_id,
            "assignment": locked.pk,
            "scores": cleaned,
            "proposed_level": level,
            "recommendation": recommendation,
            "no_enabling_detail": True,
        },
        request=request,
    )
    assignment.refresh_from_db()
    return locked


# --- reads -----------------------------------------------------------------------------------------------


def reviews_for(viewer: Viewer, entry: Entry) -> list[ReviewAssignment]:
    """Return the assignments (with their reviews) of ``entry`` that ``viewer`` may see, oldest first.

    Reviews are COMMITTEE information: analysts see all of them, an assigned reviewer their own;
    anyone else — the entry's creator included — none.
    """
    view = EntryView(viewer, entry, author_rule=False)
    if not view.sees_entry or not view.reaches(Tier.COMMITTEE):
        return []
    assignments = ReviewAssignment.objects.filter(entry_id=entry.pk).select_related("reviewer", "assigned_by")
    if not can(viewer, ASSIGN, entry):
        assignments = assignments.filter(reviewer_id=viewer.user_id)
    return list(assignments.order_by("assigned_at", "pk"))


def open_review_for(viewer: Viewer, entry: Entry) -> ReviewAssignment | None:
    """Return ``viewer``'s open assignment on ``entry`` (completed or not), or ``None``."""
    if viewer.user_id is None or not can(viewer, SUBMIT_REVIEW, entry):
        return None
    return ReviewAssignment.objects.filter(
        entry_id=entry.pk, reviewer_id=viewer.user_id, closed_at__isnull=True
    ).first()


@dataclass
class OpenReview:
    """One open, incomplete assignment of a reviewer, as their list shows it."""

    rsd_id: str
    assigned_at: datetime
    due_at: datetime | None
    overdue: bool
    due_soon: bool
    reviewable: bool  # the entry (or its edit) is under review: the review can be submitted now


def _due_state(due_at: datetime | None, now: datetime) -> tuple[bool, bool]:
    if due_at is None:
        return False, False
    return due_at < now, now <= due_at <= now + DUE_SOON


def open_reviews_for(user: User) -> list[OpenReview]:
    """Return the user's open, incomplete assignments (due first); none unless they count as a reviewer now."""
    viewer = viewer_for(user)
    if not viewer.has(Role.REVIEWER):
        return []
    now = timezone.now()
    assignments = (
        ReviewAssignment.objects.filter(reviewer_id=viewer.user_id, closed_at__isnull=True, completed_at__isnull=True)
        .select_related("entry")
        .order_by(F("due_at").asc(nulls_last=True), "assigned_at")
    )
    rows = []
    for assignment in assignments:
        overdue, soon = _due_state(assignment.due_at, now)
        rows.append(
            OpenReview(
                rsd_id=assignment.entry.rsd_id,
                assigned_at=assignment.assigned_at,
                due_at=assignment.due_at,
                overdue=overdue,
                due_soon=soon,
                reviewable=under_review(assignment.entry),
            )
        )
    return rows


@dataclass
class AssignmentRow:
    """One open assignment as the triage queue and the decision page show it (no review content)."""

    reviewer: str
    due_at: datetime | None
    completed_at: datetime | None
    overdue: bool
    conflict_note: str


@dataclass
class TriageRow:
    """One entry waiting for an analyst."""

    rsd_id: str
    title: str  # "" when the viewer may not see it here (hidden, or RESTRICTED: open the entry page)
    status: str
    pending_status: str
    status_label: str
    submitted_at: datetime | None
    assignments: list[AssignmentRow] = field(default_factory=list)
    completed: int = 0
    required: int = REVIEWERS_REQUIRED

    @property
    def ready(self) -> bool:
        return self.completed >= self.required


def _person(user: User) -> str:
    return str(user.display_name or user.email)


def _assignment_rows(assignments: list[ReviewAssignment], now: datetime) -> list[AssignmentRow]:
    rows = []
    for assignment in assignments:
        overdue = assignment.completed_at is None and assignment.due_at is not None and assignment.due_at < now
        rows.append(
            AssignmentRow(
                reviewer=_person(assignment.reviewer),
                due_at=assignment.due_at,
                completed_at=assignment.completed_at,
                overdue=overdue,
                conflict_note=assignment.conflict_note,
            )
        )
    return rows


def _shown_title(viewer: Viewer, entry: Entry) -> str:
    data = entry_data_for(viewer, entry) or {}
    if "title" not in data or data["tiers"].get("title") == Tier.RESTRICTED:
        return ""
    return str(data["title"])


def _status_label(entry: Entry) -> str:
    label = str(entry.get_status_display())
    if entry.pending_status:
        label = f"{label} ({entry.get_pending_status_display()})"
    return label


def triage_queue(viewer: Viewer) -> list[TriageRow]:
    """Return the entries waiting for an analyst, oldest submission first, with their open round.

    Submitted and under-review entries, and published entries whose edit is submitted or under
    review. Analysts only (``PermissionDenied`` for anyone else).
    """
    _require(viewer, ASSIGN)
    submitted = (
        EntryRevision.objects.filter(entry=OuterRef("pk"), event=RevisionEvent.SUBMITTED)
        .order_by("-changed_at")
        .values("changed_at")[:1]
    )
    open_round = Prefetch(
        "review_assignments",
        queryset=ReviewAssignment.objects.filter(closed_at__isnull=True).select_related("reviewer").order_by("pk"),
        to_attr="open_round",
    )
    entries = (
        entries_visible_to(viewer)
        .filter(TRIAGE)
        .annotate(submitted_at=Subquery(submitted))
        .prefetch_related(*PREFETCH, open_round)
        .order_by("submitted_at", "pk")
    )
    now = timezone.now()
    rows = []
    for entry in entries:
        round_: list[ReviewAssignment] = entry.open_round
        rows.append(
            TriageRow(
                rsd_id=entry.rsd_id,
                title=_shown_title(viewer, entry),
                status=str(entry.status),
                pending_status=str(entry.pending_status),
                status_label=_status_label(entry),
                submitted_at=entry.submitted_at,
                assignments=_assignment_rows(round_, now),
                completed=sum(1 for item in round_ if item.completed_at is not None and item.no_enabling_detail),
            )
        )
    return rows


def open_round_for(viewer: Viewer, entry: Entry) -> list[AssignmentRow]:
    """Return the entry's open assignments for an analyst (``PermissionDenied`` for anyone else)."""
    _require(viewer, ASSIGN, entry)
    assignments = list(
        ReviewAssignment.objects.filter(entry_id=entry.pk, closed_at__isnull=True)
        .select_related("reviewer")
        .order_by("pk")
    )
    return _assignment_rows(assignments, timezone.now())


def completed_reviews(entry: Entry) -> int:
    """Return how many reviews of the open round are completed (each confirming no enabling detail)."""
    return ReviewAssignment.objects.filter(
        entry_id=entry.pk, closed_at__isnull=True, completed_at__isnull=False, no_enabling_detail=True
    ).count()


@dataclass
class Candidate:
    """A vetted reviewer an analyst may assign, with what the choice depends on."""

    user_id: int
    name: str
    email: str
    affiliation: str
    community: str
    expertise: list[str]
    languages: list[str]
    vetted_until: date | None
    conflicts: list[str]
    open_load: int
    matches: int  # how many of the entry's domains their expertise covers
    already_assigned: bool


def _entry_expertise(viewer: Viewer, entry: Entry) -> set[str]:
    data = entry_data_for(viewer, entry) or {}
    return {DOMAIN_EXPERTISE[code] for code in data.get("domains") or [] if code in DOMAIN_EXPERTISE}


def reviewer_candidates(viewer: Viewer, entry: Entry) -> list[Candidate]:
    """Return the reviewers who may be assigned to ``entry``: vetted today, with MFA, not its creator.

    Those whose expertise covers the entry's domains come first, then the least loaded. For
    analysts only (``PermissionDenied`` otherwise): the directory is theirs to search.
    """
    if not (can(viewer, SEARCH_EXPERTS) and can(viewer, ASSIGN, entry)):
        raise PermissionDenied
    wanted = _entry_expertise(viewer, entry)
    reviewer_ids = RoleAssignment.objects.filter(role=Role.REVIEWER).values("user_id")
    profiles = (
        ExpertProfile.objects.filter(user_id__in=reviewer_ids, user__is_active=True)
        .exclude(user_id=entry.created_by_id)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "conflicts",
                queryset=ConflictOfInterestDeclaration.objects.filter(withdrawn_at__isnull=True),
                to_attr="active_conflicts",
            )
        )
        .annotate(
            open_load=Count(
                "user__register_assignments",
                filter=Q(
                    user__register_assignments__closed_at__isnull=True,
                    user__register_assignments__completed_at__isnull=True,
                ),
            )
        )
    )
    assigned = set(
        ReviewAssignment.objects.filter(entry_id=entry.pk, closed_at__isnull=True).values_list("reviewer_id", flat=True)
    )
    candidates = []
    for profile in profiles:
        if not profile.is_vetted() or not viewer_for(profile.user).has(Role.REVIEWER):
            continue
        candidates.append(
            Candidate(
                user_id=profile.user_id,
                name=_person(profile.user),
                email=profile.user.email,
                affiliation=profile.affiliation,
                community=str(profile.get_community_display()) if profile.community else "",
                expertise=profile.field_labels(),
                languages=profile.language_labels(),
                vetted_until=profile.vetted_until,
                conflicts=[conflict.relates_to for conflict in profile.active_conflicts],
                open_load=profile.open_load,
                matches=len(wanted & set(profile.expertise)),
                already_assigned=profile.user_id in assigned,
            )
        )
    return sorted(candidates, key=lambda item: (-item.matches, item.open_load, item.name.casefold()))


# --- reminders -------------------------------------------------------------------------------------------


def reminders_due(now: datetime) -> list[ReviewAssignment]:
    """Return the open, incomplete assignments due within ``DUE_SOON`` or overdue, not reminded in a day.

    Only where the review can be submitted now (the entry or its edit is under review) and the
    reviewer still counts as one; the task sends them.
    """
    due = (
        ReviewAssignment.objects.filter(
            closed_at__isnull=True,
            completed_at__isnull=True,
            due_at__isnull=False,
            due_at__lte=now + DUE_SOON,
            reviewer__is_active=True,
        )
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - timedelta(hours=24)))
        .select_related("entry", "reviewer")
        .order_by("due_at", "pk")
    )
    return [item for item in due if under_review(item.entry) and viewer_for(item.reviewer).has(Role.REVIEWER)]


@transaction.atomic
def review_reminded(*, assignment: ReviewAssignment, now: datetime) -> bool:
    """Mark a reminder as sent; return False when another run sent one meanwhile (send nothing then)."""
    updated = ReviewAssignment.objects.filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - timedelta(hours=24)),
        pk=assignment.pk,
        closed_at__isnull=True,
        completed_at__isnull=True,
    ).update(reminded_at=now)
    if not updated:
        return False
    audit_record(
        action="register.review.reminded",
        object_type="register.reviewassignment",
        object_id=assignment.pk,
        summary={"rsd_id": assignment.entry.rsd_id, "reviewer": assignment.reviewer_id},
    )
    return True
