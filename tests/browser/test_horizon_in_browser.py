"""Horizon scanning in a real browser: the issue's "done when" flow end to end, and axe on every horizon page.

A member reviewer uploads a real PubMed XML file through the project page, watches its import (queued,
then — once the background worker ran — finished, with its report), screens records with the keyboard
shortcuts, and promotes a relevant record to a register draft. The flow runs in English and in Arabic;
its selectors are ids, names, data-key attributes and hrefs, never translated text.

The PubMed sample (dental case reports) matches no term of the concern taxonomy, so the project also holds
a small synthetic RIS file whose records do (bland enabling-technology terms): those lead the queue and
show the concern-by-domain table. Everything written here is synthetic and policy-level.

The live server shares the test's in-memory SQLite connection: the test never touches the database while
a page may be polling the server (the import page's progress requests are held while the worker runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser, Page, Route

from tests.browser.conftest import run_axe, screenshot
from tests.browser.test_register_in_browser import Session
from tests.conftest import MakeUser
from tests.horizon.conftest import PUBMED, People, run_worker, upload

pytestmark = pytest.mark.browser

LANGUAGES = ["ar", "zh-hans", "en", "fr", "ru", "es"]
PROJECT_NAME = "Synthetic example: literature on enabling technologies and export controls"
SUMMARY = (
    "Synthetic example: a policy-level note on why this enabling technology matters for resolution 1540 "
    "and which export-control lists and licensing obligations it touches."
)
#: Records in the PubMed sample file: ten real ones, all read without a problem.
PUBMED_RECORDS = 10

#: Synthetic records carrying bland terms of the concern taxonomy, and one record the reader refuses
#: (neither title nor DOI), so that an import report has a row.
SYNTHETIC_RECORDS: list[dict[str, str]] = [
    {
        "TI": "Synthetic example: machine learning in customs risk profiling",
        "AB": "Synthetic example: a policy-level discussion of automated targeting at borders.",
        "KW": "customs",
        "DO": "10.5555/synthetic.browser.1",
        "AU": "Example, Ada",
        "JF": "Synthetic Review of Border Management",
        "PY": "2025",
    },
    {
        "TI": "Synthetic example: additive manufacturing in national export control lists",
        "AB": "Synthetic example: how licensing authorities describe 3D printing equipment.",
        "DO": "10.5555/synthetic.browser.2",
        "PY": "2024",
    },
    {
        "TI": "Synthetic example: laboratory automation and outreach to industry",
        "AB": "Synthetic example: how regulators explain their obligations to equipment suppliers.",
        "DO": "10.5555/synthetic.browser.3",
        "PY": "2023",
    },
    {"AB": "Synthetic example: a record without a title or an identifier."},
]


def _ris(records: list[dict[str, str]]) -> bytes:
    lines = []
    for record in records:
        lines += ["TY  - JOUR", *(f"{tag}  - {value}" for tag, value in record.items()), "ER  - ", ""]
    return "\n".join(lines).encode()


def _url(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return reverse(f"horizon:{name}", kwargs=kwargs or None)


def _label(language: str, label: Any) -> str:
    """Return a model choice's label as the page shows it in ``language`` (the catalogues' own text)."""
    with translation.override(language):
        return str(label)


@pytest.fixture
def horizon_files(settings: Any, tmp_path: Path) -> Path:
    """Keep this test's uploads in its own directory; offer one file in the server's import folder."""
    settings.HORIZON_UPLOAD_DIR = tmp_path / "uploads"
    server = tmp_path / "server"
    server.mkdir()
    settings.HORIZON_SERVER_DIRS = [str(server)]
    ris = tmp_path / "synthetic-enabling-technologies.ris"
    ris.write_bytes(_ris(SYNTHETIC_RECORDS))
    (server / ris.name).write_bytes(ris.read_bytes())
    return ris


@pytest.fixture
def people(make_user: MakeUser) -> People:
    return People(make_user)


class Opener(Protocol):
    def __call__(self, user: Any = None, *, bypass_csp: bool = False) -> Session: ...


@pytest.fixture
def open_session(browser: Browser, site: str) -> Iterator[Opener]:
    """Open browser sessions signed in as a user; each is checked for browser problems at the end."""
    opened: list[Session] = []

    def open_(user: Any = None, *, bypass_csp: bool = False) -> Session:
        opened.append(Session(browser, site, user, bypass_csp=bypass_csp))
        return opened[-1]

    yield open_
    for session in opened:
        session.close()


def _project(people: People) -> Any:
    from nonpro.horizon import services

    return services.project_create(by=people.analyst, name=PROJECT_NAME, members=[people.reviewer])


def _html_dir(page: Page, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")


# --- the flow --------------------------------------------------------------------------------------------


class _Holder:
    """Hold the import page's progress requests in the browser until ``release``: while the worker writes,
    no request reaches the live server (which shares the test's database connection)."""

    def __init__(self, page: Page) -> None:
        self.released = False
        self.held: list[Route] = []
        page.route(re.compile(r"/scanning/imports/\d+/progress/$"), self._route)

    def _route(self, route: Route) -> None:
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        self.released = True
        for route in self.held:
            route.continue_()
        self.held.clear()


def _upload_pubmed(reviewer: Session, language: str, project_id: int) -> int:
    """Upload the PubMed file through the project page's form; return the import's id."""
    page = reviewer.goto(_url("project", language, project_id=project_id))
    _html_dir(page, language)
    form = page.locator(f"form[action='{_url('upload', language, project_id=project_id)}']")
    assert form.get_attribute("enctype") == "multipart/form-data"
    form.locator("input[type=file]").set_input_files(str(PUBMED))
    screenshot(page, f"horizon-upload-{language}")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{language}/scanning/imports/\d+/$"))
    return int(page.url.rstrip("/").rsplit("/", 1)[-1])


def _watch_import(reviewer: Session, language: str, project_id: int, job_id: int, holder: _Holder) -> None:
    """The import page shows the queued job and polls; once the worker ran, it reloads with the report."""
    from nonpro.horizon.models import ImportStatus

    page = reviewer.page
    progress = page.locator("#import-progress")
    assert progress.get_attribute("hx-get") == _url("import_progress", language, job_id=job_id)
    assert progress.get_attribute("hx-trigger") == "every 2s"
    assert progress.locator("progress").is_visible()
    assert progress.locator("[role=status] strong").inner_text() == _label(language, ImportStatus.QUEUED.label)
    assert page.locator(f"a[href='{_url('screen', language, project_id=project_id)}']").count() == 0  # not yet
    screenshot(page, f"horizon-import-queued-{language}")
    for _ in range(100):  # the page polls every 2 s: wait (at most 10 s) until a poll is held
        if holder.held:
            break
        page.wait_for_timeout(100)
    assert holder.held, "the import page did not poll its progress"

    page.evaluate("window.horizonBeforeRefresh = true")
    run_worker()  # the background worker imports the file (no request reaches the server meanwhile)
    holder.release()
    # The next poll answers HX-Refresh: the whole page reloads (a new window object) with the report.
    page.wait_for_function("() => window.horizonBeforeRefresh === undefined", timeout=15_000)
    page.wait_for_load_state("load")

    assert progress.get_attribute("hx-get") is None  # a finished import is not polled any more
    assert progress.locator("[role=status] strong").inner_text() == _label(language, ImportStatus.FINISHED.label)
    assert progress.locator("progress").get_attribute("value") == "100"
    counts = progress.locator("dl.horizon-facts dd").all_inner_texts()
    assert counts == [str(PUBMED_RECORDS), str(PUBMED_RECORDS), "0", "0"]  # read, new, duplicates, errors
    report = page.locator("section[aria-labelledby='problems-heading']")
    assert report.locator("#problems-heading").is_visible()
    assert report.locator("table").count() == 0  # every record was read without a problem
    screenshot(page, f"horizon-import-{language}")


def _shown(page: Page, language: str) -> int:
    """Return the id of the record the screening page offers (from its decision form's action)."""
    action = page.locator("#decision-form").get_attribute("action") or ""
    found = re.fullmatch(rf"/{re.escape(language)}/scanning/records/(\d+)/decide/", action)
    assert found, action
    return int(found.group(1))


def _screen(reviewer: Session, language: str, project_id: int, user: Any) -> int:
    """Screen two records with the keyboard (R, then I); return the id of the one marked relevant."""
    from nonpro.horizon.models import Candidate, Decision

    page = reviewer.page
    screen_url = _url("screen", language, project_id=project_id)
    page.locator(f"main a[href='{screen_url}']").click()
    page.wait_for_url(f"**{screen_url}")
    _html_dir(page, language)
    first = _shown(page, language)
    assert page.locator("article.horizon-record #record-title").is_visible()
    scores = page.locator("aside.horizon-scores")
    assert scores.locator("#scores-heading").is_visible()
    domains = scores.locator("table.horizon-domains tbody tr")
    assert domains.count() >= 1
    assert domains.first.locator("meter").count() == 1
    assert scores.locator("ul.horizon-reasons mark").count() >= 1  # the terms that put the record here
    assert page.locator("button[data-key='r'][name='decision'][value='relevant']").is_visible()
    assert page.locator("button[data-key='i'][name='decision'][value='irrelevant']").is_visible()
    screenshot(page, f"horizon-screen-{language}")

    candidate = Candidate.objects.get(pk=first)
    assert candidate.locked_by_id == user.pk  # kept for this reviewer while they read it
    assert candidate.domain_scores

    with page.expect_navigation():
        page.keyboard.press("r")
    page.wait_for_url(f"**{screen_url}")
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.decided_by_id) == (Decision.RELEVANT, user.pk)
    second = _shown(page, language)
    assert second != first

    with page.expect_navigation():
        page.keyboard.press("i")
    page.wait_for_url(f"**{screen_url}")
    decided = Candidate.objects.get(pk=second)
    assert (decided.decision, decided.decided_by_id) == (Decision.IRRELEVANT, user.pk)
    assert _shown(page, language) not in {first, second}
    assert Candidate.objects.filter(project_id=project_id).exclude(decision=Decision.PENDING).count() == 2
    return first


