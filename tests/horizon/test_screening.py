"""Screening: locks, decisions, notes, projects, the ranking, the stopping guidance and the queue.

Through ``services`` (``candidate_next``, ``candidate_release``, ``candidate_decide``,
``candidate_note``, ``project_create``, ``project_update``), ``ranking.project_rerank``,
``selectors`` and the ``rerank`` task run by the database worker. The records are synthetic and
policy-level ("Synthetic example: …", see ``tests/horizon/synthetic.py``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from nonpro.core.audit.models import AuditEvent
from nonpro.horizon import ranking, services
from nonpro.horizon.models import Candidate, Decision, Querier, ScreeningProject
from nonpro.horizon.ranking import project_rerank, topic_scores
from nonpro.horizon.selectors import consecutive_irrelevant, project_stats, queue
from nonpro.horizon.services import ScreeningConflict
from tests.horizon.conftest import People, run_worker, upload
from tests.horizon.synthetic import Ref, doi, numbered, ris, write

pytestmark = pytest.mark.django_db

#: Records on customs and border security: no term of the concern taxonomy (prior 0).
BORDER = [
    Ref(
        title="Synthetic example: customs inspection of cargo manifests at land border crossings",
        abstract="Synthetic example: border agencies inspect cargo manifests and customs declarations at crossings.",
        doi=doi(1),
    ),
    Ref(
        title="Synthetic example: risk profiling of cargo manifests by border agencies",
        abstract="Synthetic example: customs declarations and cargo manifests profiled by border agencies.",
        doi=doi(2),
    ),
    Ref(
        title="Synthetic example: training border guards to read customs declarations",
        abstract="Synthetic example: border guards learn to check customs declarations and cargo manifests.",
        doi=doi(3),
    ),
    Ref(
        title="Synthetic example: single window systems for customs declarations at border crossings",
        abstract="Synthetic example: one customs window for cargo manifests at border crossings.",
        doi=doi(4),
    ),
]
#: Records on crop science that name an enabling technology ("machine learning": a small prior).
CROPS = [
    Ref(
        title="Synthetic example: machine learning forecasts of wheat yields",
        abstract="Synthetic example: field trials of wheat varieties, soil moisture and crop yields.",
        doi=doi(11),
    ),
    Ref(
        title="Synthetic example: machine learning of soil moisture for crop irrigation",
        abstract="Synthetic example: irrigation of wheat fields from soil moisture and crop yields.",
        doi=doi(12),
    ),
    Ref(
        title="Synthetic example: machine learning maps of wheat rust in field trials",
        abstract="Synthetic example: wheat rust in field trials, crop yields and wheat varieties.",
        doi=doi(13),
    ),
    Ref(
        title="Synthetic example: machine learning and crop rotation in dry regions",
        abstract="Synthetic example: crop rotation of wheat varieties and soil moisture in dry regions.",
        doi=doi(14),
    ),
]
#: A record in the nuclear domain, at policy level: the highest prior.
SAFEGUARDS = Ref(title="Synthetic example: nuclear safeguards reporting by national customs authorities", doi=doi(21))
#: The same work as BORDER[0], found again: a duplicate.
AGAIN = Ref(title=BORDER[0].title, doi=doi(1), venue="Synthetic Journal of Border Policy")


@pytest.fixture(autouse=True)
def _cold_features(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test with a cold feature cache, as a new worker does (ids repeat across rolled-back tests)."""
    monkeypatch.setattr(ranking, "_FEATURES", {})


@pytest.fixture
def loaded(project: ScreeningProject, people: People, tmp_path: Path) -> ScreeningProject:
    """Return the project with SAFEGUARDS, CROPS, BORDER and one duplicate imported (9 primaries)."""
    upload(project, people.reviewer, write(tmp_path, "screening.ris", ris([SAFEGUARDS, *CROPS, *BORDER, AGAIN])))
    return ScreeningProject.objects.get(pk=project.pk)


def record(project: ScreeningProject, ref: Ref) -> Candidate:
    return Candidate.objects.get(project=project, doi=ref.doi, duplicate_of__isnull=True)


def duplicate(project: ScreeningProject) -> Candidate:
    return Candidate.objects.get(project=project, duplicate_of__isnull=False)


def queue_dois(project: ScreeningProject) -> list[str]:
    return list(queue(project).values_list("doi", flat=True))


def decide(project: ScreeningProject, ref: Ref, decision: str, by: Any, **kwargs: Any) -> Candidate:
    return services.candidate_decide(candidate=record(project, ref), by=by, decision=decision, **kwargs)


