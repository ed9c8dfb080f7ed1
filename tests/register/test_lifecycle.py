"""The lifecycle: each step allowed to the right people only, in the right state only, and nothing else changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.test import RequestFactory

from nonpro.accounts.services import role_revoke
from nonpro.core.audit.models import AuditEvent
from nonpro.core.policy import Role, can, viewer_for
from nonpro.register import services
from nonpro.register.models import Entry, EntryRevision, PendingStatus, ReviewAssignment, RevisionEvent, Status
from nonpro.register.selectors import entry_actions_for, entry_for
from tests.register.conftest import Draft, People, review, review_round, synthetic_values, to_review

PERSONAS = [
    "learner",
    "official",
    "administrator",
    "other_expert",
    "author",
    "outsider_reviewer",
    "reviewer",
    "analyst",
]
REASON = "Synthetic example: a policy-level reason."


def state(entry: Entry) -> tuple[Any, ...]:
    """Return everything a refused call must leave as it was."""
    entry = Entry.objects.get(pk=entry.pk)
    return (
        entry.status,
        entry.pending_status,
        entry.version,
        entry.serial,
        entry.title,
        entry.pending_changes,
        [getattr(entry, f"{part}_tier") for part in ("title", "summary", "details", "assessment")],
        EntryRevision.objects.filter(entry=entry).count(),
        ReviewAssignment.objects.filter(entry=entry).count(),
        AuditEvent.objects.count(),
    )


def attempt(call: Callable[[], Any], entry: Entry) -> bool:
    """Call a service; return True when it ran, False when the policy refused it (and nothing changed)."""
    before = state(entry)
    try:
        call()
    except PermissionDenied:
        assert state(entry) == before
        return False
    assert state(entry) != before
    return True


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_propose_an_entry(people: People, persona: str) -> None:
    allowed = {"other_expert", "author", "outsider_reviewer", "reviewer", "analyst"}
    count = Entry.objects.count()

    try:
        services.entry_create_draft(by=people.user(persona), values=synthetic_values())
    except PermissionDenied:
        assert persona not in allowed
        assert Entry.objects.count() == count
        assert not AuditEvent.objects.filter(action="register.entry.created").exists()
    else:
        assert persona in allowed
        entry = Entry.objects.get()
        assert entry.status == Status.DRAFT
        assert entry.created_by == people.user(persona)
        assert EntryRevision.objects.get(entry=entry).event == RevisionEvent.CREATED
        assert AuditEvent.objects.filter(action="register.entry.created", object_id=str(entry.pk)).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_edit_a_draft(draft: Draft, people: People, persona: str) -> None:
    entry = draft()

    ran = attempt(
        lambda: services.entry_update(
            entry=entry, expected_version=entry.version, changes={"title": "Synthetic example: retitled"},
            by=people.user(persona),
        ),
        entry,
    )  # fmt: skip

    assert ran is (persona in {"author", "analyst"})


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_edit_an_entry_under_review(under_review: Callable[..., Entry], people: People, persona: str) -> None:
    entry = under_review()

    ran = attempt(
        lambda: services.entry_update(
            entry=entry, expected_version=entry.version, changes={"title": "Synthetic example: retitled"},
            by=people.user(persona),
        ),
        entry,
    )  # fmt: skip

    assert ran is (persona == "analyst")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_submit_a_draft(draft: Draft, people: People, persona: str) -> None:
    entry = draft()

    ran = attempt(lambda: services.entry_submit(entry=entry, by=people.user(persona)), entry)

    assert ran is (persona in {"author", "analyst"})
    assert Entry.objects.get(pk=entry.pk).status == (Status.SUBMITTED if ran else Status.DRAFT)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_assign_a_reviewer(draft: Draft, people: People, persona: str) -> None:
    entry = services.entry_submit(entry=draft(), by=people.author)

    ran = attempt(
        lambda: services.review_assign(entry=entry, reviewer=people.outsider_reviewer, by=people.user(persona)), entry
    )

    assert ran is (persona == "analyst")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_start_a_review(draft: Draft, people: People, persona: str) -> None:
    entry = services.entry_submit(entry=draft(), by=people.author)
    services.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)

    ran = attempt(lambda: services.entry_start_review(entry=entry, by=people.user(persona)), entry)

    assert ran is (persona == "analyst")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_publish(under_review: Callable[..., Entry], people: People, persona: str) -> None:
    entry = under_review()

    ran = attempt(lambda: services.entry_publish(entry=entry, by=people.user(persona)), entry)

    assert ran is (persona == "analyst")
    assert Entry.objects.get(pk=entry.pk).status == (Status.PUBLISHED if ran else Status.UNDER_REVIEW)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_reject(under_review: Callable[..., Entry], people: People, persona: str) -> None:
    entry = under_review()

    ran = attempt(lambda: services.entry_reject(entry=entry, reason=REASON, by=people.user(persona)), entry)

    assert ran is (persona == "analyst")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_withdraw(published: Callable[..., Entry], people: People, persona: str) -> None:
    entry = published()

    ran = attempt(lambda: services.entry_withdraw(entry=entry, reason=REASON, by=people.user(persona)), entry)

    assert ran is (persona == "analyst")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_classify(under_review: Callable[..., Entry], people: People, persona: str) -> None:
    entry = under_review()  # reviewer and reviewer2 are assigned; outsider_reviewer is not

    ran = attempt(
        lambda: services.entry_set_tier(
            entry=entry, field="summary", tier="public", reason=REASON, by=people.user(persona)
        ),
        entry,
    )

    assert ran is (persona in {"reviewer", "analyst"})


def test_the_whole_path_records_one_revision_and_one_audit_event_per_step(draft: Draft, people: People) -> None:
    entry = to_review(draft(), people)
    entry = services.entry_publish(entry=entry, by=people.analyst)

    events = list(EntryRevision.objects.filter(entry=entry).order_by("version").values_list("event", "version"))
    assert events == [
        (RevisionEvent.CREATED, 1),
        (RevisionEvent.SUBMITTED, 2),
        (RevisionEvent.REVIEW_STARTED, 3),
        (RevisionEvent.PUBLISHED, 4),
    ]
    events_of_entry = AuditEvent.objects.filter(object_type="register.entry", object_id=str(entry.pk))
    actions = list(events_of_entry.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "register.entry.created",
        "register.entry.submitted",
        "register.review.assigned",
        "register.review.assigned",
        "register.entry.review_started",
        "register.review.submitted",
        "register.review.submitted",
        "register.entry.published",
    ]
    assert entry.status == Status.PUBLISHED
    assert entry.serial == 1
    assert entry.published_at == entry.modified_at is not None


Step = Callable[[Entry, People], Entry]
SUBMIT: Step = lambda entry, people: services.entry_submit(entry=entry, by=people.analyst)  # noqa: E731
START: Step = lambda entry, people: services.entry_start_review(entry=entry, by=people.analyst)  # noqa: E731
PUBLISH: Step = lambda entry, people: services.entry_publish(entry=entry, by=people.analyst)  # noqa: E731
REJECT: Step = lambda entry, people: services.entry_reject(entry=entry, reason=REASON, by=people.analyst)  # noqa: E731
WITHDRAW: Step = lambda entry, people: services.entry_withdraw(entry=entry, reason=REASON, by=people.analyst)  # noqa: E731


def ASSIGN(entry: Entry, people: People) -> Entry:
    services.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)
    services.review_assign(entry=entry, reviewer=people.reviewer2, by=people.analyst)
    return entry


def REVIEW(entry: Entry, people: People) -> Entry:
    return review_round(entry, people, assign=False)


def EDIT(entry: Entry, people: People) -> Entry:
    changes = {"details": "Synthetic example: revised notes."}
    return services.entry_update(entry=entry, expected_version=entry.version, changes=changes, by=people.analyst)


def RETITLE(entry: Entry, people: People) -> Entry:
    changes = {"title": "Synthetic example: retitled"}
    return services.entry_update(entry=entry, expected_version=entry.version, changes=changes, by=people.analyst)


REVIEWED = [SUBMIT, ASSIGN, START, REVIEW]
PATHS: dict[str, list[Step]] = {
    "draft": [],
    "submitted": [SUBMIT],
    "under_review": REVIEWED,
    "rejected": [*REVIEWED, REJECT],
    "published": [*REVIEWED, PUBLISH],
    "withdrawn": [*REVIEWED, PUBLISH, WITHDRAW],
    "edit_draft": [*REVIEWED, PUBLISH, EDIT],
    "edit_submitted": [*REVIEWED, PUBLISH, EDIT, SUBMIT],
    "edit_under_review": [*REVIEWED, PUBLISH, EDIT, SUBMIT, ASSIGN, START, REVIEW],
}


def stage(name: str, draft: Draft, people: People) -> Entry:
    """Return an entry in the named state, made by the real services."""
    entry = draft()
    for step in PATHS[name]:
        entry = step(entry, people)
    return entry


STAGES = list(PATHS)
STEPS: dict[str, tuple[set[str], Step]] = {
    "submit": ({"draft", "edit_draft"}, SUBMIT),
    "start_review": ({"submitted", "edit_submitted"}, START),
    "publish": ({"under_review", "edit_under_review"}, PUBLISH),
    "reject": ({"submitted", "under_review", "edit_submitted", "edit_under_review"}, REJECT),
    "withdraw": ({"published", "edit_draft", "edit_submitted", "edit_under_review"}, WITHDRAW),
    "edit": (set(PATHS) - {"rejected", "withdrawn"}, RETITLE),
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("name", STAGES)
def test_each_step_runs_only_from_its_states(draft: Draft, people: People, step: str, name: str) -> None:
    valid, call = STEPS[step]
    entry = stage(name, draft, people)
    before = state(entry)

    if name in valid:
        call(entry, people)
        assert state(entry) != before
        return
    with pytest.raises(services.InvalidTransitionError) as refused:
        call(entry, people)
    assert refused.value.code == "invalid_transition"
    assert state(entry) == before


def test_publishing_needs_two_completed_reviews(draft: Draft, people: People) -> None:
    entry = services.entry_submit(entry=draft(), by=people.author)
    services.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)
    services.review_assign(entry=entry, reviewer=people.reviewer2, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    review(entry, people.reviewer)  # two assigned, one review done
    before = state(entry)

    with pytest.raises(services.RegisterError) as refused:
        services.entry_publish(entry=entry, by=people.analyst)

    assert refused.value.code == "reviews_required"
    assert state(entry) == before


def test_submitting_needs_a_domain(people: People) -> None:
    entry = services.entry_create_draft(by=people.author, values=synthetic_values(domains=[]))
    before = state(entry)

    with pytest.raises(ValidationError) as refused:
        services.entry_submit(entry=entry, by=people.author)

    assert set(refused.value.message_dict) == {"domains"}
    assert state(entry) == before


def test_rejection_and_withdrawal_need_a_reason(
    under_review: Callable[..., Entry], published: Callable[..., Entry], people: People
) -> None:
    reviewed, public = under_review(), published()
    before = state(reviewed), state(public)

    with pytest.raises(ValidationError):
        services.entry_reject(entry=reviewed, reason="  ", by=people.analyst)
    with pytest.raises(ValidationError):
        services.entry_withdraw(entry=public, reason="", by=people.analyst)

    assert (state(reviewed), state(public)) == before


def test_a_rejected_entry_keeps_its_reason_for_its_creator(under_review: Callable[..., Entry], people: People) -> None:
    entry = services.entry_reject(entry=under_review(), reason=REASON, by=people.analyst)

    shown = entry_for(viewer_for(people.author), entry.rsd_id)

    assert shown is not None
    assert shown["status"] == Status.REJECTED
    assert shown["rejection_reason"] == REASON
    assert entry_for(viewer_for(people.other_expert), entry.rsd_id) is None


def test_a_withdrawn_entry_stays_readable_and_is_never_deleted(published: Callable[..., Entry], people: People) -> None:
    entry = services.entry_withdraw(entry=published(), reason="Synthetic example: duplicate record.", by=people.analyst)

    shown = entry_for(viewer_for(None), entry.rsd_id)

    assert shown is not None
    assert shown["status"] == Status.WITHDRAWN
    assert shown["withdrawal_reason"] == "Synthetic example: duplicate record."
    assert shown["withdrawn_at"] == entry.withdrawn_at is not None
    assert entry.serial == 2
    assert not hasattr(services, "entry_delete")
    with pytest.raises(ProtectedError), transaction.atomic():
        entry.delete()
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_the_admin_shows_no_content_and_deletes_nothing(draft: Draft, people: People) -> None:
    entry = draft()
    request = RequestFactory().get("/")
    request.user = people.administrator
    model_admin = site._registry[Entry]

    assert not model_admin.has_delete_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    shown = set(model_admin.get_fields(request, entry)) | set(model_admin.list_display)
    assert not shown & {"title", "summary", "details", "concern_rationale", "domains", "pending_changes"}
    assert str(entry) == entry.rsd_id


def test_editing_a_published_entry_changes_nothing_published_until_the_edit_is_published(
    published: Callable[..., Entry], people: People
) -> None:
    entry = published()
    old_title = entry.title

    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"title": "Synthetic example: revised title"},
        by=people.analyst,
    )  # fmt: skip

    assert entry.status == Status.PUBLISHED
    assert entry.pending_status == PendingStatus.DRAFT
    assert Entry.objects.get(pk=entry.pk).title == old_title
    assert entry_for(viewer_for(None), entry.rsd_id)["title"] == old_title  # type: ignore[index]
    assert entry.serial == 1

    entry = services.entry_submit(entry=entry, by=people.analyst)
    entry = services.entry_start_review(entry=entry, by=people.analyst)
    entry = services.entry_set_tier(entry=entry, field="title", tier="public", reason=REASON, by=people.reviewer,
                                    pending=True)  # fmt: skip
    entry = review_round(entry, people)  # the edit needs a new round of reviews
    entry = services.entry_publish(entry=entry, by=people.analyst)

    assert entry.title == "Synthetic example: revised title"
    assert entry.serial == 2
    assert entry.pending_status == PendingStatus.NONE
    assert entry.pending_changes == {}
    assert entry_for(viewer_for(None), entry.rsd_id)["title"] == "Synthetic example: revised title"  # type: ignore[index]


def test_a_rejected_edit_leaves_the_published_entry_as_it_was(published: Callable[..., Entry], people: People) -> None:
    entry = published()
    entry = services.entry_update(
        entry=entry, expected_version=entry.version, changes={"summary": "Synthetic example: a revised summary."},
        by=people.analyst,
    )  # fmt: skip
    entry = services.entry_submit(entry=entry, by=people.analyst)

    entry = services.entry_reject(entry=entry, reason=REASON, by=people.analyst)

    assert entry.status == Status.PUBLISHED
    assert entry.pending_changes == {}
    assert entry.serial == 1
    assert entry.summary.startswith("Synthetic example 1:")
    assert entry.rejection_reason == ""
    assert EntryRevision.objects.filter(entry=entry).latest("version").reason == REASON


def test_the_creator_loses_their_draft_with_their_role(draft: Draft, people: People) -> None:
    entry = draft()
    role_revoke(user=people.author, role=Role.EXPERT, reason="Synthetic example.", revoked_by=None)
    author = type(people.author).objects.get(pk=people.author.pk)

    assert not can(viewer_for(author), "register.entry.edit", entry)
    assert entry_for(viewer_for(author), entry.rsd_id) is None
    with pytest.raises(PermissionDenied):
        services.entry_update(entry=entry, expected_version=entry.version, changes={"title": "x"}, by=author)


def test_entry_actions_for_combines_the_policy_and_the_workflow(draft: Draft, people: People) -> None:
    entry = draft()

    assert entry_actions_for(viewer_for(people.author), entry) == {"register.entry.edit", "register.entry.submit"}
    assert entry_actions_for(viewer_for(people.other_expert), entry) == set()
    assert "register.entry.publish" not in entry_actions_for(viewer_for(people.analyst), entry)
    assert {"register.entry.edit", "register.entry.classify", "register.review.assign"} <= entry_actions_for(
        viewer_for(people.analyst), entry
    )


def test_a_reviewer_is_assigned_once_never_to_their_own_entry_and_only_as_a_reviewer(
    draft: Draft, people: People
) -> None:
    own = services.entry_create_draft(by=people.reviewer, values=synthetic_values())
    entry = draft()
    services.review_assign(entry=entry, reviewer=people.reviewer, by=people.analyst)

    for reviewer, target, code in [
        (people.reviewer, entry, "already_assigned"),
        (people.reviewer, own, "own_entry"),
        (people.other_expert, entry, "not_a_reviewer"),
    ]:
        before = state(target)
        with pytest.raises(services.RegisterError) as refused:
            services.review_assign(entry=target, reviewer=reviewer, by=people.analyst)
        assert refused.value.code == code
        assert state(target) == before
