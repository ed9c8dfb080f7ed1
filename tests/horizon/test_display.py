"""What the screening pages show of a record: its language as a BCP 47 tag."""

from __future__ import annotations

import pytest

from nonpro.horizon.display import language_tag


@pytest.mark.parametrize(
    ("written", "tag"),
    [
        ("eng", "en"),  # PubMed: ISO 639-2/B
        ("ger", "de"),
        ("chi", "zh"),
        ("jpn", "ja"),
        ("English", "en"),  # RIS LA: a name
        ("French", "fr"),
        ("ru", "ru"),
        ("en-GB", "en"),
        ("zh_Hans", "zh"),
        ("", "en"),  # most untagged records are English
        ("Klingonese", "en"),
    ],
)
def test_a_records_language_becomes_the_tag_of_its_lang_attribute(written: str, tag: str) -> None:
    assert language_tag(written) == tag
