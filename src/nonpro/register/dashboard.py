"""Statistics of the register's trends dashboard, each computed through the policy.

Every count starts from the selectors, so that a number never reveals what its viewer may not see
(DESIGN.md: "existence is information too"):

- counts by domain or control list run over ``entries_with_visible_part(viewer, "classification")``;
- the concern distribution over ``entries_with_visible_part(viewer, "assessment")``;
- the review workload over ``entries_visible_to(viewer)``; edits awaiting review (``pending_status``,
  COMMITTEE information) only over the entries whose COMMITTEE information the viewer reaches, and
  review assignments only for those who may assign reviewers (analysts) — anyone else counts their own.

The dashboard page is for analysts (``register.dashboard.view``), but the selectors take any viewer:
the trends report and tests call them for others too. Results are plain data (codes and integers);
labels in the reader's language are the view's work.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from django.db.models import CharField, Count, QuerySet, Value
from django.utils import timezone

from nonpro.core.policy import Tier, Viewer, can, visible
from nonpro.register import taxonomy
from nonpro.register.models import ConcernLevel, Entry, PendingStatus, ReviewAssignment, Status
from nonpro.register.selectors import ASSIGNED_FIELD, entries_visible_to, entries_with_visible_part

#: Entries that no longer count in the current picture (concern levels, control lists).
RETIRED_STATUSES = (Status.REJECTED, Status.WITHDRAWN)
#: The review stages the dashboard counts: an entry's own status, or the status of an edit of it.
REVIEW_STAGES: tuple[str, ...] = ("submitted", "under_review", "edit_submitted", "edit_under_review")
QUARTERS_SHOWN = 8
TOP_CONTROL_LISTS = 10

Basis = Literal["created", "published"]


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter in UTC: ``number`` is 1 to 4."""

    year: int
    number: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Return the start of the next quarter (the range is half-open)."""
        return self.following().start

    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def preceding(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        moment = moment.astimezone(UTC)
        return cls(moment.year, (moment.month - 1) // 3 + 1)


def last_quarters(count: int = QUARTERS_SHOWN, *, now: datetime | None = None) -> list[Quarter]:
    """Return the ``count`` quarters up to the current one, oldest first."""
    quarter = Quarter.of(now or timezone.now())
    quarters = [quarter]
    for _ in range(count - 1):
        quarter = quarter.preceding()
        quarters.append(quarter)
    return list(reversed(quarters))


@dataclass
class DomainQuarterCounts:
    """New entries per domain per quarter: ``counts[domain]`` has one number per quarter, in order."""

    quarters: list[Quarter]
    domains: list[str]
    counts: dict[str, list[int]] = field(default_factory=dict)

    def total(self) -> int:
        return sum(sum(values) for values in self.counts.values())


def _rows(queryset: QuerySet[Entry]) -> QuerySet[Entry]:
    """Return the same entries as a plain query (the selectors combine querysets with ``|``)."""
    return Entry.objects.filter(pk__in=queryset.values("pk"))


def new_entries_per_domain(
    viewer: Viewer, *, basis: Basis = "created", count: int = QUARTERS_SHOWN, now: datetime | None = None
) -> DomainQuarterCounts:
    """Count new entries per domain and quarter among those whose classification ``viewer`` sees.

    ``basis`` "created" counts entries by the quarter they were drafted in (the committee's intake);
    "published" counts published (and later withdrawn) entries by the quarter of first publication.
    An entry in two domains counts in both. Domains are the taxonomy's, in its order.
    """
    quarters = last_quarters(count, now=now)
    domains = [code for code, _label in taxonomy.load("domain").choices("en")]
    result = DomainQuarterCounts(quarters=quarters, domains=domains, counts={code: [0] * count for code in domains})
    moment = "published_at" if basis == "published" else "created_at"
    entries = _rows(entries_with_visible_part(viewer, "classification")).filter(
        **{f"{moment}__gte": quarters[0].start, f"{moment}__lt": quarters[-1].end}
    )
    if basis == "published":
        entries = entries.filter(status__in=[Status.PUBLISHED, Status.WITHDRAWN])
    index = {quarter: position for position, quarter in enumerate(quarters)}
    for codes, when in entries.values_list("domains", moment):
        position = index.get(Quarter.of(when))
        if position is None:
            continue
        for code in set(codes or []):
            if code in result.counts:
                result.counts[code][position] += 1
    return result


def concern_distribution(viewer: Viewer) -> list[tuple[str, int]]:
    """Return ``(level, count)`` for every concern level, lowest first, then "" (not assessed).

    Counted over current entries (not rejected or withdrawn) whose assessment ``viewer`` sees.
    """
    assessed = _rows(entries_with_visible_part(viewer, "assessment")).exclude(status__in=RETIRED_STATUSES)
    found = dict(assessed.values_list("concern_level").annotate(n=Count("pk")).order_by())
    levels = [level for level in ConcernLevel.values if level]
    return [(level, int(found.get(level, 0))) for level in [*levels, ""]]


def top_control_lists(viewer: Viewer, *, limit: int = TOP_CONTROL_LISTS) -> list[tuple[str, int]]:
    """Return the ``limit`` control-list headings most often referenced, ``(code, count)``, most first.

    Counted over current entries whose classification ``viewer`` sees; ties in taxonomy order.
    """
    entries = _rows(entries_with_visible_part(viewer, "classification")).exclude(status__in=RETIRED_STATUSES)
    counted: Counter[str] = Counter()
    for codes in entries.values_list("control_lists", flat=True):
        counted.update(set(codes or []))
    order = {code: position for position, code in enumerate(taxonomy.load("control_list").terms)}
    ranked = sorted(counted.items(), key=lambda item: (-item[1], order.get(item[0], len(order)), item[0]))
    return ranked[:limit]


@dataclass
class ReviewWorkload:
    """Open review work: entries per stage (``REVIEW_STAGES``) and the open review assignments."""

    stages: list[tuple[str, int]]
    open_assignments: int = 0
    awaiting_review: int = 0
    awaiting_decision: int = 0
    overdue: int = 0


def _committee_reach(entries: QuerySet[Entry], viewer: Viewer) -> QuerySet[Entry]:
    """Keep the entries whose COMMITTEE information ``viewer`` reaches (analysts; assigned reviewers)."""
    tiered = entries.annotate(dashboard_tier=Value(Tier.COMMITTEE.value, output_field=CharField()))
    return visible(tiered, viewer, tier_field="dashboard_tier", assigned_field=ASSIGNED_FIELD)


def open_reviews(viewer: Viewer, *, now: datetime | None = None) -> ReviewWorkload:
    """Count the entries waiting in each review stage and the open assignments, as ``viewer`` may see them."""
    now = now or timezone.now()
    entries = _rows(entries_visible_to(viewer))
    by_status = dict(
        entries.filter(status__in=[Status.SUBMITTED, Status.UNDER_REVIEW])
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    edits = _committee_reach(entries.filter(status=Status.PUBLISHED).exclude(pending_status=""), viewer)
    by_pending = dict(edits.values_list("pending_status").annotate(n=Count("pk")).order_by())
    stages = [
        ("submitted", int(by_status.get(Status.SUBMITTED, 0))),
        ("under_review", int(by_status.get(Status.UNDER_REVIEW, 0))),
        ("edit_submitted", int(by_pending.get(PendingStatus.SUBMITTED, 0))),
        ("edit_under_review", int(by_pending.get(PendingStatus.UNDER_REVIEW, 0))),
    ]
    assignments = ReviewAssignment.objects.filter(closed_at__isnull=True, entry__in=entries.values("pk"))
    if not can(viewer, "register.review.assign"):
        assignments = assignments.filter(reviewer_id=viewer.user_id) if viewer.user_id else assignments.none()
    pending = assignments.filter(completed_at__isnull=True)
    return ReviewWorkload(
        stages=stages,
        open_assignments=assignments.count(),
        awaiting_review=pending.count(),
        awaiting_decision=assignments.filter(completed_at__isnull=False).count(),
        overdue=pending.filter(due_at__lt=now).count(),
    )
