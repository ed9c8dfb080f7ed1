"""Load the reference list of UN Member States and observer States.

The list lives in ``data/countries.csv`` (alpha-2 code, status, UN regional group, note). Country names are not
stored there: they come from CLDR through Babel, and the ISO 3166-1 alpha-3 and numeric codes come from pycountry.

This module must not import Django, so that it can be used from migrations, management commands and plain scripts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pycountry
from babel import Locale

__all__ = [
    "BABEL_LOCALES",
    "DEFAULT_CSV_PATH",
    "LANGUAGES",
    "REGIONAL_GROUPS",
    "STATUSES",
    "CountryRecord",
    "load_country_records",
]

#: Django language codes of the six official UN languages, in UN order (Arabic, Chinese, English, French, Russian,
#: Spanish).
LANGUAGES: Final = ("ar", "zh-hans", "en", "fr", "ru", "es")

#: Babel locale identifier for each Django language code in ``LANGUAGES``.
BABEL_LOCALES: Final[dict[str, str]] = {
    "ar": "ar",
    "zh-hans": "zh_Hans",
    "en": "en",
    "fr": "fr",
    "ru": "ru",
    "es": "es",
}

#: Allowed values of the ``status`` column.
STATUSES: Final = ("member", "observer")

#: Allowed values of the ``regional_group`` column: the five UN regional groups, plus ``none``.
REGIONAL_GROUPS: Final = (
    "african",
    "asia-pacific",
    "eastern-european",
    "latin-american-caribbean",
    "western-european-other",
    "none",
)

#: Path of the CSV file shipped with the package.
DEFAULT_CSV_PATH: Final = Path(__file__).resolve().parent / "data" / "countries.csv"

_COLUMNS: Final = ("alpha2", "status", "regional_group", "note")
_ALPHA2_PATTERN: Final = re.compile(r"[A-Z]{2}")


#: The two observer States whose CLDR names are not the names the United Nations uses ("Palestinian
#: Territories", "Vatican City"). These are the UN's official short names (UNTERM) in its six languages;
#: every other name comes from CLDR unchanged.
UN_NAME_OVERRIDES: Final[dict[str, dict[str, str]]] = {
    "PS": {
        "ar": "دولة فلسطين",
        "zh-hans": "巴勒斯坦国",
        "en": "State of Palestine",
        "fr": "État de Palestine",
        "ru": "Государство Палестина",
        "es": "Estado de Palestina",
    },
    "VA": {
        "ar": "الكرسي الرسولي",
        "zh-hans": "教廷",
        "en": "Holy See",
        "fr": "Saint-Siège",
        "ru": "Святейший Престол",
        "es": "Santa Sede",
    },
}


@dataclass(frozen=True, slots=True)
class CountryRecord:
    """Hold one State of the reference list, with its codes and its names in the six UN languages."""

    alpha2: str
    alpha3: str
    numeric: str
    status: str
    regional_group: str
    note: str
    #: CLDR name of the State, keyed by Django language code (see ``LANGUAGES``). Excluded from the hash, since
    #: a dict is not hashable; records stay hashable through their other fields.
    names: dict[str, str] = field(hash=False)


def _locales() -> dict[str, Locale]:
    """Return the Babel locale for each Django language code."""
    return {language: Locale.parse(BABEL_LOCALES[language]) for language in LANGUAGES}


def _error(path: Path, line_number: int, reason: str) -> ValueError:
    """Build the error raised for a bad line of the CSV file."""
    return ValueError(f"{path}, line {line_number}: {reason}")


def load_country_records(path: Path | None = None) -> list[CountryRecord]:
    """Read and validate the country CSV file, and return one record per row in file order.

    Lines whose first character is ``#`` and blank lines are skipped. The first other line must be the header
    ``alpha2,status,regional_group,note``. Raise ``ValueError``, naming the file and the 1-based line number, for a
    wrong header or column count, an alpha-2 code unknown to pycountry, a bad status or regional group, a duplicate
    alpha-2 code, or a State without a CLDR name in one of the six languages.
    """
    csv_path = DEFAULT_CSV_PATH if path is None else path
    locales = _locales()
    records: list[CountryRecord] = []
    first_line_of: dict[str, int] = {}
    header_seen = False

    with csv_path.open(encoding="utf-8", newline="") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            fields = next(csv.reader([line]))
            if not header_seen:
                if tuple(fields) != _COLUMNS:
                    raise _error(csv_path, line_number, f"expected header {','.join(_COLUMNS)!r}, got {line.strip()!r}")
                header_seen = True
                continue
            if len(fields) != len(_COLUMNS):
                raise _error(csv_path, line_number, f"expected {len(_COLUMNS)} columns, got {len(fields)}")
            alpha2, status, regional_group, note = (value.strip() for value in fields)

            country = pycountry.countries.get(alpha_2=alpha2) if _ALPHA2_PATTERN.fullmatch(alpha2) else None
            if country is None:
                raise _error(csv_path, line_number, f"unknown alpha2 code {alpha2!r}")
            if status not in STATUSES:
                raise _error(csv_path, line_number, f"bad status {status!r} (expected one of {', '.join(STATUSES)})")
            if regional_group not in REGIONAL_GROUPS:
                raise _error(
                    csv_path,
                    line_number,
                    f"bad regional_group {regional_group!r} (expected one of {', '.join(REGIONAL_GROUPS)})",
                )
            if alpha2 in first_line_of:
                raise _error(
                    csv_path, line_number, f"duplicate alpha2 code {alpha2!r} (first on line {first_line_of[alpha2]})"
                )
            first_line_of[alpha2] = line_number

            names: dict[str, str] = {}
            for language, locale in locales.items():
                name = locale.territories.get(alpha2)
                if not isinstance(name, str) or not name.strip():
                    raise _error(
                        csv_path,
                        line_number,
                        f"missing CLDR name for {alpha2!r} in {language!r} (Babel locale {BABEL_LOCALES[language]!r})",
                    )
                names[language] = UN_NAME_OVERRIDES.get(alpha2, {}).get(language, name)

            records.append(
                CountryRecord(
                    alpha2=alpha2,
                    alpha3=country.alpha_3,
                    numeric=country.numeric.zfill(3),
                    status=status,
                    regional_group=regional_group,
                    note=note,
                    names=names,
                )
            )

    if not header_seen:
        raise ValueError(f"{csv_path}: no header line {','.join(_COLUMNS)!r} found")
    return records
