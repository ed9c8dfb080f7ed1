"""Rank a project's queue: zero-shot concern before any decision, then the active-learning model.

Before both a relevant and an irrelevant decision exist, the queue is ordered by the *prior*: the
record's concern in the project's domains and topics (its overall concern when the project names none).
Afterwards ``project_rerank`` retrains ``scanning.learning.Screener`` on every decision and stores
each record's ranking score and calibrated probability, and the stopping guidance on the project.
It runs in the background after decisions (``tasks.rerank``) and is idempotent: a ranking that
already learnt from every decision is left alone.

The TF-IDF features of a project are kept in the worker's memory between re-rankings while the
project's records are unchanged, so that a re-ranking after one decision costs the training and the
scoring only (benchmarks: 0.24 s for a million records).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from scipy import sparse

from nonpro.horizon.models import Candidate, Decision, ImportJob, Querier, ScreeningProject
from nonpro.scanning.concern import load_taxonomy
from nonpro.scanning.learning import Screener, vectorize

#: Features of the last projects ranked in this process: project id -> (key, candidate ids, features).
_FEATURES: dict[int, tuple[tuple[int, int, int, int], np.ndarray, sparse.csr_matrix]] = {}
_FEATURES_KEPT = 4


@dataclass(frozen=True)
class Focus:
    """What a project looks for: domains and topics of the concern taxonomy (none: everything)."""

    domains: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    @classmethod
    def of(cls, project: ScreeningProject) -> Focus:
        return cls(tuple(project.domains or ()), tuple(project.topics or ()))


def topic_scores(explanation: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Return each topic's score from a record's explanation, calibrated as domain scores are."""
    evidence: dict[str, float] = {}
    for match in explanation:
        topic = str(match.get("topic", ""))
        evidence[topic] = evidence.get(topic, 0.0) + float(match.get("evidence", 0.0))
    scale = load_taxonomy().scale
    return {topic: 1.0 - math.exp(-value / scale) for topic, value in evidence.items()}


def prior_score(
    concern: float, domains: Mapping[str, float], explanation: Sequence[Mapping[str, Any]], focus: Focus
) -> float:
    """Return the zero-shot ranking score: the highest score among the focus's domains and topics.

    A project that names neither is ranked by the overall concern.
    """
    if not focus.domains and not focus.topics:
        return float(concern)
    scores = [float(domains.get(code, 0.0)) for code in focus.domains]
    if focus.topics:
        topics = topic_scores(explanation)
        scores += [topics.get(code, 0.0) for code in focus.topics]
    return max(scores, default=0.0)


@transaction.atomic
def priors_refresh(project: ScreeningProject) -> int:
    """Recompute every candidate's prior after the project's focus changed; return how many changed."""
    changed = []
    focus = Focus.of(project)
    rows = Candidate.objects.filter(project=project).only(
        "pk", "concern", "domain_scores", "explanation", "prior_score", "rank_score"
    )
    for row in rows.iterator(chunk_size=2000):
        prior = prior_score(row.concern, row.domain_scores, row.explanation, focus)
        if prior != row.prior_score:
            row.prior_score = prior
            if not project.model_trained:
                row.rank_score = prior
            changed.append(row)
    Candidate.objects.bulk_update(changed, ["prior_score", "rank_score"], batch_size=500)
    return len(changed)


def _texts(project: ScreeningProject, ids: np.ndarray) -> list[str]:
    """Return the text of each record of ``ids`` (an import may have added records since they were read)."""
    rows = (
        Candidate.objects.filter(project=project, duplicate_of__isnull=True, pk__lte=int(ids[-1]))
        .order_by("pk")
        .values_list("pk", "title", "abstract")
    )
    texts = {pk: f"{title} {abstract}" for pk, title, abstract in rows.iterator(chunk_size=5000)}
    return [texts.get(int(pk), "") for pk in ids]


