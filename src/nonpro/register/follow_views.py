"""The subscriptions page and the "new trends" report (HTML and PDF).

Thin: forms parse, ``subscriptions.subscriptions_set`` writes (policy, audit), the pages read
``subscriptions_of`` / ``subscription_choices`` and ``report.trends_report`` (all through the
selectors). The subscriptions page is for signed-in people (``register.subscription.manage``);
the report for everyone (``register.report.view``), each seeing what they may.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from nonpro.accounts.models import User
from nonpro.core.policy import policy_required, viewer_for
from nonpro.register.models import SubscriptionFrequency
from nonpro.register.report import period_form, render_pdf, trends_report
from nonpro.register.subscriptions import MANAGE, subscription_choices, subscriptions_of, subscriptions_set


class SubscriptionsForm(forms.Form):
    """What to follow and how often; choices are labelled in the reader's language per request."""

    domains = forms.MultipleChoiceField(label=_("Domains"), required=False, widget=forms.CheckboxSelectMultiple)
    concerns = forms.MultipleChoiceField(label=_("Concern levels"), required=False, widget=forms.CheckboxSelectMultiple)
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=SubscriptionFrequency.choices,
        initial=SubscriptionFrequency.WEEKLY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = subscription_choices(language)
        cast("forms.MultipleChoiceField", self.fields["domains"]).choices = choices["domains"]
        cast("forms.MultipleChoiceField", self.fields["concerns"]).choices = choices["concerns"]


@policy_required(MANAGE)
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """Show and change what the signed-in person follows (POST, then back here)."""
    user = cast("User", request.user)
    language = get_language() or "en"
    following = subscriptions_of(user)
    if request.method == "POST":
        form = SubscriptionsForm(request.POST, language=language)
        if form.is_valid():
            try:
                subscriptions_set(
                    user=user,
                    domains=form.cleaned_data["domains"],
                    concerns=form.cleaned_data["concerns"],
                    frequency=form.cleaned_data["frequency"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Your subscriptions were saved."))
                return redirect("register:subscriptions")
    else:
        initial: dict[str, Any] = {"domains": list(following.domains), "concerns": list(following.concerns)}
        initial["frequency"] = following.frequency
        form = SubscriptionsForm(initial=initial, language=language)
    context = {"form": form, "following": following}
    return render(request, "register/follow/subscriptions.html", context, status=400 if form.errors else 200)


# --- the trends report ---------------------------------------------------------------------------------

REPORT = "register.report.view"


def _report_context(request: HttpRequest) -> dict[str, Any]:
    """Return the form and, when the period is valid, the report as the viewer may see it."""
    language = get_language() or "en"
    form = period_form(request.GET, timezone.now().date())
    report = None
    if form.is_valid():
        viewer = viewer_for(request.user)
        report = trends_report(viewer, form.cleaned_data["start"], form.cleaned_data["end"], language)
    query = urlencode({"start": form.data.get("start", ""), "end": form.data.get("end", "")})
    return {"form": form, "report": report, "query": query}


@policy_required(REPORT)
@require_safe
def report_page(request: HttpRequest) -> HttpResponse:
    """Show the trends report of a period (the last quarter by default); a bad period is shown with its errors."""
    context = _report_context(request)
    status = 200 if context["report"] is not None else 400
    return render(request, "register/report/report.html", context, status=status)


@policy_required(REPORT)
@require_safe
def report_pdf(request: HttpRequest) -> HttpResponse:
    """Return the same report as a PDF in the reader's language; a bad period gets the page with its errors."""
    context = _report_context(request)
    report = context["report"]
    if report is None:
        return render(request, "register/report/report.html", context, status=400)
    html = render_to_string("register/report/report_pdf.html", context, request=request)
    pdf = render_pdf(html, base_url=request.build_absolute_uri("/"))
    filename = f"nonpro-trends-{report.start.isoformat()}-{report.end.isoformat()}-{report.language}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
