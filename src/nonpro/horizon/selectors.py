"""Reads of horizon scanning, always through the policy: projects, imports, candidates, the queue.

A project is visible to the people its tier reaches (``policy.visible``: analysts, and its member
reviewers for COMMITTEE; need-to-know grants for RESTRICTED); its imports and candidates are
visible exactly when it is. A project someone may not see is "not found" — its existence is
information too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from nonpro.core.policy import Viewer, can, visible
from nonpro.horizon.models import Candidate, Decision, ImportJob, ScreeningProject

VIEW = "horizon.project.view"


def projects_visible_to(viewer: Viewer) -> QuerySet[ScreeningProject, ScreeningProject]:
    """Return the projects ``viewer`` may see, newest first."""
    return visible(ScreeningProject.objects.all(), viewer, assigned_field="members")


def project_get_visible(viewer: Viewer, project_id: int) -> ScreeningProject | None:
    """Return the project if ``viewer`` may see and open it, else None."""
    project = projects_visible_to(viewer).filter(pk=project_id).first()
    if project is None or not can(viewer, VIEW, project):
        return None
    return project


def import_get_visible(viewer: Viewer, job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("project").filter(pk=job_id).first()
    if job is None or project_get_visible(viewer, job.project_id) is None:
        return None
    return job


def candidate_get_visible(viewer: Viewer, candidate_id: int) -> Candidate | None:
    candidate = Candidate.objects.select_related("project", "duplicate_of", "entry").filter(pk=candidate_id).first()
    if candidate is None:
        return None
    project = project_get_visible(viewer, candidate.project_id)
    if project is None:
        return None
    candidate.project = project
    return candidate


@dataclass(frozen=True)
class _Screened:
    """How far screening has come: records (primaries, not duplicates), screened, relevant."""

    candidates: int
    screened: int
    relevant: int

    @property
    def pending(self) -> int:
        return self.candidates - self.screened

    @property
    def percent_screened(self) -> int:
        return int(100 * self.screened / self.candidates) if self.candidates else 0


@dataclass(frozen=True)
class ProjectStats(_Screened):
    """Where screening of a project stands, for its page and the stopping guidance."""

    duplicates: int
    irrelevant: int
    consecutive_irrelevant: int
    promoted: int


def consecutive_irrelevant(project: ScreeningProject) -> int:
    """Return how many decisions in a row, the latest back, were "irrelevant"."""
    last_relevant = (
        Candidate.objects.filter(project=project, decision=Decision.RELEVANT)
        .order_by("-decision_seq")
        .values_list("decision_seq", flat=True)
        .first()
    )
    after = Q(decision_seq__gt=last_relevant) if last_relevant is not None else Q(decision_seq__isnull=False)
    return Candidate.objects.filter(after, project=project, decision=Decision.IRRELEVANT).count()


@dataclass(frozen=True)
class ProjectSummary(_Screened):
    """A project's line in the list of projects: how far screening has come."""

    project: ScreeningProject


def project_summaries(viewer: Viewer) -> list[ProjectSummary]:
    """Return the projects ``viewer`` may see with their counts, newest first, in one query."""
    return [
        ProjectSummary(
            project=row,
            candidates=row.record_count,
            screened=row.relevant_count + row.irrelevant_count,
            relevant=row.relevant_count,
        )
        for row in projects_visible_to(viewer)
    ]


def project_stats(project: ScreeningProject) -> ProjectStats:
    """Return where screening stands, from the project's counters (kept by every write) — no count of rows."""
    current = ScreeningProject.objects.only(
        "record_count", "duplicate_count", "relevant_count", "irrelevant_count", "promoted_count"
    ).get(pk=project.pk)
    return ProjectStats(
        candidates=current.record_count,
        duplicates=current.duplicate_count,
        screened=current.relevant_count + current.irrelevant_count,
        relevant=current.relevant_count,
        irrelevant=current.irrelevant_count,
        consecutive_irrelevant=consecutive_irrelevant(project),
        promoted=current.promoted_count,
    )


def queue(project: ScreeningProject, *, now: datetime | None = None) -> QuerySet[Candidate, Candidate]:
    """Return the project's unscreened records that nobody else is screening, best first."""
    now = now or timezone.now()
    return (
        Candidate.objects.filter(project=project, decision=Decision.PENDING, duplicate_of__isnull=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("-rank_score", "pk")
    )


def candidates_of(
    project: ScreeningProject, *, decision: str = "", duplicates: bool = False
) -> QuerySet[Candidate, Candidate]:
    """Return the project's candidates with ``decision`` (all when ""), or its duplicates; best first."""
    rows = Candidate.objects.filter(project=project).select_related("entry", "decided_by")
    if duplicates:
        return rows.filter(duplicate_of__isnull=False).order_by("pk")
    rows = rows.filter(duplicate_of__isnull=True)
    if decision:
        rows = rows.filter(decision=decision)
    if decision in {Decision.RELEVANT, Decision.IRRELEVANT}:
        return rows.order_by("-decision_seq")
    return rows.order_by("-rank_score", "pk")
