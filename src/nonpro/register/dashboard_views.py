"""The trends dashboard (analysts) and the trend-note pages (experts write, analysts read and acknowledge).

Thin views: the numbers come from ``nonpro.register.dashboard`` (counted through the policy), the
notes from ``nonpro.register.trend_notes``; here they get labels in the reader's language and
become charts (``nonpro.register.charts``), each with a heading, a description and a data table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language_info, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from nonpro.accounts.models import User
from nonpro.core.policy import Viewer, policy_required, viewer_for
from nonpro.register import charts, dashboard, display, taxonomy
from nonpro.register.models import TITLE_MAX_LENGTH, ConcernLevel, TrendNoteStatus
from nonpro.register.services import RegisterError
from nonpro.register.trend_notes import (
    BODY_MAX_LENGTH,
    sees_all_notes,
    trend_note_acknowledge,
    trend_note_data_for,
    trend_note_get_visible,
    trend_note_submit,
    trend_notes_for,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LATEST_NOTES = 10
NOTES_PAGE_SIZE = 25
#: Concern levels get colours from calm to alarming; "not assessed" is grey.
CONCERN_COLORS: Mapping[str, str] = {
    "low": "#1d6b35",
    "moderate": "#6e4600",
    "high": "#b35900",
    "critical": "#a0001c",
    "": "#4a5260",
}
STAGE_LABELS: Mapping[str, StrOrPromise] = {
    "submitted": _("Submitted, awaiting triage"),
    "under_review": _("Under review"),
    "edit_submitted": _("Edit submitted"),
    "edit_under_review": _("Edit under review"),
}


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _control_list_label(code: str, language: str) -> str:
    """Return a heading's label prefixed with its list's short name ("CWC" alone says little: "Schedule 2")."""
    control_lists = taxonomy.load("control_list")
    if code not in control_lists:
        return code
    label = control_lists.label(code, language)
    ancestors = control_lists.ancestors(code)
    if not ancestors:
        return label
    root = control_lists.label(ancestors[-1], language)
    short = re.split(r"[:：]", root, maxsplit=1)[0].strip()
    return f"{short} — {label}"


def _concern_label(code: str, language: str) -> str:
    levels = taxonomy.rubric().levels
    if code in levels:
        return levels[code].label(language)
    return str(dict(ConcernLevel.choices).get(code, code))


def _quarter_label(quarter: dashboard.Quarter) -> str:
    # Translators: a calendar quarter, e.g. "Q3 2026".
    return gettext("Q%(number)s %(year)s") % {"number": quarter.number, "year": quarter.year}


# --- the dashboard ---------------------------------------------------------------------------------


@dataclass
class Chart:
    """One chart as the page shows it: a heading, a lead text, the SVG and its data table."""

    slug: str
    heading: StrOrPromise
    lead: str
    svg: SafeString
    table: SafeString


def _domain_chart(viewer: Viewer, *, basis: dashboard.Basis, language: str) -> Chart:
    counts = dashboard.new_entries_per_domain(viewer, basis=basis)
    categories = [_quarter_label(quarter) for quarter in counts.quarters]
    series = [(display.code_label("domain", code, language), counts.counts[code]) for code in counts.domains]
    total = charts.format_number(counts.total())
    if basis == "published":
        heading: StrOrPromise = _("Entries published per domain and quarter")
        lead = gettext(
            "Entries first published in each of the last %(quarters)s quarters, stacked by domain "
            "(an entry in two domains counts in both): %(total)s in all."
        ) % {"quarters": len(categories), "total": total}
    else:
        heading = _("New entries per domain and quarter")
        lead = gettext(
            "Entries drafted in each of the last %(quarters)s quarters, stacked by domain "
            "(an entry in two domains counts in both): %(total)s in all."
        ) % {"quarters": len(categories), "total": total}
    slug = f"chart-{basis}"
    return Chart(
        slug=slug,
        heading=heading,
        lead=lead,
        svg=charts.grouped_bar_chart(
            str(heading), lead, categories, series, label=gettext("Quarter"), stacked=True, chart_id=f"{slug}-svg"
        ),
        table=charts.grouped_table(
            str(heading), categories, series, label=gettext("Quarter"), total_label=gettext("Total")
        ),
    )


def _bar(slug: str, heading: StrOrPromise, lead: str, items: Sequence[tuple[str, int]], **options: Any) -> Chart:
    label: str = options.pop("label")
    value_label: str = options.pop("value_label")
    return Chart(
        slug=slug,
        heading=heading,
        lead=lead,
        svg=charts.bar_chart(
            str(heading), lead, items, label=label, value_label=value_label, chart_id=f"{slug}-svg", **options
        ),
        table=charts.bar_table(str(heading), items, label=label, value_label=value_label),
    )


def _concern_chart(viewer: Viewer, language: str) -> Chart:
    distribution = dashboard.concern_distribution(viewer)
    items = [(_concern_label(code, language), number) for code, number in distribution]
    total = charts.format_number(sum(number for _code, number in distribution))
    lead = gettext(
        "Current entries (not rejected or withdrawn) by the concern level of their assessment: %(total)s in all."
    ) % {"total": total}
    return _bar(
        "chart-concern",
        _("Concern levels"),
        lead,
        items,
        label=gettext("Concern level"),
        value_label=gettext("Entries"),
        colors=[CONCERN_COLORS.get(code, charts.PALETTE[0]) for code, _number in distribution],
    )


def _control_list_chart(viewer: Viewer, language: str) -> Chart:
    ranked = dashboard.top_control_lists(viewer)
    items = [(_control_list_label(code, language), number) for code, number in ranked]
    lead = ngettext(
        "The control-list heading most often referenced by current entries.",
        "The %(count)s control-list headings most often referenced by current entries, most first.",
        len(items),
    ) % {"count": len(items)}
    return _bar(
        "chart-control-lists",
        _("Top control-list headings"),
        lead,
        items,
        label=gettext("Control-list heading"),
        value_label=gettext("Entries"),
    )


def _review_chart(workload: dashboard.ReviewWorkload) -> Chart:
    items = [(str(STAGE_LABELS[code]), number) for code, number in workload.stages]
    total = charts.format_number(sum(number for _code, number in workload.stages))
    lead = gettext("Entries and edits waiting in each review stage: %(total)s in all.") % {"total": total}
    return _bar(
        "chart-reviews",
        _("Open reviews"),
        lead,
        items,
        label=gettext("Review stage"),
        value_label=gettext("Entries"),
    )


def _latest_notes(viewer: Viewer, language: str) -> list[dict[str, Any]]:
    notes = trend_notes_for(viewer)[:LATEST_NOTES]
    return [_note_row(data, language) for data in (trend_note_data_for(viewer, note) for note in notes) if data]


def _note_row(data: dict[str, Any], language: str) -> dict[str, Any]:
    code = str(data.get("language", ""))
    info = _language_info(code)
    return {
        **data,
        "domain_label": display.code_label("domain", str(data["domain"]), language),
        "language_name": info["name"],
        "bidi": info["bidi"],
        "is_new": data.get("status") == TrendNoteStatus.NEW,
        "status_label": dict(TrendNoteStatus.choices).get(str(data.get("status")), ""),
    }


def _language_info(code: str) -> dict[str, Any]:
    try:
        info = get_language_info(code)
    except KeyError:
        return {"name": code, "bidi": False}
    return {"name": str(info["name_translated"]), "bidi": bool(info["bidi"])}


@require_safe
@policy_required("register.dashboard.view")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Show the trends: new and published entries per domain, concern levels, control lists, reviews, notes."""
    viewer = viewer_for(request.user)
    language = display.page_language()
    workload = dashboard.open_reviews(viewer)
    context = {
        "charts": [
            _domain_chart(viewer, basis="created", language=language),
            _domain_chart(viewer, basis="published", language=language),
            _concern_chart(viewer, language),
            _control_list_chart(viewer, language),
        ],
        "review_chart": _review_chart(workload),
        "workload": workload,
        "notes": _latest_notes(viewer, language),
        "new_notes": trend_notes_for(viewer, status=TrendNoteStatus.NEW).count(),
    }
    return render(request, "register/dashboard/index.html", context)


