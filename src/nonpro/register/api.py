"""API operations of the register (read only): list, one entry, its history.

What a caller sees is decided by the register's selectors, never here: lists through
``entries_visible_to`` (with ``nonpro.register.search`` for the filters and ``q``, which match only
parts the caller may see, so a filter or a search never matches — or counts — hidden content), one entry
through ``entry_data_for``, its history through ``entry_history_for``.

Callers: anonymous (no ``Authorization`` header: published entries, public fields) or a personal
access token with the ``read`` scope (what its owner's roles allow). A session cookie does not
authenticate the API; an ``Authorization`` header with a token that is not valid is a 401.

Fields the caller may not see are absent from the JSON (not null). The schemas below declare every
field as optional and responses are dumped with ``exclude_unset``: the OpenAPI document lists all
fields, the body carries only the visible ones. Responses are built here (not by ninja's response
serialization) so that the ``ETag`` is the hash of the exact body the caller receives.
"""

# No ``from __future__ import annotations`` here: django-ninja reads the operations' annotations at import.

import hashlib
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from nonpro.accounts.models import TokenScope
from nonpro.api.auth import TokenAuth, authorize, caller
from nonpro.api.base import api
from nonpro.api.schemas import ErrorOut, ValidationErrorOut
from nonpro.core.policy import Tier, Viewer
from nonpro.register import search, services, taxonomy
from nonpro.register.history import entry_history_for
from nonpro.register.models import COMMITTEE_FIELDS, GROUP_OF, ConcernLevel, Entry, Status, stricter_tier
from nonpro.register.selectors import PREFETCH, entries_visible_to, entry_data_for, entry_get_visible

router = Router(tags=["register"])

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: The part name under ``tiers`` for facts about the record itself (status, dates, serial …).
RECORD_PART = "record"
#: The part name under ``tiers`` for committee-only workflow facts (``pending_status``).
WORKFLOW_PART = "workflow"


def _anonymous(request: HttpRequest) -> bool:
    """Let a call without an ``Authorization`` header through as anonymous (a bad token stays a 401)."""
    return not request.headers.get("Authorization")


#: A valid token, or no credentials at all.
TOKEN_OR_ANONYMOUS = [TokenAuth(), _anonymous]
#: OpenAPI: the token is optional (an empty security requirement allows anonymous calls).
OPTIONAL_TOKEN: dict[str, Any] = {"security": [{"TokenAuth": []}, {}]}


def _viewer(request: HttpRequest) -> Viewer:
    """Return the caller's ``Viewer`` (policy action ``register.entry.view``): anonymous, or the token's owner.

    A token must have the ``read`` scope (403 otherwise). Which entries and fields the viewer then
    sees is decided by the register selectors, per entry and per part.
    """
    scope = TokenScope.READ if caller(request) is not None else None
    return authorize(request, "register.entry.view", scope=scope)


# --- schemas ---------------------------------------------------------------------------------------


class SourceOut(Schema):
    type: str
    citation: str
    doi: str
    pmid: str
    arxiv_id: str
    url: str


class CreditOut(Schema):
    name: str
    role: str
    user: int | None


class PendingFieldOut(Schema):
    tier: str
    value: Any


class EntryOut(Schema):
    """One entry as the caller sees it: every member is optional and absent when hidden from the caller.

    `tiers` names each part shown whose tier is not `public` (for example `{"assessment": "committee"}`):
    the parts `title`, `summary`, `details`, `classification`, `assessment`, `sources`, `credits`,
    plus `record` (status, dates, serial of an unpublished entry) and `workflow` (`pending_status`).
    `pending` is an edit of a published entry awaiting review, per field with the tier it will have.
    """

    rsd_id: str = ""
    status: str = ""
    serial: int = 0
    original_language: str = ""
    published_at: datetime | None = None
    modified_at: datetime | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str = ""
    rejection_reason: str = ""
    pending_status: str = ""
    title: str = ""
    title_translations: dict[str, str] = Field(default_factory=dict)
    translation_status: dict[str, str] = Field(default_factory=dict)
    summary: str = ""
    summary_translations: dict[str, str] = Field(default_factory=dict)
    details: str = ""
    domains: list[str] = Field(default_factory=list)
    technology_areas: list[str] = Field(default_factory=list)
    control_lists: list[str] = Field(default_factory=list)
    obligations: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    concern_scores: dict[str, int] = Field(default_factory=dict)
    concern_level: str = ""
    concern_rationale: str = ""
    first_reported: date | None = None
    sources: list[SourceOut] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    credits: list[CreditOut] = Field(default_factory=list)
    tiers: dict[str, str] = Field(default_factory=dict)
    pending: dict[str, PendingFieldOut] = Field(default_factory=dict)


class EntryPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    items: list[EntryOut]


class FieldChangeOut(Schema):
    """One field's change in a revision; `old` and `old_tier` are absent when the old value is not shown."""

    field: str
    pending: bool
    new: Any
    new_tier: str
    old: Any = None
    old_tier: str = ""


class HistoryItemOut(Schema):
    """One revision; `changed_by` and `reason` are absent unless the caller may see them."""

    serial: int
    event: str
    changed_at: datetime
    changes: list[FieldChangeOut]
    changed_by: str = ""
    reason: str = ""


class HistoryOut(Schema):
    rsd_id: str
    items: list[HistoryItemOut]


CODE_PATTERN = r"^[A-Za-z0-9.-]{1,64}$"


class EntryFilters(Schema):
    domain: str | None = Field(None, pattern=CODE_PATTERN, description="A domain code, e.g. `chemical`.")
    control_list: str | None = Field(None, pattern=CODE_PATTERN, description="A control-list code, e.g. `CWC-S2`.")
    obligation: str | None = Field(
        None, pattern=CODE_PATTERN, description="An obligation of resolution 1540, e.g. `OP1`."
    )
    status: Status | None = None
    concern_level: ConcernLevel | None = None
    year: int | None = Field(
        None, ge=1900, le=9999, description="The year of first publication (of creation, for unpublished entries)."
    )
    q: str | None = Field(
        None,
        min_length=1,
        max_length=search.MAX_QUERY_LENGTH,
        description="Words to search for, in any of the six languages; every word must appear in a part of the "
        "entry the caller may see. Words of three or more characters also match longer words. With `q`, "
        "entries come best match first.",
    )
    modified_since: datetime | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


#: The code filters: query parameter → (entry field, taxonomy kind).
CODE_FILTERS: dict[str, tuple[str, str]] = {
    "domain": ("domains", "domain"),
    "control_list": ("control_lists", "control_list"),
    "obligation": ("obligations", "obligation"),
}


NOT_FOUND = {404: ErrorOut}


# --- building the answer ---------------------------------------------------------------------------


def _part_tiers(field_tiers: dict[str, str]) -> dict[str, str]:
    """Return the tier of each part shown that is not PUBLIC (the strictest tier among its fields)."""
    parts: dict[str, str] = {}
    for field, tier in field_tiers.items():
        if tier == Tier.PUBLIC:
            continue
        part = GROUP_OF.get(field) or (WORKFLOW_PART if field in COMMITTEE_FIELDS else RECORD_PART)
        parts[part] = stricter_tier(parts.get(part, tier), tier)
    return parts


def _entry_out(data: dict[str, Any]) -> dict[str, Any]:
    """Return the JSON form of ``entry_data_for``'s answer: hidden fields absent, tiers per part."""
    shown = dict(data)
    shown["tiers"] = _part_tiers(shown.pop("tiers", {}))
    return EntryOut.model_validate(shown).model_dump(mode="json", exclude_unset=True)


def _respond(request: HttpRequest, payload: dict[str, Any]) -> HttpResponse:
    """Return ``payload`` as JSON with an ``ETag`` of the body, or a 304 when ``If-None-Match`` names it."""
    response = api.create_response(request, payload, status=200)
    etag = f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
    response["ETag"] = etag
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or etag in {tag.removeprefix("W/") for tag in wanted}:
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Cache-Control", "Vary"):
            not_modified[header] = response[header]
        return not_modified
    return response


def _not_found() -> HttpError:
    return HttpError(404, gettext("There is no register entry with this identifier that you may see."))


def _filtered(viewer: Viewer, filters: EntryFilters) -> QuerySet[Entry] | search.SearchResults:
    """Return the entries ``viewer`` may see that match ``filters``; tiered parts match only where visible.

    Without ``q``: newest first. With ``q``: the search selector's ranking (``search.search_entries``).
    """
    entries = Entry.objects.all()  # narrowed by the filters below; visibility comes last
    if filters.status is not None:
        entries = entries.filter(status=filters.status.value)
    if filters.modified_since is not None:
        since = filters.modified_since
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
        entries = entries.filter(modified_at__gte=since)
    for name, (field, kind) in CODE_FILTERS.items():
        code = getattr(filters, name)
        if code is None:
            continue
        if code not in taxonomy.codes(kind, include_deprecated=True):
            return Entry.objects.none()  # an unknown code classifies nothing (the same on every engine)
        entries = search.with_code(entries, viewer, field, code)
    if filters.concern_level is not None:
        entries = search.with_concern(entries, viewer, filters.concern_level.value)
    if filters.year is not None:
        entries = search.with_year(entries, filters.year)
    if filters.q is not None:
        # The search matches visible parts of visible entries only; ``base`` narrows it when filtered.
        filtered = entries.query.has_filters()
        return search.search_entries(viewer, filters.q, base=entries if filtered else None)
    return entries.filter(pk__in=entries_visible_to(viewer).values("pk")).order_by("-pk")


