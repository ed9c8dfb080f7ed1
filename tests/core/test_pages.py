"""The platform shell's pages, in every language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
PAGES = ["core:home", "core:countries", "register:index", "horizon:index", "matrices:index", "training:index",
         "account_login"]  # fmt: skip


def url(name: str, language: str) -> str:
    with translation.override(language):
        return reverse(name)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGE_CODES)
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_in_language_with_direction(client: Client, page: str, language: str) -> None:
    response = client.get(url(page, language))
    assert response.status_code == 200
    html = response.content.decode()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html


@pytest.mark.django_db
def test_root_redirects_to_preferred_language(client: Client) -> None:
    response = client.get("/", headers={"accept-language": "fr-CH, fr;q=0.9, en;q=0.5"})
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


@pytest.mark.django_db
def test_language_switcher_keeps_page_and_query(client: Client) -> None:
    response = client.get("/en/countries/?group=african")
    html = response.content.decode()
    for code in LANGUAGE_CODES:
        assert f'href="/{code}/countries/?group=african" lang="{code}"' in html
    assert 'aria-current="true">English</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGE_CODES)
def test_pages_link_to_nothing_outside(client: Client, language: str) -> None:
    for page in PAGES:
        html = client.get(url(page, language)).content.decode()
        external = re.findall(r'(?:href|src|action)="((?:https?:)?//[^"]*)"', html)
        assert external == [], f"{page} in {language} links outside: {external}"


@pytest.mark.django_db
def test_every_internal_link_resolves(client: Client) -> None:
    """No dead links: every same-site link on every page answers 200 (or redirects to sign-in)."""
    seen: set[str] = set()
    for language in LANGUAGE_CODES:
        for page in PAGES:
            html = client.get(url(page, language)).content.decode()
            seen.update(href for href in re.findall(r'href="(/[^"#]*)', html) if not href.startswith("/static/"))
    assert len(seen) > 40
    for href in sorted(seen):
        response = client.get(href)
        assert response.status_code == 200, f"{href} answered {response.status_code}"


@pytest.mark.django_db
def test_csp_has_nonce_and_no_unsafe_inline(client: Client) -> None:
    response = client.get("/en/")
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert f'nonce="{nonce.group(1)}"' in response.content.decode()
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_no_inline_styles_or_scripts(client: Client) -> None:
    """CSP forbids inline styles; inline scripts would need the nonce."""
    for language in ("en", "ar"):
        for page in PAGES:
            html = client.get(url(page, language)).content.decode()
            assert " style=" not in html
            assert "<style" not in html
            for script in re.findall(r"<script[^>]*>", html):
                assert "nonce=" in script


@pytest.mark.django_db
def test_home_explains_platform_to_each_audience(client: Client) -> None:
    html = client.get("/en/").content.decode()
    for heading in ("The public", "State officials", "Experts", "Learners"):
        assert f">{heading}</h3>" in html
    assert "The platform serves 195 States" in html


@pytest.mark.django_db
def test_home_is_translated(client: Client) -> None:
    english = client.get("/en/").content.decode()
    for language in ("ar", "zh-hans", "fr", "ru", "es"):
        html = client.get(f"/{language}/").content.decode()
        assert "Who Nonpro is for" in english
        assert "Who Nonpro is for" not in html, f"home page in {language} is not translated"


@pytest.mark.django_db
def test_health_check_reports_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def _shown(language: str, count: int) -> str:
    with translation.override(language):
        text = translation.ngettext("%(counter)s State shown.", "%(counter)s States shown.", count)
    return (text % {"counter": count}).replace(str(count), "N")


def test_russian_plural_forms_follow_the_number() -> None:
    one, few, many = _shown("ru", 1), _shown("ru", 2), _shown("ru", 5)
    assert len({one, few, many}) == 3
    assert _shown("ru", 21) == one
    assert _shown("ru", 24) == few
    assert _shown("ru", 11) == _shown("ru", 195) == many


def test_arabic_has_six_plural_forms() -> None:
    zero, one, two, few, many = (_shown("ar", n) for n in (0, 1, 2, 3, 11))
    assert len({zero, one, two, few, many}) == 5  # "many" (11-99) and "other" (100-102) are spelt alike
    assert "دولتان" in two
    assert _shown("ar", 195) == _shown("ar", 11)
    assert _shown("ar", 103) == _shown("ar", 3)


@pytest.mark.django_db
def test_countries_page_costs_two_queries_for_195_states(client: Client, django_assert_max_num_queries: object) -> None:
    from collections.abc import Callable
    from contextlib import AbstractContextManager
    from typing import cast

    limit = cast("Callable[[int], AbstractContextManager[object]]", django_assert_max_num_queries)
    with limit(4):  # session-less page: countries + their names (prefetch)
        response = client.get("/ar/countries/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="row">') == 195
    assert "كازاخستان" in html


@pytest.mark.django_db
def test_countries_filter_by_group(client: Client) -> None:
    html = client.get("/en/countries/?group=eastern-european").content.decode()
    assert html.count('<th scope="row">') == 23
    assert "Kazakhstan" not in html
    assert "Poland" in html
    unknown = client.get("/en/countries/?group=nowhere").content.decode()
    assert unknown.count('<th scope="row">') == 195
