"""Reference data every app shares: the States served by the platform."""

from __future__ import annotations

from django.db import models
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
