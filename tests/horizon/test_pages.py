"""The horizon scanning pages through the HTTP client: what each person sees, and what each form does.

Who may open which page is ``tests/test_authorization_matrix.py``'s work (GET of every URL by every
persona); here, what the pages show and what their forms change — and, for the POST-only URLs the
matrix cannot exercise, that people outside a project change nothing. State is set up through the
real services (``horizon.services``, ``register.services``); every text is synthetic and policy-level.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from nonpro.core.policy import viewer_for
from nonpro.horizon import importing, services
from nonpro.horizon.importing import import_process
from nonpro.horizon.models import Candidate, Decision, ImportJob, ImportStatus, ScreeningProject
from nonpro.register import selectors as register_selectors
from nonpro.register import services as register_services
from nonpro.register.models import Entry, Status
from tests.conftest import MakeUser
from tests.horizon.conftest import PUBMED, People, upload
from tests.horizon.pages_helpers import (
    LANGUAGES,
    PRIMARY_TITLES,
    SYNTHETIC_RECORDS,
    html,
    many_records,
    messages_of,
    ris,
    sample_ris,
    shown_candidate,
    signed_in,
    url,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.fixture
def loaded(project: ScreeningProject, people: People, tmp_path: Path) -> ScreeningProject:
    """The project with the synthetic RIS sample imported: four records to screen and one duplicate."""
    path = tmp_path / "synthetic.ris"
    path.write_bytes(sample_ris())
    job = upload(project, people.analyst, path)
    assert (job.status, job.records_added, job.records_duplicate) == (ImportStatus.FINISHED, 4, 1)
    return project


def record(project: ScreeningProject, title: str) -> Candidate:
    return Candidate.objects.get(project=project, title=title, duplicate_of__isnull=True)


def duplicate(project: ScreeningProject) -> Candidate:
    return Candidate.objects.get(project=project, duplicate_of__isnull=False)


def decide(candidate: Candidate, by: Any, decision: str) -> Candidate:
    return services.candidate_decide(candidate=candidate, by=by, decision=decision, change=True)


def listed_ids(response: Any) -> set[int]:
    """Return the ids of the records a list page links from its table rows."""
    return {
        int(number) for number in re.findall(r'<th scope="row"><a href="/en/scanning/records/(\d+)/">', html(response))
    }


def fact(response: Any, term: str) -> str:
    """Return the value shown for ``term`` in a page's facts (``<dt>term</dt><dd>value</dd>``)."""
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>([^<]*)</dd>", html(response))
    assert found is not None, term
    return found.group(1).strip()


def next_record(client: Client, project: ScreeningProject) -> int:
    """Open the screening page as ``client``; return the record it shows (one must be shown)."""
    shown = shown_candidate(client.get(url("screen", project_id=project.pk)))
    assert shown is not None, "the screening page shows a record"
    return shown


def upload_file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def draft_by(user: Any, n: int = 1) -> Entry:
    """A register draft written by ``user`` through the register's own service."""
    values = {
        "title": f"Synthetic example {n}: an entry on trade licensing",
        "summary": f"Synthetic example {n}: a policy-level summary of why licensing matters for resolution 1540.",
    }
    return register_services.entry_create_draft(by=user, values=values)


# --- the index -----------------------------------------------------------------------------------------


def test_index_describes_scanning_and_asks_anonymous_visitors_to_sign_in(
    client: Any, project: ScreeningProject
) -> None:
    response = client.get(url("index"))
    page = html(response)
    assert response.status_code == 200
    assert "Reading the scientific literature at scale" in page
    with translation.override("en"):
        login = reverse("account_login")
    assert f'<a href="{login}?next={url("index")}">' in page
    assert project.name not in page
    assert url("project_create") not in page
    assert 'id="projects-heading"' not in page


def test_index_offers_analysts_a_new_project_and_lists_every_project(loaded: ScreeningProject, people: People) -> None:
    other = services.project_create(by=people.analyst, name="Synthetic example: a second project on customs")
    response = signed_in(people.analyst).get(url("index"))
    page = html(response)
    assert response.status_code == 200
    assert f'<a class="button-link" href="{url("project_create")}">New screening project</a>' in page
    assert '<table class="data-table">' in page
    assert loaded.name in page
    assert other.name in page
    assert page.index(other.name) < page.index(loaded.name), "newest first"
    # the row of the loaded project: 4 records, none screened, a link to screen them
    row = page[page.index(loaded.name) :].split("</tr>", 1)[0]
    assert "<td>4</td>" in row
    assert "<td>0 (0 %)</td>" in row
    assert url("screen", project_id=loaded.pk) in row


def test_index_shows_a_member_reviewer_their_project_and_no_creation(loaded: ScreeningProject, people: People) -> None:
    page = html(signed_in(people.reviewer).get(url("index")))
    assert loaded.name in page
    assert url("project", project_id=loaded.pk) in page
    assert url("project_create") not in page


def test_index_hides_a_project_from_a_reviewer_who_is_not_a_member(loaded: ScreeningProject, people: People) -> None:
    response = signed_in(people.outsider).get(url("index"))
    page = html(response)
    assert response.status_code == 200
    assert loaded.name not in page
    assert url("project", project_id=loaded.pk) not in page
    assert "You are not a member of any screening project yet." in page


def test_index_asks_a_reviewer_without_mfa_to_set_it_up_and_lists_nothing(
    loaded: ScreeningProject, people: People, make_user: MakeUser
) -> None:
    unprotected = make_user("no-mfa@example.test", ["expert", "reviewer"], mfa=False)
    services.project_update(
        project=loaded,
        by=people.analyst,
        name=loaded.name,
        description="",
        domains=[],
        querier=loaded.querier,
        members=[people.reviewer, unprotected],
    )
    page = html(signed_in(unprotected).get(url("index")))
    with translation.override("en"):
        assert reverse("mfa_activate_totp") in page
    assert loaded.name not in page
    assert 'id="projects-heading"' not in page


# --- creating and editing a project --------------------------------------------------------------------


