"""Read, deduplicate and score literature files: the work behind ``nonpro scan score``.

The files are partitions: each is read and scored on its own (in this process, in a local
process pool, or on a Dask cluster — ``engine``), then the results are deduplicated here, in input
order, so that every engine gives the same output. A record that cannot be read is a line with
its ``error`` (file, position, reason): nothing is dropped.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from nonpro.scanning.concern import Concern, load_taxonomy
from nonpro.scanning.dedupe import DedupeIndex
from nonpro.scanning.records import Problem, Record, RunStats


@dataclass(frozen=True, slots=True)
class Scored:
    """One input record after reading and scoring (or the problem that kept it from being read)."""

    record: Record | None
    concern: Concern | None
    problem: Problem | None = None
    richness: int = 0  # ``Record.richness`` of the record as read (before it was made light)

    def output_id(self) -> str:
        """Return the id written for the record: its own id, else its best identifier, else where it was read."""
        if self.record is None:
            return ""
        found = self.record.ids.source_id or self.record.ids.primary()
        if found:
            return found
        where = self.record.source
        return f"{Path(where.path).name}:{where.position}" if where is not None else ""


def scored_items(path: str, fmt: str | None = None) -> Iterator[Scored]:
    """Read and score one file (a partition), record by record; used by every engine.

    Each record is kept light: the abstract, authors and keywords are dropped once scored (the
    output does not carry them, the deduplication needs only identifiers, title and ``richness``).
    """
    from nonpro.scanning.readers import read_file

    taxonomy = load_taxonomy()
    for item in read_file(path, fmt, light=True):  # the authors beyond the first would be dropped
        if isinstance(item, Problem):
            yield Scored(None, None, item)
            continue
        light = replace(item, abstract="", authors=(), keywords=(), mesh_terms=())
        yield Scored(light, taxonomy.score(item), richness=item.richness())


def score_partition(path: str, fmt: str | None = None) -> list[Scored]:
    """Return ``scored_items`` of one file as a list (what a worker process sends back)."""
    return list(scored_items(path, fmt))


Engine = Callable[[Sequence[str], str | None], Iterator[Iterable[Scored]]]


def local_engine(paths: Sequence[str], fmt: str | None) -> Iterator[Iterable[Scored]]:
    """Score the files in this process, streaming: no partition is held whole."""
    for path in paths:
        yield scored_items(path, fmt)


def pool_engine(jobs: int) -> Engine:
    """Return an engine that scores the files in ``jobs`` processes (results in input order)."""

    def run(paths: Sequence[str], fmt: str | None) -> Iterator[Iterable[Scored]]:
        if jobs <= 1 or len(paths) <= 1:
            yield from local_engine(paths, fmt)
            return
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            yield from pool.map(score_partition, paths, [fmt] * len(paths))

    return run


def dask_engine(address: str) -> Engine:
    """Return an engine that scores the files on a Dask cluster (``local``: a two-worker LocalCluster)."""

    def run(paths: Sequence[str], fmt: str | None) -> Iterator[Iterable[Scored]]:
        from distributed import Client, LocalCluster

        local = address == "local"
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True) if local else None  # type: ignore[no-untyped-call]
        client = Client(cluster if cluster is not None else address)  # type: ignore[no-untyped-call]
        try:
            futures = client.map(score_partition, list(paths), [fmt] * len(paths), pure=False)
            for future in futures:  # in input order
                yield future.result()
        finally:
            client.close()  # type: ignore[no-untyped-call]
            if cluster is not None:
                cluster.close()

    return run


@dataclass
class Progress:
    """A progress line on stderr (files, records, rate and ETA by bytes), at most a few times a second."""

    total_bytes: int
    stream: IO[str] = field(default_factory=lambda: sys.stderr)
    enabled: bool = True
    started: float = field(default_factory=time.monotonic)
    done_bytes: int = 0
    records: int = 0
    _shown: float = 0.0

    def update(self, records: int, done_bytes: int, *, final: bool = False) -> None:
        self.records, self.done_bytes = records, done_bytes
        now = time.monotonic()
        if not self.enabled or (not final and now - self._shown < 0.25):
            return
        self._shown = now
        elapsed = max(now - self.started, 1e-9)
        rate = self.records / elapsed
        share = self.done_bytes / self.total_bytes if self.total_bytes else 1.0
        eta = elapsed * (1 - share) / share if share > 0 else 0.0
        line = f"\r{self.records:,} records · {rate:,.0f}/s · {share:6.1%} · ETA {int(eta) // 60:d}:{int(eta) % 60:02d}"
        self.stream.write(line + ("\n" if final else ""))
        self.stream.flush()


def output_line(scored: Scored, duplicate_of: str | None) -> dict[str, Any]:
    """Return the JSON object written for one input record (see docs/horizon-scanning.md)."""
    if scored.record is None or scored.concern is None:
        problem = scored.problem
        return {
            "id": None,
            "title": None,
            "score": None,
            "domains": {},
            "explanation": [],
            "duplicate_of": None,
            "error": str(problem) if problem else "unreadable",
        }
    concern = scored.concern
    return {
        "id": scored.output_id(),
        "title": scored.record.title,
        "score": round(concern.score, 4),
        "domains": {code: round(value, 4) for code, value in concern.domains.items() if value > 0},
        "explanation": concern.explanation(),
        "duplicate_of": duplicate_of,
    }


def score_files(
    paths: Sequence[str | Path],
    out: IO[str],
    *,
    fmt: str | None = None,
    engine: Engine = local_engine,
    progress: bool = True,
) -> RunStats:
    """Read, score and deduplicate ``paths`` into JSON lines on ``out``, in input order; return the counts."""
    names = [str(path) for path in paths]
    sizes = [os.path.getsize(name) if os.path.exists(name) else 0 for name in names]
    meter = Progress(total_bytes=sum(sizes), enabled=progress)
    stats = RunStats()
    index = DedupeIndex()
    output_ids: list[str] = []
    done = 0
    for size, partition in zip(sizes, engine(names, fmt), strict=True):
        for scored in partition:
            duplicate_of = None
            if scored.record is None:
                stats.add_problem(scored.problem or Problem("", "", "unreadable"))
            else:
                stats.read += 1
                found = index.add(scored.record, richness=scored.richness)
                output_ids.append(scored.output_id())
                if found is not None:
                    stats.duplicate += 1
                    duplicate_of = output_ids[found.of]
                stats.scored += 1
            out.write(json.dumps(output_line(scored, duplicate_of), ensure_ascii=False) + "\n")
            meter.update(stats.read + stats.error, done)
        done += size
    meter.update(stats.read + stats.error, done, final=True)
    return stats


def texts_and_labels(records: Iterable[Record]) -> tuple[list[str], list[int]]:
    """Return each labelled record's "title abstract" text and label (for simulation)."""
    texts: list[str] = []
    labels: list[int] = []
    for record in records:
        if record.label is None:
            raise ValueError(f"Record {record.ids.primary() or record.title[:40]!r} has no label")
        texts.append(f"{record.title} {record.abstract}")
        labels.append(record.label)
    return texts, labels
