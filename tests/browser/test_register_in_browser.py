"""The register in a real browser: issue 4's "done when" flow end to end, and axe on every register page.

The flow is driven through the pages as people use them (propose, submit, assign, review, classify,
publish); then an anonymous visitor finds the entry through every public channel (search, the Atom
feed, the API, the public export) with its public parts only. All texts are synthetic and policy-level.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser.conftest import run_axe, screenshot
from tests.conftest import MakeUser
from tests.register.conftest import vet

pytestmark = pytest.mark.browser

#: Distinctive words: one in the (public) title, one in the details, which stay COMMITTEE.
TITLE_WORD = "heliotropic"
SECRET_WORD = "quokkavelvet"
TITLE = f"Synthetic example: {TITLE_WORD} lattice screening in policy review"
SUMMARY = "Synthetic example: a policy-level summary of why this development matters for resolution 1540."
DETAILS = f"Synthetic example: committee notes ({SECRET_WORD}) on the export controls that apply."


class Session:
    """One person's browser context (their session cookie), failing on console errors and failed requests."""

    def __init__(self, browser: Browser, site: str, user: Any = None, *, bypass_csp: bool = False) -> None:
        self.site = site
        self.context: BrowserContext = browser.new_context(
            bypass_csp=bypass_csp, viewport={"width": 1280, "height": 900}
        )
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}
            self.context.add_cookies([cookie])  # type: ignore[list-item]
        self.page = self.context.new_page()
        self.problems: list[str] = []
        if not bypass_csp:
            self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
            self.page.on("pageerror", lambda error: self.problems.append(str(error)))
            self.page.on("requestfailed", self._request_failed)

    def _request_failed(self, request: Any) -> None:
        # A navigation cancels what the previous page still loads (the favicon): not a problem of the page.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def goto(self, path: str, status: int = 200) -> Page:
        response = self.page.goto(f"{self.site}{path}")
        assert response is not None
        assert response.status == status, f"{path}: {response.status}"
        return self.page

    def close(self) -> None:
        self.context.close()
        assert self.problems == [], f"browser reported problems: {self.problems}"


@pytest.fixture
def sessions(browser: Browser, site: str) -> Iterator[list[Session]]:
    """Collect the sessions a test opens and close them (checking for browser problems) at the end."""
    opened: list[Session] = []
    yield opened
    for session in opened:
        session.close()


def _open(sessions: list[Session], browser: Browser, site: str, user: Any = None, **kwargs: Any) -> Session:
    session = Session(browser, site, user, **kwargs)
    sessions.append(session)
    return session


def _people(make_user: MakeUser) -> dict[str, Any]:
    people = {
        "expert": make_user("browser.expert@example.test", ["expert"]),
        "reviewer": make_user("browser.reviewer.one@example.test", ["expert", "reviewer"]),
        "reviewer2": make_user("browser.reviewer.two@example.test", ["expert", "reviewer"]),
        "analyst": make_user("browser.analyst@example.test", ["committee_analyst"]),
        "administrator": make_user("browser.admin@example.test", ["administrator"]),
    }
    for name in ("reviewer", "reviewer2"):
        vet(people[name], by=people["administrator"])
    return people


# --- the flow --------------------------------------------------------------------------------------------


def _propose(expert: Session) -> str:
    """Fill the propose form as an expert and submit the draft; return its identifier."""
    page = expert.goto("/en/register/propose/")
    page.fill("#id_title", TITLE)
    page.fill("#id_summary", SUMMARY)
    page.fill("#id_details", DETAILS)
    page.check("input[name='domains'][value='chemical']")
    for box in ("what_and_why", "non_operational", "public_sources", "nothing_restricted"):
        page.check(f"#id_{box}")
    screenshot(page, "register-flow-1-propose-en")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/en/register/RSD-*/")
    rsd_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert page.locator("h1").count() == 1
    assert TITLE in page.locator("main").inner_text()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(f"**/en/register/{rsd_id}/")
    assert "The entry was submitted for review." in page.locator("body").inner_text()
    screenshot(page, "register-flow-2-submitted-en")
    return rsd_id