def test_project_form_offers_only_reviewers_as_members(people: People) -> None:
    response = signed_in(people.analyst).get(url("project_create"))
    page = html(response)
    assert response.status_code == 200
    for user in (people.reviewer, people.second, people.outsider):
        assert f'value="{user.pk}"' in page
        assert user.email in page
    assert people.expert.email not in page
    assert people.analyst.email not in page.split('<form method="post"', 1)[1]


def test_project_create_with_valid_values_redirects_to_the_new_project(people: People) -> None:
    client = signed_in(people.analyst)
    data = {
        "name": "Synthetic example: additive manufacturing policy",
        "description": "Synthetic example: what licensing authorities publish.",
        "domains": ["enabling-technology"],
        "topics": ["additive-manufacturing"],
        "querier": "uncertainty",
        "members": [people.reviewer.pk, people.second.pk],
    }
    response = client.post(url("project_create"), data)
    project = ScreeningProject.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("project", project_id=project.pk)
    assert project.name == data["name"]
    assert project.domains == ["enabling-technology"]
    assert project.topics == ["additive-manufacturing"]
    assert project.querier == "uncertainty"
    assert set(project.members.all()) == {people.reviewer, people.second}
    assert project.created_by == people.analyst
    assert ("success", "The project was created. Upload a literature file to fill its queue.") in messages_of(response)
    page = html(client.get(response["Location"]))
    assert data["name"] in page
    assert "Enabling technologies" in page
    assert "Additive manufacturing" in page
    assert people.second.email in page


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"domains": ["no-such-domain"]}, "domains", "Select a valid choice."),
        ({"topics": ["no-such-topic"]}, "topics", "Select a valid choice."),
        ({"querier": "alphabetical"}, "querier", "Select a valid choice."),
        ("expert", "members", "Select a valid choice."),
    ],
    ids=["empty-name", "blank-name", "unknown-domain", "unknown-topic", "unknown-order", "non-reviewer-member"],
)
def test_project_create_refuses_invalid_values_and_creates_nothing(
    people: People, change: Any, field: str, error: str
) -> None:
    data: dict[str, Any] = {
        "name": "Synthetic example: a project",
        "querier": "max",
        "members": [people.reviewer.pk],
    }
    data.update({"members": [people.reviewer.pk, people.expert.pk]} if change == "expert" else change)
    response = signed_in(people.analyst).post(url("project_create"), data)
    page = html(response)
    assert response.status_code == 200
    assert "<h1>New screening project</h1>" in page
    errors = page.split(f'name="{field}"', 1)[0].rsplit('<div class="field">', 1)[1]
    assert error in errors, f"the error is shown with the {field} field"
    assert ScreeningProject.objects.count() == 0
    if field != "name":
        assert 'value="Synthetic example: a project"' in page, "what was typed is kept"


def test_project_create_by_a_reviewer_is_refused(people: People) -> None:
    response = signed_in(people.reviewer).post(url("project_create"), {"name": "Synthetic example", "querier": "max"})
    assert response.status_code == 403
    assert ScreeningProject.objects.count() == 0


def test_project_edit_shows_the_current_values(project: ScreeningProject, people: People) -> None:
    response = signed_in(people.analyst).get(url("project_edit", project_id=project.pk))
    page = html(response)
    assert response.status_code == 200
    assert "<h1>Edit the screening project</h1>" in page
    assert f'value="{project.name}"' in page
    for member in (people.reviewer, people.second):
        assert re.search(rf'value="{member.pk}"[^>]*checked', page), member.email
    assert not re.search(rf'value="{people.outsider.pk}"[^>]*checked', page)


def test_project_edit_saves_and_a_new_member_then_sees_the_project(project: ScreeningProject, people: People) -> None:
    data: dict[str, Any] = {
        "name": "Synthetic example: export controls, renamed",
        "description": "",
        "domains": ["delivery-systems"],
        "querier": "mixed",
        "members": [people.reviewer.pk, people.outsider.pk],
    }
    response = signed_in(people.analyst).post(url("project_edit", project_id=project.pk), data)
    assert response.status_code == 302
    assert response["Location"] == url("project", project_id=project.pk)
    assert ("success", "The project was saved.") in messages_of(response)
    project.refresh_from_db()
    assert (project.name, project.domains, project.querier) == (data["name"], ["delivery-systems"], "mixed")
    assert set(project.members.all()) == {people.reviewer, people.outsider}
    assert data["name"] in html(signed_in(people.outsider).get(url("index")))
    assert data["name"] not in html(signed_in(people.second).get(url("index")))


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [({"name": ""}, "name", "This field is required."), ("expert", "members", "Select a valid choice.")],
    ids=["empty-name", "non-reviewer-member"],
)
def test_project_edit_refuses_invalid_values_and_changes_nothing(
    project: ScreeningProject, people: People, change: Any, field: str, error: str
) -> None:
    data: dict[str, Any] = {"name": "Synthetic example: renamed", "querier": "max", "members": [people.reviewer.pk]}
    data.update({"members": [people.reviewer.pk, people.expert.pk]} if change == "expert" else change)
    response = signed_in(people.analyst).post(url("project_edit", project_id=project.pk), data)
    page = html(response)
    assert response.status_code == 200
    assert error in page.split(f'name="{field}"', 1)[0].rsplit('<div class="field">', 1)[1]
    project.refresh_from_db()
    assert project.name == "Synthetic example: literature on export controls"
    assert set(project.members.all()) == {people.reviewer, people.second}


def test_project_edit_by_a_member_reviewer_is_refused(project: ScreeningProject, people: People) -> None:
    data = {"name": "Synthetic example: taken over", "querier": "max", "members": [people.reviewer.pk]}
    response = signed_in(people.reviewer).post(url("project_edit", project_id=project.pk), data)
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name == "Synthetic example: literature on export controls"


def test_project_page_shows_stats_imports_members_and_forms(loaded: ScreeningProject, people: People) -> None:
    page = html(signed_in(people.reviewer).get(url("project", project_id=loaded.pk)))
    assert "0 of 4 records screened" in page
    assert url("screen", project_id=loaded.pk) in page
    assert url("upload", project_id=loaded.pk) in page, "member reviewers may add literature"
    assert url("project_edit", project_id=loaded.pk) not in page, "only analysts edit a project"
    assert url("server_import", project_id=loaded.pk) not in page, "only analysts import server files"
    assert "synthetic.ris" in page
    assert people.reviewer.email in page
    assert people.second.email in page