def _features(project: ScreeningProject, ids: np.ndarray) -> sparse.csr_matrix:
    """Return the project's TF-IDF features, from this process's memory while its records are unchanged.

    Texts change only when records arrive (new ids) or an import fills a record's gaps (the
    project's records read go up), so both are in the key; the texts are read only on a miss.
    """
    read = ImportJob.objects.filter(project=project).aggregate(read=Sum("records_read"))["read"] or 0
    key = (len(ids), int(ids[-1]), int(ids.sum() % (1 << 61)), int(read))
    cached = _FEATURES.get(project.pk)
    if cached is not None and cached[0] == key and np.array_equal(cached[1], ids):
        return cached[2]
    features = vectorize(_texts(project, ids))
    _FEATURES[project.pk] = (key, ids, features)
    while len(_FEATURES) > _FEATURES_KEPT:
        _FEATURES.pop(next(iter(_FEATURES)))
    return features


#: Rows per statement when scores are written.
SCORE_CHUNK = 10_000


def write_scores(ids: np.ndarray, scores: np.ndarray, probabilities: np.ndarray | None) -> None:
    """Store each candidate's ranking score and probability (None: not trained) in a few statements.

    ``bulk_update`` builds a CASE expression per row in Python (22 s for 5,000 rows); this sends
    plain parameters: one ``executemany`` per chunk on SQLite, one ``UPDATE … FROM unnest()`` per
    chunk on PostgreSQL.
    """
    table = connection.ops.quote_name(Candidate._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), SCORE_CHUNK):
            chunk_ids = [int(pk) for pk in ids[start : start + SCORE_CHUNK]]
            chunk_scores = [float(value) for value in scores[start : start + SCORE_CHUNK]]
            if probabilities is None:
                chunk_probabilities: list[float | None] = [None] * len(chunk_ids)
            else:
                chunk_probabilities = [float(value) for value in probabilities[start : start + SCORE_CHUNK]]
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} AS c SET rank_score = v.score, probability = v.probability "  # noqa: S608 - our table
                    "FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::float8[]) AS score, "
                    "unnest(%s::float8[]) AS probability) AS v WHERE c.id = v.id",
                    [chunk_ids, chunk_scores, chunk_probabilities],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET rank_score = %s, probability = %s WHERE id = %s",  # noqa: S608 - our table
                    list(zip(chunk_scores, chunk_probabilities, chunk_ids, strict=True)),
                )


def project_rerank(project_id: int, *, force: bool = False) -> bool:
    """Retrain on every decision of the project and store the new ranking; return whether it ran."""
    project = ScreeningProject.objects.get(pk=project_id)
    target = project.decisions
    if not force and project.ranked_decisions == target and project.ranked_at is not None:
        return False
    rows = list(
        Candidate.objects.filter(project=project, duplicate_of__isnull=True)
        .order_by("pk")
        .values_list("pk", "decision", "prior_score", "decision_seq")
    )
    if not rows:
        ScreeningProject.objects.filter(pk=project.pk).update(ranked_decisions=target, ranked_at=timezone.now())
        return True
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    features = _features(project, ids)
    screener = Screener(
        features, prior_scores=[row[2] for row in rows], seed=project.pk, querier=str(project.querier or Querier.MAX)
    )
    for position in sorted(range(len(rows)), key=lambda i: rows[i][3] or 0):
        decision = rows[position][1]
        if decision != Decision.PENDING:
            screener.label(position, decision == Decision.RELEVANT)
    screener.train()
    trained = screener.trainable()
    scores = screener.raw_scores()
    if trained and project.querier == Querier.UNCERTAINTY:
        scores = -np.abs(scores)
    probabilities, calibrated = screener.probabilities()
    stopping = screener.stopping(probabilities)
    with transaction.atomic():
        write_scores(
            ids, np.asarray(scores, dtype=np.float64), np.asarray(probabilities, dtype=np.float64) if trained else None
        )
        ScreeningProject.objects.filter(pk=project.pk).update(
            ranked_decisions=target,
            ranked_at=timezone.now(),
            model_trained=trained,
            calibrated=bool(trained and calibrated),
            recall_estimate=stopping.recall_estimate,
            recall_low=stopping.recall_low,
            recall_high=stopping.recall_high,
        )
    return True
