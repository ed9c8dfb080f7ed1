"""The "new trends" report: HTML and PDF, per role, in the reader's language, never RESTRICTED content."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from nonpro.core.grants import need_to_know_grant
from nonpro.register.report import last_quarter, local_url_fetcher
from nonpro.register.trend_notes import trend_note_submit
from tests.conftest import MakeUser
from tests.register.conftest import Draft, People
from tests.register.test_digests import publish

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "learner", "official", "expert", "reviewer", "analyst", "administrator"]
#: Who sees COMMITTEE parts of a published entry: analysts (and the reviewers assigned to it).
COMMITTEE_READERS = {"analyst", "reviewer"}


def _url(name: str = "register:report", language: str = "en", **query: str) -> str:
    with override(language):
        url = reverse(name)
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def _today() -> dict[str, str]:
    today = timezone.now().date()
    return {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()}


#: The person of ``people`` who plays each role ("expert": an expert who wrote none of the entries).
PERSON = {"expert": "other_expert"}


def _client(people: People, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(people.user(PERSON.get(role, role)))
    return client


@pytest.fixture
def entries(people: People, draft: Draft) -> dict[str, Any]:
    """Two published entries: one with a PUBLIC classification, one whose classification and summary are COMMITTEE."""
    open_entry = publish(
        people,
        draft,
        public=("title", "summary", "classification", "assessment"),
        domains=["nuclear"],
        control_lists=["NSG-1"],
    )
    closed_entry = publish(
        people,
        draft,
        public=("title",),
        domains=["biological"],
        control_lists=["AG-PATHOGENS"],
        summary="Synthetic example: committee wording ocelot on the controls that apply.",
    )
    return {"open": open_entry, "closed": closed_entry}


@pytest.mark.parametrize("role", ROLES)
def test_the_report_shows_each_role_what_it_may_see(people: People, entries: dict[str, Any], role: str) -> None:
    note = trend_note_submit(
        by=people.other_expert,
        domain="biological",
        title="Synthetic example: trend note title marmot",
        body="Synthetic example: why the trend matters for resolution 1540.",
        language="en",
    )
    assert note.pk

    response = _client(people, role).get(_url(**_today()))

    assert response.status_code == 200
    page = response.content.decode()
    assert entries["open"].rsd_id in page
    assert entries["closed"].rsd_id in page  # published: the entry itself is public
    assert "2 new entries were published" in page
    assert "NSG Part 1: Trigger List" in page
    if role in COMMITTEE_READERS:
        assert "ocelot" in page
        assert "Human and animal pathogens and toxins" in page
    else:
        assert "ocelot" not in page
        assert "Human and animal pathogens and toxins" not in page  # the closed entry's control lists are COMMITTEE
        assert "Other entries" in page  # its domain is not shown: listed apart
    if role == "analyst":
        assert "marmot" in page
        assert "Trend notes from experts" in page
    else:
        assert "marmot" not in page
        assert "Trend notes from experts" not in page


def test_the_counts_follow_the_visible_classification(people: People, entries: dict[str, Any]) -> None:
    anonymous = Client().get(_url(**_today())).content.decode()
    analyst = _client(people, "analyst").get(_url(**_today())).content.decode()

    def biological_count(page: str) -> str:
        table = page.split("New entries per domain</caption>")[1].split("</table>", maxsplit=1)[0]
        row = re.search(r"<th scope=\"row\">Biological</th><td>(\d+)</td>", table)
        assert row is not None
        return row.group(1)

    assert biological_count(anonymous) == "0"
    assert biological_count(analyst) == "1"


def test_restricted_parts_stay_out_even_for_grant_holders(people: People, draft: Draft) -> None:
    entry = publish(
        people,
        draft,
        public=("title", "classification"),
        restricted=("summary",),
        summary="Synthetic example: restricted wording narwhal, policy level.",
    )
    need_to_know_grant(
        obj=entry,
        user=people.analyst,
        reason="Synthetic example: assesses the entry.",
        expires_at=timezone.now() + timedelta(days=10),
        granted_by=people.analyst2,
    )

    page = _client(people, "analyst").get(_url(**_today())).content.decode()

    assert entry.rsd_id in page
    assert "narwhal" not in page


def test_the_default_period_is_the_last_quarter(client: Client) -> None:
    response = client.get(_url())

    assert response.status_code == 200
    start, end = last_quarter(timezone.now().date())
    page = response.content.decode()
    assert f'value="{start.isoformat()}"' in page
    assert f'value="{end.isoformat()}"' in page
    assert last_quarter(date(2026, 11, 28)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert last_quarter(date(2026, 2, 1)) == (date(2025, 10, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "The end of the period comes on or after its start."),
        ({"start": "2026-13-45", "end": "2026-04-01"}, "Enter a valid date."),
        ({"start": "2020-01-01", "end": "2026-04-01"}, "A report covers at most three years."),
        ({"start": "2026-01-01", "end": ""}, "This field is required."),
    ],
)
def test_a_bad_period_is_shown_with_a_clear_error(client: Client, query: dict[str, str], message: str) -> None:
    response = client.get(_url(**query))

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{query["start"]}"' in page, "the input is kept"
    assert "new entries were published" not in page

    pdf = client.get(_url("register:report_pdf", **query))
    assert pdf.status_code == 400
    assert pdf["Content-Type"].startswith("text/html")


def _pdf_text(pdf: bytes) -> bytes:
    """Return the PDF's bytes with every deflated stream inflated (font names live in object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


@pytest.mark.parametrize("role", ["anonymous", "analyst"])
def test_the_pdf_is_served_inline(people: People, entries: dict[str, Any], role: str) -> None:
    response = _client(people, role).get(_url("register:report_pdf", **_today()))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    today = _today()
    assert response["Content-Disposition"] == (
        f'inline; filename="nonpro-trends-{today["start"]}-{today["end"]}-en.pdf"'
    )
    if role == "analyst":
        assert response["Cache-Control"] == "no-store, private"
    assert b"DejaVu" in _pdf_text(response.content)


def test_the_arabic_pdf_embeds_a_font_with_arabic(people: People, entries: dict[str, Any]) -> None:
    response = Client().get(_url("register:report_pdf", language="ar", **_today()))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].endswith('-ar.pdf"')
    text = _pdf_text(response.content)
    assert b"+DejaVu-Sans" in text
    assert b"<0627>" in text, "the font's character map holds Arabic letters (alef: the domain labels in Arabic)"
    assert b"WenQuanYi" not in text


def test_the_chinese_pdf_embeds_a_cjk_font(people: People, entries: dict[str, Any]) -> None:
    response = Client().get(_url("register:report_pdf", language="zh-hans", **_today()))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert b"+WenQuanYi-Micro-Hei" in text
    assert b"<6838>" in text, "the character map holds CJK characters (the domain label for nuclear)"


def test_the_html_page_links_the_pdf_and_is_translated(make_user: MakeUser) -> None:
    page = Client().get(_url(language="ar")).content.decode()

    assert 'dir="rtl"' in page
    assert "/ar/register/report.pdf?start=" in page


def test_the_pdf_renderer_refuses_the_network() -> None:
    fetcher = local_url_fetcher()
    for url in ("http://example.invalid/style.css", "https://example.invalid/font.woff", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="local files only"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


def test_a_report_channel_callable_is_denied_to_nobody(persona_client: Callable[[str], Client]) -> None:
    for persona in ("anonymous", "learner", "official_b", "administrator"):
        assert persona_client(persona).get(_url()).status_code == 200