# --- uploads and imports -------------------------------------------------------------------------------


def test_upload_of_a_real_file_queues_an_import_and_its_page_polls_for_progress(
    project: ScreeningProject, people: People
) -> None:
    client = signed_in(people.reviewer)
    sample = upload_file(PUBMED.name, PUBMED.read_bytes(), "application/xml")
    response = client.post(url("upload", project_id=project.pk), {"file": sample, "format": ""})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("import", job_id=job.pk)
    assert ("success", "The file was received; its import runs in the background.") in messages_of(response)
    assert (job.project, job.created_by, job.format, job.status) == (
        project,
        people.reviewer,
        "pubmed-xml",
        ImportStatus.QUEUED,
    )
    assert job.size == PUBMED.stat().st_size
    assert Path(job.path).read_bytes() == PUBMED.read_bytes()

    page = html(client.get(response["Location"]))
    progress = url("import_progress", job_id=job.pk)
    assert "<strong>Waiting to start</strong>" in page
    assert f'hx-get="{progress}" hx-trigger="every 2s"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert url("import_cancel", job_id=job.pk) in page
    assert url("import_resume", job_id=job.pk) not in page
    assert "No problem so far." in page

    partial = client.get(progress)
    assert partial.status_code == 200
    assert "HX-Refresh" not in partial
    assert f'hx-get="{progress}"' in html(partial)
    assert "<html" not in html(partial), "the partial is the panel alone"


