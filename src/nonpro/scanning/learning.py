"""Active learning for screening: after each decision (or batch) retrain, re-rank, and say when to stop.

The model is ASReview's default (``elas_u4``): TF-IDF of title and abstract (1- and 2-grams,
sublinear term frequency, ``max_df`` 0.95) and a linear SVM (C = 0.11, squared hinge) with
balanced sample weights — the relevant records, always few, weigh ``BALANCE_RATIO`` times more
than the irrelevant ones once both classes total the same (``balanced_weights``). Before
both classes have a label, records are ranked by their zero-shot concern score (``concern``), or
in a random order fixed by the seed when there is none.

Queriers: ``max`` (the highest score first — finds relevant records fastest), ``uncertainty``
(closest to the decision boundary — improves the model fastest) and ``mixed`` (``max``, with a
random record ``MIXED_RANDOM_SHARE`` of the time).

Scores shown to people are calibrated probabilities: Platt scaling of the SVM's decision values,
fitted by cross-validation on the labelled records once each class has ``CALIBRATION_MIN``
labels (before that, a logistic squashing of the decision values, marked uncalibrated).

Stopping guidance: the number of consecutive irrelevant decisions since the last relevant one,
and an estimate of recall — relevant found / (found + expected relevant among the unscreened,
the sum of their calibrated probabilities) — with a 95 % interval from the variance of that sum
(a Poisson-binomial approximation). It is guidance: the estimate is as good as the calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from nonpro.scanning.options import QUERIERS

C = 0.11
#: How much more a relevant record weighs than an irrelevant one beyond equal class totals (ASReview's ``elas_u4``).
BALANCE_RATIO = 9.8
MIXED_RANDOM_SHARE = 0.05
CALIBRATION_MIN = 3


def vectorize(texts: Sequence[str]) -> sparse.csr_matrix:
    """Return the TF-IDF features of ``texts`` (fitted on them: the whole set being screened)."""
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95, min_df=1, dtype=np.float64)
    try:
        features = vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # only stop words or empty texts: no vocabulary
        return sparse.csr_matrix((len(texts), 1), dtype=np.float64)
    # In the layout liblinear takes as it is (float64, sorted indices): no copy at each retraining.
    features.sort_indices()
    return features


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Return sample weights: relevant records 1, irrelevant ``relevant / (BALANCE_RATIO * irrelevant)``, mean 1."""
    relevant = float((labels == 1).sum())
    irrelevant = float((labels == 0).sum())
    weights: np.ndarray = np.where(labels == 1, 1.0, relevant / (BALANCE_RATIO * irrelevant))
    return np.asarray(weights * (len(labels) / weights.sum()), dtype=np.float64)


@dataclass(frozen=True)
class Stopping:
    """Guidance on whether screening can stop."""

    screened: int
    relevant_found: int
    consecutive_irrelevant: int
    recall_estimate: float | None  # None until the model is trained
    recall_low: float | None
    recall_high: float | None