def _start_and_assign(analyst: Session, rsd_id: str, reviewers: list[Any]) -> None:
    page = analyst.goto(f"/en/register/{rsd_id}/decide/")
    page.get_by_role("button", name="Start the review").click()
    page.wait_for_url(f"**/en/register/{rsd_id}/decide/")
    assert "The review has started." in page.locator("body").inner_text()
    analyst.goto(f"/en/register/{rsd_id}/assign/")
    for reviewer in reviewers:
        page.select_option("#id_reviewer", str(reviewer.pk))
        page.get_by_role("button", name="Assign", exact=True).click()
        page.wait_for_url(f"**/en/register/{rsd_id}/assign/")
        assert "The reviewer was assigned." in page.locator("body").inner_text()
    screenshot(page, "register-flow-3-assigned-en")


def _review(reviewer: Session, rsd_id: str, shot: str = "") -> None:
    page = reviewer.goto(f"/en/register/{rsd_id}/review/")
    scores = page.locator("select[name^='score_']")
    assert scores.count() >= 5
    for index in range(scores.count()):
        scores.nth(index).select_option("1")
    page.select_option("#id_recommendation", "publish")
    page.fill("#id_comments", "Synthetic example: a policy-level comment on the controls that apply.")
    page.check("#id_no_enabling_detail")
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Submit the review").click()
    page.wait_for_url("**/en/register/review/")
    assert "your review was recorded" in page.locator("body").inner_text()


def _classify_and_publish(analyst: Session, rsd_id: str) -> None:
    page = analyst.goto(f"/en/register/{rsd_id}/classify/")
    page.select_option("#id_tier-title", "public")
    page.select_option("#id_tier-summary", "public")
    page.fill("#id_reason", "Synthetic example: policy-level text, reviewed for release.")
    screenshot(page, "register-flow-5-classify-en")
    page.get_by_role("button", name="Save the tiers").click()
    page.wait_for_url(f"**/en/register/{rsd_id}/")
    page = analyst.goto(f"/en/register/{rsd_id}/decide/")
    assert "2 of 2 required reviews completed." in page.locator("main").inner_text()
    screenshot(page, "register-flow-6-decide-en")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"**/en/register/{rsd_id}/decide/")
    assert "The entry was published." in page.locator("body").inner_text()


def _check_public_channels(anonymous: Session, rsd_id: str, export_dir: Path) -> None:
    """The published entry reaches every public channel with its public parts and nothing else."""
    from nonpro.register.exchange import register_export

    page = anonymous.goto(f"/en/register/?q={TITLE_WORD}")
    rows = page.locator("table.register-table tbody tr")
    assert rows.count() == 1
    assert rsd_id in rows.first.inner_text()
    assert TITLE in rows.first.inner_text()
    assert SECRET_WORD not in page.content()
    screenshot(page, "register-flow-7-search-en")

    page = anonymous.goto(f"/en/register/{rsd_id}/")
    main = page.locator("main").inner_text()
    assert TITLE in main
    assert SUMMARY in main
    assert SECRET_WORD not in page.content()
    screenshot(page, "register-flow-8-entry-anonymous-en")

    feed = anonymous.context.request.get(f"{anonymous.site}/en/register/feed.atom")
    assert feed.status == 200
    assert rsd_id in feed.text()
    assert TITLE in feed.text()
    assert SECRET_WORD not in feed.text()

    api = anonymous.context.request.get(f"{anonymous.site}/api/v1/register/entries?q={TITLE_WORD}")
    assert api.status == 200
    listed = api.json()
    assert [item["rsd_id"] for item in listed["items"]] == [rsd_id]
    assert TITLE in api.text()
    assert SECRET_WORD not in api.text()
    assert "details" not in listed["items"][0] or not listed["items"][0]["details"]
    secret_search = anonymous.context.request.get(f"{anonymous.site}/api/v1/register/entries?q={SECRET_WORD}")
    assert secret_search.json()["count"] == 0
    assert anonymous.goto(f"/en/register/?q={SECRET_WORD}").locator("table.register-table tbody tr").count() == 0

    result = register_export(directory=export_dir)
    assert result.count == 1
    document = json.loads((export_dir / f"{rsd_id}.json").read_text(encoding="utf-8"))
    exported = json.dumps(document, ensure_ascii=False)
    assert TITLE in exported
    assert SECRET_WORD not in exported
    assert "details" not in document
    with zipfile.ZipFile(export_dir / "all.zip") as archive:
        assert SECRET_WORD not in archive.read(f"{rsd_id}.json").decode("utf-8")


