"""The review workflow's services and selectors: who may be assigned, what a review must hold, what publishing needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from nonpro.accounts.experts import coi_declare, coi_withdraw, expert_vetting_revoke
from nonpro.accounts.models import ExpertProfile
from nonpro.core.audit.models import AuditEvent
from nonpro.register import reviews, services, taxonomy
from nonpro.register.models import Entry, ReviewAssignment, Status
from tests.conftest import MakeUser
from tests.register.conftest import SCORES, Draft, People, review, review_round, synthetic_values, vet

REASON = "Synthetic example: a policy-level reason."
NOTE = "Synthetic example: the declared interest concerns another domain."


def submitted(draft: Draft, people: People) -> Entry:
    return services.entry_submit(entry=draft(), by=people.author)


def started(draft: Draft, people: People, *reviewers: Any) -> Entry:
    """Return a submitted entry under review with ``reviewers`` assigned (none have reviewed)."""
    entry = submitted(draft, people)
    for reviewer in reviewers:
        services.review_assign(entry=entry, reviewer=reviewer, by=people.analyst)
    return services.entry_start_review(entry=entry, by=people.analyst)


def assignment_of(entry: Entry, reviewer: Any) -> ReviewAssignment:
    return ReviewAssignment.objects.get(entry=entry, reviewer=reviewer, closed_at__isnull=True)


def snapshot() -> tuple[int, int, list[Any]]:
    """Return what a refused call must leave as it was: assignments, audit events, the reviews' content."""
    rows = list(ReviewAssignment.objects.order_by("pk").values_list("completed_at", "closed_at", "scores", "comments"))
    return ReviewAssignment.objects.count(), AuditEvent.objects.count(), rows


def refused_assignment(entry: Entry, reviewer: Any, people: People, code: str, **kwargs: Any) -> None:
    before = snapshot()
    with pytest.raises(services.RegisterError) as refused:
        reviews.review_assign(entry=entry, reviewer=reviewer, by=people.analyst, **kwargs)
    assert refused.value.code == code
    assert snapshot() == before


# --- assignment ----------------------------------------------------------------------------------------


def test_an_unvetted_reviewer_is_not_assigned(draft: Draft, people: People, make_user: MakeUser) -> None:
    unvetted = make_user("unvetted.reviewer@example.test", ["expert", "reviewer"])

    refused_assignment(submitted(draft, people), unvetted, people, "not_vetted")


def test_a_lapsed_or_revoked_vetting_stops_new_assignments(draft: Draft, people: People) -> None:
    entry = submitted(draft, people)
    ExpertProfile.objects.filter(user=people.reviewer).update(vetted_until=timezone.localdate() - timedelta(days=1))
    expert_vetting_revoke(
        profile=ExpertProfile.objects.get(user=people.reviewer2), revoked_by=people.administrator, reason=REASON
    )

    refused_assignment(entry, people.reviewer, people, "not_vetted")
    refused_assignment(entry, people.reviewer2, people, "not_vetted")


def test_a_reviewer_without_mfa_or_without_the_role_is_not_assigned(
    draft: Draft, people: People, make_user: MakeUser
) -> None:
    no_mfa = make_user("no.mfa.reviewer@example.test", ["expert", "reviewer"], mfa=False)
    vet(no_mfa, by=people.administrator)
    entry = submitted(draft, people)

    refused_assignment(entry, no_mfa, people, "not_a_reviewer")
    refused_assignment(entry, people.other_expert, people, "not_a_reviewer")


def test_declared_conflicts_need_a_note_and_the_note_is_kept(draft: Draft, people: People) -> None:
    entry = submitted(draft, people)
    coi_declare(
        user=people.reviewer, relates_to="Synthetic Laboratory", description="Synthetic example: advisory role."
    )

    refused_assignment(entry, people.reviewer, people, "conflict_note_required")
    refused_assignment(entry, people.reviewer, people, "conflict_note_required", conflict_note="   ")
    assignment = reviews.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst, conflict_note=NOTE)

    assert assignment.conflict_note == NOTE


def test_a_withdrawn_declaration_needs_no_note(draft: Draft, people: People) -> None:
    declaration = coi_declare(
        user=people.reviewer, relates_to="Synthetic Laboratory", description="Synthetic example: advisory role."
    )
    coi_withdraw(declaration=declaration, user=people.reviewer)

    assignment = reviews.review_assign(entry=submitted(draft, people), reviewer=people.reviewer, by=people.analyst)

    assert assignment.conflict_note == ""


