"""`nonpro manage register_reminders [--now]`: e-mail reviewers whose review is due soon or overdue.

Without ``--now`` the command enqueues the ``send_review_reminders`` task (a worker sends the
e-mails); with ``--now`` it sends them in this process. Schedule it hourly (see docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nonpro.register.tasks import send_review_reminders


class Command(BaseCommand):
    help = "E-mail reviewers whose register review is due within 48 hours or overdue (at most once a day each)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="Send the reminders now instead of enqueuing the task.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent = send_review_reminders.call()
            self.stdout.write(f"{sent} reminder(s) sent.")
            return
        result = send_review_reminders.enqueue()
        self.stdout.write(f"Reminder task enqueued ({result.id}).")
