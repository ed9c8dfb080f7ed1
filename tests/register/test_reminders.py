"""Reminder e-mails to reviewers: who gets one, what it says (nothing of the entry), and never twice a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from nonpro.core.audit.models import AuditEvent
from nonpro.register import reviews, services
from nonpro.register.models import Entry, ReviewAssignment
from nonpro.register.tasks import send_review_reminders
from tests.register.conftest import Draft, People, review

SECRET_TITLE = "Synthetic example: TITLEMARK development"
SECRET_SUMMARY = "Synthetic example: SUMMARYMARK why it matters for resolution 1540."


def assign(entry: Entry, reviewer: Any, people: People, *, hours: float) -> ReviewAssignment:
    """Assign, due ``hours`` from now; a past due date is set as time passing would (the service wants the future)."""
    due = timezone.now() + timedelta(hours=max(hours, 1))
    assignment = reviews.review_assign(entry=entry, reviewer=reviewer, by=people.analyst, due_at=due)
    if hours < 1:
        ReviewAssignment.objects.filter(pk=assignment.pk).update(due_at=timezone.now() + timedelta(hours=hours))
    return assignment


def started(draft: Draft, people: People) -> Entry:
    entry = draft(title=SECRET_TITLE, summary=SECRET_SUMMARY)
    return services.entry_submit(entry=entry, by=people.author)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_reviewers_due_within_48_hours_or_overdue_get_one_reminder(draft: Draft, people: People) -> None:
    entry = started(draft, people)
    assign(entry, people.reviewer, people, hours=24)
    assign(entry, people.reviewer2, people, hours=-5)
    assign(entry, people.outsider_reviewer, people, hours=24 * 5)
    services.entry_start_review(entry=entry, by=people.analyst)

    assert send_review_reminders.call() == 2

    assert recipients() == sorted([people.reviewer.email, people.reviewer2.email])
    overdue = next(message for message in mail.outbox if message.to == [people.reviewer2.email])
    assert overdue.subject == f"Overdue review: {entry.rsd_id}"
    assert ReviewAssignment.objects.filter(reminded_at__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="register.review.reminded").count() == 2


def test_a_reminder_holds_the_identifier_due_date_and_link_and_nothing_of_the_entry(
    draft: Draft, people: People
) -> None:
    entry = started(draft, people)
    assign(entry, people.reviewer, people, hours=24)
    services.entry_start_review(entry=entry, by=people.analyst)

    send_review_reminders.call()

    [message] = mail.outbox
    text = message.subject + message.body + "".join(str(content) for content, _type in message.alternatives)
    assert entry.rsd_id in message.subject
    with translation.override("en"):
        assert reverse("register:review", kwargs={"rsd_id": entry.rsd_id}) in message.body
    for secret in ("TITLEMARK", "SUMMARYMARK", "Synthetic example", "committee"):
        assert secret not in text


def test_nobody_is_reminded_twice_within_24_hours(draft: Draft, people: People) -> None:
    entry = started(draft, people)
    assignment = assign(entry, people.reviewer, people, hours=-1)
    services.entry_start_review(entry=entry, by=people.analyst)
    send_review_reminders.call()

    assert send_review_reminders.call() == 0
    ReviewAssignment.objects.filter(pk=assignment.pk).update(reminded_at=timezone.now() - timedelta(hours=23))
    assert send_review_reminders.call() == 0
    ReviewAssignment.objects.filter(pk=assignment.pk).update(reminded_at=timezone.now() - timedelta(hours=25))
    assert send_review_reminders.call() == 1
    assert len(mail.outbox) == 2


def test_no_reminder_for_completed_closed_unstarted_or_undated_reviews(
    draft: Draft, people: People, published: Callable[..., Entry]
) -> None:
    not_started = started(draft, people)
    assign(not_started, people.reviewer, people, hours=2)  # the review has not started: nothing to do yet
    completed = started(draft, people)
    assign(completed, people.reviewer, people, hours=2)
    assign(completed, people.reviewer2, people, hours=2)
    completed = services.entry_start_review(entry=completed, by=people.analyst)
    review(completed, people.reviewer)
    services.entry_reject(entry=completed, reason="Synthetic example: a reason.", by=people.analyst)  # closes
    undated = started(draft, people)
    reviews.review_assign(entry=undated, reviewer=people.reviewer, by=people.analyst)
    services.entry_start_review(entry=undated, by=people.analyst)

    assert send_review_reminders.call() == 0
    assert mail.outbox == []


def test_the_command_enqueues_the_task_or_runs_it_now(draft: Draft, people: People) -> None:
    entry = started(draft, people)
    assign(entry, people.reviewer, people, hours=3)
    services.entry_start_review(entry=entry, by=people.analyst)
    out = StringIO()

    call_command("register_reminders", stdout=out)
    assert "enqueued" in out.getvalue()
    assert mail.outbox == []

    call_command("register_reminders", "--now", stdout=out)
    assert "1 reminder(s) sent." in out.getvalue()
    assert recipients() == [people.reviewer.email]
