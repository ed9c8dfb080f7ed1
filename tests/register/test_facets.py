"""The register home: search box, ranked results with highlighted excerpts, and facet counts per role.

Counts come only from parts the viewer may see: a domain, control list or obligation counts only
where the classification is visible, a concern level only where the assessment is. All texts are
synthetic and policy-level ("Synthetic example: …"); markers are made-up words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.models import Entry
from tests.register.conftest import SCORES, Draft, People

REASON = "Synthetic example: a policy-level reason."
LOW = {**SCORES, "control-coverage": 2}  # the rubric gives "low" (as in test_pages)
HIGH = {
    **dict.fromkeys(SCORES, 3),
    "control-coverage": 0,
}  # the rubric gives "critical"

Published = Callable[..., Entry]


@dataclass
class Register:
    open: Entry  # classification and assessment PUBLIC: biological, AG-PATHOGENS, OP2, low
    committee: Entry  # classification and assessment COMMITTEE: chemical, CWC-S2, OP1, critical
    restricted: Entry  # classification RESTRICTED (the learner holds a grant): nuclear, NSG-1, OP3a
    draft: Entry  # the author's draft: chemical


@pytest.fixture
def register(published: Published, draft: Draft, people: People) -> Register:
    def public(entry: Entry, *parts: str) -> Entry:
        for part in parts:
            entry = services.entry_set_tier(entry=entry, field=part, tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
        return entry

    open_entry = published(
        title="Synthetic example: an open Skarrow development",
        domains=["biological"],
        control_lists=["AG-PATHOGENS"],
        obligations=["OP2"],
        concern_scores=LOW,
    )
    open_entry = public(open_entry, "classification", "assessment")
    committee = published(
        title="Synthetic example: a Skarrow development classified for the committee",
        details="Synthetic example: committee notes naming Velmont.",
        concern_scores=HIGH,
    )
    restricted = published(
        title="Synthetic example: a third development",
        domains=["nuclear"],
        control_lists=["NSG-1"],
        obligations=["OP3a"],
    )
    restricted = services.entry_set_tier(
        entry=restricted, field="classification", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=restricted, user=people.learner, reason="Synthetic example: need to know.",
        expires_at=timezone.now() + timedelta(days=3), granted_by=people.analyst,
    )  # fmt: skip
    return Register(open=open_entry, committee=committee, restricted=restricted, draft=draft())


def page(client: Client, query: str = "", language: str = "en") -> str:
    with translation.override(language):
        path = reverse("register:index")
    response = client.get(path + query)
    assert response.status_code == 200
    return response.content.decode()


def as_user(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count(html: str, name: str, value: str) -> int | None:
    """Return the count shown for ``value`` in the ``name`` select, or None when the option is absent."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if select is None:
        return None
    option = re.search(rf'<option value="{re.escape(value)}"[^>]*>[^<]*\((\d+)\)</option>', select.group(1))
    return int(option.group(1)) if option else None


def listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]*">(RSD-[0-9]{4}-[0-9]+)</a>', html)


YEAR = str(timezone.now().year)


def test_anonymous_counts_only_public_classifications_and_assessments(client: Client, register: Register) -> None:
    html = page(client)

    assert count(html, "domain", "biological") == 1
    assert count(html, "domain", "chemical") == 0  # committee's classification; the draft is hidden
    assert count(html, "domain", "nuclear") == 0  # restricted
    assert count(html, "control_list", "AG-PATHOGENS") == 1
    assert count(html, "control_list", "CWC-S2") == 0
    assert count(html, "control_list", "NSG-1") == 0
    assert count(html, "obligation", "OP2") == 1
    assert count(html, "obligation", "OP1") == 0
    assert count(html, "obligation", "OP3a") == 0
    assert count(html, "concern", "low") == 1
    assert count(html, "concern", "critical") == 0
    assert count(html, "year", YEAR) == 3
    assert 'name="status"' not in html
    assert listed(page(client, "?control_list=CWC-S2")) == []
    assert listed(page(client, "?obligation=OP2")) == [register.open.rsd_id]
    assert set(listed(page(client, f"?year={YEAR}"))) == {
        register.open.rsd_id,
        register.committee.rsd_id,
        register.restricted.rsd_id,
    }
    assert listed(page(client, "?year=1999")) == []


def test_anonymous_counts_are_reused_until_the_register_changes(
    client: Client, register: Register, people: People
) -> None:
    assert count(page(client), "domain", "chemical") == 0
    with CaptureQueriesContext(connection) as queries:
        assert count(page(client), "domain", "chemical") == 0
    assert not any("json_each" in query["sql"] or "jsonb_array" in query["sql"] for query in queries)

    services.entry_set_tier(
        entry=register.committee, field="classification", tier=Tier.PUBLIC, reason=REASON, by=people.analyst
    )

    assert count(page(client), "domain", "chemical") == 1  # a write makes a new key: counted again
    assert count(page(as_user(people.analyst)), "domain", "chemical") == 2  # signed in: never from the cache


def test_analyst_counts_committee_parts_and_statuses_but_not_restricted_ones(
    register: Register, people: People
) -> None:
    html = page(as_user(people.analyst))

    assert count(html, "domain", "chemical") == 2  # the committee entry and the draft
    assert count(html, "domain", "nuclear") == 0  # no grant, no count
    assert count(html, "control_list", "CWC-S2") == 2
    assert count(html, "control_list", "NSG-1") == 0
    assert count(html, "obligation", "OP3a") == 0
    assert count(html, "concern", "critical") == 1
    assert count(html, "year", YEAR) == 4
    assert count(html, "status", "draft") == 1
    assert count(html, "status", "published") == 3
    assert set(listed(page(as_user(people.analyst), "?control_list=CWC-S2&status=published"))) == {
        register.committee.rsd_id
    }


