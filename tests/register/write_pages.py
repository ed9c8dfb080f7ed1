"""Helpers of the write-page tests: URLs, signed-in clients, the values a browser would send."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import translation

REASON = "Synthetic example: a policy-level reason."
CHECKLIST = {"what_and_why": "on", "non_operational": "on", "public_sources": "on", "nothing_restricted": "on"}
STALE = "Someone else changed this entry since you opened it"


def url(name: str, rsd_id: str | None = None, language: str = "en") -> str:
    with translation.override(language):
        return reverse(f"register:{name}", kwargs={"rsd_id": rsd_id} if rsd_id else None)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _FormReader(HTMLParser):
    """Read the values a browser would send from the first ``<form method="post">`` with a text field."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._in_form = False
        self._done = False
        self._textarea: str | None = None
        self._select: str | None = None

    def _add(self, name: str, value: str) -> None:
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and not self._done and "register-write-form" in found.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        name = found.get("name", "")
        if "disabled" in found:  # a browser sends no disabled field
            name = ""
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in found:
                    self._add(name, found.get("value", "on"))
            elif kind not in {"submit", "button"}:
                self._add(name, found.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = [""]
        elif tag == "select":
            self._select = name or None
        elif tag == "option" and self._select and "selected" in found:
            self._add(self._select, found.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            value = self.values[self._textarea][0]
            self.values[self._textarea][0] = value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def form_values(html: str) -> dict[str, Any]:
    """Return the values the page's write form would send as it is shown (prefilled fields included)."""
    reader = _FormReader()
    reader.feed(html)
    return {name: values if len(values) > 1 else values[0] for name, values in reader.values.items()}


def proposal(**overrides: Any) -> dict[str, Any]:
    """Return the POST of a complete proposal: content, two source rows of five, every box ticked."""
    data: dict[str, Any] = {
        "title": "Synthetic example: a proposed development",
        "summary": "Synthetic example: what the development is and why it matters for resolution 1540.",
        "details": "Synthetic example: *committee* notes on the controls that apply.",
        "original_language": "en",
        "domains": ["chemical"],
        "obligations": ["OP1", "OP3a"],
        "control_lists": ["CWC-S2"],
        "first_reported": "2025-03-01",
        "aliases": "SYN-EXAMPLE-1\r\nSYN-EXAMPLE-2",
        "related": "",
        "sources-TOTAL_FORMS": "5",
        "sources-INITIAL_FORMS": "0",
        "sources-MIN_NUM_FORMS": "0",
        "sources-MAX_NUM_FORMS": "50",
        "sources-0-type": "article",
        "sources-0-citation": "Synthetic example: a review article, 2025.",
        "sources-0-doi": "10.1234/synthetic.1",
        "sources-1-type": "web",
        "sources-1-url": "https://example.org/synthetic",
        **CHECKLIST,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
