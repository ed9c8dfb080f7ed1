"""Horizon scanning's Django side at scale: a project of generated candidates — screening, re-ranking, import.

The candidates are written in bulk (not through the import: that is measured on its own below),
with synthetic titles and abstracts of pseudo-words, a spread of concern scores and a few hundred
decisions. Measured: the screening page (GET, the record held for the reviewer), one decision and the
next record (POST + GET, what a reviewer does all day), the re-ranking after one more decision
(features kept in the worker's memory, as between two decisions), and ``import_process`` of a
generated PubMed file into the project (records per second through the database). Timings are
reported in ``extra_info`` and by pytest-benchmark, never asserted. ``NONPRO_BENCH_PROJECT_RECORDS`` sets
the size (default 200000); run on PostgreSQL with ``NONPRO_TEST_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from pytest_benchmark.fixture import BenchmarkFixture
from scanning_corpus import write_corpus

CANDIDATES = int(os.environ.get("NONPRO_BENCH_PROJECT_RECORDS", "200000"))
IMPORTED = int(os.environ.get("NONPRO_BENCH_IMPORT", "20000"))
DECIDED = 400
BATCH = 5000
WORDS = [f"lexeme{n:04d}" for n in range(3000)]
CONCERN = ["export control compliance", "biosecurity", "nuclear security", "additive manufacturing", ""]


def _p95(benchmark: BenchmarkFixture) -> float:
    data = sorted(benchmark.stats.stats.data)
    p95_ms = data[max(0, round(0.95 * len(data)) - 1)] * 1000
    benchmark.extra_info.update(
        {
            "p95_ms": round(p95_ms, 2),
            "median_ms": round(statistics.median(data) * 1000, 2),
            "candidates": CANDIDATES,
            "database": connection.vendor,
        }
    )
    return p95_ms


def _generate(project: Any, reviewer: Any, count: int) -> None:
    from django.utils import timezone

    from nonpro.core.management.commands.database_optimize import database_optimize
    from nonpro.horizon.models import Candidate, Decision

    rng = random.Random(1540)  # noqa: S311 - synthetic data
    now = timezone.now()
    for start in range(0, count, BATCH):
        rows = []
        for number in range(start, min(count, start + BATCH)):
            phrase = CONCERN[number % len(CONCERN)] if number % 50 == 0 else ""
            words = " ".join(rng.choices(WORDS, k=120))
            concern = rng.random() * (0.9 if phrase else 0.2)
            rows.append(
                Candidate(
                    project=project,
                    title=f"Synthetic benchmark record {number} {phrase} {' '.join(rng.choices(WORDS, k=8))}",
                    abstract=f"Synthetic benchmark abstract. {phrase} {words}",
                    doi=f"10.5555/bench.{number}",
                    concern=concern,
                    prior_score=concern,
                    rank_score=concern,
                    domain_scores={"enabling-technology": round(concern, 4)} if phrase else {},
                )
            )
        Candidate.objects.bulk_create(rows, batch_size=1000)
    decided = list(Candidate.objects.filter(project=project).order_by("?").values_list("pk", flat=True)[:DECIDED])
    for seq, pk in enumerate(decided, start=1):
        decision = Decision.RELEVANT if seq % 10 == 0 else Decision.IRRELEVANT
        Candidate.objects.filter(pk=pk).update(decision=decision, decision_seq=seq, decided_by=reviewer, decided_at=now)
    relevant = sum(1 for seq in range(1, len(decided) + 1) if seq % 10 == 0)
    project.decisions, project.record_count = len(decided), count
    project.relevant_count, project.irrelevant_count = relevant, len(decided) - relevant
    project.save(update_fields=["decisions", "record_count", "relevant_count", "irrelevant_count"])
    database_optimize()


@pytest.fixture(scope="session")
def horizon_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """A project of ``CANDIDATES`` generated candidates, an analyst and a member reviewer (both with MFA)."""
    from allauth.mfa.totp.internal.auth import TOTP

    from nonpro.accounts.models import User
    from nonpro.accounts.services import role_grant
    from nonpro.core.policy import Role
    from nonpro.horizon import services
    from nonpro.horizon.ranking import project_rerank

    with django_db_blocker.unblock():
        analyst = User.objects.create_user("bench.analyst@example.test", "not-used-benchmark-only")
        reviewer = User.objects.create_user("bench.reviewer@example.test", "not-used-benchmark-only")
        role_grant(user=analyst, role=Role.COMMITTEE_ANALYST, reason="benchmark", granted_by=None)
        role_grant(user=reviewer, role=Role.REVIEWER, reason="benchmark", granted_by=None)
        for user in (analyst, reviewer):
            TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        project = services.project_create(by=analyst, name="Synthetic benchmark project", members=[reviewer])
        started = time.perf_counter()
        _generate(project, reviewer, CANDIDATES)
        generated = time.perf_counter() - started
        project_rerank(project.pk, force=True)  # the features are in this process's memory from now on
        yield {"project_id": project.pk, "reviewer_id": reviewer.pk, "analyst_id": analyst.pk, "generated": generated}


@pytest.mark.django_db
def test_screening_page(benchmark: BenchmarkFixture, horizon_data: dict[str, Any]) -> None:
    """The screening page of a reviewer: the record they hold, its explanation, the stopping guidance."""
    from nonpro.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=horizon_data["reviewer_id"]))
    path = f"/en/scanning/projects/{horizon_data['project_id']}/screen/"

    response = benchmark.pedantic(client.get, args=(path,), rounds=40, iterations=1, warmup_rounds=2)
    _p95(benchmark)
    assert response.status_code == 200
    assert b'id="decision-form"' in response.content


@pytest.mark.django_db
def test_decide_then_next_record(benchmark: BenchmarkFixture, horizon_data: dict[str, Any]) -> None:
    """One decision and the next record: the POST, its redirect and the screening page after it."""
    from nonpro.accounts.models import User
    from nonpro.horizon.models import Candidate

    reviewer = User.objects.get(pk=horizon_data["reviewer_id"])
    client = Client()
    client.force_login(reviewer)
    screen = f"/en/scanning/projects/{horizon_data['project_id']}/screen/"
    client.get(screen)

    def decide() -> int:
        held = Candidate.objects.filter(locked_by=reviewer).values_list("pk", flat=True).first()
        response = client.post(f"/en/scanning/records/{held}/decide/", {"decision": "irrelevant"}, follow=True)
        return response.status_code

    status = benchmark.pedantic(decide, rounds=30, iterations=1, warmup_rounds=1)
    _p95(benchmark)
    assert status == 200


@pytest.mark.django_db
def test_rerank_after_one_decision(benchmark: BenchmarkFixture, horizon_data: dict[str, Any]) -> None:
    """Retrain on every decision and store every candidate's new score (features already in memory)."""
    from nonpro.horizon.models import ScreeningProject
    from nonpro.horizon.ranking import project_rerank

    project_id = horizon_data["project_id"]
    ran = benchmark.pedantic(project_rerank, args=(project_id,), kwargs={"force": True}, rounds=5, iterations=1)
    _p95(benchmark)
    assert ran
    assert ScreeningProject.objects.get(pk=project_id).model_trained


@pytest.mark.django_db
def test_import_into_a_large_project(
    benchmark: BenchmarkFixture, horizon_data: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    """``import_process`` of a generated PubMed file into the project: read, score, deduplicate against
    the project's candidates, write — records per second through the database."""
    from nonpro.accounts.models import User
    from nonpro.horizon import services
    from nonpro.horizon.importing import import_process
    from nonpro.horizon.models import ImportStatus, ScreeningProject

    settings.HORIZON_UPLOAD_DIR = tmp_path / "uploads"
    (path,) = write_corpus(tmp_path / "corpus", IMPORTED)
    project = ScreeningProject.objects.get(pk=horizon_data["project_id"])
    analyst = User.objects.get(pk=horizon_data["analyst_id"])

    def run() -> Any:
        job = services.import_server_file(project=project, by=analyst, path=path, enqueue=False, anywhere=True)
        return import_process(job.pk)

    job = benchmark.pedantic(run, rounds=1, iterations=1)
    seconds = benchmark.stats.stats.data[0]
    benchmark.extra_info.update(
        {"records": job.records_read, "records_per_s": round(job.records_read / seconds), "candidates": CANDIDATES}
    )
    assert job.status == ImportStatus.FINISHED
    assert job.records_read == IMPORTED
