"""Simulation: replay a labelled dataset through the screener and measure how early relevant records surface.

Like ``asreview simulate``: the records at ``prior_idx`` (0-based rows) are labelled first (by
default one relevant and one irrelevant record drawn with the seed); then the screener trains,
picks the next record, learns its true label, and so on until every relevant record is found (the
order of the rest does not change any metric).

Metrics, with ASReview's definitions (asreview-insights), over the records after the priors
(``N`` records, ``R`` of them relevant):

- **WSS@95**: the share of records not yet screened when 95 % of the relevant ones are found,
  minus 0.05 (the work saved over screening in random order).
- **RRF@10**: the share of relevant records found after screening ``floor(0.10 · N)`` records.
- **loss**: ``(R·(N - (R - 1)/2) - Σ found(k)) / (R·(N - R))`` where ``found(k)`` is the number of
  relevant records among the first ``k`` screened, summed over k = 1…N (0 is the perfect order,
  1 the worst).
- **ATD**: the mean, over the relevant records, of the share of records screened when each was found.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from nonpro.scanning.learning import Screener, vectorize

#: Retrain after every decision until this many records are labelled, then after every
#: ``ceil(labelled / RETRAIN_DIVISOR)`` decisions (the model changes little per label by then).
RETRAIN_EVERY_UNTIL = 200
RETRAIN_DIVISOR = 40


@dataclass(frozen=True)
class Metrics:
    records: int
    relevant: int
    wss95: float
    rrf10: float
    loss: float
    atd: float
    seconds: float

    def as_dict(self) -> dict[str, float | int]:
        return {key: round(value, 6) if isinstance(value, float) else value for key, value in asdict(self).items()}


def metrics(labels_in_order: Sequence[int], seconds: float = 0.0) -> Metrics:
    """Return the metrics of one screening order (``labels_in_order``: 1 relevant, 0 not; priors excluded)."""
    labels = np.asarray(labels_in_order, dtype=np.int64)
    total = int(labels.size)
    relevant = int(labels.sum())
    if total == 0 or relevant in (0, total):
        raise ValueError("The metrics need at least one relevant and one irrelevant record after the priors")
    found = np.cumsum(labels)
    needed = math.ceil(0.95 * relevant)
    screened_at_95 = int(np.argmax(found >= needed)) + 1
    wss95 = (total - screened_at_95) / total - 0.05
    rrf10 = float(found[int(0.10 * total) - 1]) / relevant if int(0.10 * total) > 0 else 0.0
    loss = (relevant * (total - (relevant - 1) / 2) - float(found.sum())) / (relevant * (total - relevant))
    positions = np.flatnonzero(labels == 1) + 1
    atd = float(positions.mean()) / total
    return Metrics(total, relevant, wss95, rrf10, loss, atd, seconds)


def default_priors(labels: Sequence[int] | np.ndarray, seed: int) -> list[int]:
    """Return one relevant and one irrelevant record, drawn with ``seed`` (ASReview's default priors)."""
    rng = np.random.default_rng(seed)
    values = np.asarray(labels)
    return [int(rng.choice(np.flatnonzero(values == 1))), int(rng.choice(np.flatnonzero(values == 0)))]


def simulate(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    prior_idx: Sequence[int] | None = None,
    seed: int = 0,
    querier: str = "max",
) -> Metrics:
    """Replay ``labels`` (1/0 per record) through the screener; return the metrics (see the module docstring)."""
    if len(texts) != len(labels):
        raise ValueError("One label per record is needed")
    started = time.perf_counter()
    truth = np.asarray(labels, dtype=np.int8)
    priors = list(prior_idx) if prior_idx else default_priors(truth, seed)
    for index in priors:
        if not 0 <= index < len(texts):
            raise ValueError(f"Prior index {index} is not a record (0 to {len(texts) - 1})")
    screener = Screener(vectorize(texts), seed=seed, querier=querier)
    for index in priors:
        screener.label(index, bool(truth[index]))
    remaining_relevant = int(truth.sum()) - int(truth[priors].sum())
    order: list[int] = []
    since_training = None
    while remaining_relevant > 0:
        labelled = len(screener.order)
        every = 1 if labelled < RETRAIN_EVERY_UNTIL else math.ceil(labelled / RETRAIN_DIVISOR)
        if since_training is None or since_training >= every:
            screener.train()
            since_training = 0
        chosen = screener.next()
        if chosen is None:
            break
        screener.label(chosen, bool(truth[chosen]))
        since_training += 1
        order.append(int(truth[chosen]))
        remaining_relevant -= int(truth[chosen])
    # The rest, in any order: none is relevant, so no metric depends on it.
    rest = len(texts) - len(priors) - len(order)
    order.extend([0] * rest)
    return metrics(order, time.perf_counter() - started)
