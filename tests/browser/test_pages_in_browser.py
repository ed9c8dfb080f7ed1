"""The shell in a real browser: six languages, the switcher, right-to-left Arabic, accessibility."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page

from tests.browser.conftest import run_axe, screenshot
from tests.conftest import totp_code

LANGUAGES = [code for code, _name in settings.LANGUAGES]
PAGES = ["", "countries/", "countries/?group=african", "register/", "scanning/", "matrices/", "training/",
         "accounts/login/", "no-such-page/"]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_in_each_language(site: str, page: Page, language: str) -> None:
    page.goto(f"{site}/{language}/")
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    assert page.locator("h1").count() == 1
    assert page.locator("main#main").is_visible()
    current = page.locator(".language-switcher a[aria-current='true']")
    assert current.get_attribute("lang") == language
    screenshot(page, f"home-{language}")


def test_arabic_layout_is_mirrored(site: str, page: Page) -> None:
    """Right-to-left means the layout flips, not only the text: the brand sits on the right."""
    width = 1280
    page.goto(f"{site}/en/")
    english_brand = page.locator(".brand").bounding_box()
    page.goto(f"{site}/ar/")
    arabic_brand = page.locator(".brand").bounding_box()
    assert english_brand is not None
    assert arabic_brand is not None
    assert english_brand["x"] < width / 3
    assert arabic_brand["x"] + arabic_brand["width"] > 2 * width / 3
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    card = page.locator(".card").first
    border_right = card.evaluate("element => getComputedStyle(element).borderRightWidth")
    assert border_right == "5px", "the card's accent border should be on the start (right) side in Arabic"
    screenshot(page, "countries-ar-before")


def test_language_switcher_keeps_page_and_query(site: str, page: Page) -> None:
    page.goto(f"{site}/en/countries/?group=african")
    rows_in_english = page.locator("tbody tr").count()
    page.locator(".language-switcher a[lang='fr']").click()
    page.wait_for_url(f"{site}/fr/countries/?group=african")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("tbody tr").count() == rows_in_english == 54
    page.locator(".language-switcher a[lang='ar']").click()
    page.wait_for_url(f"{site}/ar/countries/?group=african")
    assert page.locator("html").get_attribute("dir") == "rtl"
    screenshot(page, "countries-african-ar")


def test_skip_link_is_first_and_moves_focus(site: str, page: Page) -> None:
    page.goto(f"{site}/en/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.locator(".skip-link").is_visible()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_countries_filter_works_without_javascript(site: str, browser: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/en/countries/")
    assert page.locator("tbody tr").count() == 195
    page.select_option("#group", "eastern-european")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{site}/en/countries/?group=eastern-european")
    assert page.locator("tbody tr").count() == 23
    context.close()


def test_small_screen_has_no_horizontal_scroll(site: str, browser: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    for language in ("en", "ar"):
        context = browser.new_context(viewport={"width": 375, "height": 800})
        page = context.new_page()
        page.goto(f"{site}/{language}/")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        screenshot(page, f"home-{language}-mobile")
        context.close()


def test_sign_in_with_demo_account(site: str, page: Page) -> None:
    from nonpro.accounts.services import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts_ensure

    demo_accounts_ensure()
    page.goto(f"{site}/ar/accounts/login/?next=/ar/countries/")
    page.fill("#id_login", "analyst@demo.nonpro.test")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main button[type='submit']").click()
    page.wait_for_url(f"{site}/ar/accounts/2fa/authenticate/")  # an analyst's account has MFA
    page.fill("#id_code", totp_code(DEMO_TOTP_SECRET))
    page.locator("main button[type='submit']").first.click()
    page.wait_for_url(f"{site}/ar/countries/")
    assert "analyst@demo.nonpro.test" in page.locator(".signed-in-as").inner_text()
    screenshot(page, "signed-in-ar")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_passes_axe(site: str, axe_page: Page, language: str) -> None:
    failures = {}
    for path in PAGES:
        axe_page.goto(f"{site}/{language}/{path}")
        violations = run_axe(axe_page)
        if violations:
            failures[path] = violations
    assert failures == {}, f"accessibility violations in {language}: {failures}"


def test_admin_pages_pass_axe(site: str, axe_page: Page) -> None:
    """The administration is part of the platform too: its pages meet the same bar."""
    from nonpro.accounts.models import User
    from nonpro.accounts.services import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_accounts_ensure
    from nonpro.core.models import Country

    demo_accounts_ensure()
    axe_page.goto(f"{site}/ar/admin/")  # the admin has no sign-in of its own: the accounts' one, with MFA
    failures = {"login": run_axe(axe_page)}
    axe_page.fill("#id_login", "admin@demo.nonpro.test")
    axe_page.fill("#id_password", DEMO_PASSWORD)
    axe_page.locator("main button[type='submit']").click()
    axe_page.wait_for_url(f"{site}/ar/accounts/2fa/authenticate/")
    failures["mfa"] = run_axe(axe_page)
    axe_page.fill("#id_code", totp_code(DEMO_TOTP_SECRET))
    axe_page.locator("main button[type='submit']").first.click()
    axe_page.wait_for_url(f"{site}/ar/admin/")
    country = Country.objects.get(alpha2="KZ").pk
    user = User.objects.get(email="official.kz@demo.nonpro.test").pk
    for language in ("en", "ar"):
        for path in ("admin/", "admin/core/country/", f"admin/core/country/{country}/change/",
                     "admin/accounts/user/", f"admin/accounts/user/{user}/change/"):  # fmt: skip
            axe_page.goto(f"{site}/{language}/{path}")
            failures[f"{language}/{path}"] = run_axe(axe_page)
    screenshot(axe_page, "admin-user-ar")
    assert {page: found for page, found in failures.items() if found} == {}


SIGNED_IN_PAGES = [
    "accounts/profile/",
    "accounts/email/",
    "accounts/password/change/",
    "accounts/sessions/",
    "accounts/2fa/",
    "accounts/2fa/webauthn/",
    "accounts/tokens/",
    "accounts/people/",
    "audit/",
    "audit/1/",
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_in_pages_pass_axe(site: str, axe_page: Page, language: str) -> None:
    """The account, MFA, people and audit pages of an administrator, in every language."""
    from django.test import Client

    from nonpro.accounts.models import User
    from nonpro.accounts.services import demo_accounts_ensure

    demo_accounts_ensure()
    client = Client()
    client.force_login(User.objects.get(email="admin@demo.nonpro.test"))
    axe_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])
    failures = {}
    for path in SIGNED_IN_PAGES:
        response = axe_page.goto(f"{site}/{language}/{path}")
        assert response is not None
        assert response.status == 200, path
        assert axe_page.locator("html").get_attribute("lang") == language
        violations = run_axe(axe_page)
        if violations:
            failures[path] = violations
    if language in ("ar", "zh-hans"):
        screenshot(axe_page, f"audit-event-{language}")
    assert failures == {}, f"accessibility violations in {language}: {failures}"


def test_register_entry_and_history_pass_axe(site: str, axe_page: Page) -> None:
    from allauth.mfa.totp.internal.auth import TOTP

    from nonpro.accounts.models import User
    from nonpro.accounts.services import role_grant
    from nonpro.core.policy import PRIVILEGED_ROLES, Role
    from tests.conftest import TEST_TOTP_SECRET
    from tests.test_authorization_matrix import _published_entry

    def make_user(email: str, roles: list[str], **_: object) -> User:
        user = User.objects.create_user(email, "correct horse battery staple")
        for role in roles:
            role_grant(user=user, role=Role(role), reason="browser test", granted_by=None)
        if set(roles) & PRIVILEGED_ROLES:
            TOTP.activate(user, TEST_TOTP_SECRET)
        return user

    from tests.register.conftest import vet

    expert = make_user("expert@x.test", ["expert"])
    analyst = make_user("analyst@x.test", ["committee_analyst"])
    administrator = make_user("administrator@x.test", ["administrator"])
    reviewers = [make_user(f"reviewer{number}@x.test", ["expert", "reviewer"]) for number in (1, 2)]
    for reviewer in reviewers:
        vet(reviewer, by=administrator)
    rsd_id = _published_entry(expert, analyst, reviewers)
    failures = {}
    for language in ("en", "ar"):
        for path in (f"register/{rsd_id}/", f"register/{rsd_id}/history/", "register/"):
            response = axe_page.goto(f"{site}/{language}/{path}")
            assert response is not None
            assert response.status == 200, path
            violations = run_axe(axe_page)
            if violations:
                failures[f"{language}/{path}"] = violations
    screenshot(axe_page, "register-ar")
    assert failures == {}
