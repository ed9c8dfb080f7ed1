"""Imports into a screening project: uploads and server files, read batch by batch, cancelled, resumed.

Through ``services.import_upload`` / ``import_server_file`` / ``import_cancel`` / ``import_resume``
and ``importing.import_process`` (what the worker runs). Synthetic files are policy-level and
marked "Synthetic example" (``tests/horizon/synthetic.py``).
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from nonpro.core.audit.models import AuditEvent
from nonpro.horizon import importing, services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import Candidate, ImportJob, ImportKind, ImportProblem, ImportStatus, ScreeningProject
from nonpro.horizon.selectors import project_stats
from nonpro.horizon.services import ScreeningConflict
from nonpro.scanning.readers import read_file
from nonpro.scanning.records import Problem, Record
from tests.horizon.conftest import FORMATS, PUBMED, RIS, People, run_worker, upload
from tests.horizon.synthetic import BROKEN, Ref, doi, numbered, ris, ris_lines, write

pytestmark = pytest.mark.django_db

RUN_IMPORT = "nonpro.horizon.tasks.run_import"
RERANK = "nonpro.horizon.tasks.rerank"


def stored_files() -> list[Path]:
    """Return every file kept in the upload directory."""
    return [path for path in Path(settings.HORIZON_UPLOAD_DIR).rglob("*") if path.is_file()]


def queued(project: ScreeningProject, by: Any, path: Path) -> ImportJob:
    """Upload ``path`` without running its import."""
    return services.import_upload(project=project, by=by, name=path.name, chunks=[path.read_bytes()], enqueue=False)


def counts(job: ImportJob) -> tuple[int, int, int, int]:
    return job.records_read, job.records_added, job.records_duplicate, job.records_error


def candidates_of(job: ImportJob) -> list[Candidate]:
    return list(Candidate.objects.filter(import_job=job).order_by("pk"))


# --- every record of a real file becomes a candidate ------------------------------------------------

SAMPLES = [
    "pubmed-xml/asreview_pubmed.xml",
    "ris/RIS_case02.ris",
    "ris/RIS_case04.ris",
    "ris/baseline_zotero.ris",
    "bibtex/BibTeX_case08.bib",
    "medline-nbib/MEDLINEnbib_case06.nbib",
    "endnote-xml/Endnote_XML_case00.xml",
    "crossref-json/habanero_test_works_field_queries_0.json",
    "openalex-json/OpenAlex_JSON_case05.json",
    "arxiv-atom/arxivpy_HEAD_q_testing_s0_m100_cfe7536492ca.atom.xml",
    "arxiv-oai-pmh/invenio_test_utils_arXiv_0804.2273_GetRecord_metadataPrefix_arXiv.xml",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_every_record_of_a_sample_file_becomes_a_candidate(
    project: ScreeningProject, people: People, sample: str
) -> None:
    path = FORMATS / sample
    items = list(read_file(path))
    records = [item for item in items if isinstance(item, Record)]
    problems = [item for item in items if isinstance(item, Problem)]

    job = upload(project, people.reviewer, path)

    assert job.status == ImportStatus.FINISHED
    assert job.failure == ""
    assert job.records_read == len(records) > 0
    assert job.records_added + job.records_duplicate == len(records)
    assert job.records_error == len(problems)
    assert job.resume_from == len(items)
    assert job.bytes_done == job.size == path.stat().st_size
    assert job.percent == 100
    assert job.finished_at is not None
    made = candidates_of(job)
    # (a batch stores its new records before its duplicates, which point at them)
    assert sorted((row.source_position, row.title) for row in made) == sorted(
        (record.source.position[:100] if record.source else "", record.title or "") for record in records
    )
    assert {row.source_format for row in made} == {job.format}
    primaries = {row.pk for row in made if row.duplicate_of_id is None}
    assert len(primaries) == job.records_added
    # a duplicate inside the file points at an earlier record of the same file
    assert all(row.duplicate_of_id in primaries and row.duplicate_of_id < row.pk for row in made if row.duplicate_of_id)
    assert list(job.problems.values_list("position", flat=True)) == [problem.position[:100] for problem in problems]


def test_pubmed_records_keep_their_identifiers_and_fields(project: ScreeningProject, people: People) -> None:
    expected = [item for item in read_file(PUBMED) if isinstance(item, Record)]

    job = upload(project, people.reviewer, PUBMED)

    assert job.format == "pubmed-xml"
    assert counts(job) == (10, 10, 0, 0)
    made = candidates_of(job)
    assert [(row.pmid, row.doi, row.date) for row in made] == [
        (record.ids.pmid, record.ids.doi, record.date[:10]) for record in expected
    ]
    first = made[0]
    assert first.title == expected[0].title
    assert first.abstract == expected[0].abstract
    assert first.authors == [author.name for author in expected[0].authors]
    assert first.richness > 0
    # before the model is trained the queue is ordered by the prior
    assert all(row.rank_score == row.prior_score for row in made)


def test_a_gzip_upload_is_read_like_the_plain_file(project: ScreeningProject, people: People, tmp_path: Path) -> None:
    packed = write(tmp_path, "asreview_pubmed.xml.gz", gzip.compress(PUBMED.read_bytes()))

    job = upload(project, people.reviewer, packed)

    assert job.format == "pubmed-xml"
    assert counts(job) == (10, 10, 0, 0)
    assert job.size == packed.stat().st_size
    assert sorted(row.pmid for row in candidates_of(job)) == sorted(
        item.ids.pmid for item in read_file(PUBMED) if isinstance(item, Record)
    )


def test_the_upload_is_kept_under_its_own_name_in_the_upload_directory(
    project: ScreeningProject, people: People
) -> None:
    job = queued(project, people.reviewer, RIS)

    stored = Path(job.path)
    assert job.status == ImportStatus.QUEUED
    assert job.kind == ImportKind.UPLOAD
    assert job.name == stored.name == RIS.name
    assert stored.is_relative_to(Path(settings.HORIZON_UPLOAD_DIR))
    assert stored.read_bytes() == RIS.read_bytes()
    assert job.format == "ris"
    assert job.size == RIS.stat().st_size
    assert not Candidate.objects.filter(project=project).exists()  # the worker reads it, not the upload


def test_an_uploaded_name_cannot_leave_the_upload_directory(project: ScreeningProject, people: People) -> None:
    job = services.import_upload(
        project=project, by=people.reviewer, name="../../escape.ris", chunks=[RIS.read_bytes()], enqueue=False
    )

    assert job.name == "escape.ris"
    assert Path(job.path).resolve().is_relative_to(Path(settings.HORIZON_UPLOAD_DIR).resolve())
    assert stored_files() == [Path(job.path)]


def test_import_process_is_idempotent(project: ScreeningProject, people: People) -> None:
    job = upload(project, people.reviewer, PUBMED)

    again = import_process(job.pk)

    assert again.status == ImportStatus.FINISHED
    assert counts(again) == counts(job)
    assert Candidate.objects.filter(project=project).count() == 10


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left in a transaction (PostgreSQL)
def test_an_upload_is_queued_on_commit_and_imported_by_the_worker(project: ScreeningProject, people: People) -> None:
    with transaction.atomic():
        job = services.import_upload(
            project=project, by=people.reviewer, name=PUBMED.name, chunks=[PUBMED.read_bytes()]
        )
        assert not DBTaskResult.objects.exists(), "queued on commit, not before"
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [RUN_IMPORT]

    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.FINISHED
    assert counts(job) == (10, 10, 0, 0)
    # the new records were ranked by the task the import queued in turn
    project.refresh_from_db()
    assert project.ranked_at is not None
    assert project.ranked_decisions == project.decisions == 0
    assert sorted(DBTaskResult.objects.values_list("task_path", "status")) == [
        (RERANK, "SUCCESSFUL"),
        (RUN_IMPORT, "SUCCESSFUL"),
    ]
    # the same file again adds nothing: there is nothing to re-rank
    services.import_upload(project=project, by=people.reviewer, name=PUBMED.name, chunks=[PUBMED.read_bytes()])
    run_worker()
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [RERANK, RUN_IMPORT, RUN_IMPORT]


# --- duplicates -------------------------------------------------------------------------------------


def test_the_same_file_twice_gives_only_duplicates_linked_to_the_first(
    project: ScreeningProject, people: People
) -> None:
    first = upload(project, people.reviewer, PUBMED)

    second = upload(project, people.second, PUBMED)

    assert counts(first) == (10, 10, 0, 0)
    assert counts(second) == (10, 0, 10, 0)
    originals = candidates_of(first)
    copies = candidates_of(second)
    assert [copy.duplicate_of_id for copy in copies] == [original.pk for original in originals]
    assert all(copy.duplicate_reason for copy in copies)
    assert [(copy.pmid, copy.title) for copy in copies] == [(original.pmid, original.title) for original in originals]
    stats = project_stats(project)
    assert (stats.candidates, stats.duplicates) == (10, 10)


def test_the_same_file_in_another_project_is_no_duplicate(project: ScreeningProject, people: People) -> None:
    other = services.project_create(by=people.analyst, name="Synthetic example: another project")
    upload(project, people.reviewer, PUBMED)

    job = upload(other, people.analyst, PUBMED)

    assert counts(job) == (10, 10, 0, 0)


@pytest.mark.parametrize("same_file", [True, False], ids=["same file", "two files"])
def test_a_duplicate_fills_the_gaps_of_its_primary(
    project: ScreeningProject, people: People, tmp_path: Path, same_file: bool
) -> None:
    bare = Ref(title="Synthetic example: national reporting by customs administrations", doi=doi(1), year="")
    rich = Ref(
        title="Synthetic example: national reporting by customs administrations",
        doi=doi(1),
        abstract="Synthetic example: how customs administrations report on nuclear safeguards and export licensing.",
        venue="Synthetic Journal of Border Policy",
        keywords=("export controls", "nuclear safeguards"),
        authors=("Example, Ann",),
        year="2023",
    )
    if same_file:
        upload(project, people.reviewer, write(tmp_path, "both.ris", ris([bare, rich])))
    else:
        upload(project, people.reviewer, write(tmp_path, "bare.ris", ris([bare])))
        primary = Candidate.objects.get(project=project)
        assert (primary.abstract, primary.venue, primary.concern) == ("", "", 0.0)
        upload(project, people.reviewer, write(tmp_path, "rich.ris", ris([rich])))

    primary = Candidate.objects.get(project=project, duplicate_of__isnull=True)
    duplicate = Candidate.objects.get(project=project, duplicate_of__isnull=False)
    assert duplicate.duplicate_of_id == primary.pk
    assert duplicate.duplicate_reason == "doi"
    assert primary.abstract == rich.abstract
    assert primary.venue == rich.venue
    assert primary.date == "2023"
    assert primary.authors == ["Example, Ann"]
    assert set(rich.keywords) <= set(primary.keywords)
    # the filled abstract and keywords are scored: the primary's concern and prior follow them
    assert primary.concern > 0
    assert primary.domain_scores.get("nuclear", 0) > 0
    assert {match["field"] for match in primary.explanation} >= {"abstract", "keywords"}
    assert primary.rank_score == primary.prior_score == primary.concern
    assert primary.title == bare.title


def test_a_duplicate_does_not_overwrite_what_its_primary_has(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    first = Ref(title="Synthetic example: crop science extension services", doi=doi(7), abstract="Synthetic A.")
    second = Ref(title="Synthetic example: crop science extension services", doi=doi(7), abstract="Synthetic B.")

    upload(project, people.reviewer, write(tmp_path, "two.ris", ris([first, second])))

    primary = Candidate.objects.get(project=project, duplicate_of__isnull=True)
    assert primary.abstract == "Synthetic A."
    assert Candidate.objects.get(duplicate_of=primary).abstract == "Synthetic B."


# --- malformed and hostile input ----------------------------------------------------------------------


def test_a_malformed_ris_record_is_a_problem_and_the_valid_records_are_kept(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    refs = [*numbered(2), BROKEN, *numbered(2, start=3)]
    path = write(tmp_path, "broken.ris", ris(refs))

    job = upload(project, people.reviewer, path)

    assert job.status == ImportStatus.FINISHED
    assert counts(job) == (4, 4, 0, 1)
    assert job.resume_from == 5
    (problem,) = job.problems.all()
    assert problem.position == ris_lines(refs)[2]
    assert "no title and no identifier" in problem.reason
    assert [row.doi for row in candidates_of(job)] == [doi(1), doi(2), doi(3), doi(4)]


def test_a_malformed_bibtex_entry_is_a_problem_and_the_valid_entries_are_kept(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    data = (
        b"@article{good1, title={Synthetic example: seed banks and crop diversity}, year=2020}\n"
        b"\n"
        b"@article{broken, title={Synthetic example: {unbalanced}, year=2021,\n"
        b"\n"
        b'@article{good2, title = "Synthetic example: export licensing statistics", doi = {10.5555/ABC}}\n'
    )

    job = upload(project, people.reviewer, write(tmp_path, "broken.bib", data))

    assert job.format == "bibtex"
    assert counts(job) == (2, 2, 0, 1)
    assert list(job.problems.values_list("position", flat=True)) == ["line 3"]
    assert "does not end" in job.problems.get().reason
    assert [row.source_id for row in candidates_of(job)] == ["good1", "good2"]
    assert candidates_of(job)[1].doi == "10.5555/abc"


def pubmed_article(pmid: str, title: str) -> str:
    return (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
        f"<ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n"
    )


def test_a_pubmed_record_without_title_or_id_is_a_problem_among_good_ones(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    data = (
        '<?xml version="1.0"?>\n<PubmedArticleSet>\n'
        + pubmed_article("900000001", "Synthetic example: a first record on export controls")
        + "<PubmedArticle><MedlineCitation><Article><ArticleTitle></ArticleTitle></Article>"
        "</MedlineCitation></PubmedArticle>\n"
        + pubmed_article("900000003", "Synthetic example: a third record on bibliometrics")
        + "</PubmedArticleSet>\n"
    ).encode()

    job = upload(project, people.reviewer, write(tmp_path, "update.xml", data))

    assert counts(job) == (2, 2, 0, 1)
    problem = job.problems.get()
    assert problem.position.startswith("record 2")
    assert problem.reason == "no title and no identifier"
    assert [row.pmid for row in candidates_of(job)] == ["900000001", "900000003"]


#: The "billion laughs": ten levels of ten references, 10**9 "lol"s if it were expanded.
BOMB = (
    '<!DOCTYPE PubmedArticleSet [\n <!ENTITY lol0 "lol">\n'
    + "".join(f' <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n' for level in range(1, 10))
    + "]>\n"
)


def test_an_entity_bomb_is_a_problem_and_is_never_expanded(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    data = (
        f'<?xml version="1.0"?>\n{BOMB}<PubmedArticleSet>\n'
        + pubmed_article("900000001", "Synthetic example &lol9;")
        + "</PubmedArticleSet>\n"
    ).encode()

    job = upload(project, people.reviewer, write(tmp_path, "bomb.xml", data))

    assert job.status == ImportStatus.FINISHED
    assert counts(job) == (0, 0, 0, 1)
    problem = job.problems.get()
    assert "entity" in problem.reason.lower()
    assert "lollol" not in problem.reason
    assert not Candidate.objects.filter(project=project).exists()


def test_external_entities_are_not_read(project: ScreeningProject, people: People, tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", b"SYNTHETIC-SECRET-MARKER")
    doctype = (
        f'<!DOCTYPE PubmedArticleSet [ <!ENTITY host SYSTEM "file:///etc/hostname"> '
        f'<!ENTITY secret SYSTEM "{secret.as_uri()}"> ]>\n'
    )
    data = (
        f'<?xml version="1.0"?>\n{doctype}<PubmedArticleSet>\n'
        + pubmed_article("900000001", "Synthetic example &host; &secret;")
        + "</PubmedArticleSet>\n"
    ).encode()

    job = upload(project, people.reviewer, write(tmp_path, "external.xml", data))

    assert counts(job) == (1, 1, 0, 0)
    candidate = Candidate.objects.get(project=project)
    assert candidate.title == "Synthetic example &host; &secret;"
    stored = json.dumps(list(Candidate.objects.filter(project=project).values()), default=str)
    assert "SYNTHETIC-SECRET-MARKER" not in stored


# --- refused uploads leave nothing behind -------------------------------------------------------------


def refused_upload(
    project: ScreeningProject, by: Any, chunks: list[bytes], name: str, fmt: str = ""
) -> ValidationError:
    jobs, events = ImportJob.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.import_upload(project=project, by=by, name=name, chunks=chunks, fmt=fmt, enqueue=False)
    assert ImportJob.objects.count() == jobs
    assert AuditEvent.objects.count() == events
    assert stored_files() == []
    return refused.value


UNUSABLE = {
    "no chunk": ([], "empty.ris", "", "The file is empty."),
    "empty": ([b""], "empty.ris", "", "The file is empty."),
    "blank": ([b" \n", b"\n\t\n"], "blank.xml", "", "The file is empty."),
    "empty with a format": ([b""], "empty.ris", "ris", "The file is empty."),
    "unknown format": (
        [b"Synthetic example: plain notes, not a literature file\n"],
        "notes.txt",
        "",
        "The format was not recognised",
    ),
    "broken gzip": (
        [b"\x1f\x8b", b"Synthetic example: not really gzip"],
        "broken.ris.gz",
        "",
        "The file cannot be read",
    ),
}


@pytest.mark.parametrize("case", UNUSABLE)
def test_an_unusable_upload_is_refused_and_leaves_no_job_and_no_file(
    project: ScreeningProject, people: People, case: str
) -> None:
    chunks, name, fmt, message = UNUSABLE[case]

    error = refused_upload(project, people.reviewer, chunks, name, fmt)

    assert list(error.message_dict) == ["file"]
    assert error.message_dict["file"][0].startswith(message)


def test_an_oversized_upload_is_refused_and_leaves_no_job_and_no_file(
    project: ScreeningProject, people: People, settings: Any
) -> None:
    settings.HORIZON_UPLOAD_MAX_BYTES = 2_000
    data = RIS.read_bytes()
    assert len(data) > 2_000
    chunks = [data[start : start + 500] for start in range(0, len(data), 500)]

    error = refused_upload(project, people.reviewer, chunks, RIS.name)

    assert list(error.message_dict) == ["file"]
    assert "larger than" in error.message_dict["file"][0]


def test_an_upload_at_the_size_limit_is_accepted(project: ScreeningProject, people: People, settings: Any) -> None:
    data = RIS.read_bytes()
    settings.HORIZON_UPLOAD_MAX_BYTES = len(data)

    job = services.import_upload(project=project, by=people.reviewer, name=RIS.name, chunks=[data], enqueue=False)

    assert job.size == len(data)


def test_a_failing_chunk_stream_leaves_no_file(project: ScreeningProject, people: People) -> None:
    def chunks() -> Iterator[bytes]:
        yield RIS.read_bytes()[:100]
        raise OSError("Synthetic example: the client went away")

    with pytest.raises(OSError, match="client went away"):
        services.import_upload(project=project, by=people.reviewer, name=RIS.name, chunks=chunks(), enqueue=False)

    assert stored_files() == []
    assert not ImportJob.objects.exists()


# --- server files -------------------------------------------------------------------------------------


def server_dir() -> Path:
    return Path(settings.HORIZON_SERVER_DIRS[0])


def test_an_analyst_imports_a_server_file_in_place(project: ScreeningProject, people: People) -> None:
    path = write(server_dir() / "pubmed", PUBMED.name, PUBMED.read_bytes())
    write(server_dir(), ".hidden.ris", RIS.read_bytes())

    assert services.server_files() == [path.resolve()]
    job = services.import_server_file(project=project, by=people.analyst, path=path, enqueue=False)

    assert job.kind == ImportKind.SERVER
    assert job.path == str(path.resolve())
    assert job.format == "pubmed-xml"
    assert stored_files() == []  # read in place, never copied
    done = import_process(job.pk)
    assert counts(done) == (10, 10, 0, 0)
    event = AuditEvent.objects.get(action="horizon.import.created", object_id=str(job.pk))
    assert event.summary == {"project": project.pk, "kind": "server", "format": "pubmed-xml", "size": job.size}


def outside_paths(tmp_path: Path) -> dict[str, Path]:
    outside = write(tmp_path / "elsewhere", "outside.ris", RIS.read_bytes())
    link = server_dir() / "link.ris"
    link.symlink_to(outside)
    return {"outside": outside, "climbing out": server_dir() / ".." / "elsewhere" / "outside.ris", "symlink": link}


@pytest.mark.parametrize("kind", ["outside", "climbing out", "symlink"])
def test_a_server_import_outside_the_import_folders_is_refused(
    project: ScreeningProject, people: People, tmp_path: Path, kind: str
) -> None:
    path = outside_paths(tmp_path)[kind]

    with pytest.raises(ValidationError) as refused:
        services.import_server_file(project=project, by=people.analyst, path=path, enqueue=False)

    assert list(refused.value.message_dict) == ["path"]
    assert not ImportJob.objects.exists()
    assert not AuditEvent.objects.filter(action="horizon.import.created").exists()


def test_a_missing_server_file_is_refused(project: ScreeningProject, people: People) -> None:
    with pytest.raises(ValidationError) as refused:
        services.import_server_file(project=project, by=people.analyst, path=server_dir() / "gone.ris", enqueue=False)

    assert list(refused.value.message_dict) == ["path"]
    assert not ImportJob.objects.exists()


def test_an_empty_server_file_is_refused(project: ScreeningProject, people: People) -> None:
    path = write(server_dir(), "empty.ris", b"")

    with pytest.raises(ValidationError):
        services.import_server_file(project=project, by=people.analyst, path=path, enqueue=False)

    assert not ImportJob.objects.exists()


def test_the_command_line_may_import_a_file_anywhere(project: ScreeningProject, people: People, tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", "outside.ris", RIS.read_bytes())

    job = services.import_server_file(project=project, by=people.reviewer, path=outside, enqueue=False, anywhere=True)

    assert counts(import_process(job.pk)) == (48, 48, 0, 0)


@pytest.mark.parametrize("person", ["reviewer", "expert", "outsider"])
def test_only_analysts_import_from_the_server_folders(project: ScreeningProject, people: People, person: str) -> None:
    path = write(server_dir(), PUBMED.name, PUBMED.read_bytes())

    with pytest.raises(PermissionDenied):
        services.import_server_file(project=project, by=getattr(people, person), path=path, enqueue=False)

    assert not ImportJob.objects.exists()


# --- cancel, resume, failure --------------------------------------------------------------------------

#: Ten items: nine records (the eighth duplicates the second) and one malformed record (the fifth).
RESUMABLE = [*numbered(4), BROKEN, *numbered(2, start=5), numbered(1, start=2)[0], *numbered(2, start=7)]


SMALL_BATCH = 3


@pytest.fixture
def resumable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the file of ``RESUMABLE``, imported ``SMALL_BATCH`` items per batch."""
    monkeypatch.setattr(importing, "BATCH", SMALL_BATCH)
    return write(tmp_path, "resumable.ris", ris(RESUMABLE))


