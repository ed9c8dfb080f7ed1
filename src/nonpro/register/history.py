"""Snapshots and the change history of register entries (NVD's change history, with tiers).

Every write stores, in its ``EntryRevision``, a snapshot of every field with its tier
(``snapshot``). ``entry_history_for`` compares consecutive snapshots and gives a viewer, per
revision, when and which event, and per field the old and new values — only what the viewer may see:

- a value is shown when the viewer could see the entry and the field at that revision, at the tier
  the field had then; a field that becomes hidden shows nothing (never "removed"), one that becomes
  visible shows its new value only;
- a tier raised later hides the same value in earlier revisions too: the tier of a value at a
  revision is the strictest tier that same value has there or in any later revision (content
  classified as sensitive does not stay readable in the history);
- a revision that shows the viewer nothing is left out, so edits and tier changes of hidden fields
  leave no trace; workflow steps of an edit awaiting review are listed only to those who see a
  field of that edit;
- who made the change and the reason are shown to the committee (analysts, assigned reviewers)
  and to the person who made it; a withdrawal's reason, and a rejection's to the creator, too.

What every viewer does learn from the entry itself: its ``serial`` and ``modified_at`` change when
the published record changes (an accepted edit, a tier change, a withdrawal), as OSV's
``modified`` does — mirrors need it; which field changed, and how, stays hidden.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from django.db.models import Model

from nonpro.core.policy import Tier, Viewer
from nonpro.register.models import GROUP_OF, Entry, EntryRevision, RevisionEvent, Status, stricter_tier
from nonpro.register.selectors import EntryView, visible_rsd_ids

SNAPSHOT_FORMAT = 1
#: Record fields that change with every write and say nothing by themselves.
BOOKKEEPING = frozenset({"rsd_id", "serial", "modified_at"})
#: Fields that describe the workflow rather than the development.
LIFECYCLE = frozenset(
    {"status", "pending_status", "published_at", "withdrawn_at", "withdrawal_reason", "rejection_reason"}
)
LIVE, PENDING = "live", "pending"
EMPTY: tuple[Any, ...] = (None, "", [], {})


class FieldChange(TypedDict):
    field: str
    pending: bool
    new: Any
    new_tier: str
    old: NotRequired[Any]
    old_tier: NotRequired[str]


class HistoryItem(TypedDict):
    serial: int
    event: str
    changed_at: datetime
    changes: list[FieldChange]
    changed_by: NotRequired[str]
    reason: NotRequired[str]


def to_json(value: Any) -> Any:
    """Return ``value`` in the canonical JSON form of snapshots (dates as ISO 8601 strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, Model):
        return value.pk
    return value


def snapshot(entry: Entry) -> dict[str, Any]:
    """Return every field of ``entry`` with its tier, and its pending edit (read from the database)."""
    fields: dict[str, dict[str, Any]] = {}
    for name in entry.policy_fields():
        if name == "related":
            value: Any = sorted(entry.related_entries().values_list("rsd_id", flat=True))
        else:
            value = getattr(entry, name)
        fields[name] = {"tier": entry.policy_tier(name), "value": to_json(value)}
    pending = {
        name: {"tier": str(entry.pending_tiers.get(GROUP_OF[name], Tier.COMMITTEE)), "value": to_json(value)}
        for name, value in sorted(entry.pending_changes.items())
    }
    return {"format": SNAPSHOT_FORMAT, "fields": fields, "pending": pending}


def _value_key(field: str, value: Any) -> tuple[str, str]:
    return field, json.dumps(value, sort_keys=True, ensure_ascii=False)


def _effective_tiers(snapshots: list[dict[str, Any]]) -> list[dict[tuple[str, str], str]]:
    """Return, per snapshot, the tier each value counts at: the strictest it has there or later."""
    strictest: dict[tuple[str, str], str] = {}
    result: list[dict[tuple[str, str], str]] = [{} for _ in snapshots]
    for index in range(len(snapshots) - 1, -1, -1):
        cells = [(LIVE, name, cell, cell["tier"]) for name, cell in snapshots[index]["fields"].items()]
        cells += [
            (PENDING, name, cell, stricter_tier(Tier.COMMITTEE, cell["tier"]))
            for name, cell in snapshots[index].get("pending", {}).items()
        ]
        for kind, name, cell, tier in cells:
            key = _value_key(name, cell["value"])
            strictest[key] = stricter_tier(strictest.get(key, tier), tier)
            result[index][kind, name] = strictest[key]
    return result


