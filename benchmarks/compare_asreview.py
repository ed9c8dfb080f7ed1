"""Screening quality and speed, side by side with ASReview 3.0.8 (``elas_u4``), on labelled datasets.

ASReview runs in its own virtual environment (it is no dependency of Nonpro):

    python3.12 -m venv /tmp/asreview-env && /tmp/asreview-env/bin/pip install asreview==3.0.8
    .venv/bin/python benchmarks/compare_asreview.py --asreview /tmp/asreview-env/bin/asreview \
        --seeds 0 1 2 ../shared/data/screening/*.csv ../shared/data/screening/cohen2006/*.csv

For each dataset and seed both tools start from the same priors (one relevant and one irrelevant
record drawn with the seed, passed to ASReview as ``--prior-idx``) and screen until every
relevant record is found. ASReview's screening order is read from its project file
(``results.db``), and both orders are measured with the same code (``nonpro.scanning.simulate.metrics``).
``seconds`` is the wall time of the whole command for ASReview (its start-up included) and of the
simulation alone for Nonpro, whose start-up is reported once apart. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from nonpro.scanning.simulate import Metrics, default_priors, metrics, simulate


def load(path: Path) -> tuple[list[str], list[int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [f"{row.get('title') or ''} {row.get('abstract') or ''}" for row in rows]
    labels = [int(float(row["label_included"])) for row in rows]
    return texts, labels


def asreview_order(
    executable: str, data: Path, priors: list[int], seed: int, labels: list[int]
) -> tuple[Metrics, float]:
    """Run ``asreview simulate`` and return its metrics (priors excluded) and the wall time."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "run.asreview"
        command = [
            executable,
            "simulate",
            str(data),
            "--prior-idx",
            *map(str, priors),
            "--seed",
            str(seed),
            "-o",
            str(project),
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        with zipfile.ZipFile(project) as archive:
            archive.extract("results.db", folder)
        connection = sqlite3.connect(Path(folder) / "results.db")
        try:
            screened = [row[0] for row in connection.execute("SELECT record_id FROM results ORDER BY rowid")]
        finally:
            connection.close()
    order = [labels[index] for index in screened if index not in set(priors)]
    order += [0] * (len(labels) - len(priors) - len(order))  # the rest: none relevant
    return metrics(order, seconds), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", type=Path)
    parser.add_argument("--asreview", required=True, help="the asreview executable of its own environment")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    print(
        "| dataset | records / relevant | seeds | WSS@95 Nonpro | WSS@95 ASReview | loss Nonpro | loss ASReview "
        "| s Nonpro | s ASReview | speed-up |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    totals: dict[str, list[float]] = {
        "ours_wss": [],
        "theirs_wss": [],
        "ours_loss": [],
        "theirs_loss": [],
        "ours_s": [],
        "theirs_s": [],
    }
    for data in args.datasets:
        texts, labels = load(data)
        ours: list[Metrics] = []
        theirs: list[Metrics] = []
        for seed in args.seeds:
            priors = default_priors(labels, seed)
            ours.append(simulate(texts, labels, prior_idx=priors, seed=seed))
            theirs.append(asreview_order(args.asreview, data, priors, seed, labels)[0])
        row = {
            "ours_wss": statistics.mean(m.wss95 for m in ours),
            "theirs_wss": statistics.mean(m.wss95 for m in theirs),
            "ours_loss": statistics.mean(m.loss for m in ours),
            "theirs_loss": statistics.mean(m.loss for m in theirs),
            "ours_s": statistics.mean(m.seconds for m in ours),
            "theirs_s": statistics.mean(m.seconds for m in theirs),
        }
        for key, value in row.items():
            totals[key].append(value)
        print(
            f"| {data.stem} | {len(labels)} / {sum(labels)} | {len(args.seeds)} "
            f"| {row['ours_wss']:.3f} | {row['theirs_wss']:.3f} "
            f"| {row['ours_loss']:.3f} | {row['theirs_loss']:.3f} | {row['ours_s']:.2f} | {row['theirs_s']:.2f} "
            f"| {row['theirs_s'] / row['ours_s']:.1f}× |"
        )
        sys.stdout.flush()
    mean = {key: statistics.mean(values) for key, values in totals.items()}
    print(
        f"| **mean** | | | **{mean['ours_wss']:.3f}** | **{mean['theirs_wss']:.3f}** | **{mean['ours_loss']:.3f}** "
        f"| **{mean['theirs_loss']:.3f}** | {mean['ours_s']:.2f} | {mean['theirs_s']:.2f} "
        f"| {mean['theirs_s'] / mean['ours_s']:.1f}× |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
