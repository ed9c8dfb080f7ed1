"""The horizon-scanning demo: a project with imported literature, a trained model, idempotent, policy level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nonpro.accounts.services import demo_accounts_ensure
from nonpro.horizon.demo import (
    CONCERN_SUBJECTS,
    CORPUS_NAME,
    FIRST_SCREENER,
    PROJECT_NAME,
    REVIEWERS,
    demo_records,
    horizon_demo_ensure,
)
from nonpro.horizon.models import Candidate, Decision, ImportJob, ImportStatus, ScreeningProject
from nonpro.horizon.selectors import queue
from nonpro.register.demo import safety_problems

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "projects": list(ScreeningProject.objects.values_list("pk", "name", "decisions")),
        "jobs": list(ImportJob.objects.order_by("pk").values_list("pk", "status", "records_added")),
        "candidates": Candidate.objects.count(),
    }


@pytest.fixture
def demo_project(tmp_path: Path) -> ScreeningProject:
    demo_accounts_ensure()
    horizon_demo_ensure(tmp_path)
    return ScreeningProject.objects.get(name=PROJECT_NAME)


def test_the_demo_project_holds_every_imported_file_with_its_duplicates_found(
    demo_project: ScreeningProject, tmp_path: Path
) -> None:
    jobs = {Path(job.path).name: job for job in demo_project.imports.all()}
    assert set(jobs) == {CORPUS_NAME, "pubmed-sample.xml", "ris-sample.ris"}
    assert all(job.status == ImportStatus.FINISHED and job.records_error == 0 for job in jobs.values())
    corpus = jobs[CORPUS_NAME]
    repeats = len(demo_records()) - corpus.records_added
    assert repeats > 0
    assert corpus.records_duplicate == repeats
    assert (jobs["pubmed-sample.xml"].records_added, jobs["ris-sample.ris"].records_added) == (10, 100)
    assert sorted(path.name for path in (tmp_path / "horizon" / "server").iterdir()) == sorted(jobs)
    assert {user.email for user in demo_project.members.all()} == set(REVIEWERS)


def test_the_model_has_learnt_from_the_first_screeners_decisions_and_ranks_concern_first(
    demo_project: ScreeningProject,
) -> None:
    decided = Candidate.objects.filter(project=demo_project).exclude(decision=Decision.PENDING)
    assert {candidate.decided_by.email for candidate in decided} == {FIRST_SCREENER}
    assert sorted(decided.values_list("decision", flat=True)) == ["irrelevant"] * 3 + ["relevant"] * 3
    demo_project.refresh_from_db()
    assert demo_project.model_trained
    assert demo_project.ranked_decisions == demo_project.decisions == 6
    top = list(queue(demo_project)[:10])
    concern_titles = tuple(subject.casefold() for subject in CONCERN_SUBJECTS)
    assert all(any(subject in row.title.casefold() for subject in concern_titles) for row in top)


def test_running_the_demo_twice_changes_nothing(demo_project: ScreeningProject, tmp_path: Path) -> None:
    first = _snapshot()

    horizon_demo_ensure(tmp_path)

    assert _snapshot() == first


def test_the_synthetic_corpus_is_marked_synthetic_and_policy_level() -> None:
    records = demo_records()
    assert len(records) > 100
    for record in records:
        assert record.title.startswith("Synthetic example: ")
        assert record.abstract.startswith("Synthetic demo record")
        assert safety_problems(f"{record.title} {record.abstract}") == []
    assert demo_records() == records  # the same corpus every time