def test_a_grant_holder_counts_the_restricted_classification(register: Register, people: People) -> None:
    html = page(as_user(people.learner))

    assert count(html, "domain", "nuclear") == 1
    assert count(html, "control_list", "NSG-1") == 1
    assert count(html, "obligation", "OP3a") == 1
    assert count(html, "domain", "chemical") == 0
    assert listed(page(as_user(people.learner), "?obligation=OP3a")) == [register.restricted.rsd_id]


def test_facets_combine_with_the_search(client: Client, register: Register, people: People) -> None:
    html = page(client, "?q=skarrow")
    assert set(listed(html)) == {register.open.rsd_id, register.committee.rsd_id}
    assert count(html, "domain", "biological") == 1
    assert count(html, "domain", "chemical") == 0
    assert count(html, "year", YEAR) == 2
    assert listed(page(client, "?q=skarrow&domain=biological")) == [register.open.rsd_id]

    analyst = page(as_user(people.analyst), "?q=skarrow")
    assert count(analyst, "domain", "chemical") == 1  # the committee entry; the draft does not match
    assert count(analyst, "concern", "critical") == 1


def test_a_committee_only_word_gives_no_hit_no_count_and_no_snippet(
    client: Client, register: Register, people: People
) -> None:
    for viewer in (client, as_user(people.learner), as_user(people.author)):
        html = page(viewer, "?q=velmont")
        assert listed(html) == []
        assert "Velmont" not in html
        assert "0 entries found." in html
        assert count(html, "year", YEAR) is None  # no year offered at all
        assert count(html, "domain", "biological") == 0
    assert listed(page(client, "?q=skarrow+velmont")) == []
    html = page(as_user(people.analyst), "?q=velmont")
    assert listed(html) == [register.committee.rsd_id]
    assert "<mark>Velmont</mark>" in html
    assert listed(page(as_user(people.analyst), "?q=skarrow+velmont")) == [register.committee.rsd_id]


def test_results_are_ranked_and_excerpts_highlighted_and_escaped(client: Client, published: Published) -> None:
    in_summary = published(summary="Synthetic example: <b>Orrin</b> matters for resolution 1540.")
    in_title = published(title="Synthetic example: the Orrin development")

    html = page(client, "?q=orrin")
    assert listed(html) == [in_title.rsd_id, in_summary.rsd_id]
    assert "best match first" in html
    assert "&lt;b&gt;<mark>Orrin</mark>&lt;/b&gt;" in html
    assert "<b>Orrin</b>" not in html
    assert 'value="orrin"' in html  # the search box keeps the query


@pytest.mark.parametrize("q", ['"', "*", "%27", "%00", "(", "x" * 300])
def test_searches_without_words_render_an_empty_result(client: Client, register: Register, q: str) -> None:
    html = page(client, f"?q={q}")
    assert listed(html) == []
    assert "No entry matches this search." in html


@pytest.mark.parametrize("q", ["AND (", "NEAR(", "skarrow OR", "title:skarrow", "skarrow*"])
def test_query_syntax_is_read_as_words(client: Client, register: Register, q: str) -> None:
    html = page(client, f"?q={q}")  # no error: operators are words like any other
    if q == "skarrow*":
        assert set(listed(html)) == {register.open.rsd_id, register.committee.rsd_id}


def test_the_search_works_in_arabic_and_chinese_pages(client: Client, published: Published) -> None:
    entry = published(
        translations={
            "ar": {"title": "مثال اصطناعي: تطور علمي جديد", "summary": "مثال اصطناعي: ملخص."},
            "zh-hans": {"title": "合成示例：新的科学发展", "summary": "合成示例：摘要。"},
        }
    )
    arabic = page(client, "?q=%D8%B9%D9%84%D9%85%D9%8A", language="ar")  # علمي
    assert listed(arabic) == [entry.rsd_id]
    assert 'dir="rtl"' in arabic
    chinese = page(client, "?q=%E7%A7%91%E5%AD%A6", language="zh-hans")  # 科学
    assert listed(chinese) == [entry.rsd_id]


def test_propose_link_for_those_who_may_propose(client: Client, people: People, db: None) -> None:
    try:
        with translation.override("en"):
            propose = reverse("register:propose")
    except NoReverseMatch:  # pragma: no cover - the proposal form is another part of issue 4
        pytest.skip("no proposal form yet")
    assert f'href="{propose}"' not in page(client)
    assert f'href="{propose}"' not in page(as_user(people.learner))
    assert f'href="{propose}"' in page(as_user(people.other_expert))


def test_searching_adds_no_query_per_listed_entry(client: Client, published: Published) -> None:
    for n in range(6):
        published(title=f"Synthetic example: Brennic number {n}")

    with CaptureQueriesContext(connection) as browsing:
        assert len(listed(page(client))) == 6
    with CaptureQueriesContext(connection) as searching:
        assert len(listed(page(client, "?q=brennic"))) == 6
    # The search runs inside the listing's own queries; excerpts come from what each row already read.
    assert len(searching.captured_queries) <= len(browsing.captured_queries) + 1
