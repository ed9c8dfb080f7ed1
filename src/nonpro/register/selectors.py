"""Reads of the register, always through the policy (``nonpro.core.policy``).

Who sees an entry and its fields:

- everyone: published and withdrawn entries (their own tier is PUBLIC), each field by its part's tier;
- committee analysts: every entry; reviewers: the entries assigned to them (COMMITTEE);
- **the creator**: their own entry while it is unpublished (draft, submitted, under review or
  rejected) — an explicit rule of this module, not of the policy — with its fields up to COMMITTEE,
  never a RESTRICTED field without a need-to-know grant, and only while they still hold a role
  that may propose (``register.entry.propose``). Once published they see it as their roles allow;
- RESTRICTED fields: holders of an active need-to-know grant on the entry only.

An edit of a published entry waits in ``pending_changes``; it is COMMITTEE information (at least)
until it is published, whatever tier its parts will have then.

Render and serialize from ``entry_data_for`` / ``entry_for`` (never from the model): hidden fields
are absent, related entries the viewer may not see are left out. Pages also call
``services.entry_view_record`` (the audit event for RESTRICTED content shown).
"""

from __future__ import annotations

import copy
from typing import Any

from django.db.models import QuerySet

from nonpro.core.policy import Tier, Viewer, can, can_see, visible
from nonpro.register.models import (
    GROUP_OF,
    PUBLIC_STATUSES,
    TIER_GROUPS,
    WORKFLOW,
    Entry,
    Status,
    stricter_tier,
)

PROPOSE = "register.entry.propose"
#: The lookup from an entry to its assigned reviewers (``visible(assigned_field=…)``).
ASSIGNED_FIELD = "review_assignments__reviewer"
#: The tiers a creator sees of their own unpublished entry.
AUTHOR_TIERS = frozenset({Tier.PUBLIC, Tier.OFFICIAL, Tier.COMMITTEE})
#: The actions on one entry that ``entry_actions_for`` reports.
ENTRY_ACTIONS: tuple[str, ...] = tuple(WORKFLOW)
PREFETCH = ("translations", "source_rows", "alias_rows", "credit_rows")


def may_author(viewer: Viewer) -> bool:
    """Return whether the viewer may propose entries (and so see their own unpublished ones)."""
    return viewer.is_authenticated and can(viewer, PROPOSE)


def author_reach(viewer: Viewer, entry: Entry) -> bool:
    """Return whether the creator rule opens ``entry`` (as it stands, or as it stood) to ``viewer``."""
    if entry.status in PUBLIC_STATUSES:
        return False
    if viewer.user_id is None or entry.created_by_id != viewer.user_id:
        return False
    return may_author(viewer)


class EntryView:
    """What one viewer sees of one entry — or of a past or pending state of it (a lens).

    A field is visible when the entry is and the field's tier is reached; for one viewer and one
    entry the answer depends on the entry's own tier, the creator rule and the field's tier only,
    so it is computed once per combination (``memo`` shares that among lenses of the same entry).
    """

    def __init__(
        self,
        viewer: Viewer,
        entry: Entry,
        *,
        author_rule: bool = True,
        memo: dict[tuple[str, bool, str], bool] | None = None,
    ) -> None:
        self.viewer = viewer
        self.entry = entry
        self.as_author = author_rule and author_reach(viewer, entry)
        self.sees_entry = self.as_author or can_see(viewer, entry)
        self._fields = frozenset(entry.policy_fields())
        self._reached: dict[tuple[str, bool, str], bool] = {} if memo is None else memo

    def reaches(self, tier: str) -> bool:
        """Return whether a field of ``tier`` on this entry is visible to the viewer."""
        if not self.sees_entry:
            return False
        key = (self.entry.policy_tier(None), self.as_author, tier)
        if key not in self._reached:
            probe = copy.copy(self.entry)
            probe.details_tier = tier
            self._reached[key] = can_see(self.viewer, probe, "details") or (self.as_author and tier in AUTHOR_TIERS)
        return self._reached[key]

    def sees(self, field: str) -> bool:
        if field not in self._fields:
            return False
        return self.reaches(self.entry.policy_tier(field))


def can_see_entry(viewer: Viewer, entry: Entry, field: str | None = None) -> bool:
    """Return whether ``viewer`` may see ``entry`` (``field`` None) or one of its fields, creator rule included."""
    view = EntryView(viewer, entry)
    if field is None:
        return view.sees_entry
    return view.sees(field)