class Screener:
    """The screening state of one set of records: labels, the model, the ranking."""

    def __init__(
        self,
        features: sparse.csr_matrix,
        *,
        prior_scores: Sequence[float] | None = None,
        seed: int = 0,
        querier: str = "max",
    ) -> None:
        if querier not in QUERIERS:
            raise ValueError(f"querier must be one of {', '.join(QUERIERS)}")
        self.features = features
        self.count = features.shape[0]
        self.rng = np.random.default_rng(seed)
        self.querier = querier
        self.labels = np.full(self.count, -1, dtype=np.int8)  # -1 unlabelled, 0 irrelevant, 1 relevant
        self.order: list[int] = []  # indexes in the order they were labelled
        if prior_scores is not None:
            self._prior = np.asarray(prior_scores, dtype=np.float64)
        else:
            self._prior = self.rng.random(self.count)
        self._decision: np.ndarray | None = None
        self._model: LinearSVC | None = None
        self._consecutive_irrelevant = 0

    # --- labelling -------------------------------------------------------------------------------------

    def label(self, index: int, relevant: bool) -> None:
        """Record a decision (a record may be relabelled; the model is retrained on ``train``)."""
        if self.labels[index] < 0:
            self.order.append(index)
        self.labels[index] = 1 if relevant else 0
        self._consecutive_irrelevant = 0 if relevant else self._consecutive_irrelevant + 1

    def trainable(self) -> bool:
        labelled = self.labels[self.labels >= 0]
        return bool((labelled == 1).any() and (labelled == 0).any())

    def train(self) -> None:
        """Retrain on every label so far and score every record (no-op until both classes are labelled)."""
        if not self.trainable():
            return
        known = np.flatnonzero(self.labels >= 0)
        model = LinearSVC(C=C, dual="auto", max_iter=5000)
        model.fit(self.features[known], self.labels[known], sample_weight=balanced_weights(self.labels[known]))
        self._model = model
        self._decision = np.asarray(model.decision_function(self.features), dtype=np.float64)

    # --- ranking -----------------------------------------------------------------------------------------

    def raw_scores(self) -> np.ndarray:
        """Return the ranking scores of every record: the model's decision values, or the prior scores."""
        return self._decision if self._decision is not None else self._prior

    def ranking(self) -> np.ndarray:
        """Return the unlabelled records, best first (ties: the earlier record first)."""
        unlabelled = np.flatnonzero(self.labels < 0)
        scores = self.raw_scores()[unlabelled]
        return unlabelled[np.lexsort((unlabelled, -scores))]

    def next(self) -> int | None:
        """Return the record to screen next according to the querier, or None when all are labelled."""
        unlabelled = np.flatnonzero(self.labels < 0)
        if unlabelled.size == 0:
            return None
        scores = self.raw_scores()[unlabelled]
        if self.querier == "mixed" and self.rng.random() < MIXED_RANDOM_SHARE:
            return int(self.rng.choice(unlabelled))
        if self.querier == "uncertainty" and self._decision is not None:
            position = np.lexsort((unlabelled, np.abs(scores)))[0]
            return int(unlabelled[position])
        position = np.lexsort((unlabelled, -scores))[0]
        return int(unlabelled[position])

    # --- calibrated scores and stopping ------------------------------------------------------------------

    def probabilities(self) -> tuple[np.ndarray, bool]:
        """Return each record's probability of being relevant and whether it is calibrated."""
        if self._decision is None:
            return np.clip(self._prior, 0.0, 1.0), False
        known = np.flatnonzero(self.labels >= 0)
        minority = int(min((self.labels[known] == 1).sum(), (self.labels[known] == 0).sum()))
        if minority >= CALIBRATION_MIN:
            folds = min(5, minority)
            base = LinearSVC(C=C, class_weight="balanced", dual="auto", max_iter=5000)
            calibrated = CalibratedClassifierCV(base, method="sigmoid", cv=folds)
            calibrated.fit(self.features[known], self.labels[known])
            return np.asarray(calibrated.predict_proba(self.features)[:, 1], dtype=np.float64), True
        return 1.0 / (1.0 + np.exp(-2.0 * self._decision)), False

    def stopping(self, probabilities: np.ndarray | None = None) -> Stopping:
        """Return the stopping guidance; ``probabilities`` are those just computed, if any (they cost a fit)."""
        found = int((self.labels == 1).sum())
        screened = int((self.labels >= 0).sum())
        estimate = low = high = None
        if self._decision is not None:
            if probabilities is None:
                probabilities, _calibrated = self.probabilities()
            remaining = probabilities[self.labels < 0]
            expected = float(remaining.sum())
            spread = 1.96 * math.sqrt(float((remaining * (1.0 - remaining)).sum()))
            estimate = found / (found + expected) if found + expected > 0 else 1.0
            high = found / (found + max(0.0, expected - spread)) if found else 0.0
            low = found / (found + expected + spread) if found else 0.0
        return Stopping(screened, found, self._consecutive_irrelevant, estimate, low, high)