def move_clock_past_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    moved = timezone.now() + timedelta(minutes=services.LOCK_MINUTES + 1)
    monkeypatch.setattr(timezone, "now", lambda: moved)


# --- candidate_next, candidate_release ----------------------------------------------------------------


def test_the_import_orders_the_queue_by_prior_concern(loaded: ScreeningProject) -> None:
    rows = list(queue(loaded))

    assert [row.doi for row in rows] == [SAFEGUARDS.doi, *[ref.doi for ref in CROPS], *[ref.doi for ref in BORDER]]
    assert rows[0].prior_score > rows[1].prior_score > rows[-1].prior_score == 0.0
    assert [row.rank_score for row in rows] == [row.prior_score for row in rows]


def test_next_locks_the_best_record_to_the_reviewer(loaded: ScreeningProject, people: People) -> None:
    before = timezone.now()

    shown = services.candidate_next(project=loaded, by=people.reviewer)

    assert shown is not None
    assert shown.doi == SAFEGUARDS.doi
    held = Candidate.objects.get(pk=shown.pk)
    assert held.locked_by == people.reviewer
    assert held.locked_until is not None
    window = timedelta(minutes=services.LOCK_MINUTES)
    assert before + window <= held.locked_until <= timezone.now() + window
    assert shown.pk not in set(queue(loaded).values_list("pk", flat=True))


def test_two_reviewers_get_different_records(loaded: ScreeningProject, people: People) -> None:
    mine = services.candidate_next(project=loaded, by=people.reviewer)
    theirs = services.candidate_next(project=loaded, by=people.second)

    assert mine is not None
    assert theirs is not None
    assert mine.pk != theirs.pk
    assert (mine.doi, theirs.doi) == (SAFEGUARDS.doi, CROPS[0].doi)
    assert Candidate.objects.get(pk=mine.pk).locked_by == people.reviewer
    assert Candidate.objects.get(pk=theirs.pk).locked_by == people.second


def test_a_reviewer_gets_the_same_record_back_while_holding_it(loaded: ScreeningProject, people: People) -> None:
    first = services.candidate_next(project=loaded, by=people.reviewer)
    again = services.candidate_next(project=loaded, by=people.reviewer)

    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert Candidate.objects.filter(project=loaded, locked_by=people.reviewer).count() == 1