def _check_history(session: Session, rsd_id: str, shot: str) -> str:
    page = session.goto(f"/en/register/{rsd_id}/history/")
    events = " | ".join(page.locator("section.register-revision h2").all_inner_texts())
    screenshot(page, shot)
    return events


def test_propose_review_publish_and_find_it_anonymously(
    site: str, browser: Browser, make_user: MakeUser, sessions: list[Session], tmp_path: Path
) -> None:
    """Issue 4's "done when": propose → submit → review by two vetted reviewers → classify → publish → public."""
    people = _people(make_user)
    expert = _open(sessions, browser, site, people["expert"])
    rsd_id = _propose(expert)

    analyst = _open(sessions, browser, site, people["analyst"])
    _start_and_assign(analyst, rsd_id, [people["reviewer"], people["reviewer2"]])

    _review(_open(sessions, browser, site, people["reviewer"]), rsd_id, shot="register-flow-4-review-en")
    _review(_open(sessions, browser, site, people["reviewer2"]), rsd_id)

    _classify_and_publish(analyst, rsd_id)

    anonymous = _open(sessions, browser, site)
    _check_public_channels(anonymous, rsd_id, tmp_path / "export")

    # The public could not see the entry before it was published: its public history starts there
    # (by design, see nonpro.register.history); the committee sees every step.
    events = _check_history(anonymous, rsd_id, "register-flow-9-history-anonymous-en")
    assert events.startswith("Published"), events
    assert TITLE in anonymous.page.locator("main").inner_text()
    assert SECRET_WORD not in anonymous.page.content()
    events = _check_history(analyst, rsd_id, "register-flow-9-history-analyst-en")
    for event in ("Created", "Submitted", "Review started", "Published", "Tier changed"):
        assert event in events, f"{event!r} missing from the history: {events}"
    assert events.count("Tier changed") == 2
    assert SECRET_WORD in analyst.page.locator("main").inner_text()  # the committee sees the details

    for language in ("ar", "zh-hans"):
        page = anonymous.goto(f"/{language}/register/{rsd_id}/")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert TITLE in page.locator("main").inner_text()
        screenshot(page, f"register-flow-10-entry-{language}")
        page = anonymous.goto(f"/{language}/register/?q={TITLE_WORD}")
        assert page.locator("table.register-table tbody tr").count() == 1
        screenshot(page, f"register-flow-11-index-{language}")


# --- accessibility ---------------------------------------------------------------------------------------

AXE_LANGUAGES = ["ar", "zh-hans", "en"]