def test_import_page_shows_counts_and_report_once_the_import_ran(project: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    sample = upload_file(PUBMED.name, PUBMED.read_bytes(), "application/xml")
    client.post(url("upload", project_id=project.pk), {"file": sample})
    job = import_process(ImportJob.objects.get().pk)
    assert job.status == ImportStatus.FINISHED
    assert job.records_added > 0

    response = client.get(url("import", job_id=job.pk))
    page = html(response)
    assert "<strong>Finished</strong>" in page
    assert fact(response, "Records read") == str(job.records_read)
    assert fact(response, "New records") == str(job.records_added)
    assert fact(response, "Duplicates") == str(job.records_duplicate)
    assert fact(response, "Errors") == "0"
    assert 'id="problems-heading">Import report</h2>' in page
    assert "Every record was read without a problem." in page
    assert "hx-get" not in page
    assert url("import_cancel", job_id=job.pk) not in page
    assert url("screen", project_id=project.pk) in page

    partial = client.get(url("import_progress", job_id=job.pk))
    assert partial["HX-Refresh"] == "true"
    assert "hx-get" not in html(partial)
    assert Candidate.objects.filter(project=project).count() == job.records_added + job.records_duplicate


@pytest.mark.parametrize(
    "case",
    [
        ("empty.ris", b"", "The submitted file is empty."),
        ("blank.ris", b"   \n\n  \n", "The file is empty."),
        ("picture.png", PNG, "The format was not recognised"),
        ("notes.txt", b"Synthetic example: some words about trade, and no records at all.\n", "not recognised"),
        ("records.xml", b"<?xml version='1.0'?><catalogue><item>Synthetic example</item></catalogue>", "an XML file"),
    ],
    ids=["empty", "blank", "png", "random-text", "unknown-xml"],
)
def test_upload_of_a_bad_file_is_refused_with_a_reason_and_nothing_kept(
    project: ScreeningProject, people: People, settings: Any, case: tuple[str, bytes, str]
) -> None:
    name, content, error = case
    response = signed_in(people.reviewer).post(
        url("upload", project_id=project.pk), {"file": upload_file(name, content)}
    )
    page = html(response)
    assert response.status_code == 400
    assert "The file was not imported. Nothing was changed." in page
    assert '<ul class="errorlist' in page
    assert error in page
    assert ImportJob.objects.count() == 0
    uploads = Path(settings.HORIZON_UPLOAD_DIR)
    assert not uploads.exists() or not any(path.is_file() for path in uploads.rglob("*"))


def test_upload_of_an_oversized_file_is_refused_and_nothing_kept(
    project: ScreeningProject, people: People, settings: Any
) -> None:
    settings.HORIZON_UPLOAD_MAX_BYTES = 200
    content = sample_ris()
    assert len(content) > 200
    response = signed_in(people.reviewer).post(
        url("upload", project_id=project.pk), {"file": upload_file("synthetic.ris", content)}
    )
    assert response.status_code == 400
    assert "The file is larger than" in html(response)
    assert ImportJob.objects.count() == 0
    assert not any(path.is_file() for path in Path(settings.HORIZON_UPLOAD_DIR).rglob("*"))


def test_upload_without_a_file_is_refused(project: ScreeningProject, people: People) -> None:
    response = signed_in(people.reviewer).post(url("upload", project_id=project.pk), {"format": ""})
    assert response.status_code == 400
    assert "This field is required." in html(response)
    assert ImportJob.objects.count() == 0


def test_import_report_lists_where_and_why_a_record_could_not_be_read(
    project: ScreeningProject, people: People
) -> None:
    broken = {"AB": "Synthetic example: an abstract whose record lost its title and identifiers."}
    content = ris([SYNTHETIC_RECORDS[0], broken, SYNTHETIC_RECORDS[1]])
    line = [number for number, text in enumerate(content.decode().splitlines(), start=1) if text.startswith("TY")][1]
    client = signed_in(people.reviewer)
    client.post(url("upload", project_id=project.pk), {"file": upload_file("partly-broken.ris", content)})
    job = import_process(ImportJob.objects.get().pk)
    assert (job.records_added, job.records_error) == (2, 1)

    response = client.get(url("import", job_id=job.pk))
    page = html(response)
    assert fact(response, "Errors") == "1"
    assert "1 record could not be read; every other record was imported." in page
    assert f'<tr><th scope="row">line {line}</th><td>no title and no identifier</td></tr>' in page
    assert "Every record was read without a problem." not in page


def test_cancel_then_resume_a_queued_import(project: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    client.post(url("upload", project_id=project.pk), {"file": upload_file("synthetic.ris", sample_ris())})
    job = ImportJob.objects.get()

    response = client.post(url("import_cancel", job_id=job.pk))
    assert response.status_code == 302
    assert response["Location"] == url("import", job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED
    page = html(client.get(url("import", job_id=job.pk)))
    assert "<strong>Cancelled</strong>" in page
    assert url("import_resume", job_id=job.pk) in page
    assert url("import_cancel", job_id=job.pk) not in page
    assert import_process(job.pk).records_added == 0, "a cancelled job is not run"

    response = client.post(url("import_resume", job_id=job.pk))
    assert ("success", "The import goes on from where it stopped.") in messages_of(response)
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    assert import_process(job.pk).records_added == 4


def test_cancel_stops_a_running_import_after_its_batch_and_resume_finishes_it(
    project: ScreeningProject, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "BATCH", 2)  # five records: a batch of two, then the cancel takes effect
    client = signed_in(people.analyst)
    client.post(url("upload", project_id=project.pk), {"file": upload_file("synthetic.ris", sample_ris())})
    job = ImportJob.objects.get()
    seen: dict[str, Any] = {}

    def cancel_after_the_first_batch(running: ImportJob) -> None:
        if seen:
            return
        seen["before"] = running.status
        client.post(url("import_cancel", job_id=running.pk))
        page = html(client.get(url("import", job_id=running.pk)))
        seen["stopping"] = "<strong>Stopping</strong>" in page
        seen["cancel_button"] = url("import_cancel", job_id=running.pk) in page

    stopped = importing.import_process(job.pk, on_batch=cancel_after_the_first_batch)
    assert seen == {"before": ImportStatus.RUNNING, "stopping": True, "cancel_button": False}
    assert stopped.status == ImportStatus.CANCELLED
    assert stopped.records_added == 2, "the committed batch is kept"
    page = html(client.get(url("import", job_id=job.pk)))
    assert "<strong>Cancelled</strong>" in page
    assert url("import_resume", job_id=job.pk) in page

    client.post(url("import_resume", job_id=job.pk))
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.QUEUED
    finished = importing.import_process(job.pk)
    assert (finished.status, finished.records_added, finished.records_duplicate) == (ImportStatus.FINISHED, 4, 1)
    assert sorted(
        Candidate.objects.filter(project=project, duplicate_of=None).values_list("title", flat=True)
    ) == sorted(PRIMARY_TITLES)


def test_resume_of_a_finished_import_is_refused_with_a_message(loaded: ScreeningProject, people: People) -> None:
    job = loaded.imports.get()
    response = signed_in(people.reviewer).post(url("import_resume", job_id=job.pk))
    assert response.status_code == 302
    assert ("error", "Only a cancelled or failed import can be resumed.") in messages_of(response)
    job.refresh_from_db()
    assert job.status == ImportStatus.FINISHED


def test_resume_without_the_file_is_refused_with_a_message(project: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    client.post(url("upload", project_id=project.pk), {"file": upload_file("synthetic.ris", sample_ris())})
    job = ImportJob.objects.get()
    client.post(url("import_cancel", job_id=job.pk))
    Path(job.path).unlink()
    response = client.post(url("import_resume", job_id=job.pk))
    assert ("error", "The file of this import is no longer on the server.") in messages_of(response)
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED


# --- screening -----------------------------------------------------------------------------------------


def test_screen_page_shows_one_record_with_its_terms_scores_and_explanation(
    loaded: ScreeningProject, people: People
) -> None:
    response = signed_in(people.reviewer).get(url("screen", project_id=loaded.pk))
    page = html(response)
    assert response.status_code == 200
    shown_id = shown_candidate(response)
    assert shown_id is not None
    shown = Candidate.objects.get(pk=shown_id)
    best = Candidate.objects.filter(project=loaded, duplicate_of__isnull=True).order_by("-rank_score", "pk").first()
    assert shown == best, "the best-ranked record comes first"
    assert shown.locked_by == people.reviewer
    terms = [match["term"] for match in shown.explanation]
    assert terms
    # the matched terms are highlighted in the record and listed in the explanation
    title = re.search(r'<h2 id="record-title" class="horizon-title">(.*?)</h2>', page)
    assert title is not None
    assert f"<mark>{terms[0]}</mark>" in title.group(1)
    reasons = page.split('<ul class="horizon-reasons">', 1)[1].split("</ul>", 1)[0]
    assert reasons.count("<li>") == len(shown.explanation)
    for term in terms:
        assert f"<li><mark>{term}</mark> — " in reasons
    assert f"<strong>Concern: {round(100 * shown.concern)} %</strong>" in page
    domains = page.split('<table class="data-table horizon-domains">', 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Enabling technologies</th>' in domains
    # the decision and its keyboard hints
    assert 'data-key="r"' in page
    assert 'data-key="i"' in page
    assert 'data-key="s"' in page
    assert '<button type="submit" name="decision" value="relevant" data-key="r">' in page
    assert url("skip", candidate_id=shown.pk) in page
    assert 'id="shortcuts"' in page
    assert "horizon/screening.js" in page
    # the progress and stopping guidance
    assert 'id="progress-heading">Progress and stopping guidance</h2>' in page
    assert "0 of 4 records screened" in page
    assert '<p class="horizon-advice">' in page


def test_screen_page_escapes_the_record_while_highlighting(
    project: ScreeningProject, people: People, tmp_path: Path
) -> None:
    path = tmp_path / "markup.ris"
    path.write_bytes(
        ris([{"TI": "Synthetic example: <b>bold</b> claims on machine learning & trade", "DO": "10.5555/markup.1"}])
    )
    upload(project, people.analyst, path)
    page = html(signed_in(people.reviewer).get(url("screen", project_id=project.pk)))
    assert "Synthetic example: &lt;b&gt;bold&lt;/b&gt; claims on <mark>machine learning</mark> &amp; trade" in page
    assert "<b>bold</b>" not in page


def test_deciding_relevant_redirects_to_the_next_record(loaded: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    first = next_record(client, loaded)
    response = client.post(
        url("decide", candidate_id=first), {"decision": "relevant", "note": "Synthetic example: a reviewer's note."}
    )
    assert response.status_code == 302
    assert response["Location"] == url("screen", project_id=loaded.pk)
    decided = Candidate.objects.get(pk=first)
    assert (decided.decision, decided.decided_by, decided.decision_seq) == (Decision.RELEVANT, people.reviewer, 1)
    assert decided.note == "Synthetic example: a reviewer's note."
    assert decided.locked_by is None
    assert ("success", f"Marked Relevant: {decided.title}") in messages_of(response)

    after = client.get(response["Location"])
    second = shown_candidate(after)
    assert second is not None
    assert second != first
    assert "1 of 4 records screened" in html(after)


def test_a_decision_without_a_choice_changes_nothing(loaded: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    shown = next_record(client, loaded)
    response = client.post(url("decide", candidate_id=shown), {"decision": "maybe"})
    assert response["Location"] == url("screen", project_id=loaded.pk)
    assert ("error", "Choose relevant or irrelevant.") in messages_of(response)
    assert Candidate.objects.get(pk=shown).decision == Decision.PENDING
    assert next_record(client, loaded) == shown, "the reviewer keeps the record"


def test_two_reviewers_screening_at_once_get_different_records(loaded: ScreeningProject, people: People) -> None:
    first, second = signed_in(people.reviewer), signed_in(people.second)
    mine = next_record(first, loaded)
    theirs = next_record(second, loaded)
    assert mine != theirs
    assert Candidate.objects.get(pk=mine).locked_by == people.reviewer
    assert Candidate.objects.get(pk=theirs).locked_by == people.second
    # reloading the page keeps each reviewer's record
    assert next_record(first, loaded) == mine
    assert next_record(second, loaded) == theirs


def test_deciding_a_record_another_reviewer_holds_is_refused(loaded: ScreeningProject, people: People) -> None:
    held = next_record(signed_in(people.reviewer), loaded)
    response = signed_in(people.second).post(url("decide", candidate_id=held), {"decision": "irrelevant"})
    assert response.status_code == 302
    assert ("error", "Another reviewer is screening this record now.") in messages_of(response)
    candidate = Candidate.objects.get(pk=held)
    assert (candidate.decision, candidate.decided_by, candidate.locked_by) == (Decision.PENDING, None, people.reviewer)
    loaded.refresh_from_db()
    assert loaded.decisions == 0


def test_a_stale_decision_on_a_record_already_screened_is_refused(loaded: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    shown = next_record(client, loaded)
    client.post(url("decide", candidate_id=shown), {"decision": "relevant"})
    response = signed_in(people.second).post(url("decide", candidate_id=shown), {"decision": "irrelevant"})
    assert ("error", "This record was screened meanwhile by another reviewer.") in messages_of(response)
    candidate = Candidate.objects.get(pk=shown)
    assert (candidate.decision, candidate.decided_by) == (Decision.RELEVANT, people.reviewer)


def test_skip_shows_another_record_and_gives_the_skipped_one_to_others(
    loaded: ScreeningProject, people: People
) -> None:
    client = signed_in(people.reviewer)
    skipped = next_record(client, loaded)
    response = client.post(url("skip", candidate_id=skipped))
    assert response.status_code == 302
    assert response["Location"] == url("screen", project_id=loaded.pk)
    assert Candidate.objects.get(pk=skipped).locked_by is None
    following = shown_candidate(client.get(response["Location"]))
    assert following is not None
    assert following != skipped
    assert next_record(signed_in(people.second), loaded) == skipped
    assert Candidate.objects.get(pk=skipped).decision == Decision.PENDING


def test_when_everything_is_screened_the_page_says_nothing_is_left(loaded: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    decided = []
    for _ in range(4):
        shown = next_record(client, loaded)
        assert shown not in decided
        client.post(url("decide", candidate_id=shown), {"decision": "irrelevant"})
        decided.append(shown)
    response = client.get(url("screen", project_id=loaded.pk))
    page = html(response)
    assert shown_candidate(response) is None
    assert "Nothing left to screen in this project for now" in page
    assert 'id="decision-form"' not in page
    assert "4 of 4 records screened" in page
    assert "Every record has been screened." in page
    assert duplicate(loaded).decision == Decision.PENDING, "a duplicate is never screened"
    assert "Nothing left to screen" in html(signed_in(people.reviewer).get(url("index")))


def test_skipped_records_come_back_once_the_skips_are_cleared(loaded: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    skipped = next_record(client, loaded)
    client.post(url("skip", candidate_id=skipped))
    for _ in range(3):
        shown = next_record(client, loaded)
        assert shown != skipped
        client.post(url("decide", candidate_id=shown), {"decision": "irrelevant"})
    page = html(client.get(url("screen", project_id=loaded.pk)))
    assert "Nothing left to screen except the records you skipped." in page
    assert url("skips_clear", project_id=loaded.pk) in page
    response = client.post(url("skips_clear", project_id=loaded.pk))
    assert response["Location"] == url("screen", project_id=loaded.pk)
    assert shown_candidate(client.get(response["Location"])) == skipped


# --- a record's page -----------------------------------------------------------------------------------


def test_candidate_page_changes_a_decision_on_purpose(loaded: ScreeningProject, people: People) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[1]), people.reviewer, Decision.RELEVANT)
    client = signed_in(people.second)
    page = html(client.get(url("candidate", candidate_id=candidate.pk)))
    assert '<input type="hidden" name="change" value="1">' in page
    assert "Change the decision" in page
    response = client.post(url("decide", candidate_id=candidate.pk), {"decision": "irrelevant", "change": "1"})
    assert response["Location"] == url("candidate", candidate_id=candidate.pk)
    assert ("success", f"Marked Irrelevant: {candidate.title}") in messages_of(response)
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.decided_by, candidate.decision_seq) == (Decision.IRRELEVANT, people.second, 2)
    page = html(client.get(url("candidate", candidate_id=candidate.pk)))
    assert f"<dd>Irrelevant · {people.second.email}" in page


def test_candidate_page_saves_a_note_without_deciding(loaded: ScreeningProject, people: People) -> None:
    candidate = record(loaded, PRIMARY_TITLES[2])
    client = signed_in(people.reviewer)
    page = html(client.get(url("candidate", candidate_id=candidate.pk)))
    note_url = url("note", candidate_id=candidate.pk)
    assert f'formaction="{note_url}"' in page, "the page has a button that saves the note"
    response = client.post(note_url, {"note": "  Synthetic example: check the licensing angle.  ", "change": "1"})
    assert response["Location"] == url("candidate", candidate_id=candidate.pk)
    assert ("success", "The note was saved.") in messages_of(response)
    candidate.refresh_from_db()
    assert candidate.note == "Synthetic example: check the licensing angle."
    assert candidate.decision == Decision.PENDING
    assert "Synthetic example: check the licensing angle.</textarea>" in html(
        client.get(url("candidate", candidate_id=candidate.pk))
    )


def test_candidate_page_lists_duplicates_and_a_duplicate_names_its_primary(
    loaded: ScreeningProject, people: People
) -> None:
    primary, copy = record(loaded, PRIMARY_TITLES[0]), duplicate(loaded)
    assert copy.duplicate_of == primary
    client = signed_in(people.reviewer)
    page = html(client.get(url("candidate", candidate_id=primary.pk)))
    listed = page.split('id="duplicates-heading">', 1)[1].split("</section>", 1)[0]
    assert f'<a href="{url("candidate", candidate_id=copy.pk)}">{copy.title}</a>' in listed
    assert f"({copy.duplicate_reason})" in listed

    page = html(client.get(url("candidate", candidate_id=copy.pk)))
    assert f'<a href="{url("candidate", candidate_id=primary.pk)}">{primary.title}</a>' in page
    assert url("decide", candidate_id=copy.pk) not in page, "a duplicate is not screened"
    response = client.post(url("decide", candidate_id=copy.pk), {"decision": "relevant", "change": "1"})
    assert ("error", "This record duplicates another one: screen that one instead.") in messages_of(response)
    copy.refresh_from_db()
    assert copy.decision == Decision.PENDING


# --- promotion to the register and links -----------------------------------------------------------


def test_promote_form_is_prefilled_from_the_record(loaded: ScreeningProject, people: People) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[0]), people.reviewer, Decision.RELEVANT)
    client = signed_in(people.reviewer)
    assert url("promote", candidate_id=candidate.pk) in html(client.get(url("candidate", candidate_id=candidate.pk)))
    response = client.get(url("promote", candidate_id=candidate.pk))
    page = html(response)
    assert response.status_code == 200
    assert f'name="title" value="{candidate.title}"' in page
    assert re.search(r'value="enabling-technology"[^>]*checked', page), "the strongest domain is suggested"
    assert "DOI 10.5555/synthetic.1" in page
    assert 'name="no_enabling_detail"' in page


def test_promote_without_the_confirmation_is_refused(loaded: ScreeningProject, people: People) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[0]), people.reviewer, Decision.RELEVANT)
    data = {"title": "Synthetic example: additive manufacturing in export lists", "summary": "Synthetic example."}
    response = signed_in(people.reviewer).post(url("promote", candidate_id=candidate.pk), data)
    page = html(response)
    assert response.status_code == 200
    assert (
        "This field is required." in page.split('name="no_enabling_detail"', 1)[0].rsplit('<div class="field">', 1)[1]
    )
    assert 'value="Synthetic example: additive manufacturing in export lists"' in page, "what was typed is kept"
    assert Entry.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.entry is None


def test_promote_creates_a_draft_citing_the_record(loaded: ScreeningProject, people: People) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[1]), people.reviewer, Decision.RELEVANT)
    client = signed_in(people.reviewer)
    data = {
        "title": "Synthetic example: automated targeting in customs",
        "summary": "Synthetic example: why automated risk profiling at borders matters for export control policy.",
        "domains": ["enabling-technology"],
        "no_enabling_detail": "on",
    }
    response = client.post(url("promote", candidate_id=candidate.pk), data)
    entry = Entry.objects.get()
    with translation.override("en"):
        assert response["Location"] == reverse("register:edit", kwargs={"rsd_id": entry.rsd_id})
    assert (
        "success",
        f"Draft {entry.rsd_id} was created with this record as its source. Complete it, then submit it for review.",
    ) in messages_of(response)
    assert (entry.status, entry.created_by) == (Status.DRAFT, people.reviewer)
    seen = register_selectors.entry_for(viewer_for(people.reviewer), entry.rsd_id)
    assert seen is not None
    assert seen["title"] == data["title"]
    assert seen["domains"] == ["enabling-technology"]
    assert [source["doi"] for source in seen["sources"]] == ["10.5555/synthetic.2"]
    assert candidate.title in seen["sources"][0]["citation"]
    candidate.refresh_from_db()
    assert (candidate.entry, candidate.entry_link) == (entry, "promoted")
    assert client.get(response["Location"]).status_code == 200

    page = html(client.get(url("candidate", candidate_id=candidate.pk)))
    assert entry.rsd_id in page
    assert url("promote", candidate_id=candidate.pk) not in page
    again = client.post(url("promote", candidate_id=candidate.pk), data)
    assert ("error", "This record is already in the register.") in messages_of(again)
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("decision", [Decision.PENDING, Decision.IRRELEVANT])
def test_promote_of_a_record_not_screened_relevant_is_refused(
    loaded: ScreeningProject, people: People, decision: str
) -> None:
    candidate = record(loaded, PRIMARY_TITLES[0])
    if decision != Decision.PENDING:
        candidate = decide(candidate, people.reviewer, decision)
    client = signed_in(people.reviewer)
    assert url("promote", candidate_id=candidate.pk) not in html(
        client.get(url("candidate", candidate_id=candidate.pk))
    )
    data = {"title": "Synthetic example", "summary": "Synthetic example: a summary.", "no_enabling_detail": "on"}
    response = client.post(url("promote", candidate_id=candidate.pk), data)
    assert response["Location"] == url("candidate", candidate_id=candidate.pk)
    assert ("error", "Only a record screened as relevant can be promoted.") in messages_of(response)
    assert Entry.objects.count() == 0
    candidate.refresh_from_db()
    assert candidate.entry is None


def test_link_to_a_visible_entry(loaded: ScreeningProject, people: People) -> None:
    entry = draft_by(people.reviewer)
    candidate = record(loaded, PRIMARY_TITLES[2])
    client = signed_in(people.reviewer)
    assert url("link", candidate_id=candidate.pk) in html(client.get(url("candidate", candidate_id=candidate.pk)))
    response = client.post(url("link", candidate_id=candidate.pk), {"rsd_id": f" {entry.rsd_id.lower()} "})
    assert response["Location"] == url("candidate", candidate_id=candidate.pk)
    assert ("success", f"The record is linked to {entry.rsd_id}.") in messages_of(response)
    candidate.refresh_from_db()
    assert (candidate.entry, candidate.entry_link) == (entry, "linked")
    page = html(client.get(url("candidate", candidate_id=candidate.pk)))
    assert f">{entry.rsd_id}</a> (Linked to an entry)" in page


@pytest.mark.parametrize(
    ("rsd_id", "error"),
    [
        ("RSD-2099-99999", "No register entry you can see has this identifier."),
        ("someone-else", "No register entry you can see has this identifier."),
        ("", "Give a register identifier such as RSD-2026-00001."),
    ],
    ids=["unknown", "another-persons-draft", "empty"],
)
def test_link_to_an_entry_one_cannot_see_is_refused(
    loaded: ScreeningProject, people: People, rsd_id: str, error: str
) -> None:
    if rsd_id == "someone-else":
        rsd_id = draft_by(people.expert).rsd_id
    candidate = record(loaded, PRIMARY_TITLES[2])
    response = signed_in(people.reviewer).post(url("link", candidate_id=candidate.pk), {"rsd_id": rsd_id})
    assert response["Location"] == url("candidate", candidate_id=candidate.pk)
    assert ("error", error) in messages_of(response)
    candidate.refresh_from_db()
    assert (candidate.entry, candidate.entry_link) == (None, "")


# --- the list of records -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("relevant", {0}),
        ("pending", {2, 3}),
        ("irrelevant", {1}),
        ("duplicates", {"duplicate"}),
        ("all", {0, 1, 2, 3}),
        ("nonsense", {0}),
    ],
)
def test_candidate_list_filters(loaded: ScreeningProject, people: People, show: str, expected: set[Any]) -> None:
    decide(record(loaded, PRIMARY_TITLES[0]), people.reviewer, Decision.RELEVANT)
    decide(record(loaded, PRIMARY_TITLES[1]), people.second, Decision.IRRELEVANT)
    ids = {
        duplicate(loaded).pk if item == "duplicate" else record(loaded, PRIMARY_TITLES[item]).pk for item in expected
    }
    response = signed_in(people.reviewer).get(url("candidates", project_id=loaded.pk), {"show": show})
    assert response.status_code == 200
    assert listed_ids(response) == ids
    shown = show if show != "nonsense" else "relevant"
    assert f'<a href="?show={shown}" aria-current="page">' in html(response)
    assert html(response).count('aria-current="page"') == 1


