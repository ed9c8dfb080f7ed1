"""How django-allauth behaves on Nonpro: throttling keys, the session clocks, where people land."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip
from django.http import HttpRequest
from django.urls import reverse

from nonpro.accounts.middleware import session_mark_signed_in
from nonpro.core.policy import viewer_for


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """allauth's adapter with Nonpro's rules."""

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """Key failed sign-ins by account AND client address, never by account alone.

        allauth keys the "login_failed" rate limit's ``key`` part by the account only, so that anyone
        could lock a person out by failing on purpose. Adding the address (IPv6 truncated to its
        network prefix, as allauth does for its per-IP limits) slows an attacker on that address
        and leaves the account open from every other address. The per-IP limits still apply.
        """
        account_key = str(super()._get_login_attempts_cache_key(request, **credentials))
        return f"{account_key}@{get_ip(request)}"

    def login(self, request: HttpRequest, user: Any) -> None:
        """Sign in, then start the session's idle and absolute clocks."""
        super().login(request, user)
        session_mark_signed_in(request)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Send a privileged person who has no MFA yet to set it up; everyone else to their profile."""
        if viewer_for(request.user).needs_mfa:
            return reverse("mfa_activate_totp")
        return str(super().get_login_redirect_url(request))
