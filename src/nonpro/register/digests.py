"""E-mail digests of the register: what changed in the domains and concern levels a person follows.

A digest lists the entries published or modified in a period (published or withdrawn entries
only) that match the person's subscriptions, each with what the policy lets the person see —
**minus every RESTRICTED field**: RESTRICTED content never goes into an e-mail, not even to a
need-to-know grant holder (an e-mail leaves the platform's control). Matching follows the same
rule: a domain matches only on a classification the person may see and that is not RESTRICTED,
a concern level only on such an assessment, so that a match never reveals a hidden part.

``digests_send`` (the task ``send_digests``; the command ``nonpro manage register_digests``)
sends one e-mail per person who is due — daily: the last digest covered up to at least a day
ago; weekly: a week — in the person's language, as text with an HTML alternative, and then moves
``Subscription.last_sent_at`` to the end of the period covered. Each person is handled in their
own transaction with their subscription rows locked: running it twice sends nothing twice, and
an e-mail that fails leaves the period to the next run. Disabled accounts get nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext, override

from nonpro.accounts.models import User
from nonpro.core.policy import Tier, Viewer, viewer_for
from nonpro.register.display import Localized, concern_label, items, localized
from nonpro.register.models import PUBLIC_STATUSES, Entry, Status, Subscription
from nonpro.register.selectors import PREFETCH, entries_visible_to, entries_with_visible_part, entry_data_for
from nonpro.register.subscriptions import Following, digest_frequency, subscriptions_of

logger = logging.getLogger(__name__)

PERIODS: dict[str, timedelta] = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
#: A job scheduled once a day may start a little earlier than the day before: it still sends.
GRACE = timedelta(hours=1)
#: The most entries one e-mail lists (the rest are counted and linked to the register).
MAX_ITEMS = 100


@dataclass
class DigestItem:
    """One entry in a digest: only fields the reader may see and that are not RESTRICTED."""

    rsd_id: str
    url: str
    title: Localized | None
    summary: Localized | None
    status: str
    domains: list[str] = field(default_factory=list)
    concern: str = ""


@dataclass
class Digest:
    """One person's digest for one period."""

    user_id: int
    email: str
    language: str
    since: datetime
    until: datetime
    items: list[DigestItem]
    more: int = 0
    register_url: str = ""
    subscriptions_url: str = ""


# --- who is due and in which language ---------------------------------------------------------------


def site_url() -> str:
    """Return the address links in e-mails start with (``NONPRO_SITE_URL``)."""
    return str(settings.SITE_URL)


def digest_language(user: User) -> str:
    """Return the language of the person's e-mails: their preferred language if the account has one, else the site's."""
    preferred = str(getattr(user, "language", "") or "")
    if preferred in dict(settings.LANGUAGES):
        return preferred
    return str(settings.LANGUAGE_CODE)


def _due_since(frequency: str, last_sent: datetime | None, now: datetime) -> datetime | None:
    """Return where the next digest starts when it is due at ``now``, else ``None``."""
    period = PERIODS.get(frequency, PERIODS["weekly"])
    if last_sent is None:
        return now - period
    if now - last_sent < period - GRACE:
        return None
    return last_sent


def users_due(now: datetime) -> list[tuple[int, datetime]]:
    """Return ``(user id, start of their period)`` of every active person whose digest is due at ``now``."""
    rows = Subscription.objects.filter(user__is_active=True).values_list("user_id", "frequency", "last_sent_at")
    frequencies: dict[int, set[str]] = defaultdict(set)
    last: dict[int, datetime | None] = {}
    for user_id, frequency, last_sent in rows:
        frequencies[user_id].add(frequency)
        previous = last.get(user_id)
        last[user_id] = max(filter(None, (previous, last_sent)), default=None)
    due = []
    for user_id in sorted(frequencies):
        since = _due_since(digest_frequency(frequencies[user_id]), last[user_id], now)
        if since is not None:
            due.append((user_id, since))
    return due


# --- what matches ----------------------------------------------------------------------------------


def _with_any_domain(entries: QuerySet[Entry], codes: Iterable[str]) -> QuerySet[Entry]:
    condition = Q()
    if connection.features.supports_json_field_contains:
        for code in codes:
            condition |= Q(domains__contains=[code])
        return entries.filter(condition)
    # SQLite: the JSON text holds each code quoted; the codes are taxonomy codes (checked on follow).
    for code in codes:
        condition |= Q(domains_text__contains=f'"{code}"')
    return entries.annotate(domains_text=Cast("domains", TextField())).filter(condition)


def matching_entries(viewer: Viewer, following: Following) -> QuerySet[Entry]:
    """Return the entries ``viewer`` may see that match what they follow, matched on visible, non-RESTRICTED parts."""
    condition = Q(pk__in=[])
    if following.domains:
        classified = entries_with_visible_part(viewer, "classification").exclude(classification_tier=Tier.RESTRICTED)
        condition |= Q(pk__in=_with_any_domain(classified, following.domains).values("pk"))
    if following.concerns:
        assessed = entries_with_visible_part(viewer, "assessment").exclude(assessment_tier=Tier.RESTRICTED)
        condition |= Q(pk__in=assessed.filter(concern_level__in=following.concerns).values("pk"))
    return entries_visible_to(viewer).filter(condition)


