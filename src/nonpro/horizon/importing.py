"""Run one import job: read its file with ``nonpro.scanning``, score, deduplicate, store — batch by batch.

Each batch commits its candidates, its problems, the job's counters and ``resume_from`` (items
read so far, records and problems alike) in one transaction, so a job stopped anywhere — cancelled,
failed, its worker killed — resumes exactly after the last committed item, and nothing is written
twice or lost. Duplicates are found against the project's earlier candidates too (identifiers, then
near-identical titles: ``scanning.dedupe``); a duplicate is stored linked to the candidate it
duplicates and fills that candidate's gaps (abstract, identifiers, authors …).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from nonpro.horizon.feeds import FeedError, fetch
from nonpro.horizon.models import Candidate, ImportJob, ImportKind, ImportProblem, ImportStatus, ScreeningProject
from nonpro.horizon.ranking import Focus, prior_score
from nonpro.scanning.concern import Concern, Taxonomy, load_taxonomy
from nonpro.scanning.dedupe import DedupeIndex
from nonpro.scanning.readers import FORMATS, SNIFF_BYTES, UnknownFormat, detect
from nonpro.scanning.readers.base import GZIP_MAGIC
from nonpro.scanning.records import Identifiers, Problem, Record

logger = logging.getLogger(__name__)

#: Records per transaction: small enough to show progress often, large enough to write fast.
BATCH = 500
#: The text fields a duplicate may fill on the candidate it duplicates.
GAP_FIELDS = ("abstract", "venue", "date", "language", "kind", "url", "doi", "pmid", "pmcid", "arxiv", "openalex")


@dataclass
class _Index:
    """The project's deduplication index; per record number, the number of its group's primary."""

    dedupe: DedupeIndex
    primary_of: list[int] = field(default_factory=list)  # record number -> record number of its primary
    saved: dict[int, int] = field(default_factory=dict)  # record number of a saved primary -> candidate id
    pending: dict[int, Candidate] = field(default_factory=dict)  # record number -> primary of this batch


def _light_record(row: Mapping[str, Any]) -> Record:
    ids = Identifiers(
        doi=row["doi"], pmid=row["pmid"], pmcid=row["pmcid"], arxiv=row["arxiv"], openalex=row["openalex"]
    )
    return Record(ids=ids, title=row["title"])


def _project_index(project: ScreeningProject) -> _Index:
    """Index the project's primary candidates (duplicates add nothing: they point at a primary)."""
    index = _Index(DedupeIndex())
    rows = (
        Candidate.objects.filter(project=project, duplicate_of__isnull=True)
        .order_by("pk")
        .values("pk", "title", "doi", "pmid", "pmcid", "arxiv", "openalex", "richness")
    )
    for row in rows.iterator(chunk_size=2000):
        number = len(index.primary_of)
        index.dedupe.add(_light_record(row), richness=row["richness"])
        index.primary_of.append(number)
        index.saved[number] = row["pk"]
    return index


def _candidate(record: Record, concern: Concern, job: ImportJob, focus: Focus) -> Candidate:
    explanation = concern.explanation()
    authors = [author.name for author in record.authors][:200]
    countries = sorted({country for author in record.authors for country in author.countries})
    return Candidate(
        project_id=job.project_id,
        import_job=job,
        source_position=record.source.position[:100] if record.source else "",
        source_format=job.format,
        title=record.title or "",
        abstract=record.abstract,
        authors=authors,
        countries=countries,
        venue=record.venue[:500],
        date=record.date[:10],
        language=record.language[:20],
        keywords=[*record.keywords, *record.mesh_terms][:100],
        kind=record.kind[:40],
        url=record.url[:1000] if record.url.startswith(("http://", "https://")) else "",
        doi=record.ids.doi[:300],
        pmid=record.ids.pmid[:20],
        pmcid=record.ids.pmcid[:20],
        arxiv=record.ids.arxiv[:40],
        openalex=record.ids.openalex[:40],
        source_id=record.ids.source_id[:200],
        richness=record.richness(),
        concern=concern.score,
        domain_scores={code: round(score, 4) for code, score in concern.domains.items()},
        explanation=explanation,
        prior_score=prior_score(concern.score, concern.domains, explanation, focus),
    )


