"""E-mail digests: only what the reader may see, never RESTRICTED content, once per period, in their language.

Entries are taken through the real workflow (submit, two vetted reviewers' completed reviews,
classification, publication); all texts are synthetic and policy-level.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from nonpro.accounts.experts import expert_vet
from nonpro.accounts.models import ExpertProfile
from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import viewer_for
from nonpro.register import reviews, services
from nonpro.register.digests import build_digest, digests_send, send_digests
from nonpro.register.models import Entry, Subscription
from nonpro.register.selectors import entry_data_for
from nonpro.register.subscriptions import subscription_follow
from tests.register.conftest import SCORES, Draft, People

pytestmark = pytest.mark.django_db

REASON = "Synthetic example: policy-level classification."


def _vet(people: People) -> None:
    """Vet the two reviewers (the workflow assigns vetted reviewers only)."""
    until = timezone.localdate() + timedelta(days=30)
    for reviewer in (people.reviewer, people.reviewer2):
        profile = ExpertProfile.objects.filter(user=reviewer).first() or ExpertProfile(user=reviewer)
        if profile.pk is None or not profile.is_vetted():
            expert_vet(profile=profile, vetted_by=people.administrator, until=until, reason=REASON)


def publish(
    people: People,
    draft: Draft,
    *,
    public: Iterable[str] = ("title", "summary"),
    restricted: Iterable[str] = (),
    **values: Any,
) -> Entry:
    """Create, review and publish an entry: ``public`` parts PUBLIC, ``restricted`` RESTRICTED, others COMMITTEE."""
    _vet(people)
    entry = services.entry_submit(entry=draft(**values), by=people.author)
    assignments = [
        reviews.review_assign(entry=entry, reviewer=reviewer, by=people.analyst)
        for reviewer in (people.reviewer, people.reviewer2)
    ]
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    for assignment in assignments:
        reviews.review_submit(
            assignment=assignment,
            by=assignment.reviewer,
            scores=SCORES,
            proposed_level="",
            comments="Synthetic example: policy-level review.",
            recommendation="publish",
            no_enabling_detail=True,
        )
    for part in public:
        entry = services.entry_set_tier(entry=entry, field=part, tier="public", reason=REASON, by=people.analyst)
    for part in restricted:
        entry = services.entry_set_tier(entry=entry, field=part, tier="restricted", reason=REASON, by=people.analyst)
    entry.refresh_from_db()
    return services.entry_publish(entry=entry, by=people.analyst)


def _follow(user: Any, *domains: str, concerns: Iterable[str] = (), frequency: str = "daily") -> None:
    for code in domains:
        subscription_follow(user=user, kind="domain", code=code, frequency=frequency)
    for code in concerns:
        subscription_follow(user=user, kind="concern", code=code, frequency=frequency)


def _texts(message: Any) -> str:
    """Return the plain text and the HTML alternative of an e-mail, joined."""
    html = "".join(str(content) for content, mimetype in message.alternatives if mimetype == "text/html")
    return f"{message.subject}\n{message.body}\n{html}"


def _mail_to(user: Any) -> list[Any]:
    return [message for message in mail.outbox if message.to == [user.email]]


def test_digest_shows_the_visible_parts_only(people: People, draft: Draft) -> None:
    entry = publish(
        people,
        draft,
        public=("title", "summary", "classification"),
        details="Synthetic example: committee-only wording quokka.",
    )
    _follow(people.learner, "chemical")

    result = send_digests.call()

    assert result == {"due": 1, "sent": 1, "entries": 1}
    [message] = _mail_to(people.learner)
    text = _texts(message)
    assert entry.rsd_id in text
    assert "Synthetic example 1: a new enabling technique" in text
    assert "Synthetic example 1: a policy-level summary" in text
    assert f"http://127.0.0.1:8000/en/register/{entry.rsd_id}/" in text
    assert "quokka" not in text  # the details are COMMITTEE
    assert "CWC" not in text  # codes never appear, only labels of visible parts
    assert "OP1" not in text
    assert [mimetype for _content, mimetype in message.alternatives] == ["text/html"]
    assert Subscription.objects.get(user=people.learner).last_sent_at is not None


def test_restricted_content_never_goes_into_an_email_even_with_a_grant(people: People, draft: Draft) -> None:
    entry = publish(
        people,
        draft,
        public=("title", "classification"),
        restricted=("summary",),
        summary="Synthetic example: restricted wording pangolin, policy level.",
    )
    need_to_know_grant(
        obj=entry,
        user=people.analyst,
        reason="Synthetic example: assesses the entry.",
        expires_at=timezone.now() + timedelta(days=10),
        granted_by=people.analyst2,
    )
    data = entry_data_for(viewer_for(people.analyst), entry)
    assert data is not None
    assert "pangolin" in data["summary"], "the grant opens the summary on the platform"
    _follow(people.analyst, "chemical")

    send_digests.call()

    [message] = _mail_to(people.analyst)
    text = _texts(message)
    assert entry.rsd_id in text
    assert "pangolin" not in text


def test_a_restricted_classification_matches_nobody(people: People, draft: Draft) -> None:
    entry = publish(people, draft, public=("title", "summary"), restricted=("classification",))
    need_to_know_grant(
        obj=entry,
        user=people.analyst,
        reason="Synthetic example: assesses the entry.",
        expires_at=timezone.now() + timedelta(days=10),
        granted_by=people.analyst2,
    )
    _follow(people.analyst, "chemical")

    send_digests.call()

    assert _mail_to(people.analyst) == []


def test_a_committee_classification_does_not_match_for_the_public(people: People, draft: Draft) -> None:
    entry = publish(people, draft, domains=["biological"])  # classification stays COMMITTEE
    _follow(people.learner, "biological")
    _follow(people.analyst, "biological")

    outcomes = {outcome.email: outcome.count for outcome in digests_send()}

    assert outcomes == {people.learner.email: 0, people.analyst.email: 1}
    assert _mail_to(people.learner) == []
    [message] = _mail_to(people.analyst)
    assert entry.rsd_id in _texts(message)


def test_concern_level_matches_only_a_visible_assessment(people: People, draft: Draft) -> None:
    entry = publish(people, draft, public=("title", "summary", "assessment"), concern_scores=SCORES)
    level = entry.concern_level
    assert level
    other = publish(people, draft, public=("title", "summary"), concern_scores=SCORES)  # assessment COMMITTEE
    _follow(people.learner, concerns=[level])

    send_digests.call()

    [message] = _mail_to(people.learner)
    text = _texts(message)
    assert entry.rsd_id in text
    assert other.rsd_id not in text


def test_a_digest_is_sent_once_per_period(people: People, draft: Draft) -> None:
    publish(people, draft, public=("title", "summary", "classification"))
    _follow(people.learner, "chemical", frequency="daily")
    _follow(people.official, "chemical", frequency="weekly")
    now = timezone.now() + timedelta(seconds=1)

    digests_send(now=now)
    digests_send(now=now + timedelta(hours=2))

    assert len(_mail_to(people.learner)) == 1
    assert len(_mail_to(people.official)) == 1

    later = publish(people, draft, public=("title", "summary", "classification"))
    Entry.objects.filter(pk=later.pk).update(published_at=now + timedelta(hours=3))
    digests_send(now=now + timedelta(days=1))

    assert len(_mail_to(people.learner)) == 2, "daily: the next day brings the next digest"
    assert later.rsd_id in _texts(_mail_to(people.learner)[1])
    assert len(_mail_to(people.official)) == 1, "weekly: not yet"

    digests_send(now=now + timedelta(days=7))
    assert len(_mail_to(people.official)) == 2
    assert later.rsd_id in _texts(_mail_to(people.official)[1])


def test_disabled_accounts_get_nothing(people: People, draft: Draft) -> None:
    publish(people, draft, public=("title", "summary", "classification"))
    _follow(people.learner, "chemical")
    people.learner.is_active = False
    people.learner.save()

    assert digests_send() == []
    assert mail.outbox == []


def test_no_subscription_or_nothing_new_means_no_email(people: People, draft: Draft) -> None:
    _follow(people.learner, "nuclear")
    publish(people, draft, public=("title", "summary", "classification"))  # chemical

    assert build_digest(people.learner, timezone.now() - timedelta(days=1), timezone.now()) is None
    assert build_digest(people.official, timezone.now() - timedelta(days=1), timezone.now()) is None
    send_digests.call()
    assert mail.outbox == []
    assert Subscription.objects.get(user=people.learner).last_sent_at is not None, "the period is covered"


@override_settings(LANGUAGE_CODE="fr")
def test_the_digest_comes_in_the_site_language_with_translated_content(people: People, draft: Draft) -> None:
    entry = publish(
        people,
        draft,
        public=("title", "summary", "classification"),
        original_language="en",
        translations={
            "fr": {
                "title": "Exemple synthétique : une nouvelle technique habilitante",
                "summary": "Exemple synthétique : un résumé de politique générale.",
            }
        },
    )
    _follow(people.learner, "chemical")

    send_digests.call()

    [message] = _mail_to(people.learner)
    text = _texts(message)
    assert "Exemple synthétique : une nouvelle technique habilitante" in text
    assert "Chimique" in text  # the domain label in French
    assert f"/fr/register/{entry.rsd_id}/" in text
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    assert '<html lang="fr" dir="ltr">' in html


@override_settings(LANGUAGE_CODE="ar")
def test_an_arabic_digest_is_right_to_left_with_the_original_as_fallback(people: People, draft: Draft) -> None:
    entry = publish(people, draft, public=("title", "summary", "classification"), original_language="en")
    _follow(people.learner, "chemical")

    send_digests.call()

    [message] = _mail_to(people.learner)
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    assert '<html lang="ar" dir="rtl">' in html
    assert '<span lang="en" dir="ltr">Synthetic example' in html  # the untranslated title, marked as English
    assert f"/ar/register/{entry.rsd_id}/" in message.body


def test_the_command_dry_run_sends_nothing_and_now_sends(people: People, draft: Draft) -> None:
    publish(people, draft, public=("title", "summary", "classification"))
    _follow(people.learner, "chemical")
    out = io.StringIO()

    call_command("register_digests", "--dry-run", stdout=out)

    assert f"{people.learner.email}\t1" in out.getvalue()
    assert mail.outbox == []
    assert Subscription.objects.get(user=people.learner).last_sent_at is None

    call_command("register_digests", "--now", stdout=io.StringIO())
    assert len(_mail_to(people.learner)) == 1


def test_the_command_enqueues_the_task_by_default(people: People) -> None:
    _follow(people.learner, "chemical")
    out = io.StringIO()

    call_command("register_digests", stdout=out)

    assert "Enqueued" in out.getvalue()
    assert mail.outbox == []


def test_the_email_headers_are_clean(people: People, draft: Draft) -> None:
    publish(people, draft, public=("title", "summary", "classification"))
    _follow(people.learner, "chemical")

    send_digests.call()

    [message] = _mail_to(people.learner)
    parsed: Message = message.message()
    assert parsed.get_content_type() == "multipart/alternative"
    assert "\n" not in message.subject