def test_nobody_reviews_their_own_entry(people: People) -> None:
    own = services.entry_create_draft(by=people.reviewer, values=synthetic_values())

    refused_assignment(own, people.reviewer, people, "own_entry")


def test_one_open_assignment_per_reviewer_and_a_new_one_after_the_round_closed(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()  # reviewer and reviewer2 reviewed; the round is closed
    services.entry_update(
        entry=entry,
        expected_version=entry.version,
        changes={"details": "Synthetic example: revised."},
        by=people.analyst,
    )

    reviews.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)

    refused_assignment(entry, people.reviewer, people, "already_assigned")
    assert ReviewAssignment.objects.filter(entry=entry, reviewer=people.reviewer).count() == 2


def test_the_due_date_lies_in_the_future(draft: Draft, people: People) -> None:
    entry = submitted(draft, people)
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        reviews.review_assign(
            entry=entry, reviewer=people.reviewer, by=people.analyst, due_at=timezone.now() - timedelta(hours=1)
        )

    assert "due_at" in refused.value.message_dict
    assert snapshot() == before


def test_only_analysts_assign_and_the_audit_names_ids_and_the_due_date_only(draft: Draft, people: People) -> None:
    entry = submitted(draft, people)
    due = timezone.now() + timedelta(days=7)
    for persona in ("author", "reviewer2", "administrator", "learner"):
        with pytest.raises(PermissionDenied):
            reviews.review_assign(entry=entry, reviewer=people.reviewer, by=people.user(persona))

    assignment = reviews.review_assign(
        entry=entry, reviewer=people.reviewer, by=people.analyst, due_at=due, conflict_note=NOTE
    )

    event = AuditEvent.objects.filter(action="register.review.assigned").get()
    assert event.summary == {
        "rsd_id": entry.rsd_id,
        "assignment": assignment.pk,
        "reviewer": people.reviewer.pk,
        "due_at": due.isoformat(),
    }
    assert assignment.due_at == due


# --- the review ----------------------------------------------------------------------------------------


def submit(assignment: ReviewAssignment, by: Any, **overrides: Any) -> ReviewAssignment:
    values: dict[str, Any] = {
        "scores": SCORES,
        "proposed_level": "",
        "comments": "Synthetic example: COMMENTMARK at policy level.",
        "recommendation": "publish",
        "no_enabling_detail": True,
        **overrides,
    }
    return reviews.review_submit(assignment=assignment, by=by, **values)


def test_a_review_records_scores_the_rubric_level_and_the_confirmation(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer)

    done = submit(assignment_of(entry, people.reviewer), people.reviewer)

    assert done.completed_at is not None
    assert done.no_enabling_detail is True
    assert done.scores == SCORES
    assert done.proposed_level == taxonomy.rubric().level_for(SCORES)
    event = AuditEvent.objects.filter(action="register.review.submitted").get()
    assert event.summary["scores"] == SCORES
    assert "COMMENTMARK" not in str(event.summary)


def test_a_proposed_level_overrides_the_derived_one(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer)

    done = submit(
        assignment_of(entry, people.reviewer), people.reviewer, proposed_level="high", recommendation="revise"
    )

    assert (done.proposed_level, done.recommendation) == ("high", "revise")


@pytest.mark.parametrize("persona", ["reviewer2", "outsider_reviewer", "analyst", "author"])
def test_only_the_assigned_reviewer_submits_their_review(draft: Draft, people: People, persona: str) -> None:
    entry = started(draft, people, people.reviewer, people.reviewer2)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        submit(assignment_of(entry, people.reviewer), people.user(persona))

    assert snapshot() == before


def test_a_completed_review_is_final(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer)
    submit(assignment_of(entry, people.reviewer), people.reviewer)
    before = snapshot()

    with pytest.raises(services.RegisterError) as refused:
        submit(assignment_of(entry, people.reviewer), people.reviewer, recommendation="reject")

    assert refused.value.code == "review_completed"
    assert snapshot() == before