def test_candidate_list_of_an_empty_filter_says_so(loaded: ScreeningProject, people: People) -> None:
    response = signed_in(people.reviewer).get(url("candidates", project_id=loaded.pk), {"show": "irrelevant"})
    assert listed_ids(response) == set()
    assert "No record here." in html(response)


def test_candidate_list_queries_do_not_grow_with_its_rows(
    loaded: ScreeningProject, people: People, tmp_path: Path
) -> None:
    client = signed_in(people.reviewer)
    page = url("candidates", project_id=loaded.pk)
    client.get(page, {"show": "all"})  # warm the session and the viewer
    for title in PRIMARY_TITLES[:2]:
        decide(record(loaded, title), people.second, Decision.IRRELEVANT)
    with CaptureQueriesContext(connection) as few:
        assert len(listed_ids(client.get(page, {"show": "all"}))) == 4
    path = tmp_path / "more.ris"
    path.write_bytes(many_records(30))
    upload(loaded, people.analyst, path)
    for candidate in Candidate.objects.filter(project=loaded, decision=Decision.PENDING, duplicate_of=None)[:10]:
        decide(candidate, people.reviewer, Decision.RELEVANT)
    with CaptureQueriesContext(connection) as many:
        assert len(listed_ids(client.get(page, {"show": "all"}))) == 34
    assert len(many) == len(few)