def _promote(reviewer: Session, language: str, project_id: int, candidate_id: int, user: Any) -> None:
    """Open the relevant record from the list, promote it, and land on the new draft's edit page."""
    from nonpro.horizon.models import Candidate
    from nonpro.register.models import Entry, Status

    page = reviewer.goto(f"{_url('candidates', language, project_id=project_id)}?show=relevant")
    rows = page.locator("main table.data-table tbody tr")
    assert rows.count() == 1
    rows.first.locator(f"a[href='{_url('candidate', language, candidate_id=candidate_id)}']").click()
    page.wait_for_url(f"**{_url('candidate', language, candidate_id=candidate_id)}")
    promote_url = _url("promote", language, candidate_id=candidate_id)
    page.locator(f"main a[href='{promote_url}']").click()
    page.wait_for_url(f"**{promote_url}")
    _html_dir(page, language)

    candidate = Candidate.objects.get(pk=candidate_id)
    assert page.input_value("#id_title") == candidate.title
    page.fill("#id_summary", SUMMARY)
    page.check("#id_no_enabling_detail")
    screenshot(page, f"horizon-promote-{language}")
    page.locator("main form.horizon-form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/{re.escape(language)}/register/RSD-\d{{4}}-\d{{5,}}/edit/$"))
    rsd_id = page.url.rstrip("/").split("/")[-2]
    _html_dir(page, language)

    entry = Entry.objects.get(rsd_id=rsd_id)
    assert (entry.status, entry.created_by_id) == (Status.DRAFT, user.pk)
    assert (entry.title, entry.summary) == (candidate.title, SUMMARY)
    cited = [(source["doi"], source["pmid"]) for source in entry.sources]
    assert cited == [(candidate.doi, candidate.pmid)]
    assert candidate.doi or candidate.pmid
    candidate.refresh_from_db()
    assert (candidate.entry_id, candidate.entry_link) == (entry.pk, "promoted")
    assert page.input_value("#id_summary") == SUMMARY  # the edit page holds the new draft