def test_a_closed_assignment_takes_no_review(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer, people.reviewer2, people.outsider_reviewer)
    late = assignment_of(entry, people.outsider_reviewer)
    services.entry_reject(entry=entry, reason=REASON, by=people.analyst)
    before = snapshot()

    with pytest.raises(services.RegisterError) as refused:
        submit(late, people.outsider_reviewer)

    assert refused.value.code == "review_closed"
    assert snapshot() == before


def test_reviews_wait_until_the_review_has_started(draft: Draft, people: People) -> None:
    entry = submitted(draft, people)
    assignment = reviews.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)
    before = snapshot()

    with pytest.raises(services.InvalidTransitionError):
        submit(assignment, people.reviewer)

    assert snapshot() == before


BAD_INPUT: dict[str, tuple[dict[str, Any], str]] = {
    "no confirmation": ({"no_enabling_detail": False}, "no_enabling_detail"),
    "missing score": ({"scores": {k: v for k, v in SCORES.items() if k != "maturity"}}, "scores"),
    "score out of range": ({"scores": {**SCORES, "maturity": 4}}, "scores"),
    "negative score": ({"scores": {**SCORES, "maturity": -1}}, "scores"),
    "unknown criterion": ({"scores": {**SCORES, "synthetic-criterion": 1}}, "scores"),
    "score not a number": ({"scores": {**SCORES, "maturity": "high"}}, "scores"),
    "boolean score": ({"scores": {**SCORES, "maturity": True}}, "scores"),
    "unknown level": ({"proposed_level": "extreme"}, "proposed_level"),
    "no recommendation": ({"recommendation": ""}, "recommendation"),
    "unknown recommendation": ({"recommendation": "maybe"}, "recommendation"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_review_input_is_refused_field_by_field_and_nothing_is_saved(
    draft: Draft, people: People, case: str
) -> None:
    overrides, field = BAD_INPUT[case]
    entry = started(draft, people, people.reviewer)
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        submit(assignment_of(entry, people.reviewer), people.reviewer, **overrides)

    assert field in refused.value.message_dict
    assert snapshot() == before


# --- publication ---------------------------------------------------------------------------------------


def test_publishing_needs_two_completed_reviews_and_closes_the_round(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer, people.reviewer2, people.outsider_reviewer)
    review(entry, people.reviewer)

    with pytest.raises(services.RegisterError) as refused:
        services.entry_publish(entry=entry, by=people.analyst)
    assert refused.value.code == "reviews_required"

    review(entry, people.reviewer2)
    entry = services.entry_publish(entry=entry, by=people.analyst)

    assert entry.status == Status.PUBLISHED
    assert not ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).exists()
    assert ReviewAssignment.objects.filter(entry=entry, completed_at__isnull=True).count() == 1  # closed unreviewed


def test_rejecting_closes_the_round(draft: Draft, people: People) -> None:
    entry = started(draft, people, people.reviewer, people.reviewer2)

    services.entry_reject(entry=entry, reason=REASON, by=people.analyst)

    assert ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=False).count() == 2


def test_an_edit_of_a_published_entry_needs_a_new_round(published: Callable[..., Entry], people: People) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry,
        expected_version=entry.version,
        changes={"details": "Synthetic example: revised."},
        by=people.analyst,
    )
    entry = services.entry_submit(entry=entry, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)

    with pytest.raises(services.RegisterError) as refused:
        services.entry_publish(entry=entry, by=people.analyst)
    assert refused.value.code == "reviews_required"  # the first round's reviews do not count

    entry = review_round(entry, people)
    entry = services.entry_publish(entry=entry, by=people.analyst)

    assert entry.serial == 2
    assert entry.details == "Synthetic example: revised."


def test_withdrawing_closes_the_round_of_a_pending_edit(published: Callable[..., Entry], people: People) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"details": "Synthetic example: edit."}, by=people.analyst
    )
    entry = services.entry_submit(entry=entry, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    entry = review_round(entry, people)
    assert ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).count() == 2

    services.entry_withdraw(entry=entry, reason=REASON, by=people.analyst)

    assert not ReviewAssignment.objects.filter(entry=entry, closed_at__isnull=True).exists()
    assert reviews.open_reviews_for(people.reviewer) == []


# --- selectors -----------------------------------------------------------------------------------------


