"""Template context every page needs: the language switcher's links."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name_local: str
    url: str
    bidi: bool
    current: bool


def _language_links(request: HttpRequest) -> list[LanguageLink]:
    """Return one link per language to the page being shown, query string kept."""
    current = get_language()
    query = request.META.get("QUERY_STRING", "")
    links = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(request.get_full_path(), code).split("?", 1)[0]
        if query:
            url = f"{url}?{query}"
        info = get_language_info(code)
        links.append(
            LanguageLink(code=code, name_local=info["name_local"], url=url, bidi=info["bidi"], current=code == current)
        )
    return links


def site(request: HttpRequest) -> dict[str, object]:
    """Add the language links to every template context."""
    return {"language_links": _language_links(request)}
