"""Subscriptions to the register: a signed-in person follows domains or concern levels.

Writes (``subscription_follow``, ``subscription_unfollow``, ``subscriptions_set``) run in one
transaction each, ask the policy (``register.subscription.manage``: anyone signed in) and write a
light audit event ``register.subscription.changed`` (what is followed, never register content).
Reads (``subscriptions_of``, ``subscription_choices``) return plain values for the page.

One person gets one digest covering all their subscriptions, so the page sets one frequency for
all of them; the services accept one per subscription, and the digest then follows the most
frequent (see ``nonpro.register.digests``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import can, viewer_for
from nonpro.register import taxonomy
from nonpro.register.models import ConcernLevel, Subscription, SubscriptionFrequency, SubscriptionKind

MANAGE = "register.subscription.manage"
AUDIT_ACTION = "register.subscription.changed"
#: The concern levels one may follow ("not assessed" is no level).
CONCERN_CODES: tuple[str, ...] = tuple(level for level in ConcernLevel.values if level)


def followable_codes(kind: str) -> tuple[str, ...]:
    """Return the codes of ``kind`` one may follow now: the current domains, or the concern levels."""
    if kind == SubscriptionKind.DOMAIN:
        return tuple(code for code, _label in taxonomy.load("domain").choices("en"))
    if kind == SubscriptionKind.CONCERN:
        return CONCERN_CODES
    return ()


def _require_manage(user: User) -> None:
    if not can(viewer_for(user), MANAGE):
        raise PermissionDenied


def _validate(kind: str, code: str, frequency: str | None) -> None:
    if kind not in SubscriptionKind.values:
        raise ValidationError({"kind": [_("Choose what to follow.")]})
    if code not in followable_codes(kind):
        raise ValidationError({"code": [_("Choose a domain or a concern level from the list.")]})
    if frequency is not None and frequency not in SubscriptionFrequency.values:
        raise ValidationError({"frequency": [_("Choose daily or weekly.")]})


def _audit(user: User, change: str, request: HttpRequest | None, **details: object) -> None:
    audit_record(action=AUDIT_ACTION, actor=user, obj=user, summary={"change": change, **details}, request=request)


@transaction.atomic
def subscription_follow(
    *, user: User, kind: str, code: str, frequency: str, request: HttpRequest | None = None
) -> Subscription:
    """Follow a domain or a concern level (or change how often its digest comes); return the subscription."""
    _require_manage(user)
    _validate(kind, code, frequency)
    existing = Subscription.objects.select_for_update().filter(user=user, kind=kind, code=code).first()
    if existing is not None and existing.frequency == frequency:
        return existing
    subscription, created = Subscription.objects.update_or_create(
        user=user, kind=kind, code=code, defaults={"frequency": frequency}
    )
    _audit(user, "follow" if created else "frequency", request, kind=kind, code=code, frequency=frequency)
    return subscription


@transaction.atomic
def subscription_unfollow(*, user: User, kind: str, code: str, request: HttpRequest | None = None) -> bool:
    """Stop following a domain or a concern level; return whether there was such a subscription."""
    _require_manage(user)
    if kind not in SubscriptionKind.values:
        raise ValidationError({"kind": [_("Choose what to follow.")]})
    deleted, _rows = Subscription.objects.filter(user=user, kind=kind, code=code).delete()
    if deleted:
        _audit(user, "unfollow", request, kind=kind, code=code)
    return bool(deleted)


@transaction.atomic
def subscriptions_set(
    *,
    user: User,
    domains: list[str],
    concerns: list[str],
    frequency: str,
    request: HttpRequest | None = None,
) -> None:
    """Make the user's subscriptions exactly ``domains`` and ``concerns``, all at ``frequency`` (the page's save)."""
    _require_manage(user)
    wanted = {(SubscriptionKind.DOMAIN.value, code) for code in domains}
    wanted |= {(SubscriptionKind.CONCERN.value, code) for code in concerns}
    for kind, code in sorted(wanted):
        _validate(kind, code, frequency)
    current = set(Subscription.objects.filter(user=user).values_list("kind", "code"))
    for kind, code in sorted(current - wanted):
        subscription_unfollow(user=user, kind=kind, code=code, request=request)
    for kind, code in sorted(wanted):
        subscription_follow(user=user, kind=kind, code=code, frequency=frequency, request=request)


# --- reads -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Following:
    """What one person follows, as codes, and how often their digest comes."""

    domains: tuple[str, ...]
    concerns: tuple[str, ...]
    frequency: str
    last_sent_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not self.domains and not self.concerns


def digest_frequency(frequencies: set[str]) -> str:
    """Return the frequency of one person's digest: daily when any of their subscriptions is daily."""
    if SubscriptionFrequency.DAILY in frequencies:
        return SubscriptionFrequency.DAILY.value
    return SubscriptionFrequency.WEEKLY.value


def subscriptions_of(user: User) -> Following:
    """Return what ``user`` follows (codes in list order) and the frequency of their digest."""
    rows = list(Subscription.objects.filter(user=user).values_list("kind", "code", "frequency", "last_sent_at"))
    followed = {(kind, code) for kind, code, _frequency, _sent in rows}
    sent = [last_sent for _kind, _code, _frequency, last_sent in rows if last_sent is not None]
    return Following(
        domains=tuple(sorted(code for kind, code in followed if kind == SubscriptionKind.DOMAIN)),
        concerns=tuple(code for code in CONCERN_CODES if (SubscriptionKind.CONCERN, code) in followed),
        frequency=digest_frequency({frequency for _kind, _code, frequency, _sent in rows}),
        last_sent_at=max(sent) if sent else None,
    )


def subscription_choices(language: str) -> dict[str, list[tuple[str, str]]]:
    """Return the domains and concern levels one may follow, labelled in ``language``, in taxonomy order."""
    levels = taxonomy.rubric().levels
    concerns = [
        (code, levels[code].label(language) if code in levels else str(ConcernLevel(code).label))
        for code in CONCERN_CODES
    ]
    return {"domains": taxonomy.load("domain").choices(language), "concerns": concerns}
