"""Writes to the register: drafts, edits, the review workflow, tiers and review assignments.

Every service takes keyword arguments only and runs in one transaction: it locks the entry row,
asks the policy (``can(viewer_for(by), action, entry)``), checks the optimistic lock
(``expected_version``; required for edits, optional elsewhere — pages pass the version they
showed) and the workflow (``Entry.workflow_allows``), validates, writes, and records an
``EntryRevision`` (with a snapshot of every field and its tier) and an audit event. A refused
call raises and changes nothing: ``PermissionDenied``, ``StaleEntryError``,
``InvalidTransitionError``, ``RegisterError`` or ``ValidationError`` (field → messages).

Decisions:

- **Identifiers** ``RSD-YYYY-NNNNN`` are reserved when a draft is created, from a per-year counter
  row locked for the update; entries are never deleted, so a number is never used twice (a draft
  that is rejected or abandoned keeps its number).
- **Fail closed**: every part of a new entry is COMMITTEE; an edited part goes back to COMMITTEE
  (a RESTRICTED part stays RESTRICTED) until someone classifies it with ``entry_set_tier`` (its
  own audited action, with a reason). Nobody edits or classifies a part they cannot see.
- **Edits of a published entry** do not change what is published: the changed fields wait in
  ``Entry.pending_changes`` with the tier each part will have (``pending_tiers``) and go through
  the same steps (submit → start review → publish or reject) as a new entry, tracked in
  ``pending_status`` while the entry stays PUBLISHED. Publishing applies them and bumps ``serial``.
- **The published record** changes only by an accepted edit, a tier change or a withdrawal; each
  bumps ``serial`` and ``modified_at``. Lowering the tier of a published part (showing more) is
  a publication decision: analysts only; raising it (showing less) any classifier may, at once.
- **Publication** needs ``REVIEWERS_REQUIRED`` completed reviews of the open round (each confirming
  that the entry holds no enabling detail); publishing or rejecting closes the round, so an edit of a
  published entry is reviewed by a new round. Assignments and reviews: ``nonpro.register.reviews``.
- Audit summaries name the identifier, the fields and the tiers — never field content.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Role, Tier, Viewer, can, record_restricted_view, viewer_for
from nonpro.register.history import snapshot
from nonpro.register.models import (
    PUBLIC_STATUSES,
    RSD_ID_REGEX,
    TIER_GROUPS,
    TIER_ORDER,
    Entry,
    EntryIdCounter,
    EntryRevision,
    PendingStatus,
    ReviewAssignment,
    RevisionEvent,
    Status,
    stricter_tier,
)
from nonpro.register.selectors import EntryView, pending_lens
from nonpro.register.values import (
    assign_values,
    clean_values,
    empty_values,
    live_values,
    require_visible_parts,
    touched_groups,
    write_rows,
)

#: How many completed reviews of the open round an entry (or an edit of it) needs before it is published.
REVIEWERS_REQUIRED = 2

PROPOSE = "register.entry.propose"
EDIT = "register.entry.edit"
SUBMIT = "register.entry.submit"
START_REVIEW = "register.review.start"
PUBLISH = "register.entry.publish"
REJECT = "register.entry.reject"
WITHDRAW = "register.entry.withdraw"
CLASSIFY = "register.entry.classify"
ASSIGN = "register.review.assign"


class RegisterError(ValueError):
    """A request the register's rules refuse; ``code`` names the rule."""

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(str(message))
        self.code = code


class StaleEntryError(RegisterError):
    """The entry changed since the writer read it: nothing was written."""

    def __init__(self, *, expected: int, current: int) -> None:
        message = _(
            "Someone else changed this entry since you opened it (you had version %(expected)s, it is now "
            "at version %(current)s). Reload it and make your change again."
        ) % {"expected": expected, "current": current}
        super().__init__(message, code="stale")
        self.expected = expected
        self.current = current


