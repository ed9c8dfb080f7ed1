"""Fixtures of the register tests: the people of a review, and entries taken through the real services.

All texts are synthetic and policy-level ("Synthetic example: …").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from nonpro.core.policy import ANONYMOUS, Viewer, viewer_for
from nonpro.register import reviews, services
from nonpro.register.models import Entry, ReviewAssignment
from tests.conftest import MakeUser

SCORES = {
    "capability-uplift": 1,
    "accessibility-cost": 1,
    "accessibility-skills": 1,
    "accessibility-materials": 1,
    "maturity": 1,
    "proximity-to-weapons-application": 1,
    "control-coverage": 2,
}


def synthetic_values(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """Return the values of a complete, synthetic, policy-level draft."""
    values: dict[str, Any] = {
        "title": f"Synthetic example {n}: a new enabling technique",
        "summary": f"Synthetic example {n}: a policy-level summary of why this matters for resolution 1540.",
        "details": f"Synthetic example {n}: *committee* notes on the controls that apply.",
        "domains": ["chemical"],
        "obligations": ["OP1"],
        "control_lists": ["CWC-S2"],
    }
    values.update(overrides)
    return values


def vet(user: Any, *, by: Any, days: int = 365) -> Any:
    """Give ``user`` (an expert) a directory profile vetted by ``by`` (an administrator) for ``days``."""
    from nonpro.accounts.experts import expert_profile_update, expert_vet

    profile = expert_profile_update(
        user=user, affiliation="Synthetic Institute", community="scientific", expertise=["chemical"], languages=["en"]
    )
    return expert_vet(
        profile=profile, vetted_by=by, until=timezone.localdate() + timedelta(days=days), reason="test fixture"
    )


class People:
    """The people of a register review, each a real user with roles (MFA on for privileged roles)."""

    def __init__(self, make_user: MakeUser) -> None:
        self.author = make_user("author@example.test", ["expert"])
        self.other_expert = make_user("other.expert@example.test", ["expert"])
        self.reviewer = make_user("reviewer.one@example.test", ["expert", "reviewer"])
        self.reviewer2 = make_user("reviewer.two@example.test", ["expert", "reviewer"])
        self.outsider_reviewer = make_user("reviewer.three@example.test", ["expert", "reviewer"])
        self.analyst = make_user("analyst@example.test", ["committee_analyst"])
        self.analyst2 = make_user("analyst.two@example.test", ["committee_analyst"])
        self.learner = make_user("learner@example.test", ["learner"])
        self.official = make_user("official@example.test", ["national_official"], country="KZ")
        self.administrator = make_user("administrator@example.test", ["administrator"])
        for reviewer in (self.reviewer, self.reviewer2, self.outsider_reviewer):
            vet(reviewer, by=self.administrator)

    def viewer(self, name: str) -> Viewer:
        if name == "anonymous":
            return ANONYMOUS
        return viewer_for(getattr(self, name))

    def user(self, name: str) -> Any:
        return getattr(self, name)


@pytest.fixture
def people(make_user: MakeUser) -> People:
    return People(make_user)


Draft = Callable[..., Entry]


@pytest.fixture
def draft(people: People) -> Draft:
    """Create a draft through the service (by the author unless told)."""
    counter = iter(range(1, 1000))

    def create(by: Any = None, **overrides: Any) -> Entry:
        return services.entry_create_draft(by=by or people.author, values=synthetic_values(next(counter), **overrides))

    return create


def review(entry: Entry, reviewer: Any, **overrides: Any) -> ReviewAssignment:
    """Submit ``reviewer``'s review of ``entry`` (their open assignment) through the service."""
    assignment = ReviewAssignment.objects.get(entry=entry, reviewer=reviewer, closed_at__isnull=True)
    values: dict[str, Any] = {
        "scores": SCORES,
        "proposed_level": "",
        "comments": "Synthetic example: a policy-level comment.",
        "recommendation": "publish",
        "no_enabling_detail": True,
        **overrides,
    }
    return reviews.review_submit(assignment=assignment, by=reviewer, **values)


def review_round(entry: Entry, people: People, *, assign: bool = True) -> Entry:
    """Run a review round on an entry (or edit) under review: assign reviewer and reviewer2, both review."""
    for reviewer in (people.reviewer, people.reviewer2):
        if assign:
            services.review_assign(entry=entry, reviewer=reviewer, by=people.analyst)
        review(entry, reviewer)
    return Entry.objects.get(pk=entry.pk)


def to_review(entry: Entry, people: People) -> Entry:
    """Take a draft through submission, two reviewer assignments, the start of the review and both reviews."""
    entry = services.entry_submit(entry=entry, by=people.author)
    services.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)
    services.review_assign(entry=entry, reviewer=people.reviewer2, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    return review_round(entry, people, assign=False)


@pytest.fixture
def under_review(draft: Draft, people: People) -> Callable[..., Entry]:
    def make(**overrides: Any) -> Entry:
        return to_review(draft(**overrides), people)

    return make


@pytest.fixture
def published(under_review: Callable[..., Entry], people: People) -> Callable[..., Entry]:
    """Create an entry and publish it, its title and summary classified PUBLIC (the rest stays COMMITTEE)."""

    def make(**overrides: Any) -> Entry:
        entry = under_review(**overrides)
        for part in ("title", "summary"):
            entry = services.entry_set_tier(
                entry=entry,
                field=part,
                tier="public",
                reason="Synthetic example: policy-level text.",
                by=people.analyst,
            )
        return services.entry_publish(entry=entry, by=people.analyst)

    return make