def one_shot(people: People, path: Path) -> tuple[ImportJob, list[tuple[str, str, str]]]:
    """Import ``path`` in one go into a project of its own; return the job and what it made."""
    other = services.project_create(by=people.analyst, name="Synthetic example: one-shot reference")
    job = upload(other, people.analyst, path)
    return job, made(other)


def made(project: ScreeningProject) -> list[tuple[str, str, str]]:
    """Return (position, DOI, position of the primary or "") of every candidate of ``project``, sorted."""
    rows = Candidate.objects.filter(project=project).select_related("duplicate_of")
    return sorted(
        (row.source_position, row.doi, row.duplicate_of.source_position if row.duplicate_of else "") for row in rows
    )


def test_the_one_shot_reference_counts(people: People, resumable: Path) -> None:
    job, rows = one_shot(people, resumable)

    assert counts(job) == (9, 8, 1, 1)
    assert job.resume_from == 10
    positions = ris_lines(RESUMABLE)
    assert len(rows) == 9
    assert [row for row in rows if row[2]] == [(positions[7], doi(2), positions[1])]


def test_cancel_of_a_queued_import_cancels_it_at_once(project: ScreeningProject, people: People) -> None:
    job = queued(project, people.reviewer, PUBMED)

    cancelled = services.import_cancel(job=job, by=people.second)

    assert cancelled.status == ImportStatus.CANCELLED
    assert cancelled.finished_at is not None
    event = AuditEvent.objects.get(action="horizon.import.cancelled", object_id=str(job.pk))
    assert event.actor_id == people.second.pk
    assert event.summary == {"status": "cancelled"}
    # the worker then leaves it alone
    assert import_process(job.pk).status == ImportStatus.CANCELLED
    assert not Candidate.objects.filter(project=project).exists()


