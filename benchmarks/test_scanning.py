"""Horizon scanning at scale: ingest + dedupe + score a generated PubMed corpus, re-rank a million candidates.

Targets (issue 5): ≥ 20,000 records/s for reading, deduplicating and scoring on this 2-core machine,
peak memory ≤ 300 MB and flat as the corpus grows; re-ranking 1,000,000 candidates after one new
label in ≤ 1 s. Timings and memory are reported in ``extra_info``, never asserted.
``NONPRO_BENCH_RECORDS`` sets the corpus size (default 1,000,000).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from scanning_corpus import write_corpus
from scipy import sparse

RECORDS = int(os.environ.get("NONPRO_BENCH_RECORDS", "1000000"))
CANDIDATES = int(os.environ.get("NONPRO_BENCH_CANDIDATES", "1000000"))


def _peak_mib() -> tuple[float, float]:
    """Return the peak resident memory of this process and of its largest finished child, in MiB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(own, 1), round(children, 1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_corpus(tmp_path_factory.mktemp("corpus"), RECORDS)


@pytest.mark.parametrize("engine", ["process", "pool-2", "dask-2"])
def test_ingest_dedupe_score(benchmark: BenchmarkFixture, corpus: list[Path], engine: str) -> None:
    """Read every file, deduplicate across all of them and score concern: records per second, memory.

    ``process``: this process alone; ``pool-2``: two local processes; ``dask-2``: a two-worker
    Dask ``LocalCluster`` (its start-up included). Each file is a partition.
    """
    from nonpro.scanning.pipeline import dask_engine, local_engine, pool_engine, score_files

    engines = {"process": local_engine, "pool-2": pool_engine(2), "dask-2": dask_engine("local")}

    def run() -> Any:
        with open(os.devnull, "w", encoding="utf-8") as sink:  # the output is written, not kept in memory
            return score_files(corpus, sink, engine=engines[engine], progress=False)

    started = time.perf_counter()
    stats = benchmark.pedantic(run, rounds=1, iterations=1)
    seconds = time.perf_counter() - started
    own, child = _peak_mib()
    benchmark.extra_info.update(
        records=stats.read,
        duplicates=stats.duplicate,
        errors=stats.error,
        records_per_second=round(stats.read / seconds),
        peak_mib_main=own,
        peak_mib_largest_worker=child,
        engine=engine,
    )
    assert stats.read == RECORDS
    assert stats.error == 0
    assert stats.duplicate > 0


def test_rerank_a_million_candidates_after_one_label(benchmark: BenchmarkFixture) -> None:
    """Retrain on the labelled records (plus the new one) and score every candidate."""
    from nonpro.scanning.learning import Screener

    rng = np.random.default_rng(1540)
    per_row, columns = 60, 2**18
    indices = rng.integers(0, columns, size=CANDIDATES * per_row, dtype=np.int32)
    data = rng.random(CANDIDATES * per_row, dtype=np.float32)
    indptr = np.arange(0, CANDIDATES * per_row + 1, per_row, dtype=np.int64)
    features = sparse.csr_matrix((data, indices, indptr), shape=(CANDIDATES, columns))
    screener = Screener(features, seed=1)
    for index in range(200):
        screener.label(index, relevant=index % 10 == 0)
    screener.train()
    new = 200

    def relabel_and_rank() -> int:
        screener.label(new, relevant=True)
        screener.train()
        chosen = screener.next()
        return -1 if chosen is None else chosen

    chosen = benchmark.pedantic(relabel_and_rank, rounds=5, iterations=1)
    benchmark.extra_info.update(candidates=CANDIDATES, median_s=round(float(np.median(benchmark.stats.stats.data)), 3))
    assert 0 <= chosen < CANDIDATES
