"""The register's Atom feeds: public parts only whoever asks, per-domain filtering, languages, valid Atom."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from nonpro.register import services
from nonpro.register.models import Entry
from tests.register.conftest import People

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REASON = "Synthetic example: classification for the test."
#: Words that appear only in parts that are not public.
HIDDEN_WORDS = ("Quokkadetails", "Wombatrationale", "Platypustitle", "Numbatsummary", "Bilbysource")


def parse(response: Any) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    # Our own server's output under test, not untrusted input.
    return ET.fromstring(response.content)  # noqa: S314


def entries(feed: ET.Element) -> list[ET.Element]:
    return feed.findall(f"{ATOM}entry")


def text(element: ET.Element, tag: str) -> str:
    found = element.find(f"{ATOM}{tag}")
    return "" if found is None or found.text is None else found.text


def link(element: ET.Element) -> str:
    found = element.find(f"{ATOM}link")
    return "" if found is None else found.get("href", "")


def set_tier(entry: Entry, part: str, tier: str, people: People) -> Entry:
    return services.entry_set_tier(entry=entry, field=part, tier=tier, reason=REASON, by=people.analyst)


@pytest.fixture
def register(published: Callable[..., Entry], under_review: Callable[..., Entry], people: People) -> dict[str, Entry]:
    """A public chemical entry with hidden parts, a biological one with a public classification, and more."""
    open_entry = published(
        title="Synthetic example: open chemical development",
        details="Synthetic example: Quokkadetails committee notes.",
        concern_rationale="Synthetic example: Wombatrationale restricted rationale.",
        sources=[{"type": "report", "citation": "Synthetic example: Bilbysource report"}],
        translations={"fr": {"title": "Exemple synthétique : développement chimique ouvert", "summary": ""}},
    )
    open_entry = set_tier(open_entry, "assessment", "restricted", people)
    classified = published(
        title="Synthetic example: biological development with public classification",
        domains=["biological"],
    )
    classified = set_tier(classified, "classification", "public", people)
    hidden_classification = published(title="Synthetic example: chemical, classification hidden", domains=["chemical"])
    hidden_title = under_review(
        title="Synthetic example: Platypustitle hidden", summary="Synthetic example: Numbatsummary hidden."
    )
    hidden_title = services.entry_publish(entry=hidden_title, by=people.analyst)
    withdrawn = published(title="Synthetic example: a withdrawn development")
    withdrawn = services.entry_withdraw(entry=withdrawn, reason="Synthetic example: duplicate.", by=people.analyst)
    draft = under_review(title="Synthetic example: never published")
    return {
        "open": open_entry,
        "classified": classified,
        "hidden_classification": hidden_classification,
        "hidden_title": hidden_title,
        "withdrawn": withdrawn,
        "draft": draft,
    }


def test_feed_lists_published_and_withdrawn_entries_newest_change_first(
    client: Client, register: dict[str, Entry]
) -> None:
    feed = parse(client.get("/en/register/feed.atom"))
    links = [link(item) for item in entries(feed)]
    expected = sorted(
        (entry for name, entry in register.items() if name != "draft"),
        key=lambda entry: Entry.objects.get(pk=entry.pk).modified_at,
        reverse=True,
    )
    assert [href.rsplit("/register/", 1)[1].strip("/") for href in links] == [entry.rsd_id for entry in expected]
    titles = [text(item, "title") for item in entries(feed)]
    assert "Withdrawn: Synthetic example: a withdrawn development" in titles
    assert not any("never published" in title for title in titles)
    updated = [text(item, "updated") for item in entries(feed)]
    assert updated == sorted(updated, reverse=True)


@pytest.mark.parametrize("who", ["anonymous", "analyst"])
def test_feed_shows_only_public_parts_whatever_the_session(
    client: Client, register: dict[str, Entry], people: People, who: str
) -> None:
    if who == "analyst":
        client.force_login(people.analyst)  # sees every part on the entry pages — never in a feed
    for url in ("/en/register/feed.atom", "/en/register/domains/chemical/feed.atom", "/fr/register/feed.atom"):
        body = client.get(url).content.decode()
        for word in HIDDEN_WORDS:
            assert word not in body, (url, word)
    feed = parse(client.get("/en/register/feed.atom"))
    titles = [text(item, "title") for item in entries(feed)]
    assert register["hidden_title"].rsd_id in titles  # a title that is not public shows as the identifier


def test_feed_is_the_same_for_everyone(client: Client, register: dict[str, Entry], people: People) -> None:
    anonymous = client.get("/en/register/feed.atom").content
    signed_in = Client()
    signed_in.force_login(people.analyst)
    assert signed_in.get("/en/register/feed.atom").content == anonymous


def test_domain_feed_lists_only_entries_whose_public_classification_names_the_domain(
    client: Client, register: dict[str, Entry]
) -> None:
    biological = parse(client.get("/en/register/domains/biological/feed.atom"))
    assert [text(item, "title") for item in entries(biological)] == [
        "Synthetic example: biological development with public classification"
    ]
    categories = [category.get("term") for category in entries(biological)[0].findall(f"{ATOM}category")]
    assert categories == ["biological"]
    # The chemical entries keep their classification COMMITTEE: a public domain feed cannot list them.
    chemical = parse(client.get("/en/register/domains/chemical/feed.atom"))
    assert entries(chemical) == []
    assert "Biological" in text(biological, "title")


def test_unknown_domain_is_404(client: Client, db: None) -> None:
    assert client.get("/en/register/domains/no-such-domain/feed.atom").status_code == 404
    assert client.get("/en/register/domains/chemical/feed.atom").status_code == 200


def test_feed_speaks_the_language_of_its_url(client: Client, register: dict[str, Entry]) -> None:
    feed = parse(client.get("/fr/register/feed.atom"))
    assert feed.get(XML_LANG) == "fr"
    by_link = {link(item): item for item in entries(feed)}
    translated = by_link[f"http://testserver/fr/register/{register['open'].rsd_id}/"]
    assert text(translated, "title") == "Exemple synthétique : développement chimique ouvert"
    assert translated.get(XML_LANG) is None  # in the feed's language
    untranslated = by_link[f"http://testserver/fr/register/{register['classified'].rsd_id}/"]
    assert text(untranslated, "title") == "Synthetic example: biological development with public classification"
    assert untranslated.get(XML_LANG) == "en"  # the original, marked with its language
    english = parse(client.get("/en/register/feed.atom"))
    assert "Synthetic example: open chemical development" in [text(item, "title") for item in entries(english)]


def test_feed_items_carry_the_atom_essentials(client: Client, register: dict[str, Entry]) -> None:
    feed = parse(client.get("/en/register/feed.atom"))
    for tag in ("id", "updated", "title"):
        assert text(feed, tag)
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    for item in entries(feed):
        assert text(item, "id").startswith("http://testserver/en/register/RSD-")
        assert text(item, "updated")
    summaries = {text(item, "title"): text(item, "summary") for item in entries(feed)}
    assert summaries["Synthetic example: open chemical development"].startswith("Synthetic example 1:")
    assert summaries[register["hidden_title"].rsd_id] == ""  # a summary that is not public is left out


def test_feed_escapes_summaries_as_text(client: Client, published: Callable[..., Entry]) -> None:
    published(summary="Synthetic example: <b>bold</b> & more.")
    feed = parse(client.get("/en/register/feed.atom"))
    assert text(entries(feed)[0], "summary") == "Synthetic example: &lt;b&gt;bold&lt;/b&gt; &amp; more."
