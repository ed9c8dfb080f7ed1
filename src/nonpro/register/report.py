"""The "new trends" report: what the register published in a period, as the reader may see it.

For a period (whole days, UTC): the new entries published in it per domain, their concern-level
distribution, the most cited control-list headings, the entries themselves grouped by domain, and
— for those the policy lets see them (``register.trend_note.view``: analysts) — the experts'
trend notes of the period. Everything is read through the selectors: counts are taken on the
rows whose part the reader may see (``entries_with_visible_part``), entries are shown from
``entry_data_for``.

Decision: the report, in HTML as in PDF, leaves out RESTRICTED parts even for need-to-know grant
holders (counts included). A report is made to be printed and passed on; RESTRICTED content is
read on the entry page, where each view is audited.

The PDF is rendered by WeasyPrint from the same context with a print stylesheet (fonts that cover
Arabic and Chinese, page numbers, right-to-left for Arabic) and a URL fetcher that refuses every
resource that is not local: rendering never touches the network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Count, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import Tier, Viewer, can
from nonpro.register import charts, taxonomy
from nonpro.register.digests import without_restricted
from nonpro.register.display import Localized, code_label, concern_label, localized
from nonpro.register.models import PUBLIC_STATUSES, ConcernLevel, Entry, TrendNoteStatus
from nonpro.register.selectors import PREFETCH, entries_visible_to, entries_with_visible_part, entry_data_for
from nonpro.register.trend_notes import trend_note_data_for, trend_notes_for

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

TREND_NOTES = "register.trend_note.view"
#: The longest period one report covers (a request for more is refused with a clear error).
MAX_DAYS = 366 * 3
#: The most entries a report lists; the counts cover them all.
MAX_LISTED = 300
#: How many control-list headings the report ranks.
TOP_CONTROL_LISTS = 10
CONCERN_LEVELS: tuple[str, ...] = tuple(level for level in ConcernLevel.values if level)


def last_quarter(today: date) -> tuple[date, date]:
    """Return the first and last day of the calendar quarter before the one ``today`` is in."""
    first_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = first_this - timedelta(days=1)
    return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last


class ReportPeriodForm(forms.Form):
    """The period of the report: from and to, both days included."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                self.add_error("end", _("The end of the period comes on or after its start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", _("A report covers at most three years. Choose a shorter period."))
        return cleaned


def period_form(query: Mapping[str, Any], today: date) -> ReportPeriodForm:
    """Return the bound period form: the query's dates, or the last quarter when none are given."""
    if not query.get("start") and not query.get("end"):
        start, end = last_quarter(today)
        return ReportPeriodForm({"start": start.isoformat(), "end": end.isoformat()})
    return ReportPeriodForm({"start": query.get("start", ""), "end": query.get("end", "")})


# --- the report ------------------------------------------------------------------------------------


@dataclass
class ReportEntry:
    """One entry as the report shows it: visible, non-RESTRICTED parts only."""

    rsd_id: str
    title: Localized | None
    summary: Localized | None
    domains: list[str]
    concern: str


@dataclass
class DomainGroup:
    code: str
    label: str
    entries: list[ReportEntry] = field(default_factory=list)


@dataclass
class Figure:
    """A chart and its table (the table is the chart's text alternative, and the PDF's too)."""

    title: str
    items: list[tuple[str, int]]
    chart: SafeString
    table: SafeString


@dataclass
class TrendsReport:
    start: date
    end: date
    language: str
    total: int
    figures: list[Figure]
    groups: list[DomainGroup]
    unlisted: int
    trend_notes: list[dict[str, Any]] | None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min, tzinfo=UTC), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=UTC
    )


def published_in(viewer: Viewer, start: date, end: date) -> QuerySet[Entry]:
    """Return the entries ``viewer`` may see that were first published in the period."""
    low, high = _bounds(start, end)
    return entries_visible_to(viewer).filter(
        status__in=sorted(PUBLIC_STATUSES), published_at__gte=low, published_at__lt=high
    )


def _classified(viewer: Viewer, entries: QuerySet[Entry]) -> QuerySet[Entry]:
    visible = entries_with_visible_part(viewer, "classification").exclude(classification_tier=Tier.RESTRICTED)
    return visible.filter(pk__in=entries.values("pk"))


