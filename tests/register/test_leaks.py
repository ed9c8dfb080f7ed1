"""The leak test (issue 4): every channel, for every persona, shows nothing above the persona's tier.

The register of ``tests.register.leaks`` puts a unique marker word in every part of every entry.
For each persona the test crawls the pages (index with and without filters, entry and history pages,
dashboard, trends report and the HTML rendered into its PDF, follow page), the JSON API (list,
detail, history), the feeds, the search (every marker, on the page and in the API, against a word
that is nowhere) and the facet counts; then the export at each tier and the e-mails (digests,
review reminders). Every channel's markers must be among those the persona may see (the oracle
``leaks.expected``), and — so that the test is not vacuous — all channels together must show every
marker the persona may see.

All texts are synthetic and policy-level ("Synthetic example: …"); markers are made-up words.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nonpro.accounts.tokens import token_create
from nonpro.register import follow_views, subscriptions
from nonpro.register.digests import digests_send
from nonpro.register.exchange import register_export
from nonpro.register.models import SubscriptionKind
from nonpro.register.tasks import send_review_reminders
from tests.conftest import MakeUser
from tests.register import leaks
from tests.register.conftest import People
from tests.register.leaks import NONSENSE, PERSONAS, SPECS, Register, expected, found

API = "/api/v1/register/entries"
MISSING = "RSD-2026-99999"
RSD = re.compile(r"RSD-\d{4}-\d{5,}")
#: Per-request noise in a page: CSP nonces and CSRF tokens.
NOISE = re.compile(r'(nonce="|name="csrfmiddlewaretoken" value="|csrf[-_]token" content=")[^"]*')
#: Visible markers searched on the index page too (hidden ones always are): the non-public, non-title parts
#: of the entries with mixed tiers and of the one under review.
PAGE_SAMPLE = frozenset(
    marker.word
    for marker in leaks.MARKERS
    if marker.entry in {"aa", "bb", "gg"}
    and marker.part in {"details", "assessment", "sources"}
    and marker.tier != leaks.PUBLIC
)
#: The pages of the review workflow of one entry (each answers 403/404, or shows what the persona may see).
WORKFLOW_PAGES = ("edit", "classify", "assign", "review", "decide")
#: The codes whose filtered lists are crawled: a hidden classification (nuclear, NSG-1) and a mixed one.
FILTERED = {"domain": ("nuclear", "chemical"), "control_list": ("NSG-1",)}
COUNT = re.compile(r"^(?P<label>.*) \((?P<count>\d+)\)$")


@pytest.fixture
def register(people: People, make_user: MakeUser) -> Register:
    return leaks.build(people, make_user)


class Crawler:
    """One persona's view of every channel: ``seen[channel]`` holds the markers each returned."""

    def __init__(self, register: Register, persona: str) -> None:
        self.register = register
        self.persona = persona
        self.user = register.user(persona)
        self.client = Client()
        self.headers: dict[str, str] = {}
        if self.user is not None:
            self.client.force_login(self.user)
            token = token_create(user=self.user, name="leaks", scopes=["read"], expires_in_days=1).raw
            self.headers = {"authorization": f"Bearer {token}"}
        self.seen: dict[str, set[str]] = {}

    def text(self, channel: str, url: str, *, api: bool = False) -> tuple[int, str]:
        client = Client() if api else self.client  # the API goes by token only
        response = client.get(url, headers=self.headers if api else {})
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        text = body.decode()
        self.seen.setdefault(channel, set()).update(found(text))
        return response.status_code, text

    def union(self) -> set[str]:
        return set().union(*self.seen.values())


def _normal(text: str, word: str = "") -> str:
    text = NOISE.sub(r"\1", text)
    return text.replace(word, NONSENSE) if word else text


def _listed(html: str) -> set[str]:
    """The entries an index page links to."""
    return set(re.findall(r"/register/(RSD-\d{4}-\d{5,})/", html))


def _keys(rsd_ids: set[str]) -> set[str]:
    by_id = {spec.rsd_id: key for key, spec in SPECS.items()}
    return {by_id[rsd_id] for rsd_id in rsd_ids if rsd_id in by_id}