def pending_lens(entry: Entry) -> Entry:
    """Return an unsaved copy of ``entry`` tiered as its pending edit is: unpublished, each part at least COMMITTEE."""
    lens = copy.copy(entry)
    lens.status = Status.UNDER_REVIEW
    lens.pending_status = ""
    for group in TIER_GROUPS:
        pending = str(entry.pending_tiers.get(group, Tier.COMMITTEE))
        setattr(lens, f"{group}_tier", stricter_tier(Tier.COMMITTEE, pending))
    return lens


def entries_visible_to(viewer: Viewer) -> QuerySet[Entry]:
    """Return the entries ``viewer`` may see, filtered in the database (counts and facets leak nothing)."""
    entries = visible(Entry.objects.all(), viewer, tier_field="tier", assigned_field=ASSIGNED_FIELD)
    if may_author(viewer):
        entries = entries | Entry.objects.filter(created_by_id=viewer.user_id)
    return entries


def entries_with_visible_part(viewer: Viewer, group: str) -> QuerySet[Entry]:
    """Return the entries whose part ``group`` (a key of ``TIER_GROUPS``) ``viewer`` may see.

    For search and facets: match or count a part's content only on these rows (e.g. facet by
    domain on ``entries_with_visible_part(viewer, "classification")``).
    """
    if group not in TIER_GROUPS:
        return Entry.objects.none()
    base = entries_visible_to(viewer)
    result = visible(base, viewer, tier_field=f"{group}_tier", assigned_field=ASSIGNED_FIELD)
    if may_author(viewer):
        own = base.filter(
            created_by_id=viewer.user_id, tier=Tier.COMMITTEE, **{f"{group}_tier__in": sorted(AUTHOR_TIERS)}
        )
        result = result | own
    return result


def visible_rsd_ids(viewer: Viewer, rsd_ids: list[str]) -> list[str]:
    """Return those of ``rsd_ids`` that name entries ``viewer`` may see, sorted."""
    if not rsd_ids:
        return []
    return sorted(entries_visible_to(viewer).filter(rsd_id__in=rsd_ids).values_list("rsd_id", flat=True))


def entry_data_for(viewer: Viewer, entry: Entry) -> dict[str, Any] | None:
    """Return ``{field: value}`` of what ``viewer`` may see of ``entry``, or ``None`` when the entry is hidden.

    Besides the fields: ``tiers`` (the tier of each returned field, so that outputs can label what
    is not PUBLIC) and, for those who may see it, ``pending`` (``{field: {"tier", "value"}}`` of an
    edit of a published entry that awaits review; ``tier`` is the one the field will have).
    """
    view = EntryView(viewer, entry)
    if not view.sees_entry:
        return None
    data: dict[str, Any] = {field: getattr(entry, field) for field in entry.policy_fields() if view.sees(field)}
    if "related" in data:
        data["related"] = visible_rsd_ids(viewer, list(entry.related_entries().values_list("rsd_id", flat=True)))
    data["tiers"] = {field: entry.policy_tier(field) for field in data}
    pending = pending_for(viewer, entry)
    if pending:
        data["pending"] = pending
    return data


def pending_for(viewer: Viewer, entry: Entry) -> dict[str, dict[str, Any]]:
    """Return the visible part of the edit of a published entry that awaits review."""
    if not entry.pending_changes:
        return {}
    view = EntryView(viewer, pending_lens(entry), author_rule=False)
    shown: dict[str, dict[str, Any]] = {}
    for field, value in sorted(entry.pending_changes.items()):
        if not view.sees(field):
            continue
        shown_value = visible_rsd_ids(viewer, list(value)) if field == "related" else value
        shown[field] = {"tier": str(entry.pending_tiers.get(GROUP_OF[field], Tier.COMMITTEE)), "value": shown_value}
    return shown


def entry_for(viewer: Viewer, rsd_id: str) -> dict[str, Any] | None:
    """Return what ``viewer`` may see of the entry ``rsd_id``; ``None`` when it is hidden or missing (a 404)."""
    entry = Entry.objects.filter(rsd_id=rsd_id).prefetch_related(*PREFETCH).first()
    if entry is None:
        return None
    return entry_data_for(viewer, entry)


def entry_get_visible(viewer: Viewer, rsd_id: str) -> Entry | None:
    """Return the entry ``rsd_id`` when ``viewer`` may see it (for services and history), else ``None``."""
    entry = Entry.objects.filter(rsd_id=rsd_id).prefetch_related(*PREFETCH).first()
    if entry is None or not can_see_entry(viewer, entry):
        return None
    return entry


def entry_actions_for(viewer: Viewer, entry: Entry) -> set[str]:
    """Return the actions ``viewer`` may take on ``entry`` now: the policy allows them and the workflow too."""
    if not can_see_entry(viewer, entry):
        return set()
    return {action for action in ENTRY_ACTIONS if can(viewer, action, entry) and entry.workflow_allows(action)}