def _entries(people: dict[str, Any]) -> dict[str, str]:
    """Create, through the services, a published entry and one under review assigned to ``reviewer``."""
    from nonpro.register import reviews, services
    from nonpro.register.models import ReviewAssignment
    from tests.register.conftest import synthetic_values

    published = services.entry_create_draft(by=people["expert"], values=synthetic_values(1, details=DETAILS))
    published = services.entry_submit(entry=published, by=people["expert"])
    published = services.entry_start_review(entry=published, by=people["analyst"])
    for name in ("reviewer", "reviewer2"):
        reviews.review_assign(entry=published, reviewer=people[name], by=people["analyst"])
        assignment = ReviewAssignment.objects.get(entry=published, reviewer=people[name], closed_at__isnull=True)
        reviews.review_submit(
            assignment=assignment,
            by=people[name],
            scores=dict.fromkeys(_rubric_codes(), 1),
            proposed_level="",
            comments="Synthetic example: a policy-level comment.",
            recommendation="publish",
            no_enabling_detail=True,
        )
    for part in ("title", "summary"):
        published = services.entry_set_tier(
            entry=published, field=part, tier="public", reason="Synthetic example.", by=people["analyst"]
        )
    published = services.entry_publish(entry=published, by=people["analyst"])

    pending = services.entry_create_draft(by=people["expert"], values=synthetic_values(2))
    pending = services.entry_submit(entry=pending, by=people["expert"])
    pending = services.entry_start_review(entry=pending, by=people["analyst"])
    reviews.review_assign(entry=pending, reviewer=people["reviewer"], by=people["analyst"])
    return {"published": published.rsd_id, "pending": pending.rsd_id}


def _rubric_codes() -> list[str]:
    from nonpro.register import taxonomy

    return list(taxonomy.rubric().criteria)


def _axe_pages(session: Session, language: str, paths: list[str]) -> dict[str, Any]:
    failures: dict[str, Any] = {}
    for path in paths:
        page = session.goto(f"/{language}/register/{path}")
        assert page.locator("html").get_attribute("lang") == language
        violations = run_axe(page)
        if violations:
            failures[f"{language}/register/{path}"] = violations
    return failures


def test_register_pages_pass_axe(site: str, browser: Browser, make_user: MakeUser, sessions: list[Session]) -> None:
    """Every register page, anonymous, as an analyst and (the review form) as the assigned reviewer."""
    from nonpro.register.trend_notes import trend_note_submit

    people = _people(make_user)
    ids = _entries(people)
    published, pending = ids["published"], ids["pending"]
    trend_note_submit(
        by=people["expert"],
        domain="chemical",
        title="Synthetic example: a trend note",
        body="Synthetic example: a policy-level note on a trend.",
        language="en",
    )
    anonymous_paths = ["", "?q=synthetic&domain=chemical", f"{published}/", f"{published}/history/", "report/"]
    analyst_paths = [*anonymous_paths, f"{pending}/", "propose/", f"{pending}/edit/", f"{pending}/classify/",
                     "review/", f"{pending}/assign/", f"{pending}/decide/", f"{published}/decide/",
                     f"{pending}/history/", "dashboard/", "trends/notes/", "trends/notes/new/", "follow/"]  # fmt: skip
    reviewer_paths = ["review/", f"{pending}/review/"]

    anonymous = _open(sessions, browser, site, bypass_csp=True)
    analyst = _open(sessions, browser, site, people["analyst"], bypass_csp=True)
    reviewer = _open(sessions, browser, site, people["reviewer"], bypass_csp=True)
    failures: dict[str, Any] = {}
    for language in AXE_LANGUAGES:
        failures.update({f"anonymous {k}": v for k, v in _axe_pages(anonymous, language, anonymous_paths).items()})
        failures.update({f"analyst {k}": v for k, v in _axe_pages(analyst, language, analyst_paths).items()})
        failures.update({f"reviewer {k}": v for k, v in _axe_pages(reviewer, language, reviewer_paths).items()})
    for language in ("ar", "zh-hans"):
        analyst.goto(f"/{language}/register/{pending}/review/", status=403)
        screenshot(analyst.goto(f"/{language}/register/dashboard/"), f"register-dashboard-{language}")
        screenshot(reviewer.goto(f"/{language}/register/{pending}/review/"), f"register-review-form-{language}")
    for path in ("feed.atom", "report.pdf"):
        response = anonymous.context.request.get(f"{site}/en/register/{path}")
        assert response.status == 200, path
    assert failures == {}, "accessibility violations:\n" + "\n".join(f"{k}: {v}" for k, v in failures.items())