def _code_counts(rows: Iterable[list[str]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for codes in rows:
        counts.update(set(codes or []))
    return counts


def domain_counts(viewer: Viewer, entries: QuerySet[Entry]) -> dict[str, int]:
    """Return how many of ``entries`` each domain holds, counted on classifications the viewer may see."""
    return dict(_code_counts(_classified(viewer, entries).values_list("domains", flat=True)))


def control_list_counts(viewer: Viewer, entries: QuerySet[Entry]) -> Counter[str]:
    """Return how many of ``entries`` cite each control-list heading, on classifications the viewer may see."""
    return _code_counts(_classified(viewer, entries).values_list("control_lists", flat=True))


def concern_counts(viewer: Viewer, entries: QuerySet[Entry]) -> dict[str, int]:
    """Return how many of ``entries`` are at each concern level, on assessments the viewer may see."""
    assessed = entries_with_visible_part(viewer, "assessment").exclude(assessment_tier=Tier.RESTRICTED)
    rows = (
        assessed.filter(pk__in=entries.values("pk"))
        .exclude(concern_level="")
        .order_by()
        .values("concern_level")
        .annotate(count=Count("pk"))
    )
    return {row["concern_level"]: row["count"] for row in rows}


def _figure(title: str, desc: str, items: list[tuple[str, int]], *, label: str, value_label: str) -> Figure:
    return Figure(
        title=title,
        items=items,
        chart=charts.bar_chart(title, desc, items, label=label, value_label=value_label),
        table=charts.bar_table(title, items, label=label, value_label=value_label),
    )


def _figures(viewer: Viewer, entries: QuerySet[Entry], language: str) -> list[Figure]:
    count_label = gettext("Entries")
    domains = domain_counts(viewer, entries)
    concerns = concern_counts(viewer, entries)
    lists = control_list_counts(viewer, entries).most_common(TOP_CONTROL_LISTS)
    return [
        _figure(
            gettext("New entries per domain"),
            gettext("How many entries published in the period belong to each domain (an entry may have several)."),
            [(label, domains.get(code, 0)) for code, label in taxonomy.load("domain").choices(language)],
            label=gettext("Domain"),
            value_label=count_label,
        ),
        _figure(
            gettext("Concern levels"),
            gettext("How many entries published in the period were assessed at each concern level."),
            [(concern_label(level, language), concerns.get(level, 0)) for level in CONCERN_LEVELS],
            label=gettext("Concern level"),
            value_label=count_label,
        ),
        _figure(
            gettext("Most cited control-list headings"),
            gettext("The control-list headings cited by the most entries published in the period."),
            [(code_label("control_list", code, language), count) for code, count in lists],
            label=gettext("Control-list heading"),
            value_label=count_label,
        ),
    ]


def _report_entry(viewer: Viewer, entry: Entry, language: str) -> tuple[ReportEntry, list[str]] | None:
    data = entry_data_for(viewer, entry)
    if data is None:
        return None
    shown = without_restricted(data)
    codes = [str(code) for code in shown.get("domains") or []]
    level = str(shown.get("concern_level") or "")
    item = ReportEntry(
        rsd_id=str(shown["rsd_id"]),
        title=localized(shown, "title", language),
        summary=localized(shown, "summary", language),
        domains=[code_label("domain", code, language) for code in codes],
        concern=concern_label(level, language) if level else "",
    )
    return item, codes


def _groups(viewer: Viewer, entries: QuerySet[Entry], language: str) -> list[DomainGroup]:
    """Return the listed entries grouped by domain (taxonomy order), then those with no domain shown."""
    groups = {code: DomainGroup(code, label) for code, label in taxonomy.load("domain").choices(language)}
    other = DomainGroup("", gettext("Other entries"))
    for entry in entries.order_by("published_at", "pk").prefetch_related(*PREFETCH)[:MAX_LISTED]:
        found = _report_entry(viewer, entry, language)
        if found is None:
            continue
        item, codes = found
        targets = [groups.setdefault(code, DomainGroup(code, code_label("domain", code, language))) for code in codes]
        for group in targets or [other]:
            group.entries.append(item)
    return [group for group in [*groups.values(), other] if group.entries]


def _trend_notes(viewer: Viewer, start: date, end: date, language: str) -> list[dict[str, Any]] | None:
    """Return the trend notes of the period as the viewer may see them; ``None`` for whoever may not read them all."""
    if not can(viewer, TREND_NOTES):
        return None
    low, high = _bounds(start, end)
    notes = trend_notes_for(viewer).filter(created_at__gte=low, created_at__lt=high).order_by("domain", "created_at")
    shown = []
    for note in notes:
        data = trend_note_data_for(viewer, note)
        if data is None:
            continue
        data["domain_label"] = code_label("domain", str(data.get("domain", "")), language)
        data["status_label"] = (
            TrendNoteStatus(data["status"]).label if data.get("status") in TrendNoteStatus.values else ""
        )
        shown.append(data)
    return shown


def trends_report(viewer: Viewer, start: date, end: date, language: str) -> TrendsReport:
    """Return the report of ``start`` to ``end`` (days included) as ``viewer`` may see it, in ``language``."""
    entries = published_in(viewer, start, end)
    total = entries.count()
    return TrendsReport(
        start=start,
        end=end,
        language=language,
        total=total,
        figures=_figures(viewer, entries, language),
        groups=_groups(viewer, entries, language),
        unlisted=max(total - MAX_LISTED, 0),
        trend_notes=_trend_notes(viewer, start, end, language),
    )


# --- the PDF ---------------------------------------------------------------------------------------


def _local_roots() -> list[Path]:
    """Return the directories a PDF may read files from: the static files of the apps."""
    from django.contrib.staticfiles import finders

    roots: list[Path] = []
    for finder in finders.get_finders():
        for _path, storage in finder.list([]):
            location = getattr(storage, "location", None)
            if location and Path(location) not in roots:
                roots.append(Path(location))
    return roots


def local_url_fetcher() -> Any:
    """Return a WeasyPrint URL fetcher that reads ``data:`` URLs and local static files only, never the network."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    roots = [root.resolve() for root in _local_roots()]

    class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots):
                    return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url!r}: the report reads local files only")

    return LocalOnlyFetcher(allowed_protocols={"data", "file"}, allow_redirects=False)


def render_pdf(html: str, *, base_url: str) -> bytes:
    """Return ``html`` rendered as PDF by WeasyPrint, fetching nothing from the network."""
    import weasyprint  # type: ignore[import-untyped]

    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=local_url_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
