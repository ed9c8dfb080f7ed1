"""Full-text search of the register: only what the viewer may see, in six languages, on SQLite and PostgreSQL.

All texts are synthetic and policy-level ("Synthetic example: …"); markers are made-up words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nonpro.accounts.tokens import token_create
from nonpro.core.grants import need_to_know_grant
from nonpro.core.policy import Tier
from nonpro.register import services
from nonpro.register.models import Entry, EntrySearchDocument
from nonpro.register.search import parse_query, search_entries
from nonpro.register.snippets import search_snippets
from tests.register.conftest import SCORES, Draft, People, review_round, to_review

REASON = "Synthetic example: a policy-level reason."
BASE = "/api/v1/register/entries"
#: Made-up words, each placed in one part only.
IN_DETAILS = "Quorvex"
IN_RATIONALE = "Blenthar"
IN_SOURCES = "Plivvet"
IN_ALIAS = "PLV-7731"
BELOW_COMMITTEE = ["anonymous", "learner", "official", "administrator", "other_expert", "author", "outsider_reviewer"]
COMMITTEE = ["analyst", "reviewer"]
HOSTILE = [
    '"',
    "*",
    "AND (",
    "OR",
    "NEAR(a b",
    "title:x",
    "'",
    "\\",
    ":*",
    "!&|",
    "-",
    "^abc",
    '"unbalanced',
    "a' | 'b",
    "()",
    "{}",
    "\x00",
    "%_",
    "NOT",
    "😀",
    "x" * 5000,
    " ".join(["word"] * 300),
]

Published = Callable[..., Entry]


def found(people: People, viewer: str, q: str, **kwargs: Any) -> set[str]:
    return {entry.rsd_id for entry in search_entries(people.viewer(viewer), q, **kwargs)}


def marked_entry(published: Published) -> Entry:
    """Publish an entry with public title and summary, and a marker in each COMMITTEE part."""
    return published(
        details=f"Synthetic example: committee notes on {IN_DETAILS} and the controls that apply.",
        concern_scores=SCORES,
        concern_rationale=f"Synthetic example: a rationale naming {IN_RATIONALE}.",
        sources=[{"type": "report", "citation": f"Synthetic example: a report by the {IN_SOURCES} institute."}],
        aliases=[IN_ALIAS],
    )


# --- visibility ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", BELOW_COMMITTEE)
def test_words_only_in_committee_parts_give_no_hit_below_the_tier(
    published: Published, people: People, viewer: str
) -> None:
    entry = marked_entry(published)

    for word in (IN_DETAILS, IN_RATIONALE, IN_SOURCES, IN_ALIAS, "committee"):
        assert found(people, viewer, word) == set(), word
        assert search_entries(people.viewer(viewer), word).count() == 0
        assert search_snippets(people.viewer(viewer), entry, word, "en") == []
    assert found(people, viewer, "enabling") == {entry.rsd_id}  # the public title


@pytest.mark.parametrize("viewer", COMMITTEE)
def test_words_in_committee_parts_are_found_by_the_committee(published: Published, people: People, viewer: str) -> None:
    entry = marked_entry(published)

    for word in (IN_DETAILS, IN_RATIONALE, IN_SOURCES, IN_ALIAS, IN_DETAILS.upper(), IN_DETAILS[:5].lower()):
        assert found(people, viewer, word) == {entry.rsd_id}, word
    snippets = search_snippets(people.viewer(viewer), entry, IN_DETAILS.lower(), "en")
    assert any(f"<mark>{IN_DETAILS}</mark>" in snippet for snippet in snippets)


def test_words_in_a_restricted_part_are_found_by_grant_holders_only(published: Published, people: People) -> None:
    entry = marked_entry(published)
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=entry, user=people.learner, reason="Synthetic example: need to know.",
        expires_at=timezone.now() + timedelta(days=3), granted_by=people.analyst,
    )  # fmt: skip

    assert found(people, "learner", IN_DETAILS) == {entry.rsd_id}
    assert any(IN_DETAILS in snippet for snippet in search_snippets(people.viewer("learner"), entry, IN_DETAILS, "en"))
    for viewer in ("analyst", "reviewer", "anonymous", "administrator", "author"):
        assert found(people, viewer, IN_DETAILS) == set(), viewer
        assert search_snippets(people.viewer(viewer), entry, IN_DETAILS, "en") == []
    # The learner sees no COMMITTEE part: the rationale stays hidden from them.
    assert found(people, "learner", IN_RATIONALE) == set()
    assert found(people, "analyst", IN_RATIONALE) == {entry.rsd_id}


def test_a_grant_without_an_assignment_opens_no_part_of_an_unpublished_entry(draft: Draft, people: People) -> None:
    """The entry's tier and the part's tier must both be reached (a reviewer's RESTRICTED reach is
    their grants, their COMMITTEE reach their assignments: no single "effective" tier decides)."""
    entry = to_review(draft(details=f"Synthetic example: {IN_DETAILS} notes."), people)
    entry = services.entry_set_tier(
        entry=entry, field="details", tier=Tier.RESTRICTED, reason=REASON, by=people.analyst
    )
    need_to_know_grant(
        obj=entry, user=people.outsider_reviewer, reason="Synthetic example: need to know.",
        expires_at=timezone.now() + timedelta(days=3), granted_by=people.analyst,
    )  # fmt: skip

    assert found(people, "outsider_reviewer", IN_DETAILS) == set()  # granted, but not assigned
    assert found(people, "outsider_reviewer", entry.rsd_id) == set()


def test_every_word_must_appear_in_a_part_the_viewer_sees(published: Published, people: People) -> None:
    entry = marked_entry(published)

    assert found(people, "anonymous", "enabling resolution") == {entry.rsd_id}  # title and summary
    assert found(people, "anonymous", f"enabling {IN_DETAILS}") == set()  # one word only in a hidden part
    assert found(people, "analyst", f"enabling {IN_DETAILS} {IN_RATIONALE}") == {entry.rsd_id}
    assert found(people, "analyst", "enabling Nonexistentword") == set()


def test_unpublished_entries_are_found_by_those_who_see_them(draft: Draft, people: People) -> None:
    entry = draft(title="Synthetic example: a draft about Trelkin")

    assert found(people, "author", "trelkin") == {entry.rsd_id}
    assert found(people, "analyst", "trelkin") == {entry.rsd_id}
    for viewer in ("anonymous", "other_expert", "reviewer", "learner"):
        assert found(people, viewer, "trelkin") == set(), viewer


def test_a_base_queryset_narrows_but_never_widens(published: Published, people: People) -> None:
    first = published(title="Synthetic example: Ondrel first")
    second = published(title="Synthetic example: Ondrel second")
    anonymous = people.viewer("anonymous")

    assert found(people, "anonymous", "ondrel") == {first.rsd_id, second.rsd_id}
    narrowed = search_entries(anonymous, "ondrel", base=Entry.objects.filter(pk=first.pk))
    assert [entry.rsd_id for entry in narrowed] == [first.rsd_id]
    marked = marked_entry(published)
    assert not search_entries(anonymous, IN_DETAILS, base=Entry.objects.all()).exists()
    assert list(search_entries(people.viewer("analyst"), IN_DETAILS, base=Entry.objects.all())) == [marked]


# --- six languages ---------------------------------------------------------------------------------------

TRANSLATIONS = {
    "fr": {
        "title": "Exemple synthétique : une technique habilitante nouvelle",
        "summary": "Exemple synthétique : pourquoi cela compte pour la résolution 1540.",
    },
    "es": {
        "title": "Ejemplo sintético: una técnica facilitadora nueva",
        "summary": "Ejemplo sintético: por qué importa para la resolución 1540.",
    },
    "ru": {
        "title": "Синтетический пример: новая технология двойного назначения",
        "summary": "Синтетический пример: почему это важно для резолюции 1540.",
    },
    "ar": {
        "title": "مثال اصطناعي: تقنية تمكينية جديدة",
        "summary": "مثال اصطناعي: لماذا يهم هذا القرار 1540.",
    },
    "zh-hans": {
        "title": "合成示例：一种新的使能技术",
        "summary": "合成示例：为什么这对第1540号决议很重要。",
    },
}
#: A query per language that only the title in that language holds, and variants that must match too.
QUERIES = {
    "en": ["enabling", "ENABLING technique", "enabl"],
    "fr": ["habilitante", "synthétique habilitante", "SYNTHETIQUE"],
    "es": ["facilitadora", "técnica", "tecnica FACILITADORA"],
    "ru": ["технология", "ТЕХНОЛОГИЯ двойного", "назначени"],
    "ar": ["تمكينية", "تَمْكِينِيَّة", "تقنية تمكينية"],
    "zh-hans": ["使能", "使能技术", "合成示例", "技"],
}


@pytest.fixture
def multilingual(published: Published) -> Entry:
    return published(translations=TRANSLATIONS)


@pytest.mark.parametrize("language", sorted(QUERIES))
def test_a_public_title_is_found_in_each_language(multilingual: Entry, people: People, language: str) -> None:
    for q in QUERIES[language]:
        assert found(people, "anonymous", q) == {multilingual.rsd_id}, q
        assert found(people, "anonymous", q, language=language) == {multilingual.rsd_id}, q
        # The title in the page language is shown as the row's title; its translations give excerpts.
        other = "fr" if language == "en" else "en"
        snippets = search_snippets(people.viewer("anonymous"), multilingual, q, other)
        assert snippets, q
        assert "<mark>" in "".join(snippets), q


def test_words_absent_from_every_language_match_nothing(multilingual: Entry, people: People) -> None:
    for q in ("核能", "ядерн", "نووي", "inexistante", "enabling nuclear", "ha"):
        assert found(people, "anonymous", q) == set(), q


def test_snippets_carry_their_language_and_direction(multilingual: Entry, people: People) -> None:
    [arabic] = search_snippets(people.viewer("anonymous"), multilingual, "تمكينية", "en")
    assert arabic.startswith('<span lang="ar" dir="rtl">')
    assert "<mark>تمكينية</mark>" in arabic
    [chinese] = search_snippets(people.viewer("anonymous"), multilingual, "使能", "en")
    assert chinese.startswith('<span lang="zh-hans" dir="ltr">')
    assert "<mark>使能</mark>" in chinese


def test_the_query_is_reduced_to_quoted_words() -> None:
    assert [term.text for term in parse_query('Ünïcode AND (title:x) "near"*')] == [
        "unicode",
        "and",
        "title",
        "x",
        "near",
    ]
    assert [term.text for term in parse_query("核安全")] == ["核安", "安全"]
    assert parse_query('" * ( ) :') == []


# --- hostile input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_do_not_raise(multilingual: Entry, people: People, q: str) -> None:
    for viewer in ("anonymous", "analyst"):
        results = search_entries(people.viewer(viewer), q)
        assert results.count() == len(list(results))
        search_snippets(people.viewer(viewer), multilingual, q, "ar")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=60))
def test_any_text_is_a_safe_query(multilingual: Entry, people: People, q: str) -> None:
    results = search_entries(people.viewer("analyst"), q, language="ru")
    assert len(list(results)) == results.count()
    for snippet in search_snippets(people.viewer("analyst"), multilingual, q, "fr"):
        assert "<script" not in snippet


def test_snippets_escape_the_text_and_mark_the_match(published: Published, people: People) -> None:
    entry = published(summary="Synthetic example: <script>alert(1)</script> Zindral & why it matters.")

    [snippet] = search_snippets(people.viewer("anonymous"), entry, "zindral", "en")
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>Zindral</mark> &amp; why" in snippet


# --- what is indexed, and when ---------------------------------------------------------------------------


def test_a_pending_edit_is_not_searchable_until_it_is_published(published: Published, people: People) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, by=people.analyst,
        changes={"title": "Synthetic example: a revised Vextrano title", "details": "Synthetic example: Vextrano."},
    )  # fmt: skip

    for viewer in ("anonymous", "analyst", "reviewer", "author"):
        assert found(people, viewer, "vextrano") == set(), viewer
    assert found(people, "anonymous", "enabling") == {entry.rsd_id}  # the published title
    assert not EntrySearchDocument.objects.filter(text__contains="vextrano").exists()

    entry = services.entry_submit(entry=entry, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    entry = review_round(entry, people)
    entry = services.entry_set_tier(
        entry=entry, field="title", tier="public", reason=REASON, by=people.analyst, pending=True
    )
    services.entry_publish(entry=entry, by=people.analyst)

    assert found(people, "anonymous", "vextrano") == {entry.rsd_id}  # the new public title
    assert found(people, "anonymous", "enabling") == set()  # the old title is gone
    assert found(people, "analyst", "vextrano") == {entry.rsd_id}


def assert_tiers_copied(entry: Entry) -> None:
    """Every index row of ``entry`` carries the entry's current tier and its part's (decision 0008)."""
    entry.refresh_from_db()
    rows = list(EntrySearchDocument.objects.filter(entry=entry).values_list("part", "entry_tier", "part_tier"))
    assert rows
    for part, entry_tier, part_tier in rows:
        assert entry_tier == entry.policy_tier(None), part
        assert part_tier == (entry_tier if part == "record" else entry.tier_of(part)), part


def test_every_write_reindexes_the_entry(draft: Draft, people: People) -> None:
    entry = draft(title="Synthetic example: Trelkin title", details="Synthetic example: Morvane notes.")
    assert found(people, "analyst", "trelkin") == {entry.rsd_id}
    assert_tiers_copied(entry)

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, by=people.author,
        changes={"title": "Synthetic example: Dastrow title"},
    )  # fmt: skip
    assert found(people, "analyst", "trelkin") == set()
    assert found(people, "analyst", "dastrow") == {entry.rsd_id}

    entry = to_review(entry, people)
    entry = services.entry_set_tier(entry=entry, field="title", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
    assert found(people, "anonymous", "dastrow") == set()  # not published yet
    entry = services.entry_publish(entry=entry, by=people.analyst)
    assert_tiers_copied(entry)
    assert found(people, "anonymous", "dastrow") == {entry.rsd_id}
    assert found(people, "anonymous", "morvane") == set()  # details stay COMMITTEE

    entry = services.entry_set_tier(entry=entry, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)
    assert found(people, "anonymous", "morvane") == {entry.rsd_id}
    assert_tiers_copied(entry)
    entry = services.entry_set_tier(entry=entry, field="details", tier=Tier.COMMITTEE, reason=REASON, by=people.analyst)
    assert found(people, "anonymous", "morvane") == set()
    assert_tiers_copied(entry)

    entry = services.entry_withdraw(entry=entry, reason=REASON, by=people.analyst)
    assert found(people, "anonymous", "dastrow") == {entry.rsd_id}  # a withdrawn entry stays readable
    assert_tiers_copied(entry)


def test_the_identifier_is_searchable_by_those_who_see_the_entry(published: Published, people: People) -> None:
    entry = published()
    assert found(people, "anonymous", entry.rsd_id) == {entry.rsd_id}


def test_title_matches_rank_above_details_matches(published: Published, people: People) -> None:
    in_title = published(title="Synthetic example: Halvorn in the title")
    in_details = published(details="Synthetic example: Halvorn in the details.")
    services.entry_set_tier(entry=in_details, field="details", tier=Tier.PUBLIC, reason=REASON, by=people.analyst)

    ranked = [entry.rsd_id for entry in search_entries(people.viewer("anonymous"), "halvorn")]
    assert ranked == [in_title.rsd_id, in_details.rsd_id]


# --- the API ---------------------------------------------------------------------------------------------


def _token(user: Any) -> str:
    return token_create(user=user, name="test", scopes=["read"], expires_in_days=1).raw


def test_api_q_searches_visible_parts_in_every_language(
    multilingual: Entry, published: Published, people: People, client: Client
) -> None:
    marked = marked_entry(published)
    analyst = {"authorization": f"Bearer {_token(people.analyst)}"}

    def rsd_ids(query: str, **headers: str) -> list[str]:
        response = client.get(f"{BASE}?{query}", headers=headers)
        assert response.status_code == 200, response.content
        return [item["rsd_id"] for item in response.json()["items"]]

    assert rsd_ids("q=%D1%82%D0%B5%D1%85%D0%BD%D0%BE%D0%BB%D0%BE%D0%B3%D0%B8%D1%8F") == [multilingual.rsd_id]  # ru
    assert rsd_ids("q=%E4%BD%BF%E8%83%BD") == [multilingual.rsd_id]  # 使能
    assert rsd_ids(f"q={IN_DETAILS}") == []
    assert rsd_ids(f"q={IN_DETAILS}", **analyst) == [marked.rsd_id]
    for hostile in ("%22", "*", "AND%20(", "%27", "%5C"):
        assert rsd_ids(f"q={hostile}") == []
    assert rsd_ids("q=enabling&domain=chemical") == []  # the classification is COMMITTEE
    assert set(rsd_ids("q=enabling&domain=chemical", **analyst)) == {multilingual.rsd_id, marked.rsd_id}
    assert set(rsd_ids("q=enabling&control_list=CWC-S2&obligation=OP1", **analyst)) == {
        multilingual.rsd_id,
        marked.rsd_id,
    }
    assert rsd_ids("control_list=CWC-S2") == []
    assert rsd_ids("obligation=op1", **analyst) == []  # codes are exact
    year = timezone.now().year
    assert set(rsd_ids(f"year={year}")) == {multilingual.rsd_id, marked.rsd_id}
    assert rsd_ids(f"year={year - 1}") == []
    assert client.get(f"{BASE}?year=12").status_code == 422


def test_api_q_pages_through_the_ranked_results(published: Published, client: Client) -> None:
    entries = [published(title=f"Synthetic example: Cravel number {n}") for n in range(3)]

    first = client.get(f"{BASE}?q=cravel&page_size=2").json()
    assert first["count"] == 3
    assert first["next"] is not None
    second = client.get(first["next"]).json()
    listed = [item["rsd_id"] for item in first["items"] + second["items"]]
    assert sorted(listed) == sorted(entry.rsd_id for entry in entries)
    assert second["next"] is None
