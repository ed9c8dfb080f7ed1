"""Need-to-know grants: who may see one RESTRICTED object, why, and until when.

Each service runs in one transaction and writes its audit event in it. Only a person the policy
allows ``need_to_know.grant`` (a committee analyst with MFA) may grant, renew or revoke, and
never for themselves (another analyst must): a role alone never opens RESTRICTED information.
A reason is always required; an expiry lies in the future and at most ``NEED_TO_KNOW_MAX_DAYS``
days ahead. The audit events (``need_to_know.granted`` / ``.renewed`` / ``.revoked``) name the
object the grant is about, the person, the expiry and the reason — never RESTRICTED content.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.core.audit.services import audit_record
from nonpro.core.models import NeedToKnowGrant
from nonpro.core.policy import can, viewer_for

GRANT_ACTION = "need_to_know.grant"
DEFAULT_MAX_DAYS = 90


def max_days() -> int:
    """Return the longest a grant or renewal may run, in days (setting ``NEED_TO_KNOW_MAX_DAYS``)."""
    return int(getattr(settings, "NEED_TO_KNOW_MAX_DAYS", DEFAULT_MAX_DAYS))


def _require_allowed(actor: Any, grantee_id: int | None) -> None:
    if actor is None:
        raise PermissionDenied
    if not can(viewer_for(actor), GRANT_ACTION):
        raise PermissionDenied
    if grantee_id is not None and actor.pk == grantee_id:
        raise PermissionDenied


def _require_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise ValidationError(_("Give the reason."), code="reason_required")
    return cleaned


def _require_expiry(expires_at: datetime, now: datetime) -> None:
    if timezone.is_naive(expires_at):
        raise ValidationError(_("Give the expiry with its time zone."), code="expiry_naive")
    if expires_at <= now:
        raise ValidationError(_("The expiry must lie in the future."), code="expiry_past")
    if expires_at > now + timedelta(days=max_days()):
        raise ValidationError(
            _("A grant may run for at most %(days)s days."), code="expiry_too_far", params={"days": max_days()}
        )


def _target_of(grant: NeedToKnowGrant) -> dict[str, Any]:
    content_type = ContentType.objects.get_for_id(grant.content_type_id)
    return {"object_type": f"{content_type.app_label}.{content_type.model}", "object_id": str(grant.object_id)}


def _summary(grant: NeedToKnowGrant, **extra: Any) -> dict[str, Any]:
    return {
        "grant": grant.pk,
        "user": grant.user_id,
        "expires_at": grant.expires_at.isoformat(),
        **extra,
    }


@transaction.atomic
def need_to_know_grant(
    *,
    obj: models.Model,
    user: Any,
    reason: str,
    expires_at: datetime,
    granted_by: Any,
    request: HttpRequest | None = None,
) -> NeedToKnowGrant:
    """Give ``user`` need-to-know access to ``obj`` until ``expires_at``; return the grant.

    Raises ``PermissionDenied`` unless ``granted_by`` may grant (and is not ``user``), and
    ``ValidationError`` for a missing reason, a bad expiry, an inactive person, an object that
    cannot carry grants, or an unrevoked grant that already exists (renew that one instead).
    """
    _require_allowed(granted_by, user.pk)
    cleaned = _require_reason(reason)
    now = timezone.now()
    _require_expiry(expires_at, now)
    if not user.is_active:
        raise ValidationError(_("This account is disabled."), code="user_inactive")
    if obj.pk is None or not isinstance(obj.pk, int):
        raise ValidationError(_("This item cannot carry need-to-know grants."), code="not_grantable")
    content_type = ContentType.objects.get_for_model(obj)
    try:
        with transaction.atomic():
            grant = NeedToKnowGrant.objects.create(
                user=user,
                content_type=content_type,
                object_id=obj.pk,
                reason=cleaned,
                granted_by=granted_by,
                granted_at=now,
                expires_at=expires_at,
            )
            audit_record(
                action="need_to_know.granted",
                actor=granted_by,
                obj=obj,
                summary=_summary(grant, reason=cleaned),
                request=request,
            )
    except IntegrityError as error:
        raise ValidationError(
            _("This person already holds a grant for this item; renew or revoke it."), code="grant_exists"
        ) from error
    return grant


@transaction.atomic
def need_to_know_renew(
    *,
    grant: NeedToKnowGrant,
    expires_at: datetime,
    reason: str,
    renewed_by: Any,
    request: HttpRequest | None = None,
) -> NeedToKnowGrant:
    """Move the expiry of an unrevoked grant (active or lapsed) to ``expires_at``; return it refreshed."""
    _require_allowed(renewed_by, grant.user_id)
    cleaned = _require_reason(reason)
    now = timezone.now()
    _require_expiry(expires_at, now)
    locked = NeedToKnowGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("A revoked grant cannot be renewed; grant again."), code="grant_revoked")
    previous = locked.expires_at
    locked.expires_at = expires_at
    locked.reason = cleaned
    locked.renewed_at = now
    locked.renewed_by = renewed_by
    locked.save(update_fields=["expires_at", "reason", "renewed_at", "renewed_by"])
    audit_record(
        action="need_to_know.renewed",
        actor=renewed_by,
        summary=_summary(locked, reason=cleaned, previous_expires_at=previous.isoformat()),
        request=request,
        **_target_of(locked),
    )
    grant.refresh_from_db()
    return grant


@transaction.atomic
def need_to_know_revoke(
    *,
    grant: NeedToKnowGrant,
    reason: str,
    revoked_by: Any,
    request: HttpRequest | None = None,
) -> NeedToKnowGrant:
    """End a grant now; it gives nothing from this moment and stays as history. Return it refreshed."""
    _require_allowed(revoked_by, None)
    cleaned = _require_reason(reason)
    locked = NeedToKnowGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("This grant is already revoked."), code="grant_revoked")
    locked.revoked_at = timezone.now()
    locked.revoked_by = revoked_by
    locked.revoke_reason = cleaned
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action="need_to_know.revoked",
        actor=revoked_by,
        summary=_summary(locked, reason=cleaned),
        request=request,
        **_target_of(locked),
    )
    grant.refresh_from_db()
    return grant
