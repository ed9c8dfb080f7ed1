"""``nonpro manage register_digests``: send the register's e-mail digests that are due.

By default the work is enqueued (the task ``send_digests``, run by ``nonpro worker``); ``--now``
runs it here and now; ``--dry-run`` sends and records nothing and prints who would get how many
entries. Schedule it once an hour or once a day (cron, a systemd timer): it is idempotent, and
each person gets at most one digest per period (daily or weekly).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from nonpro.register.digests import digests_send, send_digests


class Command(BaseCommand):
    help = "Send the register's e-mail digests that are due (enqueued by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="Send now, in this process, instead of enqueuing.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Send and record nothing; print who would get how many entries."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            outcomes = digests_send(dry_run=True)
            for outcome in outcomes:
                self.stdout.write(f"{outcome.email}\t{outcome.count}")
            self.stdout.write(f"{len(outcomes)} digest(s) due, {sum(1 for o in outcomes if o.count)} with entries.")
            return
        if options["now"]:
            result = send_digests.call()
            self.stdout.write(
                f"{result['due']} digest(s) due, {result['sent']} sent with {result['entries']} entries in all."
            )
            return
        task_result = send_digests.enqueue()
        self.stdout.write(f"Enqueued the digests task ({task_result.id}); a worker sends them (nonpro worker).")