def test_an_expired_lock_frees_the_record(
    loaded: ScreeningProject, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = services.candidate_next(project=loaded, by=people.reviewer)
    assert first is not None

    move_clock_past_the_lock(monkeypatch)
    taken = services.candidate_next(project=loaded, by=people.second)

    assert taken is not None
    assert taken.pk == first.pk
    assert Candidate.objects.get(pk=first.pk).locked_by == people.second
    other = services.candidate_next(project=loaded, by=people.reviewer)
    assert other is not None
    assert other.pk != first.pk
    with pytest.raises(ScreeningConflict):
        services.candidate_decide(candidate=first, by=people.reviewer, decision=Decision.RELEVANT)


def test_a_record_whose_lock_expired_may_be_decided_by_another_reviewer(
    loaded: ScreeningProject, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = services.candidate_next(project=loaded, by=people.reviewer)
    assert held is not None

    move_clock_past_the_lock(monkeypatch)
    decided = services.candidate_decide(candidate=held, by=people.second, decision=Decision.IRRELEVANT)

    assert decided.decided_by == people.second
    assert decided.locked_by is None


def test_a_skipped_record_goes_back_to_the_queue_for_everyone_else(loaded: ScreeningProject, people: People) -> None:
    skipped = services.candidate_next(project=loaded, by=people.reviewer)
    assert skipped is not None

    following = services.candidate_next(project=loaded, by=people.reviewer, skip=[skipped.pk])

    assert following is not None
    assert following.pk != skipped.pk
    assert following.doi == CROPS[0].doi
    assert Candidate.objects.get(pk=skipped.pk).locked_by is None
    theirs = services.candidate_next(project=loaded, by=people.second)
    assert theirs is not None
    assert theirs.pk == skipped.pk


def test_next_returns_none_when_every_record_is_screened(loaded: ScreeningProject, people: People) -> None:
    offered: list[int] = []
    while (shown := services.candidate_next(project=loaded, by=people.reviewer)) is not None:
        offered.append(shown.pk)
        services.candidate_decide(candidate=shown, by=people.reviewer, decision=Decision.IRRELEVANT)
        assert len(offered) <= 9

    primaries = set(Candidate.objects.filter(project=loaded, duplicate_of__isnull=True).values_list("pk", flat=True))
    assert sorted(offered) == sorted(primaries)
    assert duplicate(loaded).pk not in offered
    assert services.candidate_next(project=loaded, by=people.second) is None


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_only_members_and_analysts_get_records(loaded: ScreeningProject, people: People, person: str) -> None:
    with pytest.raises(PermissionDenied):
        services.candidate_next(project=loaded, by=getattr(people, person))

    assert not Candidate.objects.filter(project=loaded, locked_by__isnull=False).exists()
    assert services.candidate_next(project=loaded, by=people.analyst) is not None


def test_release_gives_back_only_the_reviewers_own_lock(loaded: ScreeningProject, people: People) -> None:
    held = services.candidate_next(project=loaded, by=people.reviewer)
    assert held is not None

    services.candidate_release(candidate=held, by=people.second)
    assert Candidate.objects.get(pk=held.pk).locked_by == people.reviewer

    services.candidate_release(candidate=held, by=people.reviewer)
    released = Candidate.objects.get(pk=held.pk)
    assert (released.locked_by, released.locked_until) == (None, None)
    assert queue_dois(loaded)[0] == held.doi


# --- candidate_decide ---------------------------------------------------------------------------------


def test_decisions_are_numbered_in_order(loaded: ScreeningProject, people: People) -> None:
    held = services.candidate_next(project=loaded, by=people.reviewer)
    assert held is not None

    first = services.candidate_decide(
        candidate=held, by=people.reviewer, decision=Decision.RELEVANT, note="  Synthetic example: a note.  "
    )
    second = decide(loaded, BORDER[1], Decision.IRRELEVANT, people.second)
    third = decide(loaded, CROPS[2], Decision.IRRELEVANT, people.analyst)

    assert [row.decision_seq for row in (first, second, third)] == [1, 2, 3]
    stored = Candidate.objects.get(pk=first.pk)
    assert stored.decision == Decision.RELEVANT
    assert stored.decided_by == people.reviewer
    assert stored.decided_at is not None
    assert stored.note == "Synthetic example: a note."
    assert (stored.locked_by, stored.locked_until) == (None, None)
    loaded.refresh_from_db()
    assert loaded.decisions == 3
    events = AuditEvent.objects.filter(action="horizon.candidate.decided").order_by("seq")
    assert [(event.object_id, event.summary) for event in events] == [
        (str(first.pk), {"project": loaded.pk, "before": "pending", "after": "relevant", "number": 1}),
        (str(second.pk), {"project": loaded.pk, "before": "pending", "after": "irrelevant", "number": 2}),
        (str(third.pk), {"project": loaded.pk, "before": "pending", "after": "irrelevant", "number": 3}),
    ]
    assert "Synthetic example: a note." not in str([event.summary for event in events])


def unchanged(project: ScreeningProject, candidate: Candidate) -> tuple[Any, ...]:
    row = Candidate.objects.get(pk=candidate.pk)
    project.refresh_from_db()
    decided = AuditEvent.objects.filter(action="horizon.candidate.decided").count()
    return row.decision, row.decision_seq, row.decided_by_id, row.note, project.decisions, decided


def test_a_record_another_reviewer_holds_cannot_be_decided(loaded: ScreeningProject, people: People) -> None:
    held = services.candidate_next(project=loaded, by=people.reviewer)
    assert held is not None
    before = unchanged(loaded, held)

    with pytest.raises(ScreeningConflict):
        services.candidate_decide(candidate=held, by=people.second, decision=Decision.IRRELEVANT)

    assert unchanged(loaded, held) == before
    assert Candidate.objects.get(pk=held.pk).locked_by == people.reviewer


def test_a_decided_record_is_not_decided_again_without_change(loaded: ScreeningProject, people: People) -> None:
    decided = decide(loaded, CROPS[1], Decision.RELEVANT, people.reviewer)
    before = unchanged(loaded, decided)

    with pytest.raises(ScreeningConflict):
        services.candidate_decide(candidate=decided, by=people.second, decision=Decision.IRRELEVANT)
    with pytest.raises(ScreeningConflict):
        services.candidate_decide(candidate=decided, by=people.reviewer, decision=Decision.RELEVANT)

    assert unchanged(loaded, decided) == before


def test_change_changes_a_decision_and_numbers_it_anew(loaded: ScreeningProject, people: People) -> None:
    decided = decide(loaded, CROPS[1], Decision.RELEVANT, people.reviewer)
    decide(loaded, CROPS[2], Decision.IRRELEVANT, people.reviewer)

    changed = services.candidate_decide(candidate=decided, by=people.second, decision=Decision.IRRELEVANT, change=True)

    assert changed.decision == Decision.IRRELEVANT
    assert changed.decision_seq == 3
    assert changed.decided_by == people.second
    loaded.refresh_from_db()
    assert loaded.decisions == 3
    event = AuditEvent.objects.filter(action="horizon.candidate.decided").latest("seq")
    assert event.summary == {"project": loaded.pk, "before": "relevant", "after": "irrelevant", "number": 3}
    assert project_stats(loaded).relevant == 0
    assert consecutive_irrelevant(loaded) == 2


def test_a_duplicate_is_not_screened(loaded: ScreeningProject, people: People) -> None:
    copy = duplicate(loaded)
    before = unchanged(loaded, copy)

    with pytest.raises(ScreeningConflict):
        services.candidate_decide(candidate=copy, by=people.reviewer, decision=Decision.RELEVANT)

    assert unchanged(loaded, copy) == before


@pytest.mark.parametrize("decision", ["maybe", Decision.PENDING, ""])
def test_a_decision_must_be_relevant_or_irrelevant(loaded: ScreeningProject, people: People, decision: str) -> None:
    target = record(loaded, CROPS[0])
    before = unchanged(loaded, target)

    with pytest.raises(ValidationError) as refused:
        services.candidate_decide(candidate=target, by=people.reviewer, decision=decision)

    assert list(refused.value.message_dict) == ["decision"]
    assert unchanged(loaded, target) == before


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_only_members_and_analysts_decide(loaded: ScreeningProject, people: People, person: str) -> None:
    target = record(loaded, CROPS[0])
    before = unchanged(loaded, target)

    with pytest.raises(PermissionDenied):
        services.candidate_decide(candidate=target, by=getattr(people, person), decision=Decision.RELEVANT)

    assert unchanged(loaded, target) == before


def test_a_decision_without_a_note_keeps_the_note(loaded: ScreeningProject, people: People) -> None:
    target = record(loaded, CROPS[0])
    services.candidate_note(candidate=target, by=people.reviewer, note="Synthetic example: kept.")

    decided = services.candidate_decide(candidate=target, by=people.second, decision=Decision.IRRELEVANT)

    assert decided.note == "Synthetic example: kept."


# --- candidate_note -----------------------------------------------------------------------------------


def test_a_note_is_kept_without_deciding(loaded: ScreeningProject, people: People) -> None:
    target = record(loaded, BORDER[2])

    noted = services.candidate_note(
        candidate=target, by=people.second, note="  Synthetic example: ask a customs expert. "
    )

    stored = Candidate.objects.get(pk=noted.pk)
    assert stored.note == "Synthetic example: ask a customs expert."
    assert (stored.decision, stored.decision_seq) == (Decision.PENDING, None)
    event = AuditEvent.objects.get(action="horizon.candidate.noted")
    assert (event.object_id, event.actor_id, event.summary) == (
        str(target.pk),
        people.second.pk,
        {"project": loaded.pk},
    )


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_only_members_and_analysts_write_notes(loaded: ScreeningProject, people: People, person: str) -> None:
    target = record(loaded, BORDER[2])

    with pytest.raises(PermissionDenied):
        services.candidate_note(candidate=target, by=getattr(people, person), note="Synthetic example: no.")

    assert Candidate.objects.get(pk=target.pk).note == ""
    assert not AuditEvent.objects.filter(action="horizon.candidate.noted").exists()


# --- projects -----------------------------------------------------------------------------------------


def test_an_analyst_creates_a_project_with_reviewers(people: People) -> None:
    project = services.project_create(
        by=people.analyst,
        name="  Synthetic example: border security literature  ",
        description="Synthetic example: a policy-level scan.",
        domains=["nuclear", "chemical", "nuclear"],
        querier=Querier.UNCERTAINTY,
        members=[people.reviewer, people.second],
    )

    assert project.name == "Synthetic example: border security literature"
    assert project.domains == ["chemical", "nuclear"]
    assert project.querier == Querier.UNCERTAINTY
    assert project.created_by == people.analyst
    assert set(project.members.all()) == {people.reviewer, people.second}
    event = AuditEvent.objects.get(action="horizon.project.created")
    assert event.object_type == "horizon.screeningproject"
    assert event.object_id == str(project.pk)
    assert event.summary == {
        "domains": ["chemical", "nuclear"],
        "topics": [],
        "members": sorted([people.reviewer.pk, people.second.pk]),
    }


@pytest.mark.parametrize("person", ["reviewer", "expert"])
def test_only_analysts_create_projects(people: People, person: str) -> None:
    with pytest.raises(PermissionDenied):
        services.project_create(by=getattr(people, person), name="Synthetic example: refused")

    assert not ScreeningProject.objects.exists()
    assert not AuditEvent.objects.filter(action="horizon.project.created").exists()


REFUSED_PROJECTS = {
    "a member who is no reviewer": ("members", {"members": "expert"}),
    "an unknown domain": ("domains", {"domains": ["nuclear", "synthetic-astrology"]}),
    "no name": ("name", {"name": "   "}),
    "an unknown order": ("querier", {"querier": "alphabetical"}),
}


@pytest.mark.parametrize("case", REFUSED_PROJECTS)
def test_a_project_with_a_bad_value_is_refused_and_not_created(people: People, case: str) -> None:
    field, overrides = REFUSED_PROJECTS[case]
    values: dict[str, Any] = {"name": "Synthetic example: refused", "members": [people.reviewer]}
    values.update(overrides)
    if values["members"] == "expert":
        values["members"] = [people.reviewer, people.expert]

    with pytest.raises(ValidationError) as refused:
        services.project_create(by=people.analyst, **values)

    assert list(refused.value.message_dict) == [field]
    assert not ScreeningProject.objects.exists()
    assert not AuditEvent.objects.filter(action="horizon.project.created").exists()


def update(project: ScreeningProject, by: Any, **changes: Any) -> ScreeningProject:
    """Call ``project_update`` with the project's current values and ``changes``."""
    current = ScreeningProject.objects.get(pk=project.pk)
    values: dict[str, Any] = {
        "name": current.name,
        "description": current.description,
        "domains": current.domains,
        "topics": current.topics,
        "querier": current.querier,
        "members": list(current.members.all()),
    }
    values.update(changes)
    return services.project_update(project=current, by=by, **values)


def test_an_analyst_updates_a_project_and_its_members(loaded: ScreeningProject, people: People) -> None:
    updated = update(
        loaded,
        people.analyst,
        name="Synthetic example: renamed",
        querier=Querier.MIXED,
        members=[people.reviewer, people.outsider],
    )

    stored = ScreeningProject.objects.get(pk=loaded.pk)
    assert (stored.name, stored.querier) == ("Synthetic example: renamed", Querier.MIXED)
    assert set(stored.members.all()) == {people.reviewer, people.outsider}
    event = AuditEvent.objects.get(action="horizon.project.updated")
    assert event.summary == {
        "before": {
            "domains": [],
            "topics": [],
            "querier": "max",
            "members": sorted([people.reviewer.pk, people.second.pk]),
        },
        "after": {
            "domains": [],
            "topics": [],
            "querier": "mixed",
            "members": sorted([people.reviewer.pk, people.outsider.pk]),
        },
    }
    # the project returned knows its new members: the new one screens, the removed one no longer does
    assert services.candidate_next(project=updated, by=people.outsider) is not None
    with pytest.raises(PermissionDenied):
        services.candidate_next(project=updated, by=people.second)


def test_only_analysts_update_projects(loaded: ScreeningProject, people: People) -> None:
    with pytest.raises(PermissionDenied):
        update(loaded, people.reviewer, name="Synthetic example: taken over", members=[people.reviewer])

    stored = ScreeningProject.objects.get(pk=loaded.pk)
    assert stored.name == loaded.name
    assert set(stored.members.all()) == {people.reviewer, people.second}
    assert not AuditEvent.objects.filter(action="horizon.project.updated").exists()


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("members", {"members": "expert"}),
        ("domains", {"domains": ["synthetic-astrology"]}),
        ("name", {"name": ""}),
        ("querier", {"querier": "alphabetical"}),
    ],
)
def test_an_update_with_a_bad_value_changes_nothing(
    loaded: ScreeningProject, people: People, field: str, changes: dict[str, Any]
) -> None:
    if changes.get("members") == "expert":
        changes = {"members": [people.reviewer, people.expert]}
    priors = list(Candidate.objects.filter(project=loaded).order_by("pk").values_list("prior_score", flat=True))

    with pytest.raises(ValidationError) as refused:
        update(loaded, people.analyst, description="Synthetic example: changed", **changes)

    assert list(refused.value.message_dict) == [field]
    stored = ScreeningProject.objects.get(pk=loaded.pk)
    assert (stored.description, stored.domains, stored.querier) == ("", [], Querier.MAX)
    assert set(stored.members.all()) == {people.reviewer, people.second}
    assert list(Candidate.objects.filter(project=loaded).order_by("pk").values_list("prior_score", flat=True)) == priors
    assert not AuditEvent.objects.filter(action="horizon.project.updated").exists()