def _fill_gaps(primary: Candidate, duplicate: Candidate) -> set[str]:
    """Copy onto ``primary`` what only ``duplicate`` has; return the fields filled."""
    filled = set()
    for name in (*GAP_FIELDS, "authors", "keywords", "countries"):
        if not getattr(primary, name) and getattr(duplicate, name):
            setattr(primary, name, getattr(duplicate, name))
            filled.add(name)
    return filled


def _rescore(candidate: Candidate, taxonomy: Taxonomy, focus: Focus) -> None:
    texts = {"title": candidate.title, "keywords": " ; ".join(candidate.keywords), "abstract": candidate.abstract}
    concern = taxonomy.score_texts(texts)
    candidate.concern = concern.score
    candidate.domain_scores = {code: round(score, 4) for code, score in concern.domains.items()}
    candidate.explanation = concern.explanation()
    candidate.prior_score = prior_score(concern.score, concern.domains, candidate.explanation, focus)


class _Counting:
    """The raw file under the reader, whose position measures progress (compressed bytes for gzip)."""

    def __init__(self, path: Path) -> None:
        self.raw = path.open("rb")

    def stream(self) -> IO[bytes]:
        magic = self.raw.read(2)
        self.raw.seek(0)
        return cast("IO[bytes]", gzip.GzipFile(fileobj=self.raw, mode="rb") if magic == GZIP_MAGIC else self.raw)

    @property
    def position(self) -> int:
        return self.raw.tell() if not self.raw.closed else 0

    def close(self) -> None:
        self.raw.close()


def _items(job: ImportJob, counting: _Counting) -> Iterator[Record | Problem]:
    stream = counting.stream()
    fmt = job.format
    if not fmt:
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
        try:
            fmt = detect(head, job.name)
        except UnknownFormat as error:
            yield Problem(job.name, "file", str(error))
            return
    reader = FORMATS.get(fmt)
    if reader is None:
        yield Problem(job.name, "file", f"unknown format {fmt!r}")
        return
    yield from reader(stream, job.name)


@dataclass
class _Run:
    """What every batch of one run of a job needs: the project's index, the taxonomy, the focus."""

    job_id: int
    index: _Index
    taxonomy: Taxonomy
    focus: Focus


@dataclass
class _Batch:
    """The rows one batch writes."""

    problems: list[ImportProblem] = field(default_factory=list)
    primaries: list[Candidate] = field(default_factory=list)
    duplicates: list[tuple[Candidate, int]] = field(default_factory=list)  # (row, record number of its primary)
    touched: dict[int, Candidate] = field(default_factory=dict)  # saved primaries whose gaps a duplicate filled
    rescore: list[Candidate] = field(default_factory=list)
    read: int = 0


def _sort_item(run: _Run, job: ImportJob, item: Record | Problem, batch: _Batch) -> None:
    """Put one read item in ``batch``: a problem, a new primary, or a duplicate that fills its primary's gaps."""
    if isinstance(item, Problem):
        batch.problems.append(ImportProblem(job=job, position=item.position[:100], reason=item.reason))
        return
    batch.read += 1
    index = run.index
    row = _candidate(item, run.taxonomy.score(item), job, run.focus)
    number = len(index.primary_of)
    found = index.dedupe.add(item)
    if found is None:
        index.primary_of.append(number)
        index.pending[number] = row
        batch.primaries.append(row)
        return
    primary_number = index.primary_of[found.of]
    index.primary_of.append(primary_number)
    row.duplicate_reason = found.reason[:20]
    batch.duplicates.append((row, primary_number))
    primary = index.pending.get(primary_number)
    if primary is None:
        primary_id = index.saved[primary_number]
        primary = batch.touched.get(primary_id) or Candidate.objects.select_for_update().get(pk=primary_id)
    filled = _fill_gaps(primary, row)
    if filled and primary.pk is not None:
        batch.touched[primary.pk] = primary
    if filled & {"abstract", "keywords"}:
        batch.rescore.append(primary)


#: The fields of a saved primary that a duplicate may change.
_TOUCHED_FIELDS = [*GAP_FIELDS, "authors", "keywords", "countries", "concern", "domain_scores", "explanation"]