def test_cancel_of_a_finished_import_changes_nothing(project: ScreeningProject, people: People) -> None:
    job = upload(project, people.reviewer, PUBMED)
    events = AuditEvent.objects.count()

    assert services.import_cancel(job=job, by=people.reviewer).status == ImportStatus.FINISHED

    assert AuditEvent.objects.count() == events


def cancel_after_first_batch(people: People) -> Callable[[ImportJob], None]:
    seen: list[ImportJob] = []

    def on_batch(job: ImportJob) -> None:
        seen.append(job)
        if len(seen) == 1:
            assert job.status == ImportStatus.RUNNING
            assert services.import_cancel(job=job, by=people.reviewer).status == ImportStatus.CANCEL_REQUESTED

    return on_batch


def test_cancel_while_running_stops_after_the_current_batch_and_keeps_it(
    project: ScreeningProject, people: People, resumable: Path
) -> None:
    job = queued(project, people.reviewer, resumable)

    stopped = import_process(job.pk, on_batch=cancel_after_first_batch(people))

    assert stopped.status == ImportStatus.CANCELLED
    assert stopped.finished_at is not None
    assert stopped.resume_from == SMALL_BATCH
    assert counts(stopped) == (3, 3, 0, 0)
    assert [row.source_position for row in candidates_of(stopped)] == ris_lines(RESUMABLE)[:3]
    assert 0 < stopped.bytes_done < stopped.size
    assert stopped.resumable
    event = AuditEvent.objects.get(action="horizon.import.cancelled", object_id=str(job.pk))
    assert event.summary == {"status": "cancel_requested"}


