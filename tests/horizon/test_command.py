"""``nonpro scan import``: files on the server into a screening project, as an upload would be."""

from __future__ import annotations

from pathlib import Path

import pytest

from nonpro.cli import main
from nonpro.core.audit.models import AuditEvent
from nonpro.horizon.models import Candidate, ImportJob, ImportStatus, ScreeningProject
from tests.horizon.conftest import PUBMED, RIS, People

pytestmark = pytest.mark.django_db

BROKEN_RIS = (
    "TY  - JOUR\nTI  - Synthetic example: a readable record on export-control outreach\nER  - \n\n"
    "TY  - JOUR\nAU  - Nobody, A.\nER  - \n\n"
    "TY  - JOUR\nTI  - Synthetic example: a second readable record on border security training\nER  - \n"
)


def scan_import(*args: str) -> int:
    return main(["scan", "import", "--no-progress", *args])


def test_import_by_project_number_runs_the_import_and_prints_the_counts(
    project: ScreeningProject, people: People, capsys: pytest.CaptureFixture[str]
) -> None:
    status = scan_import(str(PUBMED), str(RIS), "--project", str(project.pk), "--by", people.analyst.email)

    out = capsys.readouterr().out
    assert status == 0
    jobs = list(ImportJob.objects.filter(project=project).order_by("pk"))
    assert [job.status for job in jobs] == [ImportStatus.FINISHED, ImportStatus.FINISHED]
    assert jobs[0].records_read == 10
    assert Candidate.objects.filter(project=project, duplicate_of__isnull=True).count() == sum(
        job.records_added for job in jobs
    )
    assert f"read {jobs[0].records_read}, new {jobs[0].records_added}" in out
    assert AuditEvent.objects.filter(action="horizon.import.created").count() == 2


def test_project_by_name_and_queue_only(project: ScreeningProject, people: People) -> None:
    status = scan_import(str(PUBMED), "--project", project.name, "--by", people.reviewer.email, "--queue")

    assert status == 0
    job = ImportJob.objects.get(project=project)
    assert job.status == ImportStatus.QUEUED
    assert job.created_by == people.reviewer
    assert not Candidate.objects.filter(project=project).exists()


def test_unreadable_records_are_printed_with_their_position_and_the_others_kept(
    project: ScreeningProject, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "synthetic-broken.ris"
    broken.write_text(BROKEN_RIS, encoding="utf-8")

    status = scan_import(str(broken), "--project", str(project.pk), "--by", people.analyst.email)

    captured = capsys.readouterr()
    assert status == 0
    job = ImportJob.objects.get(project=project)
    assert (job.records_added, job.records_error) == (2, 1)
    problem = job.problems.get()
    assert f"{job.name}: {problem.position}: {problem.reason}" in captured.err


@pytest.mark.parametrize(
    "case",
    [
        ("999999", "analyst@example.test", "no project"),
        ("No such project", "analyst@example.test", "no project"),
        ("", "nobody@example.test", "no active account"),
        ("", "outsider@example.test", "may not import"),
        ("", "expert@example.test", "may not import"),
    ],
)
def test_wrong_arguments_exit_2_and_import_nothing(
    project: ScreeningProject, people: People, capsys: pytest.CaptureFixture[str], case: tuple[str, str, str]
) -> None:
    project_ref, email, message = case
    status = scan_import(str(PUBMED), "--project", project_ref or str(project.pk), "--by", email)

    assert status == 2
    assert message in capsys.readouterr().err
    assert not ImportJob.objects.exists()


def test_a_missing_file_exits_2_before_anything_is_imported(
    project: ScreeningProject, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = scan_import(
        str(PUBMED), str(tmp_path / "absent.xml"), "--project", str(project.pk), "--by", people.analyst.email
    )

    assert status == 2
    assert "not a file" in capsys.readouterr().err
    assert not ImportJob.objects.exists()


def test_an_unrecognised_file_is_reported_and_the_other_files_imported(
    project: ScreeningProject, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unknown = tmp_path / "notes.bin"
    unknown.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))

    status = scan_import(str(unknown), str(PUBMED), "--project", str(project.pk), "--by", people.analyst.email)

    assert status == 1
    assert "notes.bin" in capsys.readouterr().err
    assert ImportJob.objects.get(project=project).records_read == 10