# --- writes by people outside the project --------------------------------------------------------------


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "expert"])
def test_people_outside_the_project_change_nothing_with_its_forms(
    loaded: ScreeningProject, people: People, persona: str
) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[0]), people.reviewer, Decision.RELEVANT)
    pending = record(loaded, PRIMARY_TITLES[1])
    entry = draft_by(people.reviewer)
    job = loaded.imports.get()
    client = Client() if persona == "anonymous" else signed_in(getattr(people, persona))
    posts = [
        (url("decide", candidate_id=pending.pk), {"decision": "relevant"}),
        (url("decide", candidate_id=candidate.pk), {"decision": "irrelevant", "change": "1"}),
        (url("skip", candidate_id=pending.pk), {}),
        (url("note", candidate_id=pending.pk), {"note": "Synthetic example: an intruder's note."}),
        (url("promote", candidate_id=candidate.pk), {"title": "T", "summary": "S", "no_enabling_detail": "on"}),
        (url("link", candidate_id=pending.pk), {"rsd_id": entry.rsd_id}),
        (url("upload", project_id=loaded.pk), {"file": upload_file("synthetic.ris", sample_ris())}),
        (url("import_cancel", job_id=job.pk), {}),
        (url("import_resume", job_id=job.pk), {}),
        (url("skips_clear", project_id=loaded.pk), {}),
        (url("project_edit", project_id=loaded.pk), {"name": "Synthetic example: taken", "querier": "max"}),
    ]
    for target, data in posts:
        response = client.post(target, data)
        if persona == "anonymous":
            assert response.status_code == 302, target
            assert "/accounts/login/" in response["Location"], target
        else:
            assert response.status_code == 404, target
    candidate.refresh_from_db()
    pending.refresh_from_db()
    loaded.refresh_from_db()
    assert (candidate.decision, candidate.entry) == (Decision.RELEVANT, None)
    assert (pending.decision, pending.note, pending.entry) == (Decision.PENDING, "", None)
    assert (loaded.name, loaded.decisions) == ("Synthetic example: literature on export controls", 1)
    assert ImportJob.objects.get().status == ImportStatus.FINISHED
    assert Entry.objects.count() == 1


