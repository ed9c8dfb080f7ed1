"""Pages where a signed-in person manages their own personal API tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from nonpro.accounts import tokens
from nonpro.accounts.models import APIToken, TokenScope, User
from nonpro.core.policy import policy_required


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, so that you recognise it later.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[TokenScope.READ],
        help_text=_("A token never allows more than your roles do."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"), min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS
    )


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@policy_required("accounts.token.manage")
def token_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TokenCreateForm()
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                created = tokens.token_create(user=user, request=request, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # Rendered, not redirected: the plain token exists in this response only.
                context: dict[str, Any] = {"created": created.token, "raw_token": created.raw}
                return render(request, "accounts/tokens/created.html", context)
    context = {"form": form, "tokens": tokens.tokens_of(user=user)}
    return render(request, "accounts/tokens/list.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
@policy_required("accounts.token.manage")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = _user(request)
    try:
        token = tokens.token_own(user=user, token_id=token_id)
    except APIToken.DoesNotExist:
        raise Http404 from None
    if tokens.token_revoke(token=token, user=user, request=request):
        messages.success(request, gettext("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("tokens:list")