def test_reviews_are_seen_by_analysts_and_each_reviewer_sees_their_own(
    under_review: Callable[..., Entry], people: People
) -> None:
    entry = under_review()  # reviewer and reviewer2 reviewed

    def seen(persona: str) -> set[int]:
        return {item.reviewer_id for item in reviews.reviews_for(people.viewer(persona), entry)}

    assert seen("analyst") == {people.reviewer.pk, people.reviewer2.pk}
    assert seen("reviewer") == {people.reviewer.pk}
    assert seen("reviewer2") == {people.reviewer2.pk}
    for persona in ("author", "outsider_reviewer", "other_expert", "official", "administrator", "anonymous"):
        assert seen(persona) == set(), persona


def test_the_triage_queue_lists_what_waits_for_the_committee(
    draft: Draft, people: People, published: Callable[..., Entry]
) -> None:
    waiting = submitted(draft, people)
    in_review = started(draft, people, people.reviewer)
    review(in_review, people.reviewer)
    draft()  # a draft waits for its author
    done = published()
    edited = published()
    edited = services.entry_update(
        entry=edited, expected_version=edited.version, changes={"details": "Synthetic example: x."}, by=people.analyst
    )
    edited = services.entry_submit(entry=edited, by=people.analyst)

    queue = {row.rsd_id: row for row in reviews.triage_queue(people.viewer("analyst"))}

    assert set(queue) == {waiting.rsd_id, in_review.rsd_id, edited.rsd_id}
    assert done.rsd_id not in queue
    assert queue[in_review.rsd_id].completed == 1
    assert [row.reviewer for row in queue[in_review.rsd_id].assignments] == [people.reviewer.email]
    assert queue[waiting.rsd_id].submitted_at is not None
    assert queue[edited.rsd_id].assignments == []  # the first round is closed
    for persona in ("reviewer", "author", "administrator", "anonymous"):
        with pytest.raises(PermissionDenied):
            reviews.triage_queue(people.viewer(persona))


def test_reviewer_candidates_are_vetted_reviewers_with_their_conflicts_matching_first(
    draft: Draft, people: People, make_user: MakeUser
) -> None:
    from nonpro.accounts.experts import expert_profile_update

    make_user("unvetted.candidate@example.test", ["expert", "reviewer"])
    expert_profile_update(
        user=people.reviewer2, affiliation="Synthetic Agency", community="technical", expertise=["nuclear"],
        languages=["fr"],
    )  # fmt: skip
    coi_declare(user=people.outsider_reviewer, relates_to="Synthetic Company", description="Synthetic example.")
    entry = submitted(draft, people)  # domain chemical
    reviews.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)

    candidates = reviews.reviewer_candidates(people.viewer("analyst"), entry)

    by_id = {candidate.user_id: candidate for candidate in candidates}
    assert set(by_id) == {people.reviewer.pk, people.reviewer2.pk, people.outsider_reviewer.pk}
    assert candidates[-1].user_id == people.reviewer2.pk  # no chemical expertise: last
    assert by_id[people.outsider_reviewer.pk].conflicts == ["Synthetic Company"]
    assert by_id[people.reviewer.pk].already_assigned
    assert by_id[people.reviewer.pk].open_load == 1
    assert by_id[people.reviewer2.pk].languages == ["French"]
    assert by_id[people.reviewer.pk].vetted_until is not None
    for persona in ("reviewer", "author", "administrator"):
        with pytest.raises(PermissionDenied):
            reviews.reviewer_candidates(people.viewer(persona), entry)
    own = services.entry_submit(
        entry=services.entry_create_draft(by=people.reviewer, values=synthetic_values(9)), by=people.reviewer
    )
    assert people.reviewer.pk not in {c.user_id for c in reviews.reviewer_candidates(people.viewer("analyst"), own)}


def test_open_reviews_for_lists_a_reviewers_incomplete_assignments(draft: Draft, people: People) -> None:
    soon = started(draft, people, people.reviewer)
    later = submitted(draft, people)
    reviews.review_assign(
        entry=later, reviewer=people.reviewer, by=people.analyst, due_at=timezone.now() + timedelta(days=20)
    )
    done = started(draft, people, people.reviewer)
    review(done, people.reviewer)

    rows = reviews.open_reviews_for(people.reviewer)

    assert [row.rsd_id for row in rows] == [later.rsd_id, soon.rsd_id]  # a due date first, none last
    assert [row.reviewable for row in rows] == [False, True]
    assert reviews.open_reviews_for(people.author) == []
