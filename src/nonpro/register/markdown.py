"""Markdown of register texts (an entry's details) turned into HTML that is safe to show.

Two layers, so that a gap in one does not open a hole: markdown-it-py renders the CommonMark
subset with raw HTML disabled (``<script>`` and friends come out as text), and nh3 then keeps
only an allow-list of tags and attributes and only http(s)/mailto links. Images are never
rendered (their alternative text is kept): a picture from elsewhere would let its host track the
reader and could carry content no reviewer saw. Headings move two levels down so that a
``# heading`` in the text sits below the page's own ``<h2>`` sections. Links get
``rel="nofollow noopener"`` — the register vouches for no one's site.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

#: The tags the sanitizer keeps (everything the CommonMark preset produces, minus images).
ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr", "h3", "h4", "h5", "h6"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
#: How many levels a heading in the text moves down (``#`` becomes ``<h3>``); ``<h6>`` is the floor.
HEADING_SHIFT = 2


def _shift_headings(state: StateCore) -> None:
    """Move every heading ``HEADING_SHIFT`` levels down (why: the page owns ``<h1>`` and ``<h2>``)."""
    for token in state.tokens:
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1:]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"


def _image_as_text(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Render an image as its alternative text only (no request ever goes to the image's host)."""
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return str(escape(alt))


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    parser.core.ruler.push("nonpro_shift_headings", _shift_headings)
    parser.add_render_rule("image", _image_as_text)
    return parser


def render_markdown(text: str) -> SafeString:
    """Return ``text`` (Markdown) as sanitized HTML, safe to insert into a page as it is."""
    if not text:
        return mark_safe("")
    html = _parser().render(text)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned.strip())  # noqa: S308 - sanitized by nh3 with an allow-list just above