# --- trend notes ---------------------------------------------------------------------------------------


def _domain_choices(language: str) -> list[tuple[str, str]]:
    return taxonomy.load("domain").choices(language)


def _language_choices() -> list[tuple[str, str]]:
    return [(code, _language_info(code)["name"]) for code, _name in settings.LANGUAGES]


class TrendNoteForm(forms.Form):
    """An expert's note on a trend; the service validates again (it is the rule, the form is the help)."""

    domain = forms.ChoiceField(label=_("Domain"))
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    body = forms.CharField(
        label=_("Note"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "Plain text. Policy level only: what the trend is and why it matters for resolution 1540 — "
            "never how anything is made, acquired, enhanced or delivered."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the note"))

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["domain"]).choices = [
            ("", _("Choose a domain")),
            *_domain_choices(language),
        ]
        cast("forms.ChoiceField", self.fields["language"]).choices = _language_choices()


@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("register.trend_note.submit")
def trend_note_new(request: HttpRequest) -> HttpResponse:
    """Let an expert (reviewer, analyst) send a note on a new trend; bad input comes back with its errors."""
    language = display.page_language()
    form = TrendNoteForm(request.POST or None, language=language, initial={"language": language})
    if request.method == "POST" and form.is_valid():
        try:
            trend_note_submit(by=_user(request), request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Thank you: your note was sent to the committee's analysts."))
            return redirect("register:trend_notes")
    status = 400 if form.errors else 200
    return render(request, "register/dashboard/trend_note_form.html", {"form": form}, status=status)


class TrendNoteFilterForm(forms.Form):
    domain = forms.ChoiceField(label=_("Domain"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["domain"]).choices = [("", _("All domains")), *_domain_choices(language)]
        cast("forms.ChoiceField", self.fields["status"]).choices = [("", _("All statuses")), *TrendNoteStatus.choices]


@require_safe
@policy_required("register.trend_note.submit")
def trend_notes(request: HttpRequest) -> HttpResponse:
    """List the notes the viewer may see (analysts: all; authors: their own), filtered by domain and status."""
    viewer = viewer_for(request.user)
    language = display.page_language()
    form = TrendNoteFilterForm(request.GET, language=language)
    filters = form.cleaned_data if form.is_valid() else {}
    notes = trend_notes_for(viewer, domain=filters.get("domain", ""), status=filters.get("status", ""))
    page = Paginator(notes, NOTES_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_note_row(data, language) for data in (trend_note_data_for(viewer, note) for note in page) if data]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "notes": rows,
        "sees_all": sees_all_notes(viewer),
        "filtered": bool(filters.get("domain") or filters.get("status")),
        "query": query.urlencode(),
    }
    return render(request, "register/dashboard/trend_notes.html", context)


def _back(request: HttpRequest) -> str:
    """Return where to go after acknowledging: the page that asked (same site only), else the notes."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=False):
        return wanted
    return reverse("register:trend_notes")


@require_POST
@policy_required("register.trend_note.view")
def trend_note_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a note as read by the committee (analysts)."""
    note = trend_note_get_visible(viewer_for(request.user), pk)
    if note is None:
        raise Http404
    try:
        trend_note_acknowledge(note=note, by=_user(request), request=request)
    except RegisterError as error:
        messages.info(request, str(error))
    else:
        messages.success(request, gettext("The note was acknowledged."))
    return redirect(_back(request))
