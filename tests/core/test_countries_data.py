"""Tests for the Django-free loader of UN Member States and observer States."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pycountry
import pytest

from nonpro.core import countries_data
from nonpro.core.countries_data import LANGUAGES, REGIONAL_GROUPS, CountryRecord, load_country_records

# Member States per UN regional group, as listed by the UN Department for General Assembly and Conference Management
# ("Regional groups of Member States", https://www.un.org/dgacm/en/content/regional-groups), with the special cases
# described by the UN Dag Hammarskjöld Library (https://ask.un.org/faq/14521):
# - Asia-Pacific: 54 = DGACM's list including Kiribati, without Türkiye (counted in WEOG).
# - WEOG: 29 = its 28 members (including Türkiye and Israel) plus the United States, which is in no group but
#   attends WEOG as an observer and is considered a WEOG member for electoral purposes.
# The two observer States (State of Palestine in Asia-Pacific, Holy See in none) are not counted here.
MEMBER_COUNT_PER_GROUP = {
    "african": 54,
    "asia-pacific": 54,
    "eastern-european": 23,
    "latin-american-caribbean": 33,
    "western-european-other": 29,
}

ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
CJK_CHARACTER = re.compile(r"[\u4E00-\u9FFF]")

HEADER = "alpha2,status,regional_group,note\n"


@pytest.fixture(scope="module")
def records() -> list[CountryRecord]:
    """Load the shipped CSV once for the module."""
    return load_country_records()


@pytest.fixture(scope="module")
def by_alpha2(records: list[CountryRecord]) -> dict[str, CountryRecord]:
    """Index the shipped records by alpha-2 code."""
    return {record.alpha2: record for record in records}


def _write_csv(tmp_path: Path, body: str) -> Path:
    """Write a small CSV with a comment line and the header, then ``body``."""
    path = tmp_path / "countries.csv"
    path.write_text("# test data\n" + HEADER + body, encoding="utf-8")
    return path


def test_there_are_195_records_sorted_by_alpha2(records: list[CountryRecord]) -> None:
    assert len(records) == 195
    codes = [record.alpha2 for record in records]
    assert codes == sorted(codes)
    assert len(set(codes)) == 195


def test_193_members_and_two_observers(records: list[CountryRecord]) -> None:
    statuses = Counter(record.status for record in records)
    assert statuses == {"member": 193, "observer": 2}
    assert {record.alpha2 for record in records if record.status == "observer"} == {"PS", "VA"}


def test_member_count_per_group_matches_dgacm(records: list[CountryRecord]) -> None:
    counts = Counter(record.regional_group for record in records if record.status == "member")
    assert counts == MEMBER_COUNT_PER_GROUP
    assert sum(MEMBER_COUNT_PER_GROUP.values()) == 193


def test_every_group_value_is_allowed(records: list[CountryRecord]) -> None:
    assert {record.regional_group for record in records} <= set(REGIONAL_GROUPS)


@pytest.mark.parametrize(
    ("alpha2", "group"),
    [
        ("US", "western-european-other"),
        ("TR", "western-european-other"),
        ("IL", "western-european-other"),
        ("KI", "asia-pacific"),
        ("CY", "asia-pacific"),
        ("PS", "asia-pacific"),
        ("VA", "none"),
    ],
)
def test_special_cases_have_their_group_and_a_note(
    by_alpha2: dict[str, CountryRecord], alpha2: str, group: str
) -> None:
    record = by_alpha2[alpha2]
    assert record.regional_group == group
    assert record.note


def test_ordinary_rows_have_no_note(by_alpha2: dict[str, CountryRecord]) -> None:
    assert by_alpha2["FR"].note == ""
    assert by_alpha2["KZ"].note == ""


def test_every_record_has_a_name_in_all_six_languages(records: list[CountryRecord]) -> None:
    for record in records:
        assert tuple(record.names) == LANGUAGES, record.alpha2
        for language in LANGUAGES:
            assert record.names[language].strip(), (record.alpha2, language)
        assert ARABIC_LETTER.search(record.names["ar"]), record.alpha2
        assert CJK_CHARACTER.search(record.names["zh-hans"]), record.alpha2


def test_names_come_from_cldr(by_alpha2: dict[str, CountryRecord]) -> None:
    kazakhstan = by_alpha2["KZ"].names
    assert kazakhstan["en"] == "Kazakhstan"
    assert kazakhstan["ru"] == "Казахстан"
    assert kazakhstan["zh-hans"] == "哈萨克斯坦"


@pytest.mark.parametrize(
    ("alpha2", "alpha3", "numeric"),
    [("KZ", "KAZ", "398"), ("AF", "AFG", "004"), ("VA", "VAT", "336"), ("PS", "PSE", "275"), ("US", "USA", "840")],
)
def test_codes_come_from_pycountry(by_alpha2: dict[str, CountryRecord], alpha2: str, alpha3: str, numeric: str) -> None:
    record = by_alpha2[alpha2]
    assert (record.alpha3, record.numeric) == (alpha3, numeric)
    country = pycountry.countries.get(alpha_2=alpha2)
    assert country is not None
    assert (country.alpha_3, country.numeric) == (alpha3, numeric)


def test_every_numeric_code_has_three_digits(records: list[CountryRecord]) -> None:
    assert all(re.fullmatch(r"\d{3}", record.numeric) for record in records)


def test_records_are_frozen_and_hashable(by_alpha2: dict[str, CountryRecord]) -> None:
    record = by_alpha2["KZ"]
    with pytest.raises(AttributeError):
        record.alpha2 = "XX"  # type: ignore[misc]
    assert hash(record) == hash(by_alpha2["KZ"])


def test_small_valid_file_loads_with_comments_and_quoted_note(tmp_path: Path) -> None:
    path = _write_csv(tmp_path, 'KZ,member,asia-pacific,\n# another comment\n\nVA,observer,none,"a, b"\n')
    loaded = load_country_records(path)
    assert [record.alpha2 for record in loaded] == ["KZ", "VA"]
    assert loaded[1].note == "a, b"


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("KZ,member,asia-pacific,\nXX,member,african,\n", 4, "unknown alpha2"),
        ("kz,member,asia-pacific,\n", 3, "unknown alpha2"),
        ("KZ,member,asia-pacific,\nFR,associate,western-european-other,\n", 4, "bad status"),
        ("KZ,member,asian,\n", 3, "bad regional_group"),
        (
            "KZ,member,asia-pacific,\nFR,member,western-european-other,\nKZ,member,asia-pacific,\n",
            5,
            "duplicate alpha2",
        ),
        ("KZ,member,asia-pacific\n", 3, "expected 4 columns"),
    ],
)
def test_invalid_rows_report_the_line_number(tmp_path: Path, body: str, line: int, reason: str) -> None:
    path = _write_csv(tmp_path, body)
    with pytest.raises(ValueError, match=rf"line {line}: {reason}"):
        load_country_records(path)


def test_bad_header_reports_the_line_number(tmp_path: Path) -> None:
    path = tmp_path / "countries.csv"
    path.write_text("# comment\ncode,status,group,note\nKZ,member,asia-pacific,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: expected header"):
        load_country_records(path)


def test_file_without_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "countries.csv"
    path.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no header"):
        load_country_records(path)


class _LocaleWithoutNames:
    """Stand in for a Babel locale whose CLDR data has no territory names."""

    territories: ClassVar[dict[str, str]] = {}


def test_missing_cldr_name_reports_the_line_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_locales = countries_data._locales()

    def locales_missing_french() -> dict[str, object]:
        return {**real_locales, "fr": _LocaleWithoutNames()}

    monkeypatch.setattr(countries_data, "_locales", locales_missing_french)
    path = _write_csv(tmp_path, "KZ,member,asia-pacific,\n")
    with pytest.raises(ValueError, match=r"line 3: missing CLDR name for 'KZ' in 'fr'"):
        load_country_records(path)