def _in_period(entries: QuerySet[Entry], since: datetime, until: datetime) -> QuerySet[Entry]:
    published = Q(published_at__gte=since, published_at__lt=until)
    modified = Q(modified_at__gte=since, modified_at__lt=until)
    return entries.filter(published | modified, status__in=sorted(PUBLIC_STATUSES))


def without_restricted(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the entry data without its RESTRICTED fields, its tier map and any pending edit."""
    tiers: Mapping[str, str] = data.get("tiers", {})
    return {
        name: value
        for name, value in data.items()
        if name not in {"tiers", "pending"} and tiers.get(name, Tier.RESTRICTED) != Tier.RESTRICTED
    }


def _item(viewer: Viewer, entry: Entry, language: str) -> DigestItem | None:
    data = entry_data_for(viewer, entry)
    if data is None:
        return None
    shown = without_restricted(data)
    level = str(shown.get("concern_level") or "")
    status = str(shown.get("status", ""))
    with override(language):
        url = site_url() + reverse("register:entry", args=[shown["rsd_id"]])
    return DigestItem(
        rsd_id=str(shown["rsd_id"]),
        url=url,
        title=localized(shown, "title", language),
        summary=localized(shown, "summary", language),
        status=str(Status(status).label) if status == Status.WITHDRAWN else "",
        domains=items("domains", shown.get("domains"), language),
        concern=concern_label(level, language) if level else "",
    )


def build_digest(user: User, since: datetime, until: datetime) -> Digest | None:
    """Return the digest of ``user`` for ``[since, until)``; ``None`` when nothing matches or they get none."""
    viewer = viewer_for(user)
    if not viewer.is_authenticated or not user.email:
        return None
    following = subscriptions_of(user)
    if following.empty:
        return None
    language = digest_language(user)
    entries = _in_period(matching_entries(viewer, following), since, until).order_by("-pk")
    total = entries.count()
    if total == 0:
        return None
    with override(language):
        items = [
            item
            for entry in entries[:MAX_ITEMS].prefetch_related(*PREFETCH)
            if (item := _item(viewer, entry, language))
        ]
        register_url = site_url() + reverse("register:index")
        subscriptions_url = site_url() + reverse("register:subscriptions")
    if not items:
        return None
    return Digest(
        user_id=int(user.pk),
        email=str(user.email),
        language=language,
        since=since,
        until=until,
        items=items,
        more=max(total - len(items), 0),
        register_url=register_url,
        subscriptions_url=subscriptions_url,
    )


# --- sending ---------------------------------------------------------------------------------------


def digest_message(digest: Digest) -> EmailMultiAlternatives:
    """Return the e-mail of ``digest`` in its language: plain text with an HTML alternative."""
    with override(digest.language):
        count = len(digest.items) + digest.more
        context = {"digest": digest, "count": count}
        subject = ngettext(
            "Nonpro register: %(count)s new or updated entry you follow",
            "Nonpro register: %(count)s new or updated entries you follow",
            count,
        ) % {"count": count}
        text = render_to_string("register/email/digest.txt", context)
        html = render_to_string("register/email/digest.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[digest.email])
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class DigestOutcome:
    """What happened for one person due: ``count`` entries e-mailed (0: nothing matched, no e-mail)."""

    user_id: int
    email: str
    count: int


def _send_one(user_id: int, now: datetime, *, dry_run: bool) -> DigestOutcome | None:
    """Send one person's digest and move their period on, in one transaction (rows locked: no double send)."""
    with transaction.atomic():
        rows = list(Subscription.objects.select_for_update().filter(user_id=user_id, user__is_active=True))
        if not rows:
            return None
        last = max((row.last_sent_at for row in rows if row.last_sent_at is not None), default=None)
        since = _due_since(digest_frequency({row.frequency for row in rows}), last, now)
        if since is None:
            return None
        user = User.objects.get(pk=user_id)
        digest = build_digest(user, since, now)
        count = len(digest.items) + digest.more if digest is not None else 0
        if dry_run:
            transaction.set_rollback(True)
            return DigestOutcome(user_id=user_id, email=str(user.email), count=count)
        if digest is not None:
            digest_message(digest).send()
        Subscription.objects.filter(pk__in=[row.pk for row in rows]).update(last_sent_at=now)
        return DigestOutcome(user_id=user_id, email=str(user.email), count=count)


def digests_send(*, now: datetime | None = None, dry_run: bool = False) -> list[DigestOutcome]:
    """Send the digests due at ``now`` (default: the current time); ``dry_run`` sends and records nothing."""
    moment = now or timezone.now()
    outcomes = []
    for user_id, _since in users_due(moment):
        try:
            outcome = _send_one(user_id, moment, dry_run=dry_run)
        except OSError:  # the mail server failed: this person's period stays for the next run
            logger.exception("register digest for user %s not sent", user_id)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


@task()
def send_digests(now: str | None = None) -> dict[str, int]:
    """Send the digests due now (or at ``now``, an ISO 8601 time with its zone); idempotent per period."""
    moment = parse_datetime(now) if now else None
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    outcomes = digests_send(now=moment)
    return {
        "due": len(outcomes),
        "sent": sum(1 for outcome in outcomes if outcome.count),
        "entries": sum(outcome.count for outcome in outcomes),
    }
