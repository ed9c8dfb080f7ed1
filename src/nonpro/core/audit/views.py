"""Pages of the audit log for administrators: list with filters, one event, CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any, cast

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from nonpro.core.audit.forms import AuditFilterForm
from nonpro.core.audit.models import AuditEvent
from nonpro.core.audit.selectors import (
    AuditFilter,
    audit_actions_known,
    audit_events_for,
    audit_events_for_export,
)
from nonpro.core.audit.services import audit_export_start, event_hash
from nonpro.core.policy import policy_required, viewer_for

PAGE_SIZE = 50
CSV_COLUMNS = [
    "seq", "created_at", "actor", "action", "object_type", "object_id", "summary", "ip", "user_agent",
    "prev_hash", "hash",
]  # fmt: skip
# A spreadsheet would run a cell that starts like a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filter_from(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilter | None]:
    form = AuditFilterForm(request.GET)
    return form, (form.filters() if form.is_valid() else None)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@never_cache
@require_safe
@policy_required("audit.view")
def event_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filter_from(request)
    viewer = viewer_for(request.user)
    events = audit_events_for(viewer=viewer, filters=filters) if filters else AuditEvent.objects.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "actions": audit_actions_known(),
        "filtered": bool(filters and filters.as_summary()),
    }
    return render(request, "audit/event_list.html", context, status=200 if filters else 400)


@never_cache
@require_safe
@policy_required("audit.view")
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    events = audit_events_for(viewer=viewer_for(request.user))
    event = get_object_or_404(events, seq=seq)
    context = {
        "event": event,
        "summary": json.dumps(event.summary, indent=2, sort_keys=True, ensure_ascii=False),
        "hash_matches": event_hash(event) == event.hash,
        "previous_seq": seq - 1 if seq > 1 else None,
        "next_seq": seq + 1 if events.filter(seq=seq + 1).exists() else None,
    }
    return render(request, "audit/event_detail.html", context)


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming with ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_rows(events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                event.seq,
                event.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                _cell(event.actor_label),
                _cell(event.action),
                _cell(event.object_type),
                _cell(event.object_id),
                json.dumps(event.summary, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                event.ip_address or "",
                _cell(event.user_agent),
                event.prev_hash,
                event.hash,
            ]
        )


@never_cache
@require_safe
@policy_required("audit.export")
def event_export(request: HttpRequest) -> HttpResponse:
    form, filters = _filter_from(request)
    if filters is None:
        return render(
            request,
            "audit/event_list.html",
            {"form": form, "page": None, "query": _query_without_page(request), "actions": audit_actions_known()},
            status=400,
        )
    viewer = viewer_for(request.user)
    up_to_seq = audit_export_start(viewer=viewer, filters=filters, request=request)
    events = audit_events_for_export(viewer=viewer, filters=filters, up_to_seq=up_to_seq)
    response = StreamingHttpResponse(_csv_rows(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="nonpro-audit-{stamp}.csv"'
    # policy_required is typed for HttpResponse; a streaming response goes through it unchanged.
    return cast(HttpResponse, response)
