"""`nonpro manage expire_vettings`: mark expert vettings past their end date as expired (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nonpro.accounts.experts import expert_vettings_expire


class Command(BaseCommand):
    help = "Mark expert vettings past their end date as expired; each change is audited."

    def handle(self, *args: Any, **options: Any) -> None:
        count = expert_vettings_expire()
        self.stdout.write(f"{count} vetting(s) expired.")
