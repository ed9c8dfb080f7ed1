"""Objects with tiered information, for the policy tests only.

``Dossier`` is a model with no migration and no installed app (``app_label`` "policy_tests"):
``conftest.py`` creates its table in the test database, so ``visible()`` is tested against a real
query on SQLite and PostgreSQL without shipping a test app. ``Item`` is a plain object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models

from nonpro.core.policy import Tier

#: The tier of each field; ``None`` means "the object's own tier".
FIELD_TIERS: dict[str, str | None] = {
    "title": None,
    "summary": Tier.PUBLIC,
    "briefing": Tier.OFFICIAL,
    "assessment": Tier.COMMITTEE,
    "handling_note": Tier.RESTRICTED,
}


class Dossier(models.Model):
    title = models.CharField(max_length=100)
    tier = models.CharField(max_length=20)
    summary = models.TextField(default="Policy-level summary.")
    briefing = models.TextField(default="Briefing for officials.")
    assessment = models.TextField(default="Committee assessment.")
    handling_note = models.TextField(default="Need-to-know handling note.")
    # No database-level foreign keys: Django's flush (after committing tests) does not know these
    # test-only tables and must still be able to empty the tables they point at.
    country = models.ForeignKey(
        "core.Country", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_constraint=False
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="policy_test_dossiers", db_constraint=False
    )

    class Meta:
        app_label = "policy_tests"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    def policy_tier(self, field: str | None = None) -> str:
        if field is None:
            return self.tier
        return FIELD_TIERS[field] or self.tier

    def policy_fields(self) -> Iterable[str]:
        return FIELD_TIERS.keys()

    def policy_country_id(self) -> int | None:
        return self.country_id

    def policy_assigned_user_ids(self) -> set[int]:
        # Read the link table: the reverse relation of a model outside INSTALLED_APPS is not registered.
        links = Dossier.reviewers.through.objects.filter(dossier_id=self.pk)
        return set(links.values_list("user_id", flat=True))


@dataclass
class Item:
    """A plain object that implements the policy protocol."""

    tier: str = Tier.PUBLIC
    field_tiers: dict[str, str] = field(default_factory=dict)
    country_id: int | None = None
    assigned: set[int] = field(default_factory=set)
    values: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> str:
        values = self.__dict__.get("values", {})
        if name in values:
            return str(values[name])
        raise AttributeError(name)

    def policy_tier(self, field: str | None = None) -> str:
        if field is None:
            return self.tier
        return self.field_tiers[field]

    def policy_fields(self) -> Iterable[str]:
        return list(self.field_tiers)

    def policy_country_id(self) -> int | None:
        return self.country_id

    def policy_assigned_user_ids(self) -> set[int]:
        return set(self.assigned)
