"""Reference data every app shares (the States served by the platform) and need-to-know grants."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from nonpro.core.translation import TranslationBase, pick_translation


class RegionalGroup(models.TextChoices):
    AFRICAN = "african", _("African States")
    ASIA_PACIFIC = "asia-pacific", _("Asia-Pacific States")
    EASTERN_EUROPEAN = "eastern-european", _("Eastern European States")
    LATIN_AMERICAN_CARIBBEAN = "latin-american-caribbean", _("Latin American and Caribbean States")
    WESTERN_EUROPEAN_OTHER = "western-european-other", _("Western European and other States")
    NONE = "none", _("Not a member of a regional group")


class CountryStatus(models.TextChoices):
    MEMBER = "member", _("Member State")
    OBSERVER = "observer", _("Observer State")


class Country(models.Model):
    """A UN Member State or observer State, identified by its ISO 3166-1 codes."""

    alpha2 = models.CharField(_("ISO alpha-2 code"), max_length=2, unique=True)
    alpha3 = models.CharField(_("ISO alpha-3 code"), max_length=3, unique=True)
    numeric = models.CharField(_("ISO numeric code"), max_length=3, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=CountryStatus.choices)
    regional_group = models.CharField(_("regional group"), max_length=30, choices=RegionalGroup.choices)

    class Meta:
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        ordering = ["alpha2"]
        constraints = [
            models.CheckConstraint(condition=models.Q(alpha2__regex=r"^[A-Z]{2}$"), name="country_alpha2_format"),
            models.CheckConstraint(condition=models.Q(alpha3__regex=r"^[A-Z]{3}$"), name="country_alpha3_format"),
            models.CheckConstraint(condition=models.Q(numeric__regex=r"^[0-9]{3}$"), name="country_numeric_format"),
        ]

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str | None = None) -> str:
        """Return the CLDR name in ``language`` (the active language by default)."""
        translation = pick_translation(self.translations.all(), language or get_language())
        return translation.name if translation else self.alpha2


class CountryTranslation(TranslationBase):
    """A country's CLDR name in one of the six languages."""

    master = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="translations")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("country name")
        verbose_name_plural = _("country names")
        constraints = [
            models.UniqueConstraint(fields=["master", "language"], name="country_translation_unique_language"),
        ]

    def __str__(self) -> str:
        return self.name


class NeedToKnowGrantQuerySet(models.QuerySet["NeedToKnowGrant"]):
    def active(self, at: datetime | None = None) -> NeedToKnowGrantQuerySet:
        """Return the grants that give access now (or at ``at``): not revoked and not yet expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class NeedToKnowGrant(models.Model):
    """One person's need-to-know access to one object (RESTRICTED tier), with a reason and an expiry.

    Written only by ``nonpro.core.grants``; read by ``nonpro.core.policy``. A renewal moves
    ``expires_at``; a revocation sets ``revoked_at``. An expired or revoked grant gives nothing and
    stays as history. At most one unrevoked grant exists per person and object.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="need_to_know_grants",
        verbose_name=_("person"),
    )  # fmt: skip
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("object type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"))
    target = GenericForeignKey("content_type", "object_id")
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("granted by"),
    )  # fmt: skip
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    renewed_at = models.DateTimeField(_("last renewed at"), null=True, blank=True)
    renewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("last renewed by"),
    )  # fmt: skip
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("revoked by"),
    )  # fmt: skip
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)

    objects = NeedToKnowGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("need-to-know grant")
        verbose_name_plural = _("need-to-know grants")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["content_type", "object_id", "user"], name="need_to_know_target_user")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"],
                condition=models.Q(revoked_at__isnull=True),
                name="need_to_know_one_open_grant",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="need_to_know_reason_required"),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")), name="need_to_know_expires_after_grant"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=False) | models.Q(revoked_by__isnull=True),
                name="need_to_know_revoked_by_only_when_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.content_type_id}:{self.object_id}"

    def is_active(self, at: datetime | None = None) -> bool:
        """Return whether this grant gives access now (or at ``at``)."""
        return self.revoked_at is None and self.expires_at > (at or timezone.now())
