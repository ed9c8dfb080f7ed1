"""The register's read-only pages: list with filters, entry and history — only what each viewer may see."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from nonpro.core.audit.models import AuditEvent
from nonpro.core.grants import need_to_know_grant
from nonpro.register import reviews, services
from nonpro.register.models import Entry
from tests.conftest import MakeUser
from tests.register.conftest import vet

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
REASON = "Synthetic example: a policy-level reason."
#: Texts that only the committee may see (COMMITTEE tier) on the published entry.
COMMITTEE_DETAILS = "Synthetic example: committee-only remark ZETAMARK on the controls that apply."
COMMITTEE_RATIONALE = "Synthetic example: committee-only rationale KAPPAMARK."
DRAFT_TITLE = "Synthetic example: draft title OMEGAMARK"
HIGH = {
    "capability-uplift": 3,
    "accessibility-cost": 3,
    "accessibility-skills": 3,
    "accessibility-materials": 3,
    "maturity": 3,
    "proximity-to-weapons-application": 3,
    "control-coverage": 0,
}  # the rubric gives "critical"
LOW = {**HIGH, **dict.fromkeys(HIGH, 1), "control-coverage": 2}  # the rubric gives "low"


@dataclass
class Setup:
    author: Any
    analyst: Any
    committee: Entry  # published; title and summary PUBLIC, the rest COMMITTEE (domain chemical, critical)
    open: Entry  # published; classification and assessment PUBLIC too (domain biological, low), French title
    draft: Entry  # the author's draft (domain chemical)
    reviewers: list[Any]  # two vetted reviewers


def _review_round(entry: Entry, *, analyst: Any, reviewers: list[Any]) -> None:
    """Assign the reviewers to the entry (or edit) under review; each submits a review."""
    for reviewer in reviewers:
        assignment = services.review_assign(entry=entry, reviewer=reviewer, by=analyst)
        reviews.review_submit(
            assignment=assignment, by=reviewer, scores=LOW, proposed_level="", comments="",
            recommendation="publish", no_enabling_detail=True,
        )  # fmt: skip


def _publish(entry: Entry, *, analyst: Any, reviewers: list[Any], public: tuple[str, ...]) -> Entry:
    entry = services.entry_submit(entry=entry, by=entry.created_by)
    entry = services.entry_start_review(entry=entry, by=analyst)
    _review_round(entry, analyst=analyst, reviewers=reviewers)
    for part in public:
        entry = services.entry_set_tier(entry=entry, field=part, tier="public", reason=REASON, by=analyst)
    return services.entry_publish(entry=entry, by=analyst)


@pytest.fixture
def setup(make_user: MakeUser) -> Setup:
    author = make_user("pages.author@example.test", ["expert"])
    analyst = make_user("pages.analyst@example.test", ["committee_analyst"])
    reviewers = [
        make_user("pages.reviewer.one@example.test", ["expert", "reviewer"]),
        make_user("pages.reviewer.two@example.test", ["expert", "reviewer"]),
    ]
    administrator = make_user("pages.administrator@example.test", ["administrator"])
    for reviewer in reviewers:
        vet(reviewer, by=administrator)
    committee = services.entry_create_draft(
        by=author,
        values={
            "title": "Synthetic example: a published development",
            "summary": "Synthetic example: why it matters for resolution 1540, at policy level.",
            "details": COMMITTEE_DETAILS + "\n<script>alert(1)</script>",
            "domains": ["chemical"],
            "obligations": ["OP1"],
            "concern_scores": HIGH,
            "concern_rationale": COMMITTEE_RATIONALE,
        },
    )
    committee = _publish(committee, analyst=analyst, reviewers=reviewers, public=("title", "summary"))
    open_entry = services.entry_create_draft(
        by=author,
        values={
            "title": "Synthetic example: an openly classified development",
            "summary": "Synthetic example: an open summary.",
            "domains": ["biological"],
            "concern_scores": LOW,
            "concern_rationale": "Synthetic example: an open rationale.",
            "translations": {
                "fr": {
                    "title": "Exemple synthétique : un développement classé ouvertement",
                    "summary": "Exemple synthétique : un résumé ouvert.",
                }
            },
        },
    )
    open_entry = _publish(
        open_entry,
        analyst=analyst,
        reviewers=reviewers,
        public=("title", "summary", "classification", "assessment"),
    )
    draft = services.entry_create_draft(
        by=author, values={"title": DRAFT_TITLE, "summary": "Synthetic example: a draft.", "domains": ["chemical"]}
    )
    return Setup(author=author, analyst=analyst, committee=committee, open=open_entry, draft=draft, reviewers=reviewers)


def url(name: str, language: str = "en", **kwargs: str) -> str:
    with translation.override(language):
        return reverse(f"register:{name}", kwargs=kwargs)


def page(client: Client, name: str, language: str = "en", query: str = "", **kwargs: str) -> str:
    response = client.get(url(name, language, **kwargs) + query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def listed(html: str) -> set[str]:
    return set(re.findall(r'<th scope="row"><a href="[^"]*">(RSD-[0-9]{4}-[0-9]+)</a>', html))


def same_page(html: str, rsd_id: str) -> str:
    """Return ``html`` without what differs between any two requests: the identifier asked, nonce and CSRF token."""
    html = re.sub(r'nonce="[^"]*"', "", html.replace(rsd_id, "ID"))
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- anonymous: published entries, public parts only ---------------------------------------------------


def test_anonymous_sees_published_entries_and_only_their_public_parts(client: Client, setup: Setup) -> None:
    pages = {
        "list": page(client, "index"),
        "entry": page(client, "entry", rsd_id=setup.committee.rsd_id),
        "history": page(client, "history", rsd_id=setup.committee.rsd_id),
    }

    assert listed(pages["list"]) == {setup.committee.rsd_id, setup.open.rsd_id}
    for name, html in pages.items():
        for secret in ("ZETAMARK", "KAPPAMARK", "OMEGAMARK", "Synthetic example: committee-only"):
            assert secret not in html, (name, secret)
        assert "Committee" not in html, name  # no tier label: nothing above PUBLIC is shown
    assert "Synthetic example: a published development" in pages["entry"]
    assert "Synthetic example: why it matters for resolution 1540" in pages["entry"]
    # Absent fields are not shown at all (no placeholder): the classification and assessment are COMMITTEE.
    assert "Concern assessment" not in pages["entry"]
    assert "Classification" not in pages["entry"]
    assert "Details" not in pages["entry"]
    # No status filter for those who see no unpublished entry.
    assert 'name="status"' not in pages["list"]


def test_counts_and_filters_leak_no_committee_part_to_anonymous(client: Client, setup: Setup) -> None:
    html = page(client, "index")
    # The committee entry is critical and chemical, but only at COMMITTEE: counted nowhere.
    assert re.search(r'<option value="critical">[^<]*\(0\)</option>', html)
    assert re.search(r'<option value="chemical">[^<]*\(0\)</option>', html)
    assert re.search(r'<option value="low">[^<]*\(1\)</option>', html)
    assert re.search(r'<option value="biological">[^<]*\(1\)</option>', html)
    assert listed(page(client, "index", query="?concern=critical")) == set()
    assert listed(page(client, "index", query="?domain=chemical")) == set()
    assert listed(page(client, "index", query="?concern=low")) == {setup.open.rsd_id}
    assert listed(page(client, "index", query="?domain=biological")) == {setup.open.rsd_id}
    # A status filter an anonymous visitor is not offered is ignored, and shows no draft.
    assert listed(page(client, "index", query="?status=draft")) == {setup.committee.rsd_id, setup.open.rsd_id}


@pytest.mark.parametrize("persona", ["anonymous", "learner", "official_a", "expert", "administrator"])
def test_unpublished_entry_is_the_same_404_as_an_unknown_one(
    persona_client: Callable[[str], Client], setup: Setup, persona: str
) -> None:
    client = persona_client(persona)
    for name in ("entry", "history"):
        hidden = client.get(url(name, rsd_id=setup.draft.rsd_id))
        unknown = client.get(url(name, rsd_id="RSD-2999-99999"))
        assert hidden.status_code == unknown.status_code == 404
        assert same_page(hidden.content.decode(), setup.draft.rsd_id) == same_page(
            unknown.content.decode(), "RSD-2999-99999"
        )
    assert setup.draft.rsd_id not in page(client, "index")


def test_unknown_identifier_of_any_shape_is_404(client: Client, db: None) -> None:
    assert client.get(url("entry", rsd_id="RSD-2026-00001")).status_code == 404
    assert client.get(url("history", rsd_id="RSD-2026-00001")).status_code == 404
    # Paths that are not identifiers match no route at all.
    for path in ("not-an-id/", "RSD-2026-00001x/", "rsd-2026-00001/history/"):
        assert client.get(f"/en/register/{path}").status_code == 404


# --- signed in: analyst, proposer ----------------------------------------------------------------------


def test_analyst_sees_every_entry_and_every_part(persona_client: Callable[[str], Client], setup: Setup) -> None:
    client = persona_client("analyst")
    html = page(client, "index")
    assert listed(html) == {setup.committee.rsd_id, setup.open.rsd_id, setup.draft.rsd_id}
    assert 'name="status"' in html
    assert re.search(r'<option value="critical">[^<]*\(1\)</option>', html)
    assert re.search(r'<option value="chemical">[^<]*\(2\)</option>', html)

    entry = page(client, "entry", rsd_id=setup.committee.rsd_id)
    assert "ZETAMARK" in entry
    assert "KAPPAMARK" in entry
    assert '<span class="badge register-tier">Committee</span>' in entry
    history = page(client, "history", rsd_id=setup.committee.rsd_id)
    assert "ZETAMARK" in history
    assert "pages.analyst@example.test" in history  # who made the change: shown to the committee
    assert DRAFT_TITLE in page(client, "entry", rsd_id=setup.draft.rsd_id)


def test_analyst_filters_by_status_domain_and_concern(persona_client: Callable[[str], Client], setup: Setup) -> None:
    client = persona_client("analyst")
    assert listed(page(client, "index", query="?status=draft")) == {setup.draft.rsd_id}
    assert listed(page(client, "index", query="?status=published")) == {setup.committee.rsd_id, setup.open.rsd_id}
    assert listed(page(client, "index", query="?domain=chemical")) == {setup.committee.rsd_id, setup.draft.rsd_id}
    assert listed(page(client, "index", query="?domain=chemical&status=draft")) == {setup.draft.rsd_id}
    assert listed(page(client, "index", query="?concern=critical")) == {setup.committee.rsd_id}
    html = page(client, "index", query="?domain=nonsense")
    assert listed(html) == {setup.committee.rsd_id, setup.open.rsd_id, setup.draft.rsd_id}
    assert 'class="errorlist"' in html


def test_proposer_sees_their_own_draft_and_other_experts_do_not(
    persona_client: Callable[[str], Client], setup: Setup
) -> None:
    author = signed_in(setup.author)
    assert setup.draft.rsd_id in listed(page(author, "index"))
    html = page(author, "entry", rsd_id=setup.draft.rsd_id)
    assert DRAFT_TITLE in html
    assert '<span class="badge register-tier">Committee</span>' in html  # the draft's parts are COMMITTEE
    assert DRAFT_TITLE in page(author, "history", rsd_id=setup.draft.rsd_id)

    other = persona_client("expert")
    assert other.get(url("entry", rsd_id=setup.draft.rsd_id)).status_code == 404
    assert setup.draft.rsd_id not in listed(page(other, "index"))


# --- rendering --------------------------------------------------------------------------------------------


def test_details_are_escaped_text_with_line_breaks(persona_client: Callable[[str], Client], setup: Setup) -> None:
    html = page(persona_client("analyst"), "entry", rsd_id=setup.committee.rsd_id)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "ZETAMARK on the controls that apply.<br>" in html


def test_taxonomy_codes_are_shown_as_labels_in_the_page_language(client: Client, setup: Setup) -> None:
    english = page(client, "entry", rsd_id=setup.open.rsd_id)
    assert "Biological" in english
    assert ">biological<" not in english
    french = page(client, "entry", "fr", rsd_id=setup.open.rsd_id)
    assert "Biologique" in french


def test_title_in_the_viewer_language_or_the_original_with_a_notice(client: Client, setup: Setup) -> None:
    french = page(client, "entry", "fr", rsd_id=setup.open.rsd_id)
    assert "Exemple synthétique : un développement classé ouvertement" in french
    assert 'role="note"' not in french

    fallback = page(client, "entry", "fr", rsd_id=setup.committee.rsd_id)
    assert '<span lang="en" dir="ltr">Synthetic example: a published development</span>' in fallback
    assert 'class="notice" role="note"' in fallback

    rows = page(client, "index", "fr")
    assert "Exemple synthétique : un développement classé ouvertement" in rows
    assert rows.count('class="register-fallback"') == 1  # the committee entry has no French title
    assert 'role="note"' not in page(client, "entry", "en", rsd_id=setup.committee.rsd_id)


def test_entry_links_to_history_and_related_entries_the_viewer_may_see(
    persona_client: Callable[[str], Client], setup: Setup
) -> None:
    analyst = setup.analyst
    entry = services.entry_update(
        entry=setup.open,
        expected_version=setup.open.version,
        changes={"related": [setup.committee.rsd_id, setup.draft.rsd_id]},
        by=analyst,
    )
    entry = services.entry_submit(entry=entry, by=analyst)
    entry = services.entry_start_review(entry=entry, by=analyst)
    _review_round(entry, analyst=analyst, reviewers=setup.reviewers)
    services.entry_publish(entry=entry, by=analyst)
    services.entry_set_tier(entry=entry, field="classification", tier="public", reason=REASON, by=analyst)

    client = persona_client("anonymous")
    html = page(client, "entry", rsd_id=setup.open.rsd_id)
    assert f'href="{url("history", rsd_id=setup.open.rsd_id)}"' in html
    assert f'href="{url("entry", rsd_id=setup.committee.rsd_id)}"' in html
    assert setup.draft.rsd_id not in html
    assert setup.draft.rsd_id not in page(client, "history", rsd_id=setup.open.rsd_id)
    assert setup.draft.rsd_id in page(persona_client("analyst"), "entry", rsd_id=setup.open.rsd_id)


def test_history_lists_events_fields_and_values(persona_client: Callable[[str], Client], setup: Setup) -> None:
    client = persona_client("analyst")
    html = page(client, "history", rsd_id=setup.committee.rsd_id)
    for text in ("Created", "Submitted", "Review started", "Published", "Tier changed", "Reason", REASON):
        assert text in html, text
    assert '<th scope="col">Old value</th>' in html

    anonymous = page(Client(), "history", rsd_id=setup.committee.rsd_id)
    assert "Published" in anonymous
    assert "pages.analyst@example.test" not in anonymous  # who: committee and the person only
    assert REASON not in anonymous


def test_restricted_part_shown_is_audited_and_hidden_from_the_committee(setup: Setup, make_user: MakeUser) -> None:
    analyst = setup.analyst
    services.entry_set_tier(entry=setup.committee, field="details", tier="restricted", reason=REASON, by=analyst)
    holder = make_user("pages.holder@example.test", ["learner"])
    need_to_know_grant(
        obj=setup.committee, user=holder, reason=REASON, expires_at=timezone.now() + timedelta(days=3),
        granted_by=analyst,
    )  # fmt: skip
    before = AuditEvent.objects.filter(action="restricted.viewed").count()

    analyst_html = page(signed_in(analyst), "entry", rsd_id=setup.committee.rsd_id)
    assert "ZETAMARK" not in analyst_html
    assert "ZETAMARK" not in page(signed_in(analyst), "history", rsd_id=setup.committee.rsd_id)
    assert AuditEvent.objects.filter(action="restricted.viewed").count() == before

    holder_html = page(signed_in(holder), "entry", rsd_id=setup.committee.rsd_id)
    assert "ZETAMARK" in holder_html
    assert '<span class="badge register-tier">Restricted</span>' in holder_html
    assert AuditEvent.objects.filter(action="restricted.viewed", actor=holder).count() == 1


@pytest.mark.parametrize("language", LANGUAGE_CODES)
def test_every_page_renders_in_each_language_with_direction_and_no_inline_style(
    persona_client: Callable[[str], Client], setup: Setup, language: str
) -> None:
    direction = "rtl" if language == "ar" else "ltr"
    for client in (Client(), persona_client("analyst")):
        for name, kwargs in (
            ("index", {}),
            ("entry", {"rsd_id": setup.committee.rsd_id}),
            ("history", {"rsd_id": setup.committee.rsd_id}),
            ("entry", {"rsd_id": setup.open.rsd_id}),
        ):
            html = page(client, name, language, **kwargs)
            assert f'<html lang="{language}" dir="{direction}">' in html
            assert " style=" not in html
            assert "<style" not in html
            for script in re.findall(r"<script[^>]*>", html):
                assert "nonce=" in script


def test_list_is_paginated_newest_first(client: Client, setup: Setup, make_user: MakeUser) -> None:
    analyst = signed_in(setup.analyst)
    for n in range(25):
        services.entry_create_draft(by=setup.author, values={"title": f"Synthetic example {n}", "summary": "S."})
    first = page(analyst, "index")
    rows = re.findall(r'<th scope="row"><a href="[^"]*">(RSD-[0-9]{4}-[0-9]+)</a>', first)
    assert len(rows) == 25
    assert rows == sorted(rows, reverse=True)
    assert "28 entries found." in first
    second = listed(page(analyst, "index", query="?page=2"))
    assert len(second) == 3
    assert setup.committee.rsd_id in second
    assert 'rel="next"' in first


# --- links to the register's other pages ---------------------------------------------------------------


def _links(html: str) -> set[str]:
    nav = re.search(r'<nav class="register-links".*?</nav>', html, re.DOTALL)
    assert nav is not None
    return set(re.findall(r'href="/en/register/([^"]*)"', nav.group(0)))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", {"report/", "feed.atom"}),
        ("learner", {"follow/", "report/", "feed.atom"}),
        ("expert", {"propose/", "trends/notes/", "follow/", "report/", "feed.atom"}),
        ("reviewer", {"propose/", "review/", "trends/notes/", "follow/", "report/", "feed.atom"}),
        ("analyst", {"propose/", "review/", "dashboard/", "trends/notes/", "follow/", "report/", "feed.atom"}),
    ],
)
def test_the_home_page_links_each_person_to_the_pages_they_may_use(
    persona_client: Callable[[str], Client], persona: str, expected: set[str]
) -> None:
    html = page(persona_client(persona), "index")
    assert _links(html) == expected
    assert 'type="application/atom+xml"' in html