@pytest.mark.parametrize("language", ["en", "ar"])
def test_upload_import_screen_and_promote(
    language: str, people: People, open_session: Opener, horizon_files: Path
) -> None:
    """Upload a PubMed file → watch its import finish → screen with R and I → promote a relevant record."""
    from nonpro.horizon.models import ImportJob, ImportStatus

    project = _project(people)
    upload(project, people.analyst, horizon_files)  # the synthetic records that lead the queue

    reviewer = open_session(people.reviewer)
    holder = _Holder(reviewer.page)
    job_id = _upload_pubmed(reviewer, language, project.pk)
    # The progress requests are held from the start, so the database is the test's alone here.
    job = ImportJob.objects.get(pk=job_id)
    assert (job.project_id, job.created_by_id, job.status) == (project.pk, people.reviewer.pk, ImportStatus.QUEUED)
    assert (job.name, job.format) == (PUBMED.name, "pubmed-xml")

    _watch_import(reviewer, language, project.pk, job_id, holder)
    job.refresh_from_db()
    assert (job.status, job.records_read, job.records_added) == (ImportStatus.FINISHED, PUBMED_RECORDS, PUBMED_RECORDS)
    assert job.problems.count() == 0

    relevant = _screen(reviewer, language, project.pk, people.reviewer)
    _promote(reviewer, language, project.pk, relevant, people.reviewer)


