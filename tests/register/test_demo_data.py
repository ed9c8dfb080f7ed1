"""The register's demo data: every data file (``entries_*.toml``) is valid, safe and loads through the services.

The data tests read every ``entries_*.toml`` of ``nonpro/register/demo_data`` (part A, part B, …),
so a new file is checked by the same rules. The loader tests run ``register_demo_ensure`` on an
empty database with the demo accounts, as ``nonpro demo`` does.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from nonpro.accounts.models import User
from nonpro.accounts.services import demo_accounts_ensure
from nonpro.core.audit.models import AuditEvent
from nonpro.core.models import NeedToKnowGrant
from nonpro.core.policy import ANONYMOUS, Tier, viewer_for
from nonpro.register.demo import (
    ALIAS_PREFIX,
    DETAILS_PREFIX,
    DemoDataError,
    DemoEntry,
    demo_date,
    demo_entries,
    demo_files,
    entry_problems,
    register_demo_ensure,
    safety_problems,
)
from nonpro.register.models import (
    TIER_GROUPS,
    Entry,
    EntryAlias,
    EntryRevision,
    PendingStatus,
    ReviewAssignment,
    Status,
)
from nonpro.register.selectors import entries_visible_to, entry_data_for
from nonpro.register.taxonomy import LANGUAGES, codes

ENTRIES = demo_entries()
BY_KEY = {entry.key: entry for entry in ENTRIES}
FILES = [file.name for file in demo_files()]
REVIEWERS = ("reviewer@demo.nonpro.test", "reviewer2@demo.nonpro.test")


def _texts(entry: DemoEntry) -> list[str]:
    """Return every free text of an entry: titles, summaries, details, rationale, reasons, edits, citations."""
    texts = [*entry.get("title").values(), *entry.get("summary").values()]
    texts += [str(entry.get(name, "")) for name in ("details", "concern_rationale")]
    texts += [str(entry.get(name, "")) for name in ("rejection_reason", "withdrawal_reason")]
    texts += [value for value in (entry.get("pending_edit") or {}).values() if isinstance(value, str)]
    texts += [source.get("citation", "") for source in entry.get("sources", [])]
    return texts


# --- the data files ------------------------------------------------------------------------------------


def test_part_a_holds_at_least_22_entries_and_all_files_together_at_least_40_when_part_b_is_there() -> None:
    per_file = Counter(entry.file for entry in ENTRIES)

    assert per_file["entries_a.toml"] >= 22
    if len(FILES) > 1:
        assert len(ENTRIES) >= 40


def test_every_file_is_found_and_every_key_is_unique() -> None:
    assert "entries_a.toml" in FILES
    assert len(BY_KEY) == len(ENTRIES)


def test_the_data_covers_every_domain_and_every_state() -> None:
    domains = {code for entry in ENTRIES for code in entry.get("domains")}
    statuses = {entry.status for entry in ENTRIES}

    assert domains == codes("domain")
    assert statuses == set(Status)
    assert any(entry.get("pending_edit") for entry in ENTRIES)
    assert sum(entry.status == Status.PUBLISHED for entry in ENTRIES) >= 12


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_each_entry_passes_the_loader_checks(key: str) -> None:
    assert entry_problems(BY_KEY[key].data) == []


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_each_entry_has_title_and_summary_in_six_languages_summaries_within_300_characters(key: str) -> None:
    entry = BY_KEY[key]

    assert set(entry.get("title")) == set(LANGUAGES)
    assert set(entry.get("summary")) == set(LANGUAGES)
    assert all(text.strip() for text in entry.get("title").values())
    assert all(0 < len(text.strip()) <= 300 for text in entry.get("summary").values())


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_each_entry_says_it_is_demo_content(key: str) -> None:
    assert BY_KEY[key].get("details").strip().startswith(DETAILS_PREFIX)


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_each_entry_uses_only_taxonomy_codes(key: str) -> None:
    entry = BY_KEY[key]

    for field, kind in (
        ("domains", "domain"),
        ("technology_areas", "technology_area"),
        ("control_lists", "control_list"),
        ("obligations", "obligation"),
    ):
        assert set(entry.get(field, [])) <= codes(kind), field


@pytest.mark.parametrize("key", sorted(BY_KEY))
def test_each_entry_passes_the_safety_lint(key: str) -> None:
    problems = {text[:60]: safety_problems(text) for text in _texts(BY_KEY[key]) if safety_problems(text)}

    assert problems == {}


@pytest.mark.parametrize(
    "text",
    [
        "Synthetic example: heat to 80 °C",
        "Synthetic example: 5 kg of material",
        "Synthetic example: 2.5 mg",
        "Synthetic example: 10 L",
        "Synthetic example: 3000 rpm",
        "Synthetic example: 200 bar",
        "Synthetic example: 40 MBq",
        "Synthetic example: 100 Ci",
        "Synthetic example: 90%",
        "Synthetic example: 5 кг",
        "Synthetic example: 5公斤",
        "Synthetic example: a recipe",
        "Synthetic example: the synthesis route",
        "Synthetic example: a Step-by-step guide",
        "Synthetic example: a protocol for producing",
    ],
)
def test_the_safety_lint_catches_units_and_words_of_instructions(text: str) -> None:
    assert safety_problems(text)


@pytest.mark.parametrize(
    "text",
    [
        "Synthetic example: resolution 1540 (2004), operative paragraphs 2 and 3 (c)–(d).",
        "Synthetic example: Nuclear Suppliers Group Part 1 and Part 2; CWC Schedule 1; MTCR Category I.",
        "Synthetic example: 执行部分第2段和第3段(c)、(d)分段。",
    ],
)
def test_the_safety_lint_lets_policy_language_through(text: str) -> None:
    assert safety_problems(text) == []


def test_a_broken_entry_is_reported_with_its_problems() -> None:
    item = dict(BY_KEY[ENTRIES[0].key].data)
    item.update(status="published", domains=["no-such-domain"], details="No demo marker. Heat to 80 °C.")
    item["summary"] = {**item["summary"], "en": "x" * 301}

    problems = "\n".join(entry_problems(item))

    assert "no-such-domain" in problems
    assert "summary.en" in problems
    assert "details start with" in problems
    assert "safety lint" in problems


# --- loading through the services --------------------------------------------------------------------


def _load() -> int:
    demo_accounts_ensure()
    return register_demo_ensure()


def _demo_entry(key: str) -> Entry:
    return EntryAlias.objects.select_related("entry").get(alias=f"{ALIAS_PREFIX}{key}").entry


def _user(email: str) -> Any:
    return User.objects.get(email=email)


def _state() -> dict[str, Any]:
    return {
        "entries": list(Entry.objects.order_by("pk").values()),
        "revisions": EntryRevision.objects.count(),
        "assignments": list(ReviewAssignment.objects.order_by("pk").values()),
        "grants": list(NeedToKnowGrant.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


# Loading takes a while (every step is a real service call), so each test below checks several
# properties of one load.


@pytest.mark.django_db
def test_the_loader_builds_each_entry_through_the_workflow_once_and_twice_changes_nothing() -> None:
    count = _load()
    first = _state()

    again = register_demo_ensure()

    assert count == again == len(ENTRIES) == Entry.objects.count()
    assert _state() == first
    for item in ENTRIES:
        entry = _demo_entry(item.key)
        assert entry.status == item.status, item.key
        assert entry.created_by.email == item.get("proposer")
        for part, tier in item.get("tiers", {}).items():
            assert entry.tier_of(part) == tier, (item.key, part)
        completed = ReviewAssignment.objects.filter(entry=entry, completed_at__isnull=False)
        assigned = ReviewAssignment.objects.filter(entry=entry)
        if item.status in (Status.PUBLISHED, Status.WITHDRAWN, Status.REJECTED):
            assert sorted(completed.values_list("reviewer__email", flat=True)) == sorted(REVIEWERS)
        elif item.status == Status.UNDER_REVIEW:
            assert (assigned.count(), completed.count()) == (2, 1)
        else:
            assert not assigned.exists()
        assert entry.created_at.date() == demo_date(item.get("created"))
        if item.get("published"):
            assert entry.published_at is not None
            assert entry.published_at.date() == demo_date(item.get("published"))
        if item.get("pending_edit"):
            assert entry.pending_status == PendingStatus.SUBMITTED
            assert set(entry.pending_changes) == set(item.get("pending_edit"))
    published = Entry.objects.exclude(published_at=None).values_list("published_at", flat=True)
    quarters = {(moment.year, (moment.month - 1) // 3) for moment in published}
    assert len(quarters) >= 6


@pytest.mark.django_db
def test_anonymous_sees_six_languages_but_no_committee_or_restricted_text_and_grantees_see_restricted_parts() -> None:
    _load()
    committee_or_restricted: list[str] = []
    restricted_parts = 0
    for entry in Entry.objects.prefetch_related("translations", "source_rows", "alias_rows", "credit_rows"):
        for part in TIER_GROUPS:
            if entry.tier_of(part) in (Tier.COMMITTEE, Tier.RESTRICTED):
                committee_or_restricted.append(f"{entry.rsd_id}:{part}")
            restricted_parts += entry.tier_of(part) == Tier.RESTRICTED
        data = entry_data_for(ANONYMOUS, entry)
        if entry.status not in (Status.PUBLISHED, Status.WITHDRAWN):
            assert data is None
            continue
        assert data is not None
        assert set(data["tiers"].values()) == {Tier.PUBLIC}
        hidden = [
            str(getattr(entry, field))
            for part, fields in TIER_GROUPS.items()
            if entry.tier_of(part) != Tier.PUBLIC
            for field in fields
            if field in ("details", "concern_rationale")
        ]
        shown = json.dumps(data, default=str, ensure_ascii=False)
        assert all(text not in shown for text in hidden if text)
        assert "pending" not in data
        if entry.status == Status.PUBLISHED and entry.title_tier == entry.summary_tier == Tier.PUBLIC:
            assert set(data["title_translations"]) | {entry.original_language} == set(LANGUAGES)
            assert set(data["summary_translations"]) | {entry.original_language} == set(LANGUAGES)
    assert committee_or_restricted
    assert restricted_parts >= 3
    anonymous_rows = set(entries_visible_to(ANONYMOUS).values_list("status", flat=True))
    assert anonymous_rows <= {Status.PUBLISHED, Status.WITHDRAWN}
    _check_restricted_parts_are_seen_by_grantees_only()


def _check_restricted_parts_are_seen_by_grantees_only() -> None:
    items = [item for item in ENTRIES if "restricted" in item.get("tiers", {}).values() and item.get("grants")]
    assert items
    content_type = ContentType.objects.get_for_model(Entry)
    for item in items:
        entry = _demo_entry(item.key)
        part = next(part for part, tier in item.get("tiers").items() if tier == Tier.RESTRICTED)
        field = TIER_GROUPS[part][0]
        for email in item.get("grants"):
            assert (
                NeedToKnowGrant.objects.active()
                .filter(user__email=email, content_type=content_type, object_id=entry.pk)
                .exists()
            )
            assert field in (entry_data_for(viewer_for(_user(email)), entry) or {}), (item.key, email)
        others = [email for email in ("analyst@demo.nonpro.test", *REVIEWERS) if email not in item.get("grants")]
        for email in others:
            assert field not in (entry_data_for(viewer_for(_user(email)), entry) or {}), (item.key, email)


def test_a_broken_file_stops_the_loader_with_the_entry_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from nonpro.register import demo

    monkeypatch.setattr(demo, "entry_problems", lambda item: ["synthetic problem"])

    with pytest.raises(DemoDataError, match=r"entries_a\.toml: entry [a-z0-9-]+: synthetic problem"):
        demo.demo_entries()