class _State:
    """One revision as one viewer sees it."""

    def __init__(
        self,
        viewer: Viewer,
        entry: Entry,
        *,
        snap: dict[str, Any],
        effective: dict[tuple[str, str], str],
        shown_related: set[str],
        memo: dict[tuple[str, bool, str], bool],
    ) -> None:
        as_of = copy.copy(entry)
        as_of.status = snap["fields"]["status"]["value"]
        as_of.pending_status = snap["fields"]["pending_status"]["value"]
        pending = copy.copy(entry)
        pending.status = Status.UNDER_REVIEW
        self.view = EntryView(viewer, as_of, memo=memo)
        self.pending_view = EntryView(viewer, pending, author_rule=False, memo=memo)
        self.cells: dict[tuple[str, str], dict[str, Any]] = {
            (LIVE, name): cell for name, cell in snap["fields"].items() if name not in BOOKKEEPING
        }
        self.cells.update({(PENDING, name): cell for name, cell in snap.get("pending", {}).items()})
        self.effective = effective
        self.shown_related = shown_related

    def visible(self, key: tuple[str, str]) -> bool:
        if key not in self.cells:
            return False
        view = self.view if key[0] == LIVE else self.pending_view
        return view.reaches(self.effective.get(key, Tier.RESTRICTED))

    def value(self, key: tuple[str, str]) -> Any:
        value = self.cells[key]["value"]
        if key[1] == "related":
            return [rsd_id for rsd_id in value if rsd_id in self.shown_related]
        return value

    def tier(self, key: tuple[str, str]) -> str:
        return str(self.cells[key]["tier"])

    def sees_pending(self) -> bool:
        return any(self.visible(key) for key in self.cells if key[0] == PENDING)


def _changes(before: _State | None, after: _State) -> list[FieldChange]:
    changes: list[FieldChange] = []
    for key in sorted(after.cells, key=lambda key: (key[0] == PENDING, key[1])):
        if not after.visible(key):
            continue
        change: FieldChange = {
            "field": key[1],
            "pending": key[0] == PENDING,
            "new": after.value(key),
            "new_tier": after.tier(key),
        }
        if before is not None and before.visible(key):
            old = before.value(key)
            if old == change["new"] and before.tier(key) == change["new_tier"]:
                continue
            change["old"] = old
            change["old_tier"] = before.tier(key)
        elif change["new"] in EMPTY:
            continue  # a field that comes into view empty says nothing
        changes.append(change)
    return changes


def _worth_listing(before: _State | None, after: _State, changes: list[FieldChange]) -> bool:
    """Return whether a revision shows the viewer something (otherwise it is left out)."""
    if any(change["field"] not in LIFECYCLE for change in changes):
        return True
    if any(change["field"] == "status" for change in changes):
        return True
    if any(change["field"] == "pending_status" for change in changes):
        return after.sees_pending() or (before is not None and before.sees_pending())
    return False


def _related_ids(snapshots: list[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for snap in snapshots:
        for part in ("fields", "pending"):
            cell = snap.get(part, {}).get("related")
            if cell is not None:
                ids.update(cell["value"])
    return ids


def entry_history_for(viewer: Viewer, entry: Entry) -> list[HistoryItem]:
    """Return the revisions of ``entry`` that show ``viewer`` something, oldest first (empty when hidden)."""
    if not EntryView(viewer, entry).sees_entry:
        return []
    entry.policy_assigned_user_ids()  # read once: the lenses below are copies of the entry
    revisions: list[EntryRevision] = list(entry.revisions.select_related("changed_by").order_by("version"))
    snapshots = [revision.snapshot for revision in revisions]
    effective = _effective_tiers(snapshots)
    shown_related = set(visible_rsd_ids(viewer, sorted(_related_ids(snapshots))))
    committee = EntryView(viewer, entry, author_rule=False).reaches(Tier.COMMITTEE)
    memo: dict[tuple[str, bool, str], bool] = {}
    items: list[HistoryItem] = []
    before: _State | None = None
    for revision, snap, tiers in zip(revisions, snapshots, effective, strict=True):
        after = _State(viewer, entry, snap=snap, effective=tiers, shown_related=shown_related, memo=memo)
        changes = _changes(before, after)
        if _worth_listing(before, after, changes):
            item: HistoryItem = {
                "serial": revision.serial,
                "event": revision.event,
                "changed_at": revision.changed_at,
                "changes": changes,
            }
            if committee or revision.changed_by_id == viewer.user_id:
                item["changed_by"] = str(revision.changed_by)
            status_changed = any(change["field"] == "status" for change in changes)
            own_reason = status_changed and revision.event in {RevisionEvent.WITHDRAWN, RevisionEvent.REJECTED}
            if revision.reason and (committee or own_reason):
                item["reason"] = revision.reason
            items.append(item)
        before = after
    return items
