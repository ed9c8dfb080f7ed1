"""Entry details are Markdown: rendered, then sanitized — hostile input never becomes markup that runs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from nonpro.register.markdown import render_markdown

#: What the sanitizer may let through: these tags, these attributes, these link schemes.
BLOCKS = {"p", "br", "pre", "blockquote", "ul", "ol", "li", "hr", "h3", "h4", "h5", "h6"}
SAFE_TAGS = BLOCKS | {"em", "strong", "code", "a"}
SAFE_ATTRIBUTES = {"a": {"href", "title", "rel"}, "ol": {"start"}}
SAFE_LINK = re.compile(r"^(https?://|mailto:|/|#|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


class _Markup(HTMLParser):
    """Collect every tag and attribute of a fragment, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on {tag}")
            elif name == "href" and not SAFE_LINK.match((value or "").strip()):
                self.problems.append(f"link {value}")
            elif name == "rel" and value != "nofollow noopener":
                self.problems.append(f"rel {value}")


def active_content(html: str) -> list[str]:
    """Return what in ``html`` could run, load or point anywhere unsafe (empty when nothing)."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_commonmark_becomes_html() -> None:
    html = render_markdown("Synthetic example: *emphasis*, **strong** and `code`.\n\n- one\n- two\n\n> quoted")
    assert isinstance(html, SafeString)
    assert "<em>emphasis</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert "<ul>\n<li>one</li>" in html
    assert "<blockquote>" in html


def test_a_line_break_is_kept() -> None:
    assert render_markdown("Synthetic example: first line\nsecond line") == (
        "<p>Synthetic example: first line<br>\nsecond line</p>"
    )


def test_empty_text_renders_nothing() -> None:
    assert render_markdown("") == ""


def test_headings_sit_below_the_page_headings() -> None:
    html = render_markdown("# Synthetic example\n\n## Part\n\n###### Deep")
    assert "<h3>Synthetic example</h3>" in html
    assert "<h4>Part</h4>" in html
    assert "<h6>Deep</h6>" in html
    assert "<h1" not in html
    assert "<h2" not in html


def test_links_get_nofollow_noopener() -> None:
    html = render_markdown("Synthetic example: see [the report](https://example.org/report).")
    assert '<a href="https://example.org/report" rel="nofollow noopener">the report</a>' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://example.org/x.js></SCRIPT>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<img src=x onerror=alert(1)>",
        '<p onclick="alert(1)">text</p>',
        "<iframe src=https://example.org></iframe>",
        "<style>body { display: none }</style>",
        '<svg onload="alert(1)"></svg>',
        "[ref]: javascript:alert(1)\n\n[click][ref]",
        "<div>raw <b>html</b></div>",
    ],
)
def test_hostile_input_is_shown_as_text_and_never_runs(text: str) -> None:
    html = render_markdown(text)
    assert active_content(html) == [], html
    assert "<div" not in html
    assert "<b>" not in html


def test_raw_html_is_escaped_as_text() -> None:
    assert render_markdown("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_images_are_never_loaded_only_their_text_is_kept() -> None:
    html = render_markdown("Synthetic example ![a diagram *label*](https://example.org/tracker.png)")
    assert "<img" not in html
    assert "example.org" not in html
    assert "a diagram label" in html


def test_alternative_text_of_an_image_is_escaped() -> None:
    html = render_markdown('![<script>alert(1)</script>"](https://example.org/x.png)')
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_a_link_title_cannot_break_out_of_its_attribute() -> None:
    html = render_markdown('[x](https://example.org "a\\" onmouseover=\\"alert(1)")')
    assert active_content(html) == [], html


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                '"',
                "'",
                "[",
                "]",
                "(",
                ")",
                "!",
                "*",
                "`",
                "\n",
                " ",
                "javascript:",
                "data:",
                "script",
                "onerror=",
                "onload=",
                "img",
                "a href=",
                "https://example.org",
                "&#106;avascript:",
                "Synthetic example",
            ]
        )
    ).map("".join)
)
def test_no_combination_of_markup_pieces_produces_active_content(text: str) -> None:
    assert active_content(render_markdown(text)) == []