def _facet_counts(html: str, name: str) -> dict[str, int]:
    """The counts in the options of the filter ``name`` of the index page."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    counts = {}
    for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)):
        match = COUNT.match(label.strip())
        if value and match:
            counts[value] = int(match["count"])
    return counts


# --- pages, API, feeds, report, facets -------------------------------------------------------------------------


def _crawl_pages(crawler: Crawler) -> str:
    """Crawl the pages; return the unfiltered index page (for the facets)."""
    missing = {kind: crawler.text("404", reverse(f"register:{kind}", args=[MISSING])) for kind in ("entry", "history")}
    for key, spec in SPECS.items():
        for kind in ("entry", "history"):
            status, html = crawler.text(f"page:{kind}", reverse(f"register:{kind}", args=[spec.rsd_id]))
            if leaks.sees_entry(crawler.persona, spec):
                assert status == 200, (crawler.persona, key, kind)
            else:  # exactly like an identifier that does not exist
                assert status == 404, (crawler.persona, key, kind)
                assert _normal(html).replace(spec.rsd_id, MISSING) == _normal(missing[kind][1]), (key, kind)
    status, index = crawler.text("page:index", reverse("register:index"))
    assert status == 200
    assert _keys(_listed(index)) == leaks.visible_entries(crawler.persona)
    for other in ("dashboard", "subscriptions", "trend_notes", "reviews", "propose"):
        crawler.text(f"page:{other}", reverse(f"register:{other}"))
    # The workflow pages prefill forms: of the entry with a RESTRICTED part, the pending edit, the one under review.
    for key in ("aa", "cc", "gg"):
        for kind in WORKFLOW_PAGES:
            crawler.text(f"page:{kind}", reverse(f"register:{kind}", args=[SPECS[key].rsd_id]))
    today = timezone.localdate()
    period = f"?start={(today - timedelta(days=30)).isoformat()}&end={today.isoformat()}"
    status, _html = crawler.text("page:report", reverse("register:report") + period)
    assert status == 200
    return index


def _crawl_pdf(crawler: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    """Render the trends report PDF through the view, keeping the HTML that goes into it."""
    rendered: list[str] = []

    def fake_render(html: str, *, base_url: str) -> bytes:
        rendered.append(html)
        return b"%PDF-1.7 synthetic"

    monkeypatch.setattr(follow_views, "render_pdf", fake_render)
    today = timezone.localdate()
    period = f"?start={(today - timedelta(days=30)).isoformat()}&end={today.isoformat()}"
    response = crawler.client.get(reverse("register:report_pdf") + period)
    assert response.status_code == 200
    assert len(rendered) == 1
    crawler.seen["pdf"] = found(rendered[0])


def _crawl_facets(crawler: Crawler, html: str) -> None:
    """Facet counts and filtered lists count only entries whose classification the persona sees."""
    persona = crawler.persona
    classified = leaks.classified(persona)
    for name, field in (("domain", "domains"), ("control_list", "control_lists")):
        counts = _facet_counts(html, name)
        for code in {code for spec in SPECS.values() for code in getattr(spec, field)}:
            want = {key for key in classified if code in getattr(SPECS[key], field)}
            assert counts.get(code, 0) == len(want), (persona, name, code, counts)
        for code in FILTERED[name]:
            want = {key for key in classified if code in getattr(SPECS[key], field)}
            status, filtered = crawler.text("page:index", reverse("register:index") + f"?{name}={code}")
            assert status == 200
            assert _keys(_listed(filtered)) == want, (persona, name, code)
            api = Client().get(f"{API}?{name}={code}&page_size=100", headers=crawler.headers)
            assert api.status_code == 200
            assert api.json()["count"] == len(want), (persona, name, code)
            assert _keys({item["rsd_id"] for item in api.json()["items"]}) == want
    _crawl_concern(crawler, html)


def _crawl_concern(crawler: Crawler, html: str) -> None:
    """The concern facet counts, and the concern filter lists, only entries whose assessment the persona sees."""
    persona = crawler.persona
    level = str(crawler.register.entries["aa"].concern_level)
    assert level  # the rubric gave the assessed entries a level
    want = {
        key
        for key, spec in SPECS.items()
        if "assessment" in spec.tiers and leaks.reaches(persona, spec, spec.tier("assessment"))
    }
    assert _facet_counts(html, "concern").get(level, 0) == len(want), (persona, level)
    status, filtered = crawler.text("page:index", reverse("register:index") + f"?concern={level}")
    assert status == 200
    assert _keys(_listed(filtered)) == want, persona
    api = Client().get(f"{API}?concern_level={level}&page_size=100", headers=crawler.headers)
    assert api.status_code == 200
    assert api.json()["count"] == len(want), persona


def _crawl_api(crawler: Crawler) -> None:
    status, _body = crawler.text("api:list", f"{API}?page_size=100", api=True)
    assert status == 200
    missing = {
        suffix: Client().get(f"{API}/{MISSING}{suffix}", headers=crawler.headers).content.decode()
        for suffix in ("", "/history")
    }
    for key, spec in SPECS.items():
        for suffix in ("", "/history"):
            status, body = crawler.text(f"api:{suffix or 'detail'}", f"{API}/{spec.rsd_id}{suffix}", api=True)
            if leaks.sees_entry(crawler.persona, spec):
                assert status == 200, (crawler.persona, key, suffix)
            else:
                assert status == 404, (crawler.persona, key, suffix)
                assert body.replace(spec.rsd_id, MISSING) == missing[suffix], (crawler.persona, key, suffix)


def _crawl_feeds(crawler: Crawler) -> None:
    status, _xml = crawler.text("feed", reverse("register:feed"))
    assert status == 200
    for domain in ("chemical", "nuclear", "biological"):
        status, _xml = crawler.text("feed", reverse("register:domain_feed", args=[domain]))
        assert status == 200


def _crawl_search(crawler: Crawler) -> None:
    """Every marker in the API, every hidden one on the index page: a hidden one answers like a word that is nowhere.

    The page repeats the query in its search box, so the searched word itself does not count as seen there.
    Visible markers of ``PAGE_SAMPLE`` are searched on the page too (the search is not vacuous).
    """
    persona = crawler.persona
    allowed = expected(persona)
    index = reverse("register:index")
    _status, nowhere = crawler.text("search:page", f"{index}?q={NONSENSE}")
    for marker in leaks.MARKERS:
        status, body = crawler.text("search:api", f"{API}?q={marker.word}", api=True)
        assert status == 200
        answer = json.loads(body)
        hidden = marker.word not in allowed
        if hidden:
            assert answer["count"] == 0, (persona, marker.word)
            assert answer["items"] == []
        elif marker.part in leaks.SEARCHABLE_PARTS:  # not vacuous: what one may see, one finds
            assert answer["count"] == 1, (persona, marker.word)
        if marker.part not in leaks.SEARCHABLE_PARTS or not (hidden or marker.word in PAGE_SAMPLE):
            continue
        response = crawler.client.get(f"{index}?q={marker.word}")
        assert response.status_code == 200
        html = response.content.decode()
        crawler.seen["search:page"].update(found(html) - {marker.word})
        if hidden:  # no hit, no count, no snippet: the very page a word that is nowhere gets
            assert _normal(html, marker.word) == _normal(nowhere), (persona, marker.word)
        else:
            assert _keys(_listed(html)) == {marker.entry}, (persona, marker.word)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_channel_shows_more_than_the_persona_may_see(
    register: Register, persona: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = Crawler(register, persona)
    index = _crawl_pages(crawler)
    _crawl_pdf(crawler, monkeypatch)
    _crawl_facets(crawler, index)
    _crawl_api(crawler)
    _crawl_feeds(crawler)
    _crawl_search(crawler)
    allowed = expected(persona)
    leaked = {channel: sorted(seen - allowed) for channel, seen in crawler.seen.items() if seen - allowed}
    assert not leaked, f"{persona} sees markers above their tier: {leaked}"
    public = expected("anonymous")
    assert crawler.seen["feed"] <= public, crawler.seen["feed"] - public  # feeds are public, whatever the session
    assert public <= crawler.seen["feed"] | crawler.seen["page:entry"]
    assert crawler.union() == allowed, f"{persona} never shown: {sorted(allowed - crawler.union())}"


def test_the_oracle_is_not_trivial() -> None:
    """The personas differ: each tier opens something to someone and hides it from someone else."""
    sets = {persona: frozenset(expected(persona)) for persona in PERSONAS}
    assert len(set(sets.values())) >= 6
    assert leaks.word("aa", "asse", leaks.RESTRICTED) in sets["analyst_granted"] - sets["analyst"]
    assert sets["administrator"] == sets["learner"] == sets["anonymous"] == sets["expert"]
    assert sets["anonymous"] < sets["official"] < sets["analyst"] < sets["analyst_granted"]


# --- export ----------------------------------------------------------------------------------------------------


def _export_text(directory: Path) -> str:
    parts = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                parts += [archive.read(name).decode() for name in archive.namelist()]
        else:
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


@pytest.mark.parametrize("tier", ["public", "official", "committee", "restricted"])
def test_the_export_holds_nothing_above_its_tier(register: Register, tier: str, tmp_path: Path) -> None:
    register_export(directory=tmp_path / "export", tier=tier)
    seen = found(_export_text(tmp_path / "export"))
    allowed = leaks.exported(tier)
    assert seen <= allowed, sorted(seen - allowed)
    # not vacuous: every published part at or below the tier is there (credits included)
    assert seen == allowed, sorted(allowed - seen)


# --- e-mail ----------------------------------------------------------------------------------------------------


def _mail_text(message: Any) -> str:
    alternatives = "".join(str(content) for content, _type in getattr(message, "alternatives", []))
    return f"{message.subject}\n{message.body}\n{alternatives}"


def test_digests_hold_nothing_above_the_reader_and_nothing_restricted(register: Register) -> None:
    for persona in PERSONAS:
        user = register.user(persona)
        if user is None:
            continue
        for code in subscriptions.followable_codes(SubscriptionKind.DOMAIN):
            subscriptions.subscription_follow(user=user, kind=SubscriptionKind.DOMAIN, code=code, frequency="weekly")
        for code in subscriptions.followable_codes(SubscriptionKind.CONCERN):
            subscriptions.subscription_follow(user=user, kind=SubscriptionKind.CONCERN, code=code, frequency="weekly")
    mail.outbox.clear()
    digests_send(now=timezone.now() + timedelta(minutes=1))
    received: dict[str, list[str]] = {}
    by_email = {str(register.user(p).email): p for p in PERSONAS if register.user(p) is not None}
    for message in mail.outbox:
        for recipient in message.to:
            received.setdefault(by_email[recipient], []).append(_mail_text(message))
    restricted = {marker.word for marker in leaks.MARKERS if marker.tier == leaks.RESTRICTED}
    for persona, texts in received.items():
        text = "\n".join(texts)
        allowed = expected(persona) - restricted
        assert found(text) <= allowed, (persona, sorted(found(text) - allowed))
        # an entry is in a digest only when what matched (its classification or assessment) is visible
        matched = leaks.classified(persona) | {
            spec.key
            for spec in SPECS.values()
            if spec.tier("assessment") != leaks.RESTRICTED
            and "assessment" in spec.tiers
            and leaks.reaches(persona, spec, spec.tier("assessment"))
        }
        listed = _keys(set(RSD.findall(text)))
        assert listed <= matched, (persona, listed - matched)
    # not vacuous: everyone signed in got the public entries; the analyst also the committee-classified one
    assert set(received) == {p for p in PERSONAS if p != "anonymous"}
    assert "bb" in _keys(set(RSD.findall("\n".join(received["analyst"]))))
    assert leaks.word("aa", "titl", leaks.PUBLIC) in found("\n".join(received["learner"]))


def test_review_reminders_hold_no_content(register: Register) -> None:
    mail.outbox.clear()
    assert send_review_reminders.call() == 1
    (message,) = mail.outbox
    assert message.to == [register.user("reviewer_assigned").email]
    assert found(_mail_text(message)) == set()
    assert SPECS["gg"].rsd_id in message.body
