"""Authentication and authorisation of API operations: bearer tokens, scopes, then the policy.

Every operation calls ``authorize`` first. A token only proves who is calling and narrows what
they may do (its scopes); what they may do at all is the policy's decision, exactly as on pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from nonpro.accounts.models import APIToken, TokenScope, User
from nonpro.accounts.tokens import token_authenticate, token_has_scope
from nonpro.core.policy import Viewer, can, viewer_for


@dataclass(frozen=True)
class TokenCaller:
    """Who called: the token's owner and the token (set as ``request.auth``)."""

    user: User
    token: APIToken


class TokenAuth(HttpBearer):
    """``Authorization: Bearer npro_…`` — a personal access token (see ``accounts.tokens``)."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenCaller | None:
        found = token_authenticate(token.strip(), request=request)
        if found is None:
            return None
        user, api_token = found
        # Later writes made through the API record this person as the actor (``audit_record``).
        request.user = user
        return TokenCaller(user=user, token=api_token)


def caller(request: HttpRequest) -> TokenCaller | None:
    """Return the authenticated caller of this request, or None for an anonymous call."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, TokenCaller) else None


def authorize(request: HttpRequest, action: str, *, scope: TokenScope | None = None, obj: Any = None) -> Viewer:
    """Return the caller's ``Viewer`` when they may do ``action``; otherwise raise the matching error.

    Missing token where one is needed → 401; token without ``scope`` or a policy denial → 403.
    """
    who = caller(request)
    if scope is not None:
        if who is None:
            raise AuthenticationError()
        if not token_has_scope(who.token, scope):
            raise PermissionDenied(
                gettext("This token does not have the “%(scope)s” scope needed here.") % {"scope": scope.value}
            )
    viewer = viewer_for(who.user if who is not None else None)
    if not can(viewer, action, obj):
        raise PermissionDenied(gettext("You may not do this."))
    return viewer
