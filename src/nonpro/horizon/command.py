"""``nonpro scan import PATH… --project P --by EMAIL``: import literature files into a screening project.

The operator names files on the server (any path: the command line is the operator's), the project
(its number or its exact name) and the person the import is recorded for — a committee analyst or a
member reviewer, with two-factor authentication, as on the pages. Each file becomes one import job,
exactly like an upload: run here with a progress line (records, rate, ETA), or only queued for
``nonpro worker`` with ``--queue``. Every unreadable record is printed with its position and reason;
the valid ones are kept.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import TextIO

from django.core.exceptions import PermissionDenied, ValidationError

from nonpro.accounts.models import User
from nonpro.horizon import services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import ImportJob, ImportStatus, ScreeningProject
from nonpro.scanning.pipeline import Progress

NAME = "nonpro scan import"


class CommandError(Exception):
    """A wrong argument: the message says which."""


def _project(reference: str) -> ScreeningProject:
    reference = reference.strip()
    found = ScreeningProject.objects.filter(pk=int(reference)) if reference.isdigit() else None
    if not found:
        found = ScreeningProject.objects.filter(name=reference)
    projects = list(found[:2])
    if len(projects) != 1:
        reason = "no project" if not projects else "several projects"
        raise CommandError(f"{reason} named {reference!r}: give the project's number (see /en/scanning/).")
    return projects[0]


def _person(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise CommandError(f"no active account has the address {email}.")
    return user


def _show(progress: Progress, job: ImportJob) -> None:
    progress.update(job.records_read, job.bytes_done)


def _report(job: ImportJob, out: TextIO) -> None:
    for problem in job.problems.all():
        print(f"{NAME}: {job.name}: {problem.position}: {problem.reason}", file=sys.stderr)
    failure = f" ({job.failure})" if job.failure else ""
    print(
        f"{job.name}: {job.get_status_display()}{failure} — read {job.records_read}, new {job.records_added}, "
        f"duplicate {job.records_duplicate}, error {job.records_error} (import {job.pk}).",
        file=out,
    )


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Import each file of ``args.paths``; return 0 when every file was read (problems reported), else 1 or 2."""
    out = out or sys.stdout
    try:
        project, by = _project(args.project), _person(args.by)
    except CommandError as error:
        print(f"{NAME}: {error}", file=sys.stderr)
        return 2
    missing = [path for path in args.paths if not Path(path).is_file()]
    if missing:
        print(f"{NAME}: not a file: {', '.join(missing)}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.paths:
        try:
            job = services.import_server_file(
                project=project, by=by, path=Path(path), fmt=args.format or "", enqueue=args.queue, anywhere=True
            )
        except PermissionDenied:
            who = "committee analysts and its reviewers, with two-factor authentication"
            print(f"{NAME}: {by.email} may not import into {project.name!r} ({who}).", file=sys.stderr)
            return 2
        except ValidationError as error:
            print(f"{NAME}: {path}: {' '.join(error.messages)}", file=sys.stderr)
            failed += 1
            continue
        if args.queue:
            print(f"{job.name}: queued (import {job.pk}); `nonpro worker` runs it.", file=out)
            continue
        progress = Progress(total_bytes=job.size, enabled=not args.no_progress and sys.stderr.isatty())
        job = import_process(job.pk, on_batch=partial(_show, progress))
        progress.update(job.records_read, job.size, final=True)
        _report(job, out)
        failed += job.status != ImportStatus.FINISHED
    if not args.queue:
        print("The project's ranking is updated by `nonpro worker` (or on the next screening page).", file=out)
    return 1 if failed else 0