def test_changing_the_domains_refreshes_the_priors(loaded: ScreeningProject, people: People) -> None:
    crops_prior = record(loaded, CROPS[0]).prior_score
    assert crops_prior > 0

    update(loaded, people.analyst, domains=["nuclear"])

    safeguards, crops = record(loaded, SAFEGUARDS), record(loaded, CROPS[0])
    assert safeguards.prior_score == safeguards.domain_scores["nuclear"] > 0
    assert (crops.prior_score, crops.rank_score) == (0.0, 0.0)
    assert queue_dois(loaded)[0] == SAFEGUARDS.doi

    update(loaded, people.analyst, domains=["enabling-technology"])

    safeguards, crops = record(loaded, SAFEGUARDS), record(loaded, CROPS[0])
    assert crops.prior_score == crops.rank_score == crops.domain_scores["enabling-technology"] > crops_prior
    assert safeguards.prior_score == 0.0
    assert queue_dois(loaded)[:4] == [ref.doi for ref in CROPS]
    # a duplicate's prior follows its project too
    assert duplicate(loaded).prior_score == 0.0


def test_a_topic_focus_ranks_the_records_of_that_topic_first(loaded: ScreeningProject, people: People) -> None:
    update(loaded, people.analyst, topics=["ai-enabled-design"])

    loaded.refresh_from_db()
    assert loaded.topics == ["ai-enabled-design"]
    crops, safeguards = record(loaded, CROPS[0]), record(loaded, SAFEGUARDS)
    assert crops.prior_score == crops.rank_score == topic_scores(crops.explanation)["ai-enabled-design"] > 0
    assert safeguards.prior_score == 0.0  # nuclear, not the topic
    assert sorted(queue_dois(loaded)[:4]) == sorted(ref.doi for ref in CROPS)

    # a domain beside the topic: the higher of the two scores counts
    update(loaded, people.analyst, topics=["ai-enabled-design"], domains=["nuclear"])
    assert record(loaded, SAFEGUARDS).prior_score == record(loaded, SAFEGUARDS).domain_scores["nuclear"]
    assert record(loaded, CROPS[0]).prior_score == crops.prior_score