# --- every page in the six languages ---------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_renders_in_each_language(loaded: ScreeningProject, people: People, language: str) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[0]), people.second, Decision.RELEVANT)
    job = loaded.imports.get()
    direction = "rtl" if language == "ar" else "ltr"
    member, analyst = signed_in(people.reviewer), signed_in(people.analyst)
    pages = [
        (member, url("index", language)),
        (member, url("project", language, project_id=loaded.pk)),
        (member, url("screen", language, project_id=loaded.pk)),
        (member, url("candidates", language, project_id=loaded.pk) + "?show=all"),
        (member, url("candidate", language, candidate_id=candidate.pk)),
        (member, url("candidate", language, candidate_id=duplicate(loaded).pk)),
        (member, url("import", language, job_id=job.pk)),
        (member, url("promote", language, candidate_id=candidate.pk)),
        (analyst, url("project_create", language)),
        (analyst, url("project_edit", language, project_id=loaded.pk)),
    ]
    for client, target in pages:
        assert target.startswith(f"/{language}/scanning/")
        response = client.get(target)
        assert response.status_code == 200, target
        assert f'<html lang="{language}" dir="{direction}">' in html(response), target
    partial = member.get(url("import_progress", language, job_id=job.pk))
    assert partial.status_code == 200
    assert partial["HX-Refresh"] == "true"
    refused = member.post(url("upload", language, project_id=loaded.pk), {"file": upload_file("x.png", PNG)})
    assert refused.status_code == 400
    assert f'<html lang="{language}" dir="{direction}">' in html(refused)


