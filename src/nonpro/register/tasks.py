"""Background work of the register: reminder e-mails to reviewers.

Reminder e-mails carry the entry's identifier, the due date and a link — nothing of the entry's
content (its title or summary may be COMMITTEE or RESTRICTED, and e-mail leaves the platform).
Run ``send_review_reminders`` every hour or so (``nonpro manage register_reminders``; see
docs/operations.md): it is idempotent, a reviewer gets at most one reminder per assignment a day.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from nonpro.register.models import ReviewAssignment
from nonpro.register.reviews import reminders_due, review_reminded

logger = logging.getLogger(__name__)

#: The language of reminders: the user model keeps no preferred language yet.
MAIL_LANGUAGE = "en"


def _site_url() -> str:
    return str(settings.SITE_URL)


def reminder_message(assignment: ReviewAssignment, *, now: datetime) -> tuple[str, str]:
    """Return the subject and body of a reminder: identifier, due date and link only."""
    rsd_id = assignment.entry.rsd_id
    due_at = timezone.localtime(assignment.due_at) if assignment.due_at else None
    due = date_format(due_at, "DATETIME_FORMAT") if due_at else ""
    link = _site_url() + reverse("register:review", kwargs={"rsd_id": rsd_id})
    if assignment.due_at is not None and assignment.due_at < now:
        subject = gettext("Overdue review: %(rsd_id)s") % {"rsd_id": rsd_id}
        lead = gettext("Your review of register entry %(rsd_id)s was due on %(due)s.") % {"rsd_id": rsd_id, "due": due}
    else:
        subject = gettext("Review due soon: %(rsd_id)s") % {"rsd_id": rsd_id}
        lead = gettext("Your review of register entry %(rsd_id)s is due on %(due)s.") % {"rsd_id": rsd_id, "due": due}
    body = "\n\n".join(
        [
            lead,
            gettext("Sign in and open the review form: %(link)s") % {"link": link},
            gettext("This reminder holds no content of the entry. You get at most one a day per review."),
        ]
    )
    return subject, body + "\n"


def _send_one(assignment: ReviewAssignment, now: datetime) -> bool:
    """Mark and send one reminder in one transaction: a failed send leaves it unmarked, for the next run."""
    with transaction.atomic():
        if not review_reminded(assignment=assignment, now=now):
            return False
        with translation.override(MAIL_LANGUAGE):
            subject, body = reminder_message(assignment, now=now)
        send_mail(subject, body, None, [assignment.reviewer.email])
    return True


@task()
def send_review_reminders() -> int:
    """E-mail the reviewers whose open review is due within 48 hours or overdue; return how many were sent.

    Nobody is reminded of the same assignment twice within 24 hours. Idempotent.
    """
    now = timezone.now()
    sent = 0
    for assignment in reminders_due(now):
        try:
            sent += _send_one(assignment, now)
        except OSError:
            logger.exception("review reminder for assignment %s not sent", assignment.pk)
    return sent
