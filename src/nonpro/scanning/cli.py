"""``nonpro scan score`` and ``nonpro scan simulate``: the scanning library from the command line, no database.

``nonpro.cli`` adds these subcommands; they never start Django.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nonpro.scanning.options import FORMAT_NAMES, QUERIERS
from nonpro.scanning.records import Problem, Record


def add_scan_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add ``scan score`` and ``scan simulate`` to the ``nonpro`` parser; return the ``scan`` subcommands."""
    scan = commands.add_parser("scan", help="score or simulate literature files (no database needed)")
    scan_commands = scan.add_subparsers(dest="scan_command", required=True, metavar="SCAN_COMMAND")

    score = scan_commands.add_parser("score", help="read, deduplicate and score files into JSON lines")
    score.add_argument("inputs", nargs="+", metavar="INPUT", help="files in any format the scanner reads (or .gz)")
    score.add_argument("-o", "--output", required=True, metavar="OUT.jsonl", help="where to write (- for stdout)")
    score.add_argument("--format", choices=FORMAT_NAMES, help="the format of every input (default: detected)")
    engine = score.add_mutually_exclusive_group()
    engine.add_argument("--jobs", type=int, default=1, help="score the files in this many local processes")
    engine.add_argument("--dask", metavar="ADDRESS", help="score the files on a Dask cluster (or 'local')")
    score.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    score.set_defaults(func=cmd_score)

    sim = scan_commands.add_parser("simulate", help="replay a labelled dataset and report the screening metrics")
    sim.add_argument(
        "data", metavar="DATA", help="labelled records (ASReview's CSV columns, or any format with labels)"
    )
    sim.add_argument("--prior-idx", type=int, nargs="+", metavar="I", help="0-based rows labelled first")
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--querier", choices=QUERIERS, default="max")
    sim.add_argument("--json", action="store_true", help="print the metrics as one JSON line")
    sim.set_defaults(func=cmd_simulate)
    return scan_commands


def cmd_score(args: argparse.Namespace) -> int:
    from nonpro.scanning.pipeline import dask_engine, pool_engine, score_files

    missing = [path for path in args.inputs if not Path(path).is_file()]
    if missing:
        print(f"nonpro scan score: not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    engine = dask_engine(args.dask) if args.dask else pool_engine(args.jobs)
    progress = not args.no_progress and sys.stderr.isatty()
    if args.output == "-":
        stats = score_files(args.inputs, sys.stdout, fmt=args.format, engine=engine, progress=progress)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            stats = score_files(args.inputs, out, fmt=args.format, engine=engine, progress=progress)
    for problem in stats.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(stats.summary(), file=sys.stderr)
    return 0


def _labelled_records(path: str) -> tuple[list[Record], list[Problem]]:
    from nonpro.scanning.readers import read_file

    records: list[Record] = []
    problems: list[Problem] = []
    for item in read_file(path):
        (problems if isinstance(item, Problem) else records).append(item)  # type: ignore[arg-type]
    return records, problems


def cmd_simulate(args: argparse.Namespace) -> int:
    from nonpro.scanning.pipeline import texts_and_labels
    from nonpro.scanning.simulate import simulate

    records, problems = _labelled_records(args.data)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nonpro scan simulate: every row must be readable (row numbers are the prior indexes)", file=sys.stderr)
        return 1
    try:
        texts, labels = texts_and_labels(records)
        result = simulate(texts, labels, prior_idx=args.prior_idx, seed=args.seed, querier=args.querier)
    except ValueError as error:
        print(f"nonpro scan simulate: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        for key, value in result.as_dict().items():
            print(f"{key:>8}: {value}")
    return 0
