"""Read-only pages of the register: the list with filters, one entry, and its change history.

Views read only through the selectors (``entries_visible_to``, ``entries_with_visible_part``,
``entry_get_visible``, ``entry_data_for``, ``entry_history_for``) and never read an entry's fields
themselves: what they show is the selector's dict, turned into display rows here. A hidden or
missing entry is the same 404. Pages showing an entry call ``services.entry_view_record`` (the
audit event for RESTRICTED content shown).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from nonpro.core.policy import Role, Tier, Viewer, can, viewer_for
from nonpro.register import display, search, services, snippets, taxonomy
from nonpro.register.history import entry_history_for
from nonpro.register.models import (
    PUBLIC_STATUSES,
    ConcernLevel,
    Entry,
    EntryRevision,
    RevisionEvent,
    Status,
)
from nonpro.register.selectors import (
    PREFETCH,
    entries_visible_to,
    entries_with_visible_part,
    entry_actions_for,
    entry_data_for,
    entry_get_visible,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PAGE_SIZE = 25
#: The concern levels a list can be filtered by ("not assessed" is no level).
CONCERN_LEVELS: tuple[str, ...] = tuple(level for level in ConcernLevel.values if level)
#: The facts about the record shown on an entry page.
RECORD_SHOWN = ("status", "pending_status", "published_at", "modified_at", "withdrawn_at")
#: The sections of an entry page, in order: heading and the fields shown in it.
SECTIONS: tuple[tuple[StrOrPromise, tuple[str, ...]], ...] = (
    (_("Details"), ("details",)),
    (_("Classification"), ("domains", "technology_areas", "control_lists", "obligations")),
    (_("Concern assessment"), ("concern_level", "concern_scores", "concern_rationale")),
    (_("Sources"), ("first_reported", "sources", "aliases")),
    (_("Credits"), ("credits",)),
)


# --- the list ------------------------------------------------------------------------------------------


def _shows_status(viewer: Viewer) -> bool:
    """Return whether ``viewer`` may see any unpublished entry (then the status filter is offered)."""
    return entries_visible_to(viewer).exclude(status__in=sorted(PUBLIC_STATUSES)).exists()


def _with_domain(entries: QuerySet[Entry], viewer: Viewer, code: str) -> QuerySet[Entry]:
    """Keep the entries classified under domain ``code`` among those whose classification ``viewer`` sees."""
    return search.with_code(entries, viewer, "domains", code)


def _with_concern(entries: QuerySet[Entry], viewer: Viewer, level: str) -> QuerySet[Entry]:
    """Keep the entries at concern ``level`` among those whose assessment ``viewer`` sees."""
    return search.with_concern(entries, viewer, level)


#: The list's filters on taxonomy codes: filter name → (entry field, taxonomy kind).
CODE_FILTERS: dict[str, tuple[str, str]] = {
    "domain": ("domains", "domain"),
    "control_list": ("control_lists", "control_list"),
    "obligation": ("obligations", "obligation"),
}


@dataclass
class Filters:
    """The filters asked for (each empty when not asked for, or not a known value)."""

    domain: str = ""
    concern: str = ""
    status: str = ""
    control_list: str = ""
    obligation: str = ""
    year: int | None = None

    def apply(self, entries: QuerySet[Entry], viewer: Viewer, *, skip: str = "") -> QuerySet[Entry]:
        """Return ``entries`` filtered by every filter but ``skip`` (a facet counts as its own filter would list)."""
        for name, (entry_field, _kind) in CODE_FILTERS.items():
            code = getattr(self, name)
            if code and skip != name:
                entries = search.with_code(entries, viewer, entry_field, code)
        if self.concern and skip != "concern":
            entries = _with_concern(entries, viewer, self.concern)
        if self.year is not None and skip != "year":
            entries = search.with_year(entries, self.year)
        if self.status and skip != "status":
            entries = entries.filter(status=self.status)
        return entries

    def active(self) -> bool:
        return bool(
            self.domain or self.concern or self.status or self.control_list or self.obligation or self.year is not None
        )


class RegisterFilterForm(forms.Form):
    """The search box and the list's filters; choices (with counts of what the viewer may see) are given per request."""

    q = forms.CharField(
        label=_("Search the register"),
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        help_text=_("Words in any of the six languages; every word must appear."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "dir": "auto"}),
    )
    domain = forms.ChoiceField(label=_("Domain"), required=False)
    concern = forms.ChoiceField(label=_("Concern level"), required=False)
    control_list = forms.ChoiceField(label=_("Control list"), required=False)
    obligation = forms.ChoiceField(label=_("Obligation of resolution 1540"), required=False)
    year = forms.ChoiceField(label=_("Year"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, data: Mapping[str, Any], *, facets: Mapping[str, list[tuple[str, str]] | None]) -> None:
        super().__init__(data)
        everything: dict[str, StrOrPromise] = {
            "domain": _("All domains"),
            "concern": _("All concern levels"),
            "control_list": _("All control lists"),
            "obligation": _("All obligations"),
            "year": _("All years"),
            "status": _("All statuses"),
        }
        for name, label in everything.items():
            choices = facets.get(name)
            if choices is None:
                del self.fields[name]
            else:
                self._set_choices(name, label, choices)

    def _set_choices(self, name: str, everything: StrOrPromise, choices: list[tuple[str, str]]) -> None:
        field_ = cast("forms.ChoiceField", self.fields[name])
        field_.choices = [("", everything), *choices]

    def filter_fields(self) -> list[forms.BoundField]:
        """Return the filters (every field but the search box), in order."""
        return [self[name] for name in self.fields if name != "q"]


def _read_query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[: search.MAX_QUERY_LENGTH]


def _read_year(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and 1900 <= int(value) <= 9999 else None


def _read_filters(request: HttpRequest, *, with_status: bool) -> Filters:
    """Return the filters asked for; a value that is not a known code is ignored (the form shows it)."""
    codes = {name: request.GET.get(name, "") for name in CODE_FILTERS}
    for name, (_field, kind) in CODE_FILTERS.items():
        if codes[name] not in taxonomy.codes(kind, include_deprecated=True):
            codes[name] = ""
    concern = request.GET.get("concern", "")
    status = request.GET.get("status", "") if with_status else ""
    return Filters(
        **codes,
        concern=concern if concern in CONCERN_LEVELS else "",
        status=status if status in Status.values else "",
        year=_read_year(request.GET.get("year", "")),
    )


def _counted(label: str, count: int) -> str:
    return str(_("%(label)s (%(count)s)") % {"label": label, "count": count})


def _code_counts(entries: QuerySet[Entry], viewer: Viewer, entry_field: str) -> dict[str, int]:
    """Count the entries per code of ``entry_field`` among those whose classification ``viewer`` sees."""
    classified = entries_with_visible_part(viewer, "classification").filter(pk__in=entries.values("pk"))
    return search.code_counts(classified, entry_field)


def _year_counts(entries: QuerySet[Entry]) -> dict[int, int]:
    rows = entries.annotate(entry_year=search.entry_year()).order_by().values("entry_year")
    return {
        int(row["entry_year"]): row["count"]
        for row in rows.annotate(count=Count("pk", distinct=True))
        if row["entry_year"] is not None
    }


#: Raw facet counts: facet name → {value: number of entries}; ``status`` only for those who see it.
FacetCounts = dict[str, dict[str, int]]


def _facet_counts(entries: QuerySet[Entry], viewer: Viewer, filters: Filters, *, with_status: bool) -> FacetCounts:
    """Count, for each filter choice, the entries the list would show with it (and the other filters).

    Codes are counted only on entries whose classification the viewer sees, concern levels only on
    those whose assessment they see: a hidden part adds to no count.
    """
    counts: FacetCounts = {}
    for name, (entry_field, _kind) in CODE_FILTERS.items():
        counts[name] = _code_counts(filters.apply(entries, viewer, skip=name), viewer, entry_field)
    concern_base = filters.apply(entries, viewer, skip="concern")
    assessed = entries_with_visible_part(viewer, "assessment").filter(pk__in=concern_base.values("pk"))
    counts["concern"] = {
        row["concern_level"]: row["count"]
        for row in assessed.order_by().values("concern_level").annotate(count=Count("pk"))
    }
    years = _year_counts(filters.apply(entries, viewer, skip="year"))
    counts["year"] = {str(year): count for year, count in years.items()}
    if with_status:
        status_base = filters.apply(entries, viewer, skip="status")
        counts["status"] = {
            row["status"]: row["count"]
            for row in status_base.order_by().values("status").annotate(count=Count("pk", distinct=True))
        }
    return counts


#: How long the public list's facet counts are kept (they are also keyed on the register's last revision).
FACET_CACHE_SECONDS = 600


def _register_generation() -> int:
    """Return the id of the register's latest revision: every write that can change a count writes one."""
    return EntryRevision.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _cached_facet_counts(
    entries: QuerySet[Entry], viewer: Viewer, filters: Filters, q: str, *, with_status: bool
) -> FacetCounts:
    """Return ``_facet_counts``; for anonymous visitors from the cache, keyed on the register's last revision.

    Anonymous visitors all see the same thing (PUBLIC parts of published entries), so their counts
    for one query and set of filters are shared; any write to the register makes a new key.
    Signed-in viewers' counts depend on their roles, assignments and grants: never cached.
    """
    if viewer.is_authenticated:
        return _facet_counts(entries, viewer, filters, with_status=with_status)
    asked = json.dumps([q, dataclasses.asdict(filters), with_status], sort_keys=True)
    key = f"register:facets:{_register_generation()}:{hashlib.sha256(asked.encode()).hexdigest()}"
    counts = cache.get(key)
    if counts is None:
        counts = _facet_counts(entries, viewer, filters, with_status=with_status)
        cache.set(key, counts, FACET_CACHE_SECONDS)
    return cast("FacetCounts", counts)


def _facets(counts: FacetCounts, filters: Filters, *, language: str) -> dict[str, list[tuple[str, str]] | None]:
    """Return the filter choices labelled in ``language`` with their counts (``status``: None when not offered)."""
    facets: dict[str, list[tuple[str, str]] | None] = {}
    for name, (_entry_field, kind) in CODE_FILTERS.items():
        facets[name] = [
            (code, _counted(label, counts[name].get(code, 0))) for code, label in taxonomy.load(kind).choices(language)
        ]
    facets["concern"] = [
        (level, _counted(display.concern_label(level, language), counts["concern"].get(level, 0)))
        for level in CONCERN_LEVELS
    ]
    years = {int(year): count for year, count in counts["year"].items()}
    if filters.year is not None:
        years.setdefault(filters.year, 0)
    facets["year"] = [(str(year), _counted(str(year), years[year])) for year in sorted(years, reverse=True)]
    facets["status"] = None
    if "status" in counts:
        facets["status"] = [
            (value, _counted(str(label), counts["status"].get(value, 0))) for value, label in Status.choices
        ]
    return facets


@dataclass
class Row:
    rsd_id: str
    title: display.Localized | None
    status: str
    status_tier: StrOrPromise
    domains: list[str]
    snippets: list[SafeString] = field(default_factory=list)


def _row(viewer: Viewer, entry: Entry, language: str, q: str = "") -> Row | None:
    data = entry_data_for(viewer, entry)
    if data is None:
        return None
    tiers: Mapping[str, str] = data["tiers"]
    status = data.get("status")
    return Row(
        rsd_id=str(data["rsd_id"]),
        title=display.localized(data, "title", language),
        status=display.items("status", status, language)[0] if status else "",
        status_tier=display.tier_label(tiers.get("status", Tier.PUBLIC)),
        domains=display.items("domains", data.get("domains"), language),
        snippets=snippets.search_snippets(viewer, entry, q, language, data=data) if q else [],
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@dataclass(frozen=True)
class Link:
    label: StrOrPromise
    url: str


#: The register's other pages, each shown on the home page to those the policy lets use it.
REGISTER_LINKS: tuple[tuple[str, str, StrOrPromise], ...] = (
    ("register.entry.propose", "register:propose", _("Propose a development")),
    ("register.review.assign", "register:reviews", _("Reviews: the triage queue")),
    ("register.dashboard.view", "register:dashboard", _("Trends dashboard")),
    ("register.trend_note.submit", "register:trend_notes", _("Trend notes")),
    ("register.subscription.manage", "register:subscriptions", _("Follow domains and concern levels")),
    ("register.report.view", "register:report", _("New trends report (HTML and PDF)")),
)


def _register_links(viewer: Viewer) -> list[Link]:
    """Return the links to the register's other pages that ``viewer`` may use (reviewers: their reviews)."""
    links = [Link(label, reverse(name)) for action, name, label in REGISTER_LINKS if can(viewer, action)]
    if viewer.has(Role.REVIEWER) and not can(viewer, "register.review.assign"):
        links.insert(1, Link(_("My reviews"), reverse("register:reviews")))
    links.append(Link(_("Atom feed of the published entries"), reverse("register:feed")))
    return links


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Search and list the entries the viewer may see — best match first with a query, else newest first."""
    viewer = viewer_for(request.user)
    language = display.page_language()
    with_status = _shows_status(viewer)
    filters = _read_filters(request, with_status=with_status)
    q = _read_query(request)
    entries = entries_visible_to(viewer)
    listed: QuerySet[Entry] | search.SearchResults
    if q:
        # With a query the ranking orders the list (filtered by the search's ``base``); the facets
        # count among the entries the query matches.
        matched = search.search_entries(viewer, q, language=language)
        entries = matched.entries()
        filtered = filters.apply(Entry.objects.all(), viewer) if filters.active() else None
        listed = search.search_entries(viewer, q, language=language, base=filtered) if filtered is not None else matched
    else:
        listed = filters.apply(entries, viewer).order_by("-pk")
    counts = _cached_facet_counts(entries, viewer, filters, q, with_status=with_status)
    facets = _facets(counts, filters, language=language)
    form = RegisterFilterForm(request.GET, facets=facets)
    form.is_valid()
    page = Paginator(listed.prefetch_related(*PREFETCH), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [row for row in (_row(viewer, entry, language, q) for entry in page.object_list) if row is not None]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "q": q,
        "query": _query_without_page(request),
        "filtered": filters.active() or bool(q),
        "links": _register_links(viewer),
    }
    return render(request, "register/index.html", context)


# --- one entry -----------------------------------------------------------------------------------------


def _visible_entry(viewer: Viewer, rsd_id: str) -> Entry:
    entry = entry_get_visible(viewer, rsd_id)
    if entry is None:
        raise Http404
    return entry


def _pending(data: Mapping[str, Any], language: str) -> list[display.Shown]:
    shown: list[display.Shown] = []
    for name, cell in sorted((data.get("pending") or {}).items()):
        item = display.shown(name, cell["value"], str(cell["tier"]), language)
        if item is not None:
            shown.append(item)
    return shown


@require_safe
def entry_detail(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Show what the viewer may see of one entry — and nothing of what they may not."""
    viewer = viewer_for(request.user)
    entry = _visible_entry(viewer, rsd_id)
    data = entry_data_for(viewer, entry)
    if data is None:
        raise Http404
    services.entry_view_record(viewer=viewer, entry=entry, request=request)
    language = display.page_language()
    tiers: Mapping[str, str] = data["tiers"]

    def shown(name: str) -> display.Shown | None:
        return display.shown(name, data.get(name), tiers.get(name, Tier.RESTRICTED), language)

    sections = []
    for heading, names in SECTIONS:
        fields = [item for item in (shown(name) for name in names) if item is not None]
        if fields:
            sections.append({"heading": heading, "fields": fields})
    record = [item for item in (shown(name) for name in RECORD_SHOWN) if item is not None]
    context = {
        "rsd_id": data["rsd_id"],
        "title": display.localized(data, "title", language),
        "title_tier": display.tier_label(tiers.get("title", Tier.PUBLIC)),
        "summary": display.localized(data, "summary", language),
        "summary_tier": display.tier_label(tiers.get("summary", Tier.PUBLIC)),
        "original_language": display.language_name(str(data.get("original_language", ""))),
        "record": record,
        "withdrawal_reason": shown("withdrawal_reason"),
        "rejection_reason": shown("rejection_reason"),
        "sections": sections,
        "related": shown("related"),
        "pending": _pending(data, language),
        "serial": data.get("serial"),
        **_actions_context(viewer, entry),
    }
    return render(request, "register/entry_detail.html", context)


def _actions_context(viewer: Viewer, entry: Entry) -> dict[str, Any]:
    """Return the actions the viewer may take on the entry now, and the version their forms send back."""
    actions = entry_actions_for(viewer, entry)
    return {
        "actions": actions,
        "version": entry.version if actions else None,
        "can_edit": "register.entry.edit" in actions,
        "can_submit": "register.entry.submit" in actions,
        "can_classify": "register.entry.classify" in actions,
    }


# --- history -------------------------------------------------------------------------------------------


@require_safe
def entry_history(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Show the entry's revisions as the viewer may see them: when, event, who and why, old and new values."""
    viewer = viewer_for(request.user)
    entry = _visible_entry(viewer, rsd_id)
    data = entry_data_for(viewer, entry)
    if data is None:
        raise Http404
    services.entry_view_record(viewer=viewer, entry=entry, request=request)
    language = display.page_language()
    events = dict(RevisionEvent.choices)
    revisions = []
    for item in reversed(entry_history_for(viewer, entry)):
        changes = []
        for change in item["changes"]:
            name = change["field"]
            changes.append(
                {
                    "label": display.FIELD_LABELS.get(name, name),
                    "pending": change["pending"],
                    "old": display.shown(name, change.get("old"), str(change.get("old_tier", Tier.PUBLIC)), language),
                    "new": display.shown(name, change["new"], change["new_tier"], language),
                }
            )
        revisions.append(
            {
                "serial": item["serial"],
                "event": events.get(item["event"], item["event"]),
                "changed_at": item["changed_at"],
                "changed_by": item.get("changed_by", ""),
                "reason": item.get("reason", ""),
                "changes": changes,
            }
        )
    context = {"rsd_id": data["rsd_id"], "title": display.localized(data, "title", language), "revisions": revisions}
    return render(request, "register/entry_history.html", context)