class InvalidTransitionError(RegisterError):
    """The entry is not in a state for this step."""

    def __init__(self, entry: Entry, action: str) -> None:
        state = str(entry.get_status_display())
        if entry.pending_status:
            state = f"{state} ({entry.get_pending_status_display()})"
        message = _("This step is not possible while the entry is %(status)s.") % {"status": state}
        super().__init__(message, code="invalid_transition")
        self.action = action


# --- helpers ---------------------------------------------------------------------------------------


def _lock(entry: Entry) -> Entry:
    """Return the entry's row, locked until the end of the transaction (SQLite: writes are serialised)."""
    return Entry.objects.select_for_update().get(pk=entry.pk)


def _require(viewer: Viewer, action: str, entry: Entry | None = None) -> None:
    if not can(viewer, action, entry):
        raise PermissionDenied


def _require_version(entry: Entry, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != entry.version:
        raise StaleEntryError(expected=expected_version, current=entry.version)


def _require_step(entry: Entry, action: str) -> None:
    if not entry.workflow_allows(action):
        raise InvalidTransitionError(entry, action)


def _require_reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ValidationError({"reason": [_("Give the reason.")]}, code="reason_required")
    return cleaned


def _reserve_rsd_id(year: int) -> str:
    """Return the next identifier of ``year``; the counter row stays locked until the transaction ends."""
    EntryIdCounter.objects.bulk_create([EntryIdCounter(year=year, last=0)], ignore_conflicts=True)
    counter = EntryIdCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db(fields=["last"])
    rsd_id = f"RSD-{year:04d}-{counter.last:05d}"
    if not re.match(RSD_ID_REGEX, rsd_id):
        raise RegisterError("The identifier counter is out of range.", code="identifier_range")
    return rsd_id


def _save(entry: Entry) -> None:
    entry.version += 1
    entry.save()


def _record(
    entry: Entry,
    *,
    event: RevisionEvent,
    by: User,
    action: str,
    reason: str = "",
    summary: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> EntryRevision:
    """Write the revision and the audit event of a change already saved, and reindex the entry for search."""
    from nonpro.register import search  # search reads through the selectors; imported here to keep this edit local

    search.reindex_entry(entry)
    revision = EntryRevision.objects.create(
        entry=entry,
        serial=entry.serial,
        version=entry.version,
        changed_by=by,
        event=event,
        snapshot=snapshot(entry),
        reason=reason,
    )
    details = {"rsd_id": entry.rsd_id, "version": entry.version, "serial": entry.serial, **(summary or {})}
    audit_record(action=action, actor=by, obj=entry, summary=details, request=request)
    return revision


def _lower(tier: str, than: str) -> bool:
    return TIER_ORDER.index(tier) < TIER_ORDER.index(than)


# --- drafts and edits ----------------------------------------------------------------------------------


@transaction.atomic
def entry_create_draft(*, by: User, values: Mapping[str, Any], request: HttpRequest | None = None) -> Entry:
    """Create a draft with a newly reserved identifier; every part starts at COMMITTEE.

    ``values`` takes the keys of ``values.EDITABLE``; ``title`` and ``summary`` are required. See
    ``entry_update`` for their forms.
    """
    viewer = viewer_for(by)
    _require(viewer, PROPOSE)
    missing = [key for key in ("title", "summary") if key not in values]
    if missing:
        raise ValidationError({key: [_("This field is required.")] for key in missing})
    cleaned = clean_values(values, current=empty_values(), editor=viewer, rsd_id="", published=False)
    now = timezone.now()
    entry = Entry(rsd_id=_reserve_rsd_id(now.year), status=Status.DRAFT, version=1, created_by=by, created_at=now)
    assign_values(entry, cleaned)
    entry.save()
    write_rows(entry, cleaned)
    _record(
        entry,
        event=RevisionEvent.CREATED,
        by=by,
        action="register.entry.created",
        summary={"fields": sorted(cleaned)},
        request=request,
    )
    return entry


@transaction.atomic
def entry_update(
    *,
    entry: Entry,
    expected_version: int,
    changes: Mapping[str, Any],
    by: User,
    request: HttpRequest | None = None,
) -> Entry:
    """Change fields of an entry; return it (unchanged, with nothing written, when nothing differs).

    ``changes`` maps keys of ``values.EDITABLE`` to new values: text for ``title`` (one line),
    ``summary`` (plain text, at most 300 characters), ``details`` (Markdown) and
    ``concern_rationale``; lists of taxonomy codes for ``domains``, ``technology_areas``,
    ``control_lists`` and ``obligations``; ``{criterion: 0..3}`` for ``concern_scores`` (the level
    is derived by the rubric); a date for ``first_reported``; lists for ``sources`` (dicts with
    ``type`` and some of ``citation``, ``doi``, ``pmid``, ``arxiv_id``, ``url``), ``aliases``
    (identifiers elsewhere), ``related`` (RSD identifiers; replaces the entry's relations) and
    ``credits`` (dicts with ``name`` or ``user``, and ``role``); ``translations`` as
    ``{language: {"title": …, "summary": …}}`` (empty texts remove a language). Lists replace.

    Raises ``StaleEntryError`` when the entry is no longer at ``expected_version``. Changed parts
    go back to COMMITTEE. On a published entry the changes wait for review (``pending_changes``).
    """
    entry = _lock(entry)
    viewer = viewer_for(by)
    _require(viewer, EDIT, entry)
    _require_version(entry, expected_version)
    _require_step(entry, EDIT)
    published = entry.status == Status.PUBLISHED
    live = live_values(entry)
    current = {**live, **entry.pending_changes} if published else live
    cleaned = clean_values(changes, current=current, editor=viewer, rsd_id=entry.rsd_id, published=published)
    changed = {field: value for field, value in cleaned.items() if value != current[field]}
    if not changed:
        return entry
    groups = touched_groups(changed)
    if published:
        require_visible_parts(
            EntryView(viewer, pending_lens(entry), author_rule=False),
            {group for group in groups if group in entry.pending_tiers},
        )
        require_visible_parts(EntryView(viewer, entry), {group for group in groups if group not in entry.pending_tiers})
        _stage_pending(entry, changed, groups, live, by)
        _save(entry)
    else:
        require_visible_parts(EntryView(viewer, entry), groups)
        for group in groups:
            setattr(entry, f"{group}_tier", stricter_tier(Tier.COMMITTEE, entry.tier_of(group)))
        assign_values(entry, changed)
        _save(entry)
        write_rows(entry, changed)
    _record(
        entry,
        event=RevisionEvent.EDITED,
        by=by,
        action="register.entry.edited",
        summary={"fields": sorted(changed), "pending": published},
        request=request,
    )
    return entry


def _stage_pending(entry: Entry, changed: dict[str, Any], groups: set[str], live: dict[str, Any], by: User) -> None:
    """Put ``changed`` into the pending edit of a published entry; the published fields stay as they are."""
    pending = dict(entry.pending_changes)
    tiers = dict(entry.pending_tiers)
    for field, value in changed.items():
        if value == live[field]:
            pending.pop(field, None)
        else:
            pending[field] = value
    for group in groups:
        tiers[group] = stricter_tier(Tier.COMMITTEE, str(tiers.get(group, entry.tier_of(group))))
    pending_groups = touched_groups(pending)
    entry.pending_changes = pending
    entry.pending_tiers = {group: tier for group, tier in tiers.items() if group in pending_groups}
    if not pending:
        entry.pending_status = PendingStatus.NONE
        entry.pending_tiers = {}
        entry.pending_by = None
    else:
        entry.pending_by = by
        if entry.pending_status == PendingStatus.NONE:
            entry.pending_status = PendingStatus.DRAFT


def _clear_pending(entry: Entry) -> list[str]:
    fields = sorted(entry.pending_changes)
    entry.pending_changes = {}
    entry.pending_tiers = {}
    entry.pending_status = PendingStatus.NONE
    entry.pending_by = None
    return fields


# --- the workflow ----------------------------------------------------------------------------------------


def _begin_step(entry: Entry, *, by: User, action: str, expected_version: int | None) -> Entry:
    """Lock the entry and check, in this order, who may, the expected version and the state."""
    entry = _lock(entry)
    _require(viewer_for(by), action, entry)
    _require_version(entry, expected_version)
    _require_step(entry, action)
    return entry


@transaction.atomic
def entry_submit(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Submit a draft (or the pending edit of a published entry) for review."""
    entry = _begin_step(entry, by=by, action=SUBMIT, expected_version=expected_version)
    if entry.status == Status.DRAFT:
        missing = [field for field in ("title", "summary", "domains") if not getattr(entry, field)]
        if missing:
            raise ValidationError({field: [_("Fill this in before submitting.")] for field in missing})
        entry.status = Status.SUBMITTED
    else:
        entry.pending_status = PendingStatus.SUBMITTED
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.SUBMITTED,
        by=by,
        action="register.entry.submitted",
        summary={"pending": entry.status == Status.PUBLISHED},
        request=request,
    )
    return entry


@transaction.atomic
def entry_start_review(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Take a submitted entry (or edit) into review."""
    entry = _begin_step(entry, by=by, action=START_REVIEW, expected_version=expected_version)
    if entry.status == Status.SUBMITTED:
        entry.status = Status.UNDER_REVIEW
    else:
        entry.pending_status = PendingStatus.UNDER_REVIEW
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.REVIEW_STARTED,
        by=by,
        action="register.entry.review_started",
        summary={"pending": entry.status == Status.PUBLISHED},
        request=request,
    )
    return entry


@transaction.atomic
def entry_publish(
    *, entry: Entry, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Publish an entry under review, or apply the reviewed edit of a published one; bump ``serial``.

    Needs ``REVIEWERS_REQUIRED`` completed reviews of the open round (``reviews_required``); closes the round.
    """
    entry = _begin_step(entry, by=by, action=PUBLISH, expected_version=expected_version)
    completed = ReviewAssignment.objects.filter(
        entry=entry, closed_at__isnull=True, completed_at__isnull=False, no_enabling_detail=True
    ).count()
    if completed < REVIEWERS_REQUIRED:
        raise RegisterError(
            _("Publishing needs %(count)s completed reviews; %(done)s are done.")
            % {"count": REVIEWERS_REQUIRED, "done": completed},
            code="reviews_required",
        )
    now = timezone.now()
    ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).update(closed_at=now)  # the round ends
    pending, tiers = dict(entry.pending_changes), dict(entry.pending_tiers)
    applied = _clear_pending(entry)
    if entry.status == Status.UNDER_REVIEW:
        entry.status = Status.PUBLISHED
        entry.published_at = now
    for group, tier in tiers.items():
        setattr(entry, f"{group}_tier", tier)
    assign_values(entry, pending)
    entry.serial += 1
    entry.modified_at = now
    _save(entry)
    write_rows(entry, pending)
    _record(
        entry,
        event=RevisionEvent.PUBLISHED,
        by=by,
        action="register.entry.published",
        summary={"fields": applied, "pending": bool(applied)},
        request=request,
    )
    return entry


@transaction.atomic
def entry_reject(
    *, entry: Entry, reason: str, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Reject a submitted entry (it stays, with its identifier and the reason) or discard a reviewed edit.

    Closes the open review round.
    """
    entry = _begin_step(entry, by=by, action=REJECT, expected_version=expected_version)
    reason = _require_reason(reason)
    ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).update(closed_at=timezone.now())
    discarded: list[str] = []
    if entry.status == Status.PUBLISHED:
        discarded = _clear_pending(entry)
    else:
        entry.status = Status.REJECTED
        entry.rejection_reason = reason
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.REJECTED,
        by=by,
        action="register.entry.rejected",
        reason=reason,
        summary={"pending": bool(discarded), "fields": discarded, "reason": reason},
        request=request,
    )
    return entry


@transaction.atomic
def entry_withdraw(
    *, entry: Entry, reason: str, by: User, expected_version: int | None = None, request: HttpRequest | None = None
) -> Entry:
    """Withdraw a published entry: it stays readable, marked withdrawn, with its (public) reason; never deleted."""
    entry = _begin_step(entry, by=by, action=WITHDRAW, expected_version=expected_version)
    reason = _require_reason(reason)
    discarded = _clear_pending(entry)
    now = timezone.now()
    ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).update(closed_at=now)  # no round stays open
    entry.status = Status.WITHDRAWN
    entry.withdrawn_at = now
    entry.modified_at = now
    entry.withdrawal_reason = reason
    entry.serial += 1
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.WITHDRAWN,
        by=by,
        action="register.entry.withdrawn",
        reason=reason,
        summary={"discarded": discarded, "reason": reason},
        request=request,
    )
    return entry