def _page_link(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return f"{request.path}?{query.urlencode()}"


# --- operations ------------------------------------------------------------------------------------


@router.get(
    "/entries",
    url_name="register-entries",
    auth=TOKEN_OR_ANONYMOUS,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: EntryPageOut, 304: None, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    summary="List register entries",
)
def entries(request: HttpRequest, filters: Query[EntryFilters]) -> HttpResponse:
    """List the register entries the caller may see, newest first, `page_size` (at most 100) per page.

    Without a token: published and withdrawn entries with their public fields. With a token (`read`
    scope): what its owner's roles allow. `domain`, `control_list` and `obligation` match only entries
    whose classification the caller may see, `concern_level` only those whose assessment they may
    see; `year` is the year of first publication (of creation, for unpublished entries the caller may
    see). `q` searches the full text (title, summary and their translations, details, classification
    labels, assessment, sources, identifier) of the parts the caller may see only, in any of the six
    languages, and orders the entries best match first; a `q` without any word matches nothing.
    `modified_since` is an ISO 8601 date-time. `count` counts the matching entries the caller may
    see; `next` and `previous` are links (absolute paths) to the neighbouring pages, or null.
    """
    viewer = _viewer(request)
    matching = _filtered(viewer, filters)
    count = matching.count()
    start = (filters.page - 1) * filters.page_size
    page = list(matching.prefetch_related(*PREFETCH)[start : start + filters.page_size])
    items = []
    for entry in page:
        data = entry_data_for(viewer, entry)
        if data is None:  # pragma: no cover - the list holds visible entries only
            continue
        services.entry_view_record(viewer=viewer, entry=entry, request=request)
        items.append(_entry_out(data))
    payload = {
        "count": count,
        "next": _page_link(request, filters.page + 1) if start + filters.page_size < count else None,
        "previous": _page_link(request, filters.page - 1) if filters.page > 1 else None,
        "items": items,
    }
    return _respond(request, payload)


@router.get(
    "/entries/{rsd_id}",
    url_name="register-entry",
    auth=TOKEN_OR_ANONYMOUS,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: EntryOut, 304: None, 401: ErrorOut, 403: ErrorOut, **NOT_FOUND},
    summary="One register entry",
)
def entry(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Return one entry with the fields the caller may see (hidden fields are absent).

    404 when there is no such entry or the caller may not see it (the same answer). The `ETag` is
    the hash of this caller's answer; send it back in `If-None-Match` to get a 304 when unchanged.
    """
    viewer = _viewer(request)
    found = entry_get_visible(viewer, rsd_id)
    data = entry_data_for(viewer, found) if found is not None else None
    if found is None or data is None:
        raise _not_found()
    services.entry_view_record(viewer=viewer, entry=found, request=request)
    return _respond(request, _entry_out(data))


@router.get(
    "/entries/{rsd_id}/history",
    url_name="register-entry-history",
    auth=TOKEN_OR_ANONYMOUS,
    openapi_extra=OPTIONAL_TOKEN,
    response={200: HistoryOut, 304: None, 401: ErrorOut, 403: ErrorOut, **NOT_FOUND},
    summary="The history of a register entry",
)
def entry_history(request: HttpRequest, rsd_id: str) -> HttpResponse:
    """Return the revisions of one entry that show the caller something, oldest first.

    Each revision lists the changed fields the caller may see, at the tier each value had then;
    who changed it and why are shown to the committee and to the person who made the change.
    404, `ETag` and 304 as for the entry.
    """
    viewer = _viewer(request)
    found = entry_get_visible(viewer, rsd_id)
    if found is None:
        raise _not_found()
    history = entry_history_for(viewer, found)
    services.entry_view_record(viewer=viewer, entry=found, request=request)
    payload = HistoryOut.model_validate({"rsd_id": found.rsd_id, "items": history})
    return _respond(request, payload.model_dump(mode="json", exclude_unset=True))
