"""Active learning and simulation: ASReview's metrics, the screener, stopping guidance. No Django."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from nonpro.scanning.learning import Screener, vectorize
from nonpro.scanning.simulate import default_priors, metrics, simulate

DATA = Path(__file__).parent / "data"


def test_metrics_of_the_best_and_worst_orders() -> None:
    best = metrics([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert best.loss == 0.0
    assert best.wss95 == pytest.approx((10 - 2) / 10 - 0.05)
    assert best.rrf10 == 0.5  # 1 record screened (10 %), 1 of 2 relevant found
    assert best.atd == pytest.approx(1.5 / 10)
    worst = metrics([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    assert worst.loss == 1.0
    assert worst.wss95 == pytest.approx(-0.05)
    assert worst.rrf10 == 0.0
    assert worst.atd == pytest.approx(9.5 / 10)


def test_metrics_match_a_hand_computed_order() -> None:
    # N = 8, R = 3; found(k) = 0,1,1,2,2,2,3,3 (sum 14); 95 % of 3 → 3 found at k = 7.
    result = metrics([0, 1, 0, 1, 0, 0, 1, 0])
    assert result.loss == pytest.approx((3 * (8 - 1) - 14) / (3 * 5))
    assert result.wss95 == pytest.approx((8 - 7) / 8 - 0.05)
    assert result.atd == pytest.approx(((2 + 4 + 7) / 3) / 8)


def test_metrics_need_both_classes() -> None:
    with pytest.raises(ValueError, match="relevant and one irrelevant"):
        metrics([0, 0, 0])


def labelled(path: Path) -> tuple[list[str], list[int]]:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [f"{row['title']} {row['abstract']}" for row in rows], [int(row["label_included"]) for row in rows]


def test_simulation_finds_relevant_records_far_earlier_than_random() -> None:
    texts, labels = labelled(DATA / "Antihistamines.csv")
    result = simulate(texts, labels, seed=3)
    assert result.records == len(texts) - 2  # the two priors are not counted
    assert result.relevant == sum(labels) - 1  # one prior is relevant
    random_atd = 0.5
    assert result.atd < random_atd
    assert result.loss < 0.4
    again = simulate(texts, labels, seed=3)
    assert again.as_dict() | {"seconds": 0} == result.as_dict() | {"seconds": 0}  # the seed decides everything


def test_prior_indexes_are_the_first_labels() -> None:
    texts, labels = labelled(DATA / "Antihistamines.csv")
    relevant = [index for index, label in enumerate(labels) if label == 1]
    result = simulate(texts, labels, prior_idx=[relevant[0], relevant[1], 0])
    assert result.records == len(texts) - 3
    assert result.relevant == sum(labels) - 2
    with pytest.raises(ValueError, match="is not a record"):
        simulate(texts, labels, prior_idx=[len(texts)])


def test_default_priors_are_one_relevant_and_one_irrelevant() -> None:
    labels = [0, 0, 1, 0, 1, 0]
    first, second = default_priors(labels, seed=7)
    assert labels[first] == 1
    assert labels[second] == 0
    assert default_priors(labels, seed=7) == [first, second]


def synthetic_screener(querier: str = "max") -> tuple[Screener, list[int]]:
    relevant = [f"Synthetic example {n}: export control licensing of dual-use goods" for n in range(6)]
    irrelevant = [f"Synthetic example {n}: coral reef ecology and ocean warming" for n in range(30)]
    texts = relevant + irrelevant
    return Screener(vectorize(texts), seed=1, querier=querier), [1] * len(relevant) + [0] * len(irrelevant)


def test_the_screener_ranks_by_prior_scores_until_both_classes_are_labelled() -> None:
    screener, _truth = synthetic_screener()
    prior = np.linspace(0, 1, screener.count)
    screener = Screener(screener.features, prior_scores=prior)
    assert screener.next() == screener.count - 1  # the highest prior first
    screener.label(screener.count - 1, relevant=False)
    screener.train()  # one class only: nothing to train
    assert screener.next() == screener.count - 2


def test_the_screener_learns_and_brings_relevant_records_first() -> None:
    screener, truth = synthetic_screener()
    screener.label(0, relevant=True)
    screener.label(10, relevant=False)
    screener.train()
    top = screener.ranking()[:5]
    assert all(truth[index] == 1 for index in top)
    stopping = screener.stopping()
    assert stopping.relevant_found == 1
    assert stopping.recall_estimate is not None
    assert 0 < stopping.recall_estimate < 1


def test_stopping_guidance_counts_consecutive_irrelevant_and_estimates_recall() -> None:
    screener, truth = synthetic_screener()
    screener.label(0, relevant=True)
    screener.label(10, relevant=False)
    while (index := screener.next()) is not None:
        screener.train()
        screener.label(index, relevant=bool(truth[index]))
    stopping = screener.stopping()
    assert stopping.relevant_found == 6
    assert stopping.screened == len(truth)
    last_relevant = max(position for position, index in enumerate(screener.order) if truth[index] == 1)
    assert stopping.consecutive_irrelevant == len(screener.order) - 1 - last_relevant
    assert stopping.consecutive_irrelevant >= 25  # the relevant records came (nearly) first
    assert stopping.recall_estimate == 1.0  # nothing left unscreened


def test_calibrated_probabilities_once_each_class_has_enough_labels() -> None:
    screener, truth = synthetic_screener()
    for index in (0, 1, 2, 10, 11, 12):
        screener.label(index, relevant=bool(truth[index]))
    screener.train()
    probabilities, calibrated = screener.probabilities()
    assert calibrated
    assert probabilities[3] > 0.5 > probabilities[20]


def test_uncertainty_querier_picks_the_record_nearest_the_boundary() -> None:
    screener, _truth = synthetic_screener("uncertainty")
    screener.label(0, relevant=True)
    screener.label(10, relevant=False)
    screener.train()
    chosen = screener.next()
    assert chosen is not None
    unlabelled = np.flatnonzero(screener.labels < 0)
    assert abs(screener.raw_scores()[chosen]) == pytest.approx(np.abs(screener.raw_scores()[unlabelled]).min())
    with pytest.raises(ValueError, match="querier"):
        Screener(screener.features, querier="oldest")


def test_relevant_records_weigh_more_than_class_balance_alone() -> None:
    from nonpro.scanning.learning import BALANCE_RATIO, balanced_weights

    weights = balanced_weights(np.array([1, 0, 0, 0, 0]))
    assert weights.mean() == pytest.approx(1.0)
    relevant, irrelevant = weights[0], weights[1]
    # One relevant against four irrelevant: equal class totals would make 1 = 4 * w0; elas_u4 asks 9.8 times that.
    assert relevant / (4 * irrelevant) == pytest.approx(BALANCE_RATIO)
