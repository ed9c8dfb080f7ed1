"""Writes of horizon scanning: projects, imports, screening decisions, promotion to the register.

Every service takes keyword arguments, asks the policy, runs in one transaction and writes its
audit event (the event names the project, the candidate and the decision — never a record's text:
candidates are COMMITTEE-tier). A refused call raises and changes nothing: ``PermissionDenied``,
``ScreeningConflict`` (someone else holds the record, or decided it already) or ``ValidationError``.

Several reviewers screen one project at once without collisions: the screening page *locks* the
record it shows to one reviewer for ``LOCK_MINUTES`` (a conditional update, so two reviewers never
get the same record); a decision numbers itself from the project row, locked for the update, so
the order of decisions — what the model and the stopping guidance read — is total.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.audit.services import audit_record
from nonpro.core.policy import Role, Viewer, can, viewer_for
from nonpro.horizon.models import (
    Candidate,
    Decision,
    ImportJob,
    ImportKind,
    ImportStatus,
    Querier,
    ScreeningProject,
)
from nonpro.scanning.concern import load_taxonomy
from nonpro.scanning.readers import SNIFF_BYTES, UnknownFormat, detect
from nonpro.scanning.readers.base import GZIP_MAGIC

CREATE = "horizon.project.create"
MANAGE = "horizon.project.manage"
IMPORT = "horizon.import.start"
IMPORT_SERVER = "horizon.import.server"
IMPORT_FEED = "horizon.import.feed"
SCREEN = "horizon.candidate.screen"
PROMOTE = "horizon.candidate.promote"

#: How long the screening page keeps a record for the reviewer it shows it to.
LOCK_MINUTES = 15


class ScreeningConflict(ValueError):
    """Another reviewer holds the record, or it was decided meanwhile."""


def _require(viewer: Viewer, action: str, obj: Any = None) -> None:
    if not can(viewer, action, obj):
        raise PermissionDenied


def upload_directory() -> Path:
    return Path(settings.HORIZON_UPLOAD_DIR)


# --- projects -------------------------------------------------------------------------------------------


def _domains(domains: Iterable[str]) -> list[str]:
    known = {domain.code for domain in load_taxonomy().domains.values()}
    chosen = sorted(set(domains))
    unknown = [code for code in chosen if code not in known]
    if unknown:
        raise ValidationError({"domains": [_("Unknown domain: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return chosen


def _topics(topics: Iterable[str]) -> list[str]:
    known = {topic.code for topic in load_taxonomy().topics}
    chosen = sorted(set(topics))
    unknown = [code for code in chosen if code not in known]
    if unknown:
        raise ValidationError({"topics": [_("Unknown topic: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    return chosen


def _reviewers(members: Iterable[User]) -> list[User]:
    chosen = list(members)
    reviewer_ids = set(
        User.objects.filter(pk__in=[user.pk for user in chosen], role_assignments__role=Role.REVIEWER).values_list(
            "pk", flat=True
        )
    )
    refused = [user.email for user in chosen if user.pk not in reviewer_ids]
    if refused:
        raise ValidationError({"members": [_("Not a reviewer: %(emails)s.") % {"emails": ", ".join(refused)}]})
    return chosen


@transaction.atomic
def project_create(
    *,
    by: User,
    name: str,
    description: str = "",
    domains: Sequence[str] = (),
    topics: Sequence[str] = (),
    querier: str = Querier.MAX,
    members: Iterable[User] = (),
    request: HttpRequest | None = None,
) -> ScreeningProject:
    """Create a screening project (analysts); its members are the reviewers who screen it."""
    _require(viewer_for(by), CREATE)
    if not name.strip():
        raise ValidationError({"name": [_("Give the project a name.")]})
    if querier not in Querier.values:
        raise ValidationError({"querier": [_("Choose an order of screening.")]})
    project = ScreeningProject.objects.create(
        name=name.strip()[:200],
        description=description.strip(),
        domains=_domains(domains),
        topics=_topics(topics),
        querier=querier,
        created_by=by,
    )
    reviewers = _reviewers(members)
    project.members.set(reviewers)
    audit_record(
        action="horizon.project.created",
        actor=by,
        obj=project,
        summary={"domains": project.domains, "topics": project.topics, "members": sorted(u.pk for u in reviewers)},
        request=request,
    )
    return project


@transaction.atomic
def project_update(
    *,
    project: ScreeningProject,
    by: User,
    name: str,
    description: str,
    domains: Sequence[str],
    querier: str,
    members: Iterable[User],
    topics: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> ScreeningProject:
    """Change a project's description, focus, order of screening or members (analysts)."""
    _require(viewer_for(by), MANAGE, project)
    if not name.strip():
        raise ValidationError({"name": [_("Give the project a name.")]})
    if querier not in Querier.values:
        raise ValidationError({"querier": [_("Choose an order of screening.")]})
    project = ScreeningProject.objects.select_for_update().get(pk=project.pk)
    reviewers = _reviewers(members)
    before = {
        "domains": project.domains,
        "topics": project.topics,
        "querier": project.querier,
        # (read from the table, not ``policy_assigned_user_ids``: its cache would outlive ``members.set``)
        "members": sorted(project.members.values_list("pk", flat=True)),
    }
    project.name, project.description = name.strip()[:200], description.strip()
    focus = (_domains(domains), _topics(topics))
    refocused = focus != (project.domains, project.topics)
    (project.domains, project.topics), project.querier = focus, querier
    project.save()
    project.members.set(reviewers)
    after = {
        "domains": project.domains,
        "topics": project.topics,
        "querier": project.querier,
        "members": sorted(user.pk for user in reviewers),
    }
    audit_record(
        action="horizon.project.updated",
        actor=by,
        obj=project,
        summary={"before": before, "after": after},
        request=request,
    )
    if refocused:
        from nonpro.horizon.ranking import priors_refresh

        priors_refresh(project)
    schedule_rerank(project)
    return project