def test_cancel_says_what_happened_to_the_import(project: ScreeningProject, people: People) -> None:
    client = signed_in(people.reviewer)
    client.post(url("upload", project_id=project.pk), {"file": upload_file("synthetic.ris", sample_ris())})
    job = ImportJob.objects.get()

    client.get(url("import", job_id=job.pk))  # shows (and so consumes) the upload's message

    def cancel() -> list[tuple[str, str]]:
        response = client.post(url("import_cancel", job_id=job.pk))
        client.get(response["Location"])
        return messages_of(response)

    assert cancel() == [("success", "The import was cancelled. You may resume it later.")]
    assert cancel() == [("info", "The import had already stopped.")]
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    assert cancel() == [("success", "The import stops after the records it is reading now; they are kept.")]


def test_a_stale_link_does_not_replace_a_promotion(loaded: ScreeningProject, people: People) -> None:
    candidate = decide(record(loaded, PRIMARY_TITLES[0]), people.reviewer, Decision.RELEVANT)
    entry = services.candidate_promote(
        candidate=candidate,
        by=people.reviewer,
        title="Synthetic example: a promoted record",
        summary="Synthetic example: why it matters for resolution 1540.",
    )
    other = draft_by(people.reviewer, 2)

    response = signed_in(people.reviewer).post(url("link", candidate_id=candidate.pk), {"rsd_id": other.rsd_id})

    assert ("error", "This record is already in the register.") in messages_of(response)
    candidate.refresh_from_db()
    assert (candidate.entry, candidate.entry_link) == (entry, "promoted")


def test_the_promote_page_sends_back_a_record_that_may_not_be_promoted(
    loaded: ScreeningProject, people: People
) -> None:
    client = signed_in(people.reviewer)
    pending = record(loaded, PRIMARY_TITLES[1])
    response = client.get(url("promote", candidate_id=pending.pk))
    assert response["Location"] == url("candidate", candidate_id=pending.pk)
    assert ("error", "Only a record screened as relevant can be promoted.") in messages_of(response)

    relevant = decide(pending, people.reviewer, Decision.RELEVANT)
    assert client.get(url("promote", candidate_id=relevant.pk)).status_code == 200
    services.candidate_link(candidate=relevant, by=people.reviewer, rsd_id=draft_by(people.reviewer).rsd_id)
    linked = client.get(url("promote", candidate_id=relevant.pk))
    assert ("error", "This record is already in the register.") in messages_of(linked)


def test_the_list_of_projects_costs_the_same_queries_for_one_project_or_six(
    loaded: ScreeningProject, people: People
) -> None:
    client = signed_in(people.analyst)
    client.get(url("index"))
    with CaptureQueriesContext(connection) as one:
        first = html(client.get(url("index")))
    for n in range(5):
        services.project_create(by=people.analyst, name=f"Synthetic example: project {n}", members=[people.second])
    with CaptureQueriesContext(connection) as six:
        page = html(client.get(url("index")))
    assert len(six) == len(one)
    assert f"<td>{loaded.candidates.filter(duplicate_of__isnull=True).count()}</td>" in first
    assert page.count(f'href="{url("project", project_id=loaded.pk)}"') == 1
    assert "Synthetic example: project 4" in page


def test_an_analyst_without_projects_is_not_told_to_become_a_member(people: People) -> None:
    page = html(signed_in(people.analyst).get(url("index")))
    assert "There is no screening project yet." in page
    assert "You are not a member" not in page


def test_an_analyst_imports_a_file_from_the_servers_folder(
    project: ScreeningProject, people: People, settings: Any
) -> None:
    folder = Path(settings.HORIZON_SERVER_DIRS[0])
    (folder / "synthetic-server.ris").write_bytes(sample_ris())
    client = signed_in(people.analyst)
    target = url("server_import", project_id=project.pk)
    page = html(client.get(url("project", project_id=project.pk)))
    assert target in page
    assert str(folder / "synthetic-server.ris") in page

    refused = client.post(target, {"path": "/etc/passwd"})
    assert refused.status_code == 400
    assert "Select a valid choice." in html(refused)
    assert not ImportJob.objects.exists()

    accepted = client.post(target, {"path": str((folder / "synthetic-server.ris").resolve())})
    job = ImportJob.objects.get()
    assert accepted["Location"] == url("import", job_id=job.pk)
    assert ("success", "The import runs in the background.") in messages_of(accepted)
    assert import_process(job.pk).records_added == 4
