"""In a real browser: the API documentation under the strict CSP, and the directory and token pages with axe."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page

from tests.browser.conftest import run_axe, screenshot
from tests.conftest import MakeUser

pytestmark = pytest.mark.browser


def test_api_docs_render_without_csp_violations_or_outside_requests(site: str, page: Page) -> None:
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url) if not request.url.startswith(site) else None)
    page.goto(f"{site}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Nonpro API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/countries").count() == 1
    assert page.locator(".opblock-summary-path", has_text="/api/v1/experts").count() == 1
    assert outside == []


def _sign_in(page: Page, site: str, user: Any) -> None:
    """Give the browser the session of ``user`` (signed in through Django's test client)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])


@pytest.mark.parametrize("language", ["en", "ar"])
def test_directory_and_token_pages_are_accessible(
    site: str,
    axe_page: Page,
    make_user: MakeUser,
    language: str,
) -> None:
    from nonpro.accounts.experts import coi_declare, expert_profile_update

    expert = make_user("browser-expert@example.test", ["expert"])
    expert_profile_update(
        user=expert, affiliation="Browser Institute", community="legal", expertise=["law"], languages=["ar", "en"]
    )
    coi_declare(user=expert, relates_to="A law firm", description="Former partner.")
    analyst = make_user("browser-analyst@example.test", ["committee_analyst"])
    admin = make_user("browser-admin@example.test", ["administrator"])

    _sign_in(axe_page, site, analyst)
    for path in ("experts/?community=legal&field=law", "experts/", f"experts/{expert.pk}/"):
        axe_page.goto(f"{site}/{language}/{path}")
        assert run_axe(axe_page) == [], path
    screenshot(axe_page, f"expert-detail-{language}")
    axe_page.context.clear_cookies()

    _sign_in(axe_page, site, admin)
    for path in ("experts/vetting/", f"experts/{expert.pk}/vet/"):
        axe_page.goto(f"{site}/{language}/{path}")
        assert run_axe(axe_page) == [], path
    screenshot(axe_page, f"expert-vet-{language}")
    axe_page.context.clear_cookies()

    _sign_in(axe_page, site, expert)
    axe_page.goto(f"{site}/{language}/experts/me/")
    assert run_axe(axe_page) == []
    screenshot(axe_page, f"expert-me-{language}")
    axe_page.goto(f"{site}/{language}/accounts/tokens/")
    assert run_axe(axe_page) == []
    axe_page.locator("#id_name").fill("Browser token")
    axe_page.locator("form.form button[type=submit]").click()
    axe_page.locator("#raw-token").wait_for()
    assert axe_page.locator("#raw-token").input_value().startswith("npro_")
    assert run_axe(axe_page) == []
    screenshot(axe_page, f"api-token-created-{language}")
