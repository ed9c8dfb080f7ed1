"""The one ``NinjaAPI`` of the platform, its error responses and its documentation page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, AuthorizationError

from nonpro.api.auth import TokenAuth

DESCRIPTION = """The JSON API of Nonpro, the platform that supports the implementation of United Nations
Security Council resolution 1540 (2004).

Authenticate with a personal access token (create one under *Account → API tokens*) sent as
`Authorization: Bearer npro_…`. A token carries scopes (`read`, `write`) and can never do more
than its owner may: every operation is decided by the same access policy as the web pages.

Errors are JSON objects with a `detail` member: 401 when a token is missing or not valid, 403 when
the token or its owner may not do this, 422 when a parameter is not valid.
"""


class LocalSwagger(Swagger):
    """ninja's bundled Swagger UI from our static files: no CDN, no inline script, fit for the strict CSP."""

    template = "api/swagger.html"


class NonproAPI(NinjaAPI):
    """A ``NinjaAPI`` whose responses are never stored by caches (they may hold non-public data)."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        response["Cache-Control"] = "no-store"
        response["Vary"] = "Authorization, Accept-Language"
        return response


api = NonproAPI(
    title="Nonpro API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-1",
    auth=TokenAuth(),
    docs=LocalSwagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": gettext("A valid API token is required: send “Authorization: Bearer npro_…”.")},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="nonpro"'
    return response


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) if exc.args else gettext("You may not do this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(AuthorizationError)
def _not_authorised(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return api.create_response(request, {"detail": gettext("You may not do this.")}, status=403)