def _write_batch(run: _Run, batch: _Batch, trained: bool) -> None:
    for row in batch.rescore:
        _rescore(row, run.taxonomy, run.focus)
    for row in [*batch.primaries, *([] if trained else batch.touched.values())]:
        row.rank_score = row.prior_score
    Candidate.objects.bulk_create(batch.primaries, batch_size=250)
    index = run.index
    for number, row in index.pending.items():
        index.saved[number] = row.pk
    index.pending.clear()
    for row, primary_number in batch.duplicates:
        row.duplicate_of_id = index.saved[primary_number]
    Candidate.objects.bulk_create([row for row, _number in batch.duplicates], batch_size=250)
    if batch.touched:
        Candidate.objects.bulk_update(
            batch.touched.values(), [*_TOUCHED_FIELDS, "prior_score", "rank_score"], batch_size=250
        )
    ImportProblem.objects.bulk_create(batch.problems, batch_size=500)


def _save_batch(run: _Run, items: list[Record | Problem], position: int) -> str:
    """Store one batch with the job's counters; return the job's status afterwards (a cancel may stop it)."""
    with transaction.atomic():
        current = ImportJob.objects.select_for_update(of=("self",)).select_related("project").get(pk=run.job_id)
        if current.status == ImportStatus.CANCEL_REQUESTED:
            current.status, current.finished_at = ImportStatus.CANCELLED, timezone.now()
            current.save(update_fields=["status", "finished_at"])
            return current.status
        batch = _Batch()
        for item in items:
            _sort_item(run, current, item, batch)
        _write_batch(run, batch, current.project.model_trained)
        ScreeningProject.objects.filter(pk=current.project_id).update(
            record_count=F("record_count") + len(batch.primaries),
            duplicate_count=F("duplicate_count") + len(batch.duplicates),
        )
        current.records_read += batch.read
        current.records_added += len(batch.primaries)
        current.records_duplicate += len(batch.duplicates)
        current.records_error += len(batch.problems)
        current.resume_from += len(items)
        current.bytes_done = position
        current.updated_at = timezone.now()
        current.save()
        return current.status


def _fetched(job: ImportJob) -> bool:
    """Download a feed job's file (``feeds.fetch``); on failure mark the job FAILED and return False."""
    try:
        job.size = fetch(job.url, Path(job.path))
    except FeedError as error:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure=str(error)[:2000], finished_at=timezone.now()
        )
        return False
    ImportJob.objects.filter(pk=job.pk).update(size=job.size, updated_at=timezone.now())
    return True


def import_process(job_id: int, *, on_batch: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Run (or resume) import ``job_id``; idempotent: a job that is not queued or running is left as it is."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update(of=("self",)).select_related("project").get(pk=job_id)
        if job.status not in {ImportStatus.QUEUED, ImportStatus.RUNNING}:
            return job
        job.status, job.started_at, job.updated_at = (
            ImportStatus.RUNNING,
            job.started_at or timezone.now(),
            timezone.now(),
        )
        job.save(update_fields=["status", "started_at", "updated_at"])
    if job.kind == ImportKind.FEED and not Path(job.path).is_file() and not _fetched(job):
        return ImportJob.objects.get(pk=job.pk)
    project = job.project
    run = _Run(job_id=job.pk, index=_project_index(project), taxonomy=load_taxonomy(), focus=Focus.of(project))
    counting = _Counting(Path(job.path))
    status: str = ImportStatus.RUNNING
    try:
        batch: list[Record | Problem] = []
        skipped = 0
        for item in _items(job, counting):
            if skipped < job.resume_from:
                skipped += 1  # committed by an earlier run of this job
                continue
            batch.append(item)
            if len(batch) >= BATCH:
                status = _save_batch(run, batch, counting.position)
                batch = []
                if on_batch is not None:
                    on_batch(ImportJob.objects.get(pk=job.pk))
                if status != ImportStatus.RUNNING:
                    break
        if status == ImportStatus.RUNNING:
            status = _save_batch(run, batch, job.size)
    except Exception as error:
        logger.exception("import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, failure=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
        )
        return ImportJob.objects.get(pk=job.pk)
    finally:
        counting.close()
    if status == ImportStatus.RUNNING:
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.FINISHED, finished_at=timezone.now(), bytes_done=job.size, updated_at=timezone.now()
        )
    finished = ImportJob.objects.get(pk=job.pk)
    if finished.records_added:
        from nonpro.horizon.services import schedule_rerank

        with transaction.atomic():
            schedule_rerank(project)
    return finished
