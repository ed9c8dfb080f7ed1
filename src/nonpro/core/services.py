"""Writes to the shared reference data."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from nonpro.core.countries_data import CountryRecord, load_country_records
from nonpro.core.models import Country, CountryTranslation
from nonpro.core.translation import TranslationStatus


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def countries_load(*, records: list[CountryRecord] | None = None) -> LoadResult:
    """Create or update the States and their CLDR names; running it twice changes nothing."""
    records = load_country_records() if records is None else records
    existing = {country.alpha2: country for country in Country.objects.prefetch_related("translations")}
    created = updated = unchanged = 0
    for record in records:
        values = {
            "alpha3": record.alpha3,
            "numeric": record.numeric,
            "status": record.status,
            "regional_group": record.regional_group,
        }
        country = existing.get(record.alpha2)
        changed = False
        if country is None:
            country = Country.objects.create(alpha2=record.alpha2, **values)
            created += 1
            names: dict[str, CountryTranslation] = {}
        else:
            if any(getattr(country, field) != value for field, value in values.items()):
                Country.objects.filter(pk=country.pk).update(**values)
                changed = True
            names = {translation.language: translation for translation in country.translations.all()}
        for language, name in record.names.items():
            current = names.get(language)
            if current is None:
                CountryTranslation.objects.create(
                    master=country, language=language, name=name, status=TranslationStatus.CURRENT
                )
                changed = True
            elif current.name != name:
                CountryTranslation.objects.filter(pk=current.pk).update(name=name)
                changed = True
        if record.alpha2 in existing:
            if changed:
                updated += 1
            else:
                unchanged += 1
    return LoadResult(created=created, updated=updated, unchanged=unchanged)
