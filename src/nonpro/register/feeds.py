"""Atom feeds of the register: every published entry, and one feed per domain.

A feed is PUBLIC by design, whoever asks: a feed reader has no session, and a feed URL is shared
and cached, so what it holds must not depend on who fetched it first. Every feed therefore reads
as ``ANONYMOUS`` through the selectors (``entries_visible_to``, ``entries_with_visible_part``,
``entry_data_for``) and shows only public parts: an entry whose title is not public shows its
identifier as its title; a summary that is not public is left out; a domain feed lists only the
entries whose classification is public.

Titles and summaries are in the feed's language (the URL's) when a translation exists, else in
the original language, marked with ``xml:lang`` on the item. ``updated`` is the entry's
``modified_at``: a mirror sees a change of the published record (an accepted edit, a tier change,
a withdrawal) as OSV's ``modified``; a withdrawn entry stays in the feed, marked withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.db.models import F, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from nonpro.core.policy import ANONYMOUS
from nonpro.register import taxonomy
from nonpro.register.models import Entry, Status
from nonpro.register.selectors import PREFETCH, entries_visible_to, entries_with_visible_part, entry_data_for

#: How many entries a feed carries (the newest by modification).
FEED_SIZE = 50


class LocalizedAtomFeed(Atom1Feed):
    """Atom 1.0 with an ``xml:lang`` on each item whose text is not in the feed's language."""

    def item_attributes(self, item: dict[str, Any]) -> dict[str, str]:
        attributes = dict(super().item_attributes(item))
        if item.get("lang"):
            attributes["xml:lang"] = item["lang"]
        return attributes


@dataclass(frozen=True)
class FeedItem:
    """One entry as a feed shows it: public parts only, already in the feed's language."""

    rsd_id: str
    title: str
    summary: str
    lang: str
    link: str
    updated: datetime | None
    published: datetime | None
    categories: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FeedScope:
    """What one request asks for: the feed's language and, for a domain feed, the domain."""

    language: str
    domain: str = ""


def _in_language(data: dict[str, Any], part: str, language: str) -> tuple[str, str]:
    """Return (text, its language) of the title or summary: the translation into ``language``, else the original."""
    original = str(data.get(part) or "")
    original_language = str(data.get("original_language") or "")
    translations: dict[str, str] = data.get(f"{part}_translations") or {}
    if language != original_language and translations.get(language):
        return translations[language], language
    return original, original_language


def feed_item(entry: Entry, language: str) -> FeedItem | None:
    """Return the public view of ``entry`` as a feed item, or ``None`` when the entry is not public."""
    data = entry_data_for(ANONYMOUS, entry)
    if data is None:
        return None
    rsd_id = str(data["rsd_id"])
    title, title_language = _in_language(data, "title", language)
    summary, summary_language = _in_language(data, "summary", language)
    if not title:
        title, title_language = rsd_id, language
    if data.get("status") == Status.WITHDRAWN:
        # Translators: the title of a withdrawn register entry in a feed.
        title = _gettext("Withdrawn: %(title)s") % {"title": title}
    shown_languages = {title_language, summary_language if summary else title_language}
    item_language = title_language if len(shown_languages) == 1 else ""
    return FeedItem(
        rsd_id=rsd_id,
        title=title,
        summary=summary,
        lang=item_language if item_language != language else "",
        link=reverse("register:entry", args=[rsd_id]),
        updated=data.get("modified_at"),
        published=data.get("published_at"),
        categories=tuple(data.get("domains") or ()),
    )


def _newest(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    return entries.order_by(F("modified_at").desc(nulls_last=True), "-pk").prefetch_related(*PREFETCH)[:FEED_SIZE]


class RegisterFeed(Feed[FeedItem, FeedScope]):
    """The newest published (and withdrawn) entries of the register, public parts only."""

    feed_type: type[SyndicationFeed] = LocalizedAtomFeed
    author_name = "Nonpro"

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedScope:
        return FeedScope(language=get_language() or "en")

    def title(self, obj: FeedScope) -> str:
        return str(_("Register of Scientific Developments"))

    def subtitle(self, obj: FeedScope) -> str:
        return str(_("Published entries of the register, newest changes first. Public information only."))

    def link(self, obj: FeedScope) -> str:
        return reverse("register:index")

    def entries(self, obj: FeedScope) -> QuerySet[Entry]:
        return entries_visible_to(ANONYMOUS)

    def items(self, obj: FeedScope) -> list[FeedItem]:
        shown = (feed_item(entry, obj.language) for entry in _newest(self.entries(obj)))
        return [item for item in shown if item is not None]

    def item_title(self, item: FeedItem) -> str:
        return item.title

    def item_description(self, item: FeedItem) -> str:
        # Atom's summary is typed "html": escape the plain text so that a reader shows it as written.
        return str(escape(item.summary)) if item.summary else ""

    def item_link(self, item: FeedItem) -> str:
        return item.link

    def item_updateddate(self, item: FeedItem) -> datetime | None:
        return item.updated

    def item_pubdate(self, item: FeedItem) -> datetime | None:
        return item.published

    def item_categories(self, item: FeedItem) -> tuple[str, ...]:
        return item.categories

    def item_extra_kwargs(self, item: FeedItem) -> dict[str, Any]:
        return {"lang": item.lang}


class DomainFeed(RegisterFeed):
    """The newest published entries classified under one domain — only those whose classification is public."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> FeedScope:
        domain = str(kwargs.get("domain", ""))
        if domain not in taxonomy.codes("domain", include_deprecated=True):
            raise Http404
        return FeedScope(language=get_language() or "en", domain=domain)

    def title(self, obj: FeedScope) -> str:
        label = taxonomy.load("domain").label(obj.domain, obj.language)
        # Translators: the title of the register's feed of one domain (e.g. "Chemical").
        return _gettext("Register of Scientific Developments: %(domain)s") % {"domain": label}

    def link(self, obj: FeedScope) -> str:
        return f"{reverse('register:index')}?domain={obj.domain}"

    def entries(self, obj: FeedScope) -> QuerySet[Entry]:
        classified = entries_with_visible_part(ANONYMOUS, "classification")
        # A JSON list of codes: match the quoted code (portable across SQLite and PostgreSQL; the code is known).
        return classified.filter(domains__icontains=f'"{obj.domain}"')


register_feed = RegisterFeed()
domain_feed = DomainFeed()