def test_resume_continues_exactly_after_the_last_committed_item(
    project: ScreeningProject, people: People, resumable: Path
) -> None:
    reference, expected = one_shot(people, resumable)
    job = queued(project, people.reviewer, resumable)
    import_process(job.pk, on_batch=cancel_after_first_batch(people))

    resumed = services.import_resume(job=job, by=people.second)

    assert resumed.status == ImportStatus.QUEUED
    assert resumed.finished_at is None
    event = AuditEvent.objects.get(action="horizon.import.resumed", object_id=str(job.pk))
    assert event.summary == {"from": SMALL_BATCH}
    assert event.actor_id == people.second.pk
    done = import_process(job.pk)
    assert done.status == ImportStatus.FINISHED
    assert counts(done) == counts(reference) == (9, 8, 1, 1)
    assert done.resume_from == reference.resume_from == 10
    assert made(project) == expected  # nothing twice, nothing lost, the duplicate linked across the two runs
    assert list(done.problems.values_list("position", "reason")) == list(
        reference.problems.values_list("position", "reason")
    )


def test_a_crash_mid_import_fails_the_job_and_resume_finishes_it(
    project: ScreeningProject,
    people: People,
    resumable: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference, expected = one_shot(people, resumable)
    job = queued(project, people.reviewer, resumable)
    write_batch = importing._write_batch
    calls: list[int] = []

    def failing_on_the_second_batch(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("Synthetic failure: the disk is full")
        write_batch(*args, **kwargs)

    monkeypatch.setattr(importing, "_write_batch", failing_on_the_second_batch)
    with caplog.at_level(logging.ERROR, logger="nonpro.horizon.importing"):
        failed = import_process(job.pk)

    assert failed.status == ImportStatus.FAILED
    assert failed.failure == "RuntimeError: Synthetic failure: the disk is full"
    assert failed.finished_at is not None
    assert failed.resumable
    assert any(record.exc_info for record in caplog.records)
    # the first batch was committed; the second was rolled back whole
    assert counts(failed) == (3, 3, 0, 0)
    assert failed.resume_from == SMALL_BATCH
    assert Candidate.objects.filter(project=project).count() == 3
    assert not ImportProblem.objects.filter(job=job).exists()

    monkeypatch.setattr(importing, "_write_batch", write_batch)
    resumed = services.import_resume(job=failed, by=people.reviewer)
    assert resumed.failure == ""
    done = import_process(job.pk)

    assert done.status == ImportStatus.FINISHED
    assert counts(done) == counts(reference)
    assert made(project) == expected


@pytest.mark.parametrize("status", ["finished", "queued"])
def test_only_a_cancelled_or_failed_import_can_be_resumed(
    project: ScreeningProject, people: People, status: str
) -> None:
    job = upload(project, people.reviewer, PUBMED) if status == "finished" else queued(project, people.reviewer, PUBMED)
    before = ImportJob.objects.get(pk=job.pk)

    with pytest.raises(ScreeningConflict):
        services.import_resume(job=job, by=people.reviewer)

    after = ImportJob.objects.get(pk=job.pk)
    assert (after.status, after.finished_at) == (before.status, before.finished_at) == (status, before.finished_at)
    assert not AuditEvent.objects.filter(action="horizon.import.resumed").exists()


def test_a_running_import_cannot_be_resumed(project: ScreeningProject, people: People, resumable: Path) -> None:
    job = queued(project, people.reviewer, resumable)
    refused: list[str] = []

    def on_batch(running: ImportJob) -> None:
        with pytest.raises(ScreeningConflict):
            services.import_resume(job=running, by=people.reviewer)
        refused.append(ImportJob.objects.get(pk=running.pk).status)

    done = import_process(job.pk, on_batch=on_batch)

    assert refused == [ImportStatus.RUNNING] * 3
    assert done.status == ImportStatus.FINISHED
    assert counts(done) == (9, 8, 1, 1)


def test_resume_is_refused_when_the_file_is_gone(project: ScreeningProject, people: People) -> None:
    job = queued(project, people.reviewer, PUBMED)
    services.import_cancel(job=job, by=people.reviewer)
    Path(job.path).unlink()

    with pytest.raises(ValidationError):
        services.import_resume(job=job, by=people.reviewer)

    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.CANCELLED


# --- permissions and audit ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["expert", "outsider"])
def test_an_expert_or_a_non_member_reviewer_may_not_import(
    project: ScreeningProject, people: People, person: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.import_upload(
            project=project, by=getattr(people, person), name=RIS.name, chunks=[RIS.read_bytes()], enqueue=False
        )

    assert not ImportJob.objects.exists()
    assert stored_files() == []
    assert not AuditEvent.objects.filter(action__startswith="horizon.import").exists()


@pytest.mark.parametrize("person", ["expert", "outsider"])
@pytest.mark.parametrize("action", ["cancel", "resume"])
def test_an_expert_or_a_non_member_reviewer_may_not_cancel_or_resume(
    project: ScreeningProject, people: People, person: str, action: str
) -> None:
    job = queued(project, people.reviewer, PUBMED)
    if action == "resume":
        services.import_cancel(job=job, by=people.reviewer)
    before = ImportJob.objects.get(pk=job.pk).status
    events = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied):
        getattr(services, f"import_{action}")(job=job, by=getattr(people, person))

    assert ImportJob.objects.get(pk=job.pk).status == before
    assert AuditEvent.objects.count() == events


def test_an_analyst_who_is_no_member_may_import(project: ScreeningProject, people: People) -> None:
    job = upload(project, people.analyst, PUBMED)

    assert counts(job) == (10, 10, 0, 0)


def test_every_write_of_an_import_is_audited_without_any_record_text(
    project: ScreeningProject, people: People, resumable: Path
) -> None:
    job = queued(project, people.reviewer, resumable)
    import_process(job.pk, on_batch=cancel_after_first_batch(people))
    services.import_resume(job=job, by=people.reviewer)
    import_process(job.pk)

    events = list(AuditEvent.objects.filter(object_type="horizon.importjob", object_id=str(job.pk)).order_by("seq"))
    assert [event.action for event in events] == [
        "horizon.import.created",
        "horizon.import.cancelled",
        "horizon.import.resumed",
    ]
    assert all(event.actor_id == people.reviewer.pk for event in events)
    assert events[0].summary == {"project": project.pk, "kind": "upload", "format": "ris", "size": job.size}
    written = json.dumps([event.summary for event in AuditEvent.objects.all()])
    assert not any(row.title in written for row in Candidate.objects.filter(project=project))
