"""Middleware of the core app."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

NO_STORE = "no-store, private"


def _carries_identity(request: HttpRequest) -> bool:
    """Return whether the response may hold something meant for one person only."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    return getattr(request, "auth", None) is not None


def _sets_session_cookie(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Return whether a session cookie goes out with this response (now or in SessionMiddleware, later)."""
    if settings.SESSION_COOKIE_NAME in response.cookies:
        return True
    session = getattr(request, "session", None)
    if session is None or session.is_empty():
        return False
    return bool(session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class NoStoreForSignedInMiddleware:
    """Send ``Cache-Control: no-store, private`` with every response to a signed-in person.

    Pages that show non-public data are only ever shown to signed-in people (or API token
    holders), so no browser, proxy or shared cache may keep such a response. A response that
    sets a session cookie is never stored either. Anonymous public pages stay cacheable.
    Place it right after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if _carries_identity(request) or _sets_session_cookie(request, response):
            response["Cache-Control"] = NO_STORE
        return response