# --- imports --------------------------------------------------------------------------------------------


def _sniff_format(path: Path, name: str, fmt: str = "") -> str:
    """Return the format of the file at ``path`` (un-gzipped for the sniff), or raise ``ValidationError``.

    ``fmt`` is the format named by the person: it skips the detection, never the check that the file has content.
    """
    import gzip

    with path.open("rb") as raw:
        magic = raw.read(2)
        raw.seek(0)
        stream = cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb") if magic == GZIP_MAGIC else raw)
        try:
            head = stream.read(SNIFF_BYTES)
        except (OSError, EOFError) as error:
            raise ValidationError({"file": [_("The file cannot be read: %(error)s") % {"error": error}]}) from error
    if not head.strip():
        raise ValidationError({"file": [_("The file is empty.")]})
    if fmt:
        return fmt
    try:
        return detect(head, name)
    except UnknownFormat as error:
        raise ValidationError({"file": [_("The format was not recognised: %(reason)s.") % {"reason": error}]}) from None


def _new_job(*, project: ScreeningProject, by: User, kind: str, name: str, path: Path, fmt: str) -> ImportJob:
    return ImportJob.objects.create(
        project=project, kind=kind, name=name[:300], path=str(path), format=fmt, size=path.stat().st_size, created_by=by
    )


def _enqueue_import(job: ImportJob) -> None:
    from nonpro.horizon.tasks import run_import

    job_id = job.pk
    transaction.on_commit(lambda: run_import.enqueue(job_id))