def test_an_unknown_topic_is_refused(loaded: ScreeningProject, people: People) -> None:
    with pytest.raises(ValidationError) as refused:
        update(loaded, people.analyst, topics=["synthetic-astrology"])
    assert "topics" in refused.value.message_dict
    assert ScreeningProject.objects.get(pk=loaded.pk).topics == []


# --- the ranking --------------------------------------------------------------------------------------


def test_before_any_label_the_ranking_is_the_prior(loaded: ScreeningProject) -> None:
    assert project_rerank(loaded.pk) is True

    loaded.refresh_from_db()
    assert loaded.model_trained is False
    assert loaded.calibrated is False
    assert (loaded.recall_estimate, loaded.recall_low, loaded.recall_high) == (None, None, None)
    assert loaded.ranked_at is not None
    rows = list(queue(loaded))
    assert all(row.probability is None for row in rows)
    assert [row.rank_score for row in rows] == [row.prior_score for row in rows]
    assert [row.doi for row in rows] == [SAFEGUARDS.doi, *[ref.doi for ref in CROPS], *[ref.doi for ref in BORDER]]
    assert project_rerank(loaded.pk) is False


def test_one_class_of_labels_does_not_train_the_model(loaded: ScreeningProject, people: People) -> None:
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)

    assert project_rerank(loaded.pk) is True

    loaded.refresh_from_db()
    assert loaded.model_trained is False
    assert loaded.ranked_decisions == 1
    assert queue_dois(loaded)[0] == SAFEGUARDS.doi