# --- accessibility ---------------------------------------------------------------------------------------


def _axe_data(people: People, ris: Path) -> dict[str, int]:
    """A project with a finished import that has a report, a PubMed import, a queued one and a decision."""
    from nonpro.horizon import services
    from nonpro.horizon.models import Candidate

    project = _project(people)
    with_problems = upload(project, people.analyst, ris)
    assert with_problems.problems.count() == 1
    upload(project, people.analyst, PUBMED)
    queued = services.import_upload(
        project=project, by=people.analyst, name=ris.name, chunks=[ris.read_bytes()], enqueue=False
    )
    relevant = Candidate.objects.filter(project=project).order_by("-concern", "pk").first()
    assert relevant is not None
    services.candidate_decide(candidate=relevant, by=people.analyst, decision="relevant")
    return {"project": project.pk, "report": with_problems.pk, "queued": queued.pk, "candidate": relevant.pk}


def test_horizon_pages_pass_axe(people: People, open_session: Opener, horizon_files: Path) -> None:
    """Every horizon page in English and Arabic, and the screening page in all six languages, as an analyst
    (who sees every part of them). Every page in all six languages takes about 75 s: too slow to run always."""
    ids = _axe_data(people, horizon_files)
    project, candidate = {"project_id": ids["project"]}, {"candidate_id": ids["candidate"]}
    pages = [
        ("index", {}, ""),
        ("project", project, ""),
        ("project_create", {}, ""),
        ("project_edit", project, ""),
        ("import", {"job_id": ids["report"]}, ""),  # finished, with a report of the record it could not read
        ("import", {"job_id": ids["queued"]}, ""),  # waiting for the worker: polls its progress
        ("screen", project, ""),
        ("candidates", project, ""),
        ("candidates", project, "?show=all"),
        ("candidate", candidate, ""),
        ("promote", candidate, ""),
    ]
    analyst = open_session(people.analyst, bypass_csp=True)
    # The queued import's page polls its progress: answer "nothing new" without reaching the server.
    analyst.page.route(re.compile(r"/progress/$"), lambda route: route.fulfill(status=204))
    failures: dict[str, Any] = {}

    def check(page: Page, language: str, where: str) -> Page:
        _html_dir(page, language)
        violations = run_axe(page)
        if violations:
            failures[where] = violations
        return page

    for language in ("en", "ar"):
        for name, kwargs, query in pages:
            path = _url(name, language, **kwargs) + query
            check(analyst.goto(path), language, path)
        # The upload page is what a refused file shows: an empty file is refused, nothing is imported.
        page = analyst.goto(_url("project", language, **project))
        form = page.locator(f"form[action='{_url('upload', language, **project)}']")
        form.locator("input[type=file]").set_input_files(
            {"name": "empty.ris", "mimeType": "application/x-research-info-systems", "buffer": b""}
        )
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"**{_url('upload', language, **project)}")
        assert page.locator("main [role=alert]").count() == 1
        check(page, language, f"{page.url} (a refused file)")
    for language in ("zh-hans", "fr", "ru", "es"):
        path = _url("screen", language, **project)
        screenshot(check(analyst.goto(path), language, path), f"horizon-screen-axe-{language}")

    screenshot(analyst.goto(_url("project", "ar", **project)), "horizon-project-ar")
    screenshot(analyst.goto(_url("import", "ar", job_id=ids["report"])), "horizon-report-ar")
    screenshot(analyst.goto(f"{_url('candidates', 'ar', **project)}?show=all"), "horizon-records-ar")
    screenshot(analyst.goto(_url("candidate", "ar", **candidate)), "horizon-candidate-ar")
    assert failures == {}, "accessibility violations:\n" + "\n".join(f"{k}: {v}" for k, v in failures.items())
