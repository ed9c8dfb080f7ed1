"""Pages of the platform shell: home, countries, health."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from nonpro.core.models import RegionalGroup
from nonpro.core.selectors import countries_count, countries_list


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"state_count": countries_count()})


@require_safe
def countries(request: HttpRequest) -> HttpResponse:
    group = request.GET.get("group", "")
    if group not in RegionalGroup.values:
        group = ""
    rows = countries_list(regional_group=group or None)
    return render(
        request,
        "core/countries.html",
        {"rows": rows, "groups": RegionalGroup.choices, "selected_group": group},
    )


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer a load balancer: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
