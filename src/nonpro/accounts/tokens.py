"""Personal access tokens for the JSON API: created and revoked by their owner, shown once, stored hashed.

A token reads ``npro_<prefix>_<secret>``: the 8-character prefix (hexadecimal) finds the row and
is shown in lists; the SHA-256 of the whole token is what is stored and compared, in constant
time. A token authenticates its owner; what the owner may then do is still the policy's decision,
narrowed by the token's scopes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import APIToken, TokenScope, User, validate_token_scopes
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import can, viewer_for

TOKEN_MARK = "npro"  # noqa: S105 - the marker that starts every token, not a secret
PREFIX_LENGTH = 8
#: A token lives at most one year.
MAX_DAYS = 365
DEFAULT_DAYS = 90
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()


def _setting_seconds(name: str, default: int) -> timedelta:
    return timedelta(seconds=int(getattr(settings, name, default)))


def token_hash(raw: str) -> str:
    """Return the SHA-256 (hexadecimal) that is stored for the token ``raw``."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _require_manage(user: User) -> None:
    if not can(viewer_for(user), "accounts.token.manage"):
        raise PermissionDenied


# --- selectors -------------------------------------------------------------------------------------


def tokens_of(*, user: User) -> list[APIToken]:
    """Return the user's own tokens, newest first (never anyone else's)."""
    _require_manage(user)
    return list(APIToken.objects.filter(user=user))


def token_own(*, user: User, token_id: int) -> APIToken:
    """Return one of the user's own tokens; ``APIToken.DoesNotExist`` for anyone else's."""
    _require_manage(user)
    return APIToken.objects.get(user=user, pk=token_id)


# --- services --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its plain text, which exists only here: show it once, then forget it."""

    token: APIToken
    raw: str


@transaction.atomic
def token_create(
    *, user: User, name: str, scopes: list[str], expires_in_days: int, request: HttpRequest | None = None
) -> CreatedToken:
    """Create a personal access token for ``user`` and return it with its plain text (the only time)."""
    _require_manage(user)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A token needs a name.")})
    scopes = list(dict.fromkeys(scopes))
    validate_token_scopes(scopes)
    if not 1 <= expires_in_days <= MAX_DAYS:
        too_long = ValidationError(_("A token expires after 1 to %(days)s days."), params={"days": MAX_DAYS})
        raise ValidationError({"expires_in_days": too_long})
    now = timezone.now()
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        raw = f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = APIToken.objects.create(
                    user=user,
                    name=name,
                    prefix=prefix,
                    token_hash=token_hash(raw),
                    scopes=scopes,
                    created_at=now,
                    expires_at=now + timedelta(days=expires_in_days),
                )
            break
        except IntegrityError:  # pragma: no cover - a prefix collision, about one in four billion
            continue
    else:  # pragma: no cover
        raise RuntimeError("Could not find a free token prefix.")
    audit_record(
        action="accounts.token.create",
        actor=user,
        obj=token,
        summary={"name": name, "prefix": prefix, "scopes": scopes, "expires_at": token.expires_at.isoformat()},
        request=request,
    )
    return CreatedToken(token=token, raw=raw)


@transaction.atomic
def token_revoke(*, token: APIToken, user: User, request: HttpRequest | None = None) -> bool:
    """Revoke one of the user's own tokens; return False when it was already revoked."""
    _require_manage(user)
    locked = APIToken.objects.select_for_update().get(pk=token.pk)
    if locked.user_id != user.pk:
        raise PermissionDenied
    if locked.revoked_at is not None:
        return False
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        action="accounts.token.revoke",
        actor=user,
        obj=locked,
        summary={"name": locked.name, "prefix": locked.prefix},
        request=request,
    )
    return True


def _parse(raw: str) -> str | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    return parts[1]


def _record_rejection(token: APIToken, reason: str, request: HttpRequest | None) -> None:
    # At most one event per token and reason per interval, so that a leaked token replayed in a
    # loop cannot flood the log.
    interval = _setting_seconds("API_TOKEN_AUDIT_INTERVAL", 3600)
    if not cache.add(f"nonpro:token-rejected:{token.pk}:{reason}", 1, int(interval.total_seconds())):
        return
    with transaction.atomic():
        audit_record(
            action="accounts.token.reject",
            actor=token.user,
            obj=token,
            summary={"prefix": token.prefix, "reason": reason},
            request=request,
        )


def _record_use(token: APIToken, now: datetime, request: HttpRequest | None) -> None:
    previous = token.last_used_at
    if previous is not None and now - previous < _setting_seconds("API_TOKEN_LAST_USED_RESOLUTION", 60):
        return
    with transaction.atomic():
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        if previous is None or now - previous >= _setting_seconds("API_TOKEN_AUDIT_INTERVAL", 3600):
            audit_record(
                action="accounts.token.use",
                actor=token.user,
                obj=token,
                summary={"prefix": token.prefix, "first_use": previous is None},
                request=request,
            )


def token_authenticate(raw: str, *, request: HttpRequest | None = None) -> tuple[User, APIToken] | None:
    """Return the owner and the token for the plain token ``raw``, or None when it must not be accepted.

    Rejects malformed, unknown, revoked and expired tokens and tokens of disabled accounts. The
    hash comparison is constant-time (and made even when the prefix is unknown). Updates
    ``last_used_at`` (to the minute) and records the first use and then one use event an hour.
    """
    prefix = _parse(raw)
    if prefix is None:
        return None
    token = APIToken.objects.select_related("user").filter(prefix=prefix).first()
    matches = hmac.compare_digest(token_hash(raw), token.token_hash if token is not None else _DUMMY_HASH)
    if token is None:
        return None
    now = timezone.now()
    reason = ""
    if not matches:
        reason = "mismatch"
    elif token.revoked_at is not None:
        reason = "revoked"
    elif token.expires_at <= now:
        reason = "expired"
    elif not token.user.is_active:
        reason = "inactive_user"
    if reason:
        _record_rejection(token, reason, request)
        return None
    _record_use(token, now, request)
    return token.user, token


def token_has_scope(token: APIToken, scope: TokenScope | str) -> bool:
    """Return whether the token was given ``scope``."""
    return str(scope) in token.scopes