def import_upload(
    *,
    project: ScreeningProject,
    by: User,
    name: str,
    chunks: Iterable[bytes],
    fmt: str = "",
    request: HttpRequest | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Store an uploaded file and queue its import; an unrecognised or oversized file is refused (nothing kept)."""
    _require(viewer_for(by), IMPORT, project)
    directory = upload_directory() / uuid.uuid4().hex
    directory.mkdir(parents=True, exist_ok=False)
    safe_name = Path(name).name.replace("\x00", "")[:200] or "upload"
    path = directory / safe_name
    limit = int(settings.HORIZON_UPLOAD_MAX_BYTES)
    try:
        written = 0
        with path.open("wb") as out:
            for chunk in chunks:
                written += len(chunk)
                if written > limit:
                    raise ValidationError(
                        {"file": [_("The file is larger than %(size)s.") % {"size": filesizeformat(limit)}]}
                    )
                out.write(chunk)
        detected = _sniff_format(path, safe_name, fmt)
        with transaction.atomic():
            job = _new_job(project=project, by=by, kind=ImportKind.UPLOAD, name=safe_name, path=path, fmt=detected)
            audit_record(
                action="horizon.import.created",
                actor=by,
                obj=job,
                summary={"project": project.pk, "kind": job.kind, "format": job.format, "size": job.size},
                request=request,
            )
            if enqueue:
                _enqueue_import(job)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return job


def server_directories() -> list[Path]:
    return [Path(item).resolve() for item in settings.HORIZON_SERVER_DIRS]


def server_files() -> list[Path]:
    """Return the files analysts may import from the server's import folders (``NONPRO_HORIZON_SERVER_DIRS``)."""
    found: list[Path] = []
    for directory in server_directories():
        if directory.is_dir():
            found.extend(
                sorted(path for path in directory.rglob("*") if path.is_file() and not path.name.startswith("."))
            )
    return found


def import_server_file(
    *,
    project: ScreeningProject,
    by: User,
    path: Path,
    fmt: str = "",
    request: HttpRequest | None = None,
    enqueue: bool = True,
    anywhere: bool = False,
) -> ImportJob:
    """Queue the import of a file already on the server (read in place, never copied).

    From a page, only files inside the configured import folders (analysts); ``anywhere`` is for
    the command line, where the operator names the file.
    """
    viewer = viewer_for(by)
    _require(viewer, IMPORT if anywhere else IMPORT_SERVER, project)
    resolved = path.resolve()
    if not anywhere and not any(resolved.is_relative_to(directory) for directory in server_directories()):
        raise ValidationError({"path": [_("The file is not in one of the server's import folders.")]})
    if not resolved.is_file():
        raise ValidationError({"path": [_("No such file: %(path)s") % {"path": str(path)}]})
    detected = _sniff_format(resolved, resolved.name, fmt)
    with transaction.atomic():
        job = _new_job(project=project, by=by, kind=ImportKind.SERVER, name=str(path), path=resolved, fmt=detected)
        audit_record(
            action="horizon.import.created",
            actor=by,
            obj=job,
            summary={"project": project.pk, "kind": job.kind, "format": job.format, "size": job.size},
            request=request,
        )
        if enqueue:
            _enqueue_import(job)
    return job


def import_feed(
    *,
    project: ScreeningProject,
    by: User,
    url: str,
    fmt: str = "",
    request: HttpRequest | None = None,
    enqueue: bool = True,
) -> ImportJob:
    """Queue the import of a feed URL (analysts; only hosts in ``NONPRO_HORIZON_FEED_HOSTS``).

    The import task fetches it into the upload folder first, then reads it as it would an upload.
    """
    from nonpro.horizon.feeds import check_url

    _require(viewer_for(by), IMPORT_FEED, project)
    url = check_url(url)
    path = upload_directory() / uuid.uuid4().hex / "feed"
    with transaction.atomic():
        job = ImportJob.objects.create(
            project=project, kind=ImportKind.FEED, name=url[:300], url=url, path=str(path), format=fmt, created_by=by
        )
        audit_record(
            action="horizon.import.created",
            actor=by,
            obj=job,
            summary={"project": project.pk, "kind": job.kind, "format": job.format, "url": url[:500]},
            request=request,
        )
        if enqueue:
            _enqueue_import(job)
    return job


@transaction.atomic
def import_cancel(*, job: ImportJob, by: User, request: HttpRequest | None = None) -> ImportJob:
    """Stop an import: a queued one at once, a running one after its current batch (kept)."""
    _require(viewer_for(by), IMPORT, job.project)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == ImportStatus.QUEUED:
        job.status, job.finished_at = ImportStatus.CANCELLED, timezone.now()
    elif job.status == ImportStatus.RUNNING:
        job.status = ImportStatus.CANCEL_REQUESTED
    else:
        return job
    job.updated_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(action="horizon.import.cancelled", actor=by, obj=job, summary={"status": job.status}, request=request)
    return job


@transaction.atomic
def import_resume(*, job: ImportJob, by: User, request: HttpRequest | None = None) -> ImportJob:
    """Queue a cancelled or failed import again: it goes on from the last record it committed."""
    _require(viewer_for(by), IMPORT, job.project)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not job.resumable:
        raise ScreeningConflict(_("Only a cancelled or failed import can be resumed."))
    if job.kind != ImportKind.FEED and not Path(job.path).is_file():  # a feed not fetched yet is fetched again
        raise ValidationError(_("The file of this import is no longer on the server."))
    job.status, job.failure, job.finished_at, job.updated_at = ImportStatus.QUEUED, "", None, timezone.now()
    job.save(update_fields=["status", "failure", "finished_at", "updated_at"])
    audit_record(action="horizon.import.resumed", actor=by, obj=job, summary={"from": job.resume_from}, request=request)
    _enqueue_import(job)
    return job


# --- screening ------------------------------------------------------------------------------------------


def schedule_rerank(project: ScreeningProject) -> None:
    """Retrain and re-rank the project in the background once the current transaction commits."""
    from nonpro.horizon.tasks import rerank

    project_id = project.pk
    transaction.on_commit(lambda: rerank.enqueue(project_id))


def _lock_window() -> tuple[Any, Any]:
    now = timezone.now()
    return now, now + timedelta(minutes=LOCK_MINUTES)


@transaction.atomic
def candidate_next(*, project: ScreeningProject, by: User, skip: Sequence[int] = ()) -> Candidate | None:
    """Return the record ``by`` screens now, locked to them: the one they hold, else the best free one.

    ``skip`` are records this reviewer passed over (they stay in the queue for everyone else).
    Returns None when nothing is left for them.
    """
    _require(viewer_for(by), SCREEN, project)
    now, until = _lock_window()
    mine = (
        Candidate.objects.filter(project=project, locked_by=by, locked_until__gte=now, decision=Decision.PENDING)
        .exclude(pk__in=list(skip))
        .order_by("pk")
        .first()
    )
    held = Candidate.objects.filter(project=project, locked_by=by)
    (held.exclude(pk=mine.pk) if mine is not None else held).update(locked_by=None, locked_until=None)
    if mine is not None:
        return mine
    from nonpro.horizon.selectors import queue

    for candidate_id in queue(project, now=now).exclude(pk__in=list(skip)).values_list("pk", flat=True)[:50]:
        free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        taken = Candidate.objects.filter(free, pk=candidate_id, decision=Decision.PENDING).update(
            locked_by=by, locked_until=until
        )
        if taken:
            return Candidate.objects.get(pk=candidate_id)
    return None


@transaction.atomic
def candidate_release(*, candidate: Candidate, by: User) -> None:
    """Give the record back to the queue (skip) if ``by`` holds it."""
    Candidate.objects.filter(pk=candidate.pk, locked_by=by).update(locked_by=None, locked_until=None)


@transaction.atomic
def candidate_decide(
    *,
    candidate: Candidate,
    by: User,
    decision: str,
    note: str | None = None,
    change: bool = False,
    request: HttpRequest | None = None,
) -> Candidate:
    """Record a reviewer's decision (relevant or irrelevant) and schedule a re-ranking.

    Refused when another reviewer holds the record, or when it was already decided and ``change``
    is not set (the candidate page changes a decision on purpose; the screening page never does).
    """
    project = ScreeningProject.objects.select_for_update().get(pk=candidate.project_id)
    _require(viewer_for(by), SCREEN, project)
    if decision not in {Decision.RELEVANT, Decision.IRRELEVANT}:
        raise ValidationError({"decision": [_("Choose relevant or irrelevant.")]})
    current = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if current.duplicate_of_id is not None:
        raise ScreeningConflict(_("This record duplicates another one: screen that one instead."))
    now = timezone.now()
    held = current.locked_by_id is not None and current.locked_by_id != by.pk
    if held and current.locked_until is not None and current.locked_until >= now:
        raise ScreeningConflict(_("Another reviewer is screening this record now."))
    if current.decision != Decision.PENDING and not change:
        raise ScreeningConflict(_("This record was screened meanwhile by another reviewer."))
    before = current.decision
    project.decisions += 1
    counted: dict[str, str] = {Decision.RELEVANT: "relevant_count", Decision.IRRELEVANT: "irrelevant_count"}
    if before in counted:
        setattr(project, counted[before], getattr(project, counted[before]) - 1)
    setattr(project, counted[decision], getattr(project, counted[decision]) + 1)
    project.save(update_fields=["decisions", "relevant_count", "irrelevant_count"])
    current.decision, current.decision_seq = decision, project.decisions
    current.decided_by, current.decided_at = by, now
    if note is not None:
        current.note = note.strip()
    current.locked_by, current.locked_until = None, None
    current.save()
    audit_record(
        action="horizon.candidate.decided",
        actor=by,
        obj=current,
        summary={"project": project.pk, "before": before, "after": decision, "number": project.decisions},
        request=request,
    )
    schedule_rerank(project)
    return current


@transaction.atomic
def candidate_note(*, candidate: Candidate, by: User, note: str, request: HttpRequest | None = None) -> Candidate:
    """Keep a reviewer's note on a record without deciding it."""
    _require(viewer_for(by), SCREEN, candidate.project)
    current = Candidate.objects.select_for_update().get(pk=candidate.pk)
    current.note = note.strip()
    current.save(update_fields=["note"])
    audit_record(
        action="horizon.candidate.noted",
        actor=by,
        obj=current,
        summary={"project": current.project_id},
        request=request,
    )
    return current


# --- the register -----------------------------------------------------------------------------------


def promotion_source(candidate: Candidate) -> dict[str, str]:
    """Return the register source that cites the candidate's record."""
    kind = "preprint" if candidate.arxiv and not (candidate.doi or candidate.pmid) else "article"
    if candidate.kind == "patent":
        kind = "patent"
    url = candidate.url
    try:
        # the register's own check: a link it refuses (files carry "http://example_url.com") must not block a promotion
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        url = ""
    return {
        "type": kind,
        "citation": candidate.citation(),
        "doi": candidate.doi,
        "pmid": candidate.pmid,
        "arxiv_id": candidate.arxiv,
        "url": url,
    }


def promotion_domains(candidate: Candidate, *, threshold: float = 0.2) -> list[str]:
    """Return the domains the candidate scores at least ``threshold`` in (the draft's suggested domains)."""
    scores = {str(code): float(score) for code, score in (candidate.domain_scores or {}).items()}
    return sorted(code for code, score in scores.items() if score >= threshold)


@transaction.atomic
def candidate_promote(
    *,
    candidate: Candidate,
    by: User,
    title: str,
    summary: str,
    domains: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> Any:
    """Create a register draft from a relevant record, citing it as the draft's source; return the entry.

    The draft goes through the register's own workflow (``register.services.entry_create_draft``):
    its parts start at COMMITTEE, and reviewers assess it before anything is published.
    """
    from nonpro.register.services import entry_create_draft

    current = Candidate.objects.select_for_update(of=("self",)).select_related("project").get(pk=candidate.pk)
    _require(viewer_for(by), PROMOTE, current.project)
    if current.decision != Decision.RELEVANT:
        raise ScreeningConflict(_("Only a record screened as relevant can be promoted."))
    if current.entry_id is not None:
        raise ScreeningConflict(_("This record is already in the register."))
    first_reported = current.date if len(current.date) == 10 else ""
    values: dict[str, Any] = {
        "title": title,
        "summary": summary,
        "domains": list(domains),
        "sources": [promotion_source(current)],
    }
    if first_reported:
        values["first_reported"] = first_reported
    entry = entry_create_draft(by=by, values=values, request=request)
    _attach(current, entry, "promoted", by=by, request=request)
    return entry


def _attach(candidate: Candidate, entry: Any, link: str, *, by: User, request: HttpRequest | None) -> None:
    """Point ``candidate`` at its register ``entry`` (``link``: promoted or linked), count it, audit it."""
    candidate.entry, candidate.entry_link = entry, link
    candidate.save(update_fields=["entry", "entry_link"])
    ScreeningProject.objects.filter(pk=candidate.project_id).update(promoted_count=F("promoted_count") + 1)
    audit_record(
        action=f"horizon.candidate.{link}",
        actor=by,
        obj=candidate,
        summary={"project": candidate.project_id, "entry": entry.rsd_id},
        request=request,
    )


@transaction.atomic
def candidate_link(*, candidate: Candidate, by: User, rsd_id: str, request: HttpRequest | None = None) -> Any:
    """Link a record to an existing register entry the reviewer can see (e.g. a new source of it)."""
    from nonpro.register.selectors import entry_get_visible

    viewer = viewer_for(by)
    current = Candidate.objects.select_for_update(of=("self",)).select_related("project").get(pk=candidate.pk)
    _require(viewer, PROMOTE, current.project)
    if current.entry_id is not None:  # a stale page: the record was promoted or linked meanwhile
        raise ScreeningConflict(_("This record is already in the register."))
    entry = entry_get_visible(viewer, rsd_id.strip().upper())
    if entry is None:
        raise ValidationError({"rsd_id": [_("No register entry you can see has this identifier.")]})
    _attach(current, entry, "linked", by=by, request=request)
    return entry
