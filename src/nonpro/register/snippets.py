"""Search excerpts: up to three escaped snippets of an entry's visible parts, matches marked.

Built from ``entry_data_for`` (a hidden part is absent there, so it can give no excerpt), with the
words of ``search.parse_query``; each excerpt carries its language and direction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from nonpro.core.policy import Viewer
from nonpro.register import display
from nonpro.register.models import Entry
from nonpro.register.search import (
    CLASSIFICATION_KINDS,
    TATWEEL,
    Term,
    index_words,
    is_cjk,
    join_texts,
    parse_query,
    taxonomy_label,
)
from nonpro.register.selectors import entry_data_for

SNIPPET_RADIUS = 80
MAX_SNIPPETS = 3


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    word: str  # folded
    cjk: bool


def _is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M") or char == TATWEEL


def _spans(text: str) -> list[_Span]:
    """Return the words of ``text`` with their positions; each Chinese character is a word of its own."""
    spans: list[_Span] = []
    index = 0
    while index < len(text):
        if not _is_word_char(text[index]):
            index += 1
            continue
        if is_cjk(text[index]):
            spans.append(_Span(index, index + 1, text[index], cjk=True))
            index += 1
            continue
        end = index
        while end < len(text) and _is_word_char(text[end]) and not is_cjk(text[end]):
            end += 1
        spans.append(_Span(index, end, " ".join(index_words(text[index:end])), cjk=False))
        index = end
    return spans


def _marks(spans: list[_Span], terms: list[Term]) -> list[tuple[int, int]]:
    """Return the (start, end) ranges of ``spans`` that a term matches."""
    marks: list[tuple[int, int]] = []
    for position, span in enumerate(spans):
        following = spans[position + 1] if position + 1 < len(spans) else None
        for term in terms:
            if is_cjk(term.text[0]):
                if not span.cjk:
                    continue
                if len(term.text) == 1 and span.word == term.text:
                    marks.append((span.start, span.end))
                elif (
                    following is not None
                    and following.cjk
                    and following.start == span.end
                    and span.word + following.word == term.text
                ):
                    marks.append((span.start, following.end))
            elif not span.cjk and any(
                word == term.text or (term.prefix and word.startswith(term.text)) for word in span.word.split()
            ):
                marks.append((span.start, span.end))
    return _merged(sorted(marks))


def _merged(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in marks:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, first: tuple[int, int]) -> tuple[int, int]:
    start = max(0, first[0] - SNIPPET_RADIUS)
    end = min(len(text), first[1] + SNIPPET_RADIUS)
    if start > 0:
        space = text.find(" ", start, first[0])
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", first[1], end)
        end = space if space != -1 else end
    return start, end


def highlight(text: str, terms: list[Term]) -> SafeString | None:
    """Return an escaped excerpt of ``text`` around the first match with every match in ``<mark>``; None if none."""
    marks = _marks(_spans(text), terms)
    if not marks:
        return None
    start, end = _window(text, marks[0])
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for mark_start, mark_end in marks:
        if mark_start < start or mark_end > end:
            continue
        pieces.append(str(escape(text[cursor:mark_start])))
        pieces.append(f"<mark>{escape(text[mark_start:mark_end])}</mark>")
        cursor = mark_end
    pieces.append(str(escape(text[cursor:end])))
    pieces.append("…" if end < len(text) else "")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text is escaped above


_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_SYMBOLS = re.compile(r"[*_`#>\[\]]+")


def _plain(text: str) -> str:
    """Return Markdown ``text`` as one line of plain text (enough for an excerpt)."""
    return " ".join(_MARKDOWN_SYMBOLS.sub("", _MARKDOWN_LINK.sub(r"\1", text)).split())


def _localized_text(data: Mapping[str, Any], part: str, language: str) -> str:
    translations: Mapping[str, str] = data.get(f"{part}_translations") or {}
    return str(translations.get(language) or data.get(part) or "")


def _snippet_texts(data: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    """Return the visible texts an excerpt may come from, with their language, most telling first.

    Only keys of ``entry_data_for``'s answer are read: a hidden part is absent there.
    """
    original = str(data.get("original_language") or settings.LANGUAGE_CODE)
    texts: list[tuple[str, str]] = []
    for part in ("summary", "title"):
        if part not in data:
            continue
        variants = [(str(data[part]), original)]
        variants += [(str(text), str(code)) for code, text in sorted((data.get(f"{part}_translations") or {}).items())]
        shown = _localized_text(data, part, language)
        texts += [(text, code) for text, code in variants if part == "summary" or text != shown]
        if part == "summary":
            texts.sort(key=lambda item: item[0] != shown)
    if data.get("details"):
        texts.append((_plain(str(data["details"])), original))
    if data.get("concern_rationale"):
        texts.append((str(data["concern_rationale"]), original))
    for source in data.get("sources") or []:
        citation = join_texts(*(source.get(key) for key in ("citation", "doi", "pmid", "arxiv_id")))
        texts.append((" · ".join(citation.splitlines()), original))
    if data.get("aliases"):
        texts.append((" · ".join(data["aliases"]), original))
    labels = [
        taxonomy_label(kind, code, language)
        for field, kind in CLASSIFICATION_KINDS.items()
        for code in data.get(field) or []
    ]
    if labels:
        texts.append((" · ".join(label for label in labels if label), language))
    return texts


def search_snippets(
    viewer: Viewer, entry: Entry, q: str, language: str, *, data: Mapping[str, Any] | None = None
) -> list[SafeString]:
    """Return up to ``MAX_SNIPPETS`` escaped excerpts of the visible parts of ``entry`` matching ``q``.

    Built from ``entry_data_for`` (pass its answer as ``data`` when you have it): a part the viewer
    may not see is not there, so it can give no excerpt. Each excerpt is a ``<span>`` with its
    ``lang`` and ``dir``, matches in ``<mark>``; safe to render as HTML.
    """
    terms = parse_query(q)
    if not terms:
        return []
    shown = entry_data_for(viewer, entry) if data is None else data
    if shown is None:
        return []
    snippets: list[SafeString] = []
    seen: set[str] = set()
    for text, code in _snippet_texts(shown, language):
        excerpt = highlight(text, terms)
        if excerpt is None or excerpt in seen:
            continue
        seen.add(excerpt)
        direction = "rtl" if display.bidi(code) else "ltr"
        snippets.append(
            mark_safe(f'<span lang="{escape(code)}" dir="{direction}">{excerpt}</span>')  # noqa: S308 - escaped
        )
        if len(snippets) == MAX_SNIPPETS:
            break
    return snippets
