"""The trends dashboard: its numbers are counted through the policy, and the page is the analysts'.

All entries are synthetic and policy-level. Entries are taken through the real services: drafted,
submitted, reviewed by two vetted reviewers, classified and published.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nonpro.accounts.experts import expert_profile_for_vetting, expert_vet
from nonpro.core.policy import viewer_for
from nonpro.register import dashboard, reviews, services, taxonomy
from nonpro.register.models import Entry, ReviewAssignment
from tests.register.conftest import SCORES, Draft, People

REASON = "Synthetic example: classified for the dashboard test."


def vet_reviewers(people: People) -> None:
    """Vet the two reviewers of the fixtures (an administrator's decision), unless they already are."""
    admin = viewer_for(people.administrator)
    for reviewer in (people.reviewer, people.reviewer2):
        profile = expert_profile_for_vetting(viewer=admin, user_id=reviewer.pk)
        if not profile.is_vetted():
            expert_vet(
                profile=profile,
                vetted_by=people.administrator,
                until=timezone.localdate() + timedelta(days=30),
                reason="Synthetic example: vetted for the test.",
            )


def start_review(entry: Entry, people: People, *, due_at: Any = None) -> Entry:
    entry = services.entry_submit(entry=entry, by=people.author)
    for reviewer in (people.reviewer, people.reviewer2):
        services.review_assign(entry=entry, reviewer=reviewer, by=people.analyst, due_at=due_at)
    return services.entry_start_review(entry=entry, by=people.analyst)


def publish(entry: Entry, people: People, tiers: dict[str, str]) -> Entry:
    """Review, classify (title and summary PUBLIC, then ``tiers``) and publish ``entry``."""
    entry = start_review(entry, people)
    for assignment in ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True):
        reviews.review_submit(
            assignment=assignment,
            by=assignment.reviewer,
            scores=SCORES,
            proposed_level="",
            comments="Synthetic example: policy-level review.",
            recommendation="publish",
            no_enabling_detail=True,
        )
    for part, tier in {"title": "public", "summary": "public", **tiers}.items():
        entry = services.entry_set_tier(entry=entry, field=part, tier=tier, reason=REASON, by=people.analyst)
    return services.entry_publish(entry=entry, by=people.analyst)


@pytest.fixture
def landscape(people: People, draft: Draft) -> dict[str, Entry]:
    """Three published entries whose classification and assessment have different tiers, and a draft."""
    vet_reviewers(people)
    return {
        "public": publish(
            draft(domains=["nuclear"], control_lists=["NSG-2-1"], concern_scores=SCORES),
            people,
            {"classification": "public", "assessment": "public"},
        ),
        "official": publish(
            draft(domains=["biological"], concern_scores=SCORES), people, {"classification": "official"}
        ),
        "committee": publish(draft(domains=["chemical"], concern_scores=SCORES), people, {}),
        "draft": draft(domains=["chemical", "enabling-technology"]),
    }


def per_domain(counts: dashboard.DomainQuarterCounts) -> dict[str, int]:
    return {code: sum(values) for code, values in counts.counts.items() if sum(values)}


def test_quarters_run_oldest_first_and_end_with_the_current_one() -> None:
    now = timezone.now().replace(year=2026, month=2, day=10)

    quarters = dashboard.last_quarters(8, now=now)

    assert len(quarters) == 8
    assert (quarters[0].year, quarters[0].number) == (2024, 2)
    assert (quarters[-1].year, quarters[-1].number) == (2026, 1)
    assert quarters[-1].start <= now < quarters[-1].end


@pytest.mark.django_db
def test_counts_by_domain_include_only_classifications_the_viewer_sees(
    people: People, landscape: dict[str, Entry]
) -> None:
    published = {name: per_domain(dashboard.new_entries_per_domain(people.viewer(name), basis="published"))
                 for name in ("anonymous", "learner", "official", "analyst")}  # fmt: skip

    assert published["anonymous"] == {"nuclear": 1}
    assert published["learner"] == {"nuclear": 1}
    assert published["official"] == {"nuclear": 1, "biological": 1}
    assert published["analyst"] == {"nuclear": 1, "biological": 1, "chemical": 1}


@pytest.mark.django_db
def test_counts_by_creation_include_the_committees_drafts_for_analysts_only(
    people: People, landscape: dict[str, Entry]
) -> None:
    analyst = per_domain(dashboard.new_entries_per_domain(people.viewer("analyst")))
    anonymous = per_domain(dashboard.new_entries_per_domain(people.viewer("anonymous")))
    author = per_domain(dashboard.new_entries_per_domain(people.viewer("author")))
    other_expert = per_domain(dashboard.new_entries_per_domain(people.viewer("other_expert")))

    assert analyst == {"nuclear": 1, "biological": 1, "chemical": 2, "enabling-technology": 1}
    assert anonymous == {"nuclear": 1}
    # The author sees their own draft's classification (the creator rule), not a published COMMITTEE one.
    assert author == {"nuclear": 1, "chemical": 1, "enabling-technology": 1}
    assert other_expert == {"nuclear": 1}