def test_a_relevant_and_an_irrelevant_label_train_the_model_and_change_the_ranking(
    loaded: ScreeningProject, people: People
) -> None:
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
    decide(loaded, CROPS[0], Decision.IRRELEVANT, people.second)
    assert queue_dois(loaded)[0] == SAFEGUARDS.doi

    assert project_rerank(loaded.pk) is True

    loaded.refresh_from_db()
    assert loaded.model_trained is True
    assert loaded.ranked_decisions == loaded.decisions == 2
    primaries = Candidate.objects.filter(project=loaded, duplicate_of__isnull=True)
    assert all(row.probability is not None and 0.0 <= row.probability <= 1.0 for row in primaries)
    # the records like the relevant one (border security) come first, those like the irrelevant one last
    assert set(queue_dois(loaded)[:3]) == {ref.doi for ref in BORDER[1:]}
    assert set(queue_dois(loaded)[-3:]) == {ref.doi for ref in CROPS[1:]}
    relevant_like = record(loaded, BORDER[1]).probability
    irrelevant_like = record(loaded, CROPS[1]).probability
    assert relevant_like is not None
    assert irrelevant_like is not None
    assert relevant_like > irrelevant_like
    # the stopping guidance
    assert loaded.recall_estimate is not None
    assert loaded.recall_low is not None
    assert loaded.recall_high is not None
    assert 0.0 <= loaded.recall_low <= loaded.recall_estimate <= loaded.recall_high <= 1.0
    # idempotent until a new decision arrives
    scores = list(primaries.order_by("pk").values_list("rank_score", flat=True))
    assert project_rerank(loaded.pk) is False
    assert list(primaries.order_by("pk").values_list("rank_score", flat=True)) == scores
    decide(loaded, BORDER[1], Decision.RELEVANT, people.reviewer)
    assert project_rerank(loaded.pk) is True
    assert ScreeningProject.objects.get(pk=loaded.pk).ranked_decisions == 3


