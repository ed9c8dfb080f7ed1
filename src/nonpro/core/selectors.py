"""Reads of the shared reference data."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import get_language

from nonpro.core.models import Country, CountryStatus, CountryTranslation, RegionalGroup
from nonpro.core.translation import fallback_chain


@dataclass(frozen=True)
class CountryRow:
    alpha2: str
    alpha3: str
    numeric: str
    name: str
    status: str
    status_label: str
    regional_group: str
    regional_group_label: str


def _sort_key(name: str) -> str:
    """Return a key that orders names ignoring case and accents (Åland sorts with A)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def countries_list(*, regional_group: str | None = None, language: str | None = None) -> list[CountryRow]:
    """Return the States, optionally of one regional group, named and sorted in ``language``."""
    language = language or get_language()
    # Fetch only the names the fallback chain can use, not all six per State.
    names = CountryTranslation.objects.filter(language__in=fallback_chain(language))
    countries = Country.objects.prefetch_related(Prefetch("translations", queryset=names))
    if regional_group:
        countries = countries.filter(regional_group=regional_group)
    rows = [
        CountryRow(
            alpha2=country.alpha2,
            alpha3=country.alpha3,
            numeric=country.numeric,
            name=country.name(language),
            status=country.status,
            status_label=str(CountryStatus(country.status).label),
            regional_group=country.regional_group,
            regional_group_label=str(RegionalGroup(country.regional_group).label),
        )
        for country in countries
    ]
    rows.sort(key=lambda row: _sort_key(row.name))
    return rows


def countries_count() -> int:
    """Return how many States the platform serves."""
    return Country.objects.count()
