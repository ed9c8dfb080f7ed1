"""Helpers of the horizon page tests: URLs, signed-in clients, synthetic literature files, what a page shows.

Every record written here is synthetic and policy-level ("Synthetic example: …"); the taxonomy terms
they carry are bland field names (additive manufacturing, machine learning, laboratory automation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

LANGUAGES = ("ar", "zh-hans", "en", "fr", "ru", "es")


def url(name: str, language: str = "en", **kwargs: Any) -> str:
    """Return the URL of the horizon page ``name`` in ``language``."""
    with translation.override(language):
        return reverse(f"horizon:{name}", kwargs=kwargs or None)


def signed_in(user: Any) -> Client:
    """Return a client signed in as ``user`` (reviewers and analysts of the fixtures have MFA set up)."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def messages_of(response: Any) -> list[tuple[str, str]]:
    """Return ``(level, text)`` of the messages a response queued (shown on the page it redirects to)."""
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


_DECIDE = re.compile(r'<form method="post" action="/[\w-]+/scanning/records/(\d+)/decide/" id="decision-form">')


def shown_candidate(response: Any) -> int | None:
    """Return the id of the record a screening page offers to decide, or None when it offers none."""
    found = _DECIDE.findall(html(response))
    assert len(found) <= 1, "a screening page shows one record at a time"
    return int(found[0]) if found else None


# --- synthetic literature files ------------------------------------------------------------------------

SYNTHETIC_RECORDS: list[dict[str, Any]] = [
    {
        "TI": "Synthetic example: additive manufacturing in national export control lists",
        "AB": "Synthetic example: a policy-level survey of how licensing authorities describe 3D printing equipment.",
        "KW": ["export controls", "licensing"],
        "DO": "10.5555/synthetic.1",
        "AU": ["Example, Ada", "Sample, Bo"],
        "JF": "Synthetic Journal of Trade Policy",
        "PY": "2025",
    },
    {
        "TI": "Synthetic example: machine learning for customs risk profiling",
        "AB": "Synthetic example: a policy-level discussion of automated targeting at borders.",
        "KW": ["customs"],
        "DO": "10.5555/synthetic.2",
        "AU": ["Example, Cy"],
        "JF": "Synthetic Review of Border Management",
        "PY": "2024",
    },
    {
        "TI": "Synthetic example: laboratory automation and outreach to industry",
        "AB": "Synthetic example: how regulators explain their obligations to equipment suppliers.",
        "DO": "10.5555/synthetic.3",
        "PY": "2023",
    },
    {
        "TI": "Synthetic example: a survey of public attitudes to trade regulation",
        "AB": "Synthetic example: opinion polling on regulation in general.",
        "DO": "10.5555/synthetic.4",
        "PY": "2022",
    },
    {
        # the same work as the first record (same DOI): stored as its duplicate, never screened
        "TI": "Synthetic example: Additive manufacturing in national export-control lists",
        "DO": "10.5555/synthetic.1",
        "PY": "2025",
    },
]
#: Titles of the records above that are screened (the last one duplicates the first).
PRIMARY_TITLES = [record["TI"] for record in SYNTHETIC_RECORDS[:4]]


def ris(records: Iterable[dict[str, Any]]) -> bytes:
    """Return a RIS file of ``records`` (tag → value, or a list of values); a record without TI and DO is
    one the reader reports as a problem."""
    lines: list[str] = []
    for record in records:
        lines.append("TY  - JOUR")
        for tag, value in record.items():
            for item in value if isinstance(value, list) else [value]:
                lines.append(f"{tag}  - {item}")
        lines.extend(["ER  - ", ""])
    return "\n".join(lines).encode()


def sample_ris() -> bytes:
    return ris(SYNTHETIC_RECORDS)


def many_records(count: int) -> bytes:
    """Return a RIS file of ``count`` distinct synthetic records (each its own DOI)."""
    return ris(
        {"TI": f"Synthetic example: policy note number {number} on trade licensing", "DO": f"10.5555/many.{number}"}
        for number in range(count)
    )