def test_the_uncertainty_order_puts_the_least_certain_record_first(loaded: ScreeningProject, people: People) -> None:
    update(loaded, people.analyst, querier=Querier.UNCERTAINTY)
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
    decide(loaded, CROPS[0], Decision.IRRELEVANT, people.second)

    project_rerank(loaded.pk)

    rows = list(queue(loaded))
    assert all(row.rank_score <= 0.0 for row in rows)
    assert rows[0].rank_score == max(row.rank_score for row in rows)


def test_a_reranking_learns_the_text_a_duplicate_added(
    loaded: ScreeningProject, people: People, tmp_path: Path
) -> None:
    """A warm worker (features cached) ranks exactly as a new one after a duplicate filled a record's abstract."""
    bare = Ref(title="Synthetic example: annual report of an agency", doi=doi(31))
    upload(loaded, people.reviewer, write(tmp_path, "bare.ris", ris([bare])))
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
    decide(loaded, CROPS[0], Decision.IRRELEVANT, people.reviewer)
    project_rerank(loaded.pk)
    filled = Ref(
        title=bare.title,
        doi=bare.doi,
        abstract="Synthetic example: border agencies inspect cargo manifests and customs declarations at crossings.",
    )
    upload(loaded, people.reviewer, write(tmp_path, "filled.ris", ris([filled])))
    assert record(loaded, bare).abstract == filled.abstract
    decide(loaded, CROPS[1], Decision.IRRELEVANT, people.reviewer)

    assert project_rerank(loaded.pk) is True
    warm = dict(Candidate.objects.filter(project=loaded).values_list("pk", "rank_score"))
    ranking._FEATURES.clear()  # a new worker
    assert project_rerank(loaded.pk, force=True) is True
    cold = dict(Candidate.objects.filter(project=loaded).values_list("pk", "rank_score"))

    assert warm == pytest.approx(cold, abs=1e-4)  # (the SVM's solver is not bit-for-bit deterministic)
    assert queue_dois(loaded)[0] in {bare.doi, *[ref.doi for ref in BORDER[1:]]}


def test_ranking_an_empty_project_records_that_it_is_up_to_date(project: ScreeningProject) -> None:
    assert project_rerank(project.pk) is True

    project.refresh_from_db()
    assert project.ranked_at is not None
    assert project.ranked_decisions == 0
    assert project_rerank(project.pk) is False


# --- selectors: the queue, the statistics, the stopping guidance --------------------------------------


def test_the_queue_leaves_out_held_decided_and_duplicate_records(loaded: ScreeningProject, people: People) -> None:
    held = services.candidate_next(project=loaded, by=people.reviewer)
    assert held is not None
    decided = decide(loaded, BORDER[3], Decision.IRRELEVANT, people.second)

    pks = set(queue(loaded).values_list("pk", flat=True))

    assert held.pk not in pks
    assert decided.pk not in pks
    assert duplicate(loaded).pk not in pks
    assert len(pks) == 9 - 2
    # a lock that expired is no hold any more
    assert held.pk in set(
        queue(loaded, now=timezone.now() + timedelta(minutes=services.LOCK_MINUTES + 1)).values_list("pk", flat=True)
    )