# --- tiers and reviewers ---------------------------------------------------------------------------------


@transaction.atomic
def entry_set_tier(
    *,
    entry: Entry,
    field: str,
    tier: str,
    reason: str,
    by: User,
    pending: bool = False,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Entry:
    """Classify one part of an entry (``field`` is a key of ``TIER_GROUPS``); return the entry.

    ``pending=True`` sets the tier the part of a pending edit will have when published. Only a
    person who sees the part may classify it. On a published entry the change is immediate and
    bumps ``serial``; lowering a published part's tier needs an analyst (a publication decision).
    Setting the tier it already has changes nothing.
    """
    entry = _lock(entry)
    viewer = viewer_for(by)
    _require(viewer, CLASSIFY, entry)
    _require_version(entry, expected_version)
    _require_step(entry, CLASSIFY)
    if field not in TIER_GROUPS:
        raise ValidationError({"field": [_("Choose a part of the entry.")]})
    if tier not in Tier.values:
        raise ValidationError({"tier": [_("Choose a tier.")]})
    reason = _require_reason(reason)
    if pending:
        if field not in entry.pending_tiers:
            raise ValidationError({"field": [_("This part has no pending change.")]})
        view = EntryView(viewer, pending_lens(entry), author_rule=False)
        current = str(entry.pending_tiers[field])
    else:
        view = EntryView(viewer, entry)
        current = entry.tier_of(field)
    if not view.sees(TIER_GROUPS[field][0]):
        raise PermissionDenied
    if tier == current:
        return entry
    live_public = not pending and entry.status in PUBLIC_STATUSES
    if live_public and _lower(tier, current) and not viewer.has(Role.COMMITTEE_ANALYST):
        raise PermissionDenied
    if pending:
        entry.pending_tiers = {**entry.pending_tiers, field: tier}
    else:
        setattr(entry, f"{field}_tier", tier)
    if live_public:
        entry.serial += 1
        entry.modified_at = timezone.now()
    _save(entry)
    _record(
        entry,
        event=RevisionEvent.TIER_CHANGED,
        by=by,
        action="register.entry.tier_changed",
        reason=reason,
        summary={"part": field, "from": current, "to": tier, "pending": pending, "reason": reason},
        request=request,
    )
    return entry


def review_assign(
    *,
    entry: Entry,
    reviewer: User,
    by: User,
    due_at: datetime | None = None,
    conflict_note: str = "",
    request: HttpRequest | None = None,
) -> ReviewAssignment:
    """Assign a reviewer to an entry: see ``nonpro.register.reviews.review_assign`` (vetting and conflict checks)."""
    from nonpro.register import reviews  # reviews builds on this module's helpers

    return reviews.review_assign(
        entry=entry, reviewer=reviewer, by=by, due_at=due_at, conflict_note=conflict_note, request=request
    )


def entry_view_record(*, viewer: Viewer, entry: Entry, request: HttpRequest | None = None) -> None:
    """Write the ``restricted.viewed`` events for what of ``entry`` is shown to ``viewer`` (published and pending)."""
    record_restricted_view(viewer, entry, request)
    if entry.pending_changes:
        record_restricted_view(viewer, pending_lens(entry), request)