@pytest.mark.django_db
def test_entries_outside_the_quarters_are_not_counted(people: People, landscape: dict[str, Entry]) -> None:
    later = timezone.now() + timedelta(days=3 * 366)

    counts = dashboard.new_entries_per_domain(people.viewer("analyst"), now=later)

    assert counts.total() == 0
    assert len(counts.quarters) == dashboard.QUARTERS_SHOWN


@pytest.mark.django_db
def test_the_concern_distribution_counts_only_visible_assessments(people: People, landscape: dict[str, Entry]) -> None:
    level = taxonomy.rubric().level_for(SCORES)

    anonymous = dict(dashboard.concern_distribution(people.viewer("anonymous")))
    analyst = dict(dashboard.concern_distribution(people.viewer("analyst")))

    assert anonymous[level] == 1
    assert sum(anonymous.values()) == 1
    assert analyst[level] == 3
    assert analyst[""] == 1  # the draft is not assessed
    assert list(analyst) == ["low", "moderate", "high", "critical", ""]


@pytest.mark.django_db
def test_top_control_lists_count_only_visible_classifications(people: People, landscape: dict[str, Entry]) -> None:
    assert dashboard.top_control_lists(people.viewer("anonymous")) == [("NSG-2-1", 1)]
    assert dashboard.top_control_lists(people.viewer("analyst")) == [("CWC-S2", 3), ("NSG-2-1", 1)]
    assert dashboard.top_control_lists(people.viewer("analyst"), limit=1) == [("CWC-S2", 3)]


@pytest.mark.django_db
def test_open_reviews_are_counted_for_those_who_may_see_them(people: People, draft: Draft) -> None:
    vet_reviewers(people)
    services.entry_submit(entry=draft(), by=people.author)
    start_review(draft(), people, due_at=timezone.now() + timedelta(days=1))
    published = publish(draft(), people, {})
    edited = services.entry_update(
        entry=published,
        expected_version=published.version,
        changes={"summary": "Synthetic example: an edited policy-level summary."},
        by=people.analyst,
    )
    services.entry_submit(entry=edited, by=people.analyst)
    in_two_days = timezone.now() + timedelta(days=2)

    analyst = dashboard.open_reviews(people.viewer("analyst"), now=in_two_days)
    anonymous = dashboard.open_reviews(people.viewer("anonymous"), now=in_two_days)
    reviewer = dashboard.open_reviews(people.viewer("reviewer"), now=in_two_days)
    outsider = dashboard.open_reviews(people.viewer("outsider_reviewer"), now=in_two_days)

    assert dict(analyst.stages) == {"submitted": 1, "under_review": 1, "edit_submitted": 1, "edit_under_review": 0}
    assert (analyst.open_assignments, analyst.awaiting_review, analyst.overdue) == (2, 2, 2)
    assert analyst.awaiting_decision == 0
    assert dict(anonymous.stages) == dict.fromkeys(dashboard.REVIEW_STAGES, 0)
    assert (anonymous.open_assignments, anonymous.overdue) == (0, 0)
    # A reviewer counts their own assignments only, and edits only of entries they were assigned to.
    assert (reviewer.open_assignments, reviewer.overdue) == (1, 1)
    assert dict(reviewer.stages)["edit_submitted"] == 1
    assert dict(outsider.stages)["edit_submitted"] == 0
    assert (outsider.open_assignments, outsider.overdue) == (0, 0)


# --- the page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("learner", 403),
        ("official_a", 403),
        ("expert", 403),
        ("reviewer", 403),
        ("analyst", 200),
        ("administrator", 403),
    ],
)
def test_only_analysts_open_the_dashboard(persona_client: Callable[[str], Client], persona: str, expected: int) -> None:
    response = persona_client(persona).get(reverse("register:dashboard"))

    assert response.status_code == expected


def _svgs(html: str) -> list[ET.Element]:
    """Return the charts of a page, each parsed as XML on its own."""
    found = []
    for chunk in html.split("<svg ")[1:]:
        found.append(ET.fromstring("<svg " + chunk.split("</svg>")[0] + "</svg>"))  # noqa: S314 — our own page
    return found


@pytest.mark.django_db
def test_the_dashboard_shows_accessible_charts_with_data_tables(
    people: People, landscape: dict[str, Entry], client: Client
) -> None:
    client.force_login(people.analyst)

    response = client.get(reverse("register:dashboard"))

    html = response.content.decode()
    charts_found = _svgs(html)
    assert len(charts_found) == 5
    assert all(chart.get("role") == "img" for chart in charts_found)
    assert html.count("<details") == 5
    assert html.count("<table") == 5
    assert "Nuclear" in html
    assert "Chemical Weapons Convention — Schedule 2" in html  # labels with their list, not codes
    assert "CWC-S2" not in html
    assert "style=" not in html.split("<main")[1]


@pytest.mark.django_db
def test_the_dashboard_speaks_arabic_right_to_left(people: People, landscape: dict[str, Entry], client: Client) -> None:
    client.force_login(people.analyst)

    response = client.get("/ar/register/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'direction="rtl"' in html
    assert taxonomy.load("domain").label("nuclear", "ar") in html