def test_project_stats_count_what_was_screened(loaded: ScreeningProject, people: People) -> None:
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
    decide(loaded, CROPS[0], Decision.IRRELEVANT, people.reviewer)
    decide(loaded, CROPS[1], Decision.IRRELEVANT, people.second)

    stats = project_stats(loaded)

    assert (stats.candidates, stats.duplicates) == (9, 1)
    assert (stats.screened, stats.relevant, stats.irrelevant) == (3, 1, 2)
    assert stats.consecutive_irrelevant == 2
    assert stats.promoted == 0
    assert stats.pending == 6
    assert stats.percent_screened == 33


def test_the_projects_counters_agree_with_its_records_after_changes_imports_and_promotions(
    loaded: ScreeningProject, people: People, tmp_path: Path
) -> None:
    decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
    decide(loaded, BORDER[1], Decision.IRRELEVANT, people.reviewer)
    decide(loaded, BORDER[0], Decision.IRRELEVANT, people.reviewer, change=True)  # relevant -> irrelevant
    decide(loaded, BORDER[1], Decision.RELEVANT, people.reviewer, change=True)  # irrelevant -> relevant
    services.candidate_promote(
        candidate=record(loaded, BORDER[1]),
        by=people.reviewer,
        title="Synthetic example: a promoted record",
        summary="Synthetic example: why it matters for resolution 1540.",
    )
    upload(loaded, people.reviewer, write(tmp_path, "more.ris", ris([*numbered(3, start=40), AGAIN])))

    stats = project_stats(loaded)
    rows = Candidate.objects.filter(project=loaded)
    assert stats.candidates == rows.filter(duplicate_of__isnull=True).count() == 12
    assert stats.duplicates == rows.filter(duplicate_of__isnull=False).count() == 2
    assert stats.relevant == rows.filter(decision=Decision.RELEVANT).count() == 1
    assert stats.irrelevant == rows.filter(decision=Decision.IRRELEVANT).count() == 1
    assert stats.promoted == rows.filter(entry__isnull=False).count() == 1


def test_project_stats_of_an_empty_project(project: ScreeningProject) -> None:
    stats = project_stats(project)

    assert (stats.candidates, stats.duplicates, stats.screened, stats.pending, stats.percent_screened) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert stats.consecutive_irrelevant == 0


@pytest.mark.parametrize(
    ("decisions", "expected"),
    [
        ("", 0),
        ("i", 1),
        ("ii", 2),
        ("r", 0),
        ("irii", 2),
        ("rir", 0),
        ("riiiii", 5),
    ],
)
def test_consecutive_irrelevant_counts_back_to_the_last_relevant(
    loaded: ScreeningProject, people: People, decisions: str, expected: int
) -> None:
    refs = [*CROPS, *BORDER]
    for ref, letter in zip(refs, decisions, strict=False):
        decide(loaded, ref, Decision.RELEVANT if letter == "r" else Decision.IRRELEVANT, people.reviewer)

    assert consecutive_irrelevant(loaded) == expected
    assert project_stats(loaded).consecutive_irrelevant == expected


# --- the background re-ranking ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left in a transaction (PostgreSQL)
def test_a_decision_schedules_a_reranking_that_the_worker_runs(loaded: ScreeningProject, people: People) -> None:
    DBTaskResult.objects.all().delete()  # the import's own re-ranking
    with transaction.atomic():
        decide(loaded, BORDER[0], Decision.RELEVANT, people.reviewer)
        decide(loaded, CROPS[0], Decision.IRRELEVANT, people.second)
        assert not DBTaskResult.objects.exists(), "queued on commit, not before"
    assert DBTaskResult.objects.filter(task_path="nonpro.horizon.tasks.rerank").count() == 2

    run_worker()

    loaded.refresh_from_db()
    assert loaded.ranked_decisions == loaded.decisions == 2
    assert loaded.model_trained is True
    assert queue_dois(loaded)[0] in {ref.doi for ref in BORDER[1:]}
    # the first task ranked both decisions; the second found the ranking up to date
    assert sorted(DBTaskResult.objects.values_list("status", "return_value")) == [
        ("SUCCESSFUL", False),
        ("SUCCESSFUL", True),
    ]


def test_a_refused_decision_schedules_nothing(
    loaded: ScreeningProject, people: People, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ValidationError):
        decide(loaded, BORDER[0], "maybe", people.reviewer)

    assert callbacks == []
    assert not DBTaskResult.objects.exists()
