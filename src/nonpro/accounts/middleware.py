"""Session timeouts and the MFA requirement of privileged roles, applied to every request.

``SessionTimeoutMiddleware`` ends a signed-in session after ``SESSION_IDLE_TIMEOUT`` seconds without a
request and ``SESSION_ABSOLUTE_TIMEOUT`` seconds after sign-in, whatever the activity. Both clocks are
timestamps kept in the session itself (no model): the sign-in time is written when allauth signs the
person in (``session_mark_signed_in``, called by the account adapter); a session that has none (one
opened by ``Client.force_login`` or before this code was deployed) starts its clocks at its next request.

``MfaRequiredMiddleware`` keeps a person who holds a reviewer, committee-analyst or administrator role
but has not set up MFA out of the privileged areas (the Django admin, the audit log, the expert
directory: they are sent to MFA setup) and shows them a notice on every other page until they do.
The policy (``nonpro.core.policy``) already ignores those roles until MFA is set up; this middleware
only makes the reason visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.messages.storage.base import BaseStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from nonpro.core.policy import viewer_for

#: Session keys holding the sign-in time and the time of the last request (seconds since the epoch).
SIGNED_IN_AT = "nonpro_signed_in_at"
LAST_SEEN_AT = "nonpro_last_seen_at"
#: The last-seen time is rewritten at most this often, so that a burst of requests costs one write.
TOUCH_INTERVAL = 10

#: URL namespaces that are privileged areas: someone who needs MFA is sent to set it up instead.
PRIVILEGED_NAMESPACES = frozenset({"admin", "audit", "experts"})
#: Tag of the notice shown to someone who needs MFA (so that it is added once, not once per request).
MFA_NOTICE_TAG = "mfa-required"


def session_mark_signed_in(request: HttpRequest) -> None:
    """Start the idle and absolute clocks of the request's session (call it at sign-in)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


def session_expiry_reason(session: Any, now: float | None = None) -> str | None:
    """Return ``"idle"`` or ``"absolute"`` when the session's clocks have run out, else ``None``."""
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen_at = session.get(LAST_SEEN_AT)
    if isinstance(signed_in_at, int | float) and now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    if isinstance(last_seen_at, int | float) and now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


def _end_session(request: HttpRequest) -> None:
    from allauth.usersessions.models import UserSession

    session_key = request.session.session_key
    logout(request)
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


class SessionTimeoutMiddleware:
    """Sign out a session that was idle too long or began too long ago; otherwise note this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = time.time()
        reason = session_expiry_reason(session, now)
        if reason is not None:
            _end_session(request)
            if reason == "idle":
                minutes = settings.SESSION_IDLE_TIMEOUT // 60
                text = _("You were signed out after %(minutes)s minutes without activity. Please sign in again.")
                messages.info(request, text % {"minutes": minutes})
            else:
                hours = settings.SESSION_ABSOLUTE_TIMEOUT // 3600
                text = _(
                    "You were signed out because you signed in more than %(hours)s hours ago. Please sign in again."
                )
                messages.info(request, text % {"hours": hours})
            return
        if not isinstance(session.get(SIGNED_IN_AT), int | float):
            session[SIGNED_IN_AT] = now
        last_seen_at = session.get(LAST_SEEN_AT)
        if not isinstance(last_seen_at, int | float) or now - last_seen_at >= TOUCH_INTERVAL:
            session[LAST_SEEN_AT] = now


def _mfa_notice_queued(request: HttpRequest) -> bool:
    storage = messages.get_messages(request)
    queued = any(MFA_NOTICE_TAG in (message.extra_tags or "").split() for message in storage)
    if isinstance(storage, BaseStorage):
        storage.used = False  # keep the messages for the page (Django's documented way to peek)
    return queued


class MfaRequiredMiddleware:
    """Send a privileged person without MFA from privileged areas to MFA setup; remind them elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        viewer = viewer_for(user)
        if not viewer.needs_mfa:
            return None
        match = request.resolver_match
        namespaces = set(match.namespaces) if match is not None else set()
        url_name = (match.url_name or "") if match is not None else ""
        if namespaces & PRIVILEGED_NAMESPACES:
            return redirect("mfa_activate_totp")
        quiet = (
            request.method != "GET"
            or request.headers.get("HX-Request") == "true"
            or url_name.startswith(("mfa_", "account_reauthenticate", "account_logout"))
            or request.path_info.startswith("/api/")
        )
        if not quiet and not _mfa_notice_queued(request):
            messages.warning(
                request,
                _(
                    "Your role needs two-factor authentication: its pages stay closed until you set up an "
                    "authenticator app or a security key."
                ),
                extra_tags=MFA_NOTICE_TAG,
            )
        return None
