"""Accessible SVG charts rendered on the server: readable without JavaScript, printable by WeasyPrint.

A small, generic library (no import of the register's models or services): give it labels and
numbers already computed through the policy, get back a ``SafeString``. Every chart is an
``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>``; every bar carries a ``<title>``
(the tooltip: label and value). Pair each chart with its table (``bar_table`` / ``grouped_table``),
for example in a ``<details>`` element: the table is the chart's text alternative.

Kept deliberately simple so that WeasyPrint draws it as browsers do: presentation attributes only
(``fill``, ``font-size`` …; no ``style`` attribute, no CSS variables, no ``foreignObject``).
Right-to-left: with ``rtl`` (by default the current language's direction) the chart is mirrored —
category labels on the right, bars growing to the left, the first category on the right — and
text carries ``direction="rtl"`` (SVG's ``text-anchor`` then counts from the right).

API::

    bar_chart(title, desc, items, *, label, value_label=None, ...) -> SafeString
    grouped_bar_chart(title, desc, categories, series, *, label, stacked=False, ...) -> SafeString
    bar_table(caption, items, *, label, value_label) -> SafeString
    grouped_table(caption, categories, series, *, label, total_label=None) -> SafeString
    format_number(value) -> str
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from itertools import count

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi, gettext

__all__ = [
    "PALETTE",
    "bar_chart",
    "bar_table",
    "format_number",
    "grouped_bar_chart",
    "grouped_table",
]

#: Series colours, each with a contrast of at least 4.5:1 against white (WCAG 1.4.11 asks 3:1).
PALETTE: tuple[str, ...] = (
    "#0b4f8a",  # blue
    "#b35900",  # orange
    "#1d6b35",  # green
    "#7a1f8c",  # purple
    "#a0001c",  # red
    "#00707a",  # teal
    "#6e4600",  # brown
    "#4a5260",  # grey
)
INK = "#1a1d21"
MUTED = "#4a5260"
GRID = "#c9d2dc"
PAPER = "#ffffff"
FONT_FAMILY = "system-ui, Noto Sans, Noto Sans Arabic, Noto Sans CJK SC, DejaVu Sans, sans-serif"
FONT_SIZE = 13
PAD = 8
GAP = 6
ELLIPSIS = "…"

Formatter = Callable[[int], str]
_ids = count(1)
_ID_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]*\Z")


def format_number(value: int) -> str:
    """Return ``value`` formatted for the current language (Django's l10n, with grouping)."""
    return str(number_format(value, force_grouping=True))


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    """Return a coordinate with at most two decimals (short, stable output)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimate the rendered width of ``text``: wide (CJK) characters count as one em, others as 0.6."""
    return sum(size if unicodedata.east_asian_width(char) in "WF" else size * 0.6 for char in text)


def _fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """Return ``text`` cut (with an ellipsis) so that it fits ``width``; the full text stays in a ``<title>``."""
    if _text_width(text, size) <= width:
        return text
    kept = text
    while kept and _text_width(kept + ELLIPSIS, size) > width:
        kept = kept[:-1]
    return kept.rstrip() + ELLIPSIS


def _chart_id(chart_id: str | None) -> str:
    if chart_id is None:
        return f"chart-{next(_ids)}"
    if not _ID_RE.match(chart_id):
        raise ValueError(f"not a usable element id: {chart_id!r}")
    return chart_id


class _Canvas:
    """Collects SVG elements in left-to-right coordinates and mirrors them for right-to-left."""

    def __init__(self, width: float, *, rtl: bool) -> None:
        self.width = width
        self.rtl = rtl
        self.parts: list[str] = []

    def x(self, x: float) -> float:
        return self.width - x if self.rtl else x

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, tooltip: str = "", stroke: str = "") -> None:
        left = self.width - x - w if self.rtl else x
        extra = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
        body = f"<title>{_esc(tooltip)}</title>" if tooltip else ""
        self.parts.append(
            f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill}"{extra}>'
            f"{body}</rect>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str = GRID) -> None:
        self.parts.append(
            f'<line x1="{_num(self.x(x1))}" y1="{_num(y1)}" x2="{_num(self.x(x2))}" y2="{_num(y2)}" '
            f'stroke="{stroke}" stroke-width="1"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        anchor: str = "start",
        fill: str = INK,
        size: float = FONT_SIZE,
        full: str = "",
    ) -> None:
        """Write ``content``; ``anchor`` is "start", "middle" or "end" in the reading direction."""
        direction = f' direction="{"rtl" if self.rtl else "ltr"}"'
        tooltip = f"<title>{_esc(full)}</title>" if full and full != content else ""
        self.parts.append(
            f'<text x="{_num(self.x(x))}" y="{_num(y)}" text-anchor="{anchor}" fill="{fill}" '
            f'font-size="{_num(size)}"{direction}>{tooltip}{_esc(content)}</text>'
        )

    def svg(self, *, height: float, chart_id: str, title: str, desc: str, css_class: str = "chart") -> SafeString:
        direction = f' direction="{"rtl" if self.rtl else "ltr"}"'
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" '
            f'width="{_num(self.width)}" height="{_num(height)}" viewBox="0 0 {_num(self.width)} {_num(height)}" '
            f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}"{direction}>'
            f'<title id="{chart_id}-title">{_esc(title)}</title><desc id="{chart_id}-desc">{_esc(desc)}</desc>'
        )
        return mark_safe(head + "".join(self.parts) + "</svg>")  # noqa: S308 — every text is escaped above


def _empty(title: str, desc: str, *, chart_id: str, width: float, rtl: bool, empty_text: str | None) -> SafeString:
    """Return a small chart that says there is nothing to show (in its description too)."""
    message = empty_text or gettext("No data to show.")
    canvas = _Canvas(width, rtl=rtl)
    canvas.rect(0.5, 0.5, width - 1, 47, fill=PAPER, stroke=GRID)
    canvas.text(PAD * 2, 29, message, fill=MUTED)
    full_desc = f"{desc} {message}".strip()
    return canvas.svg(height=48, chart_id=chart_id, title=title, desc=full_desc, css_class="chart chart-empty")


def _is_empty(values: Sequence[int]) -> bool:
    return not values or all(value <= 0 for value in values)


def bar_chart(
    title: str,
    desc: str,
    items: Sequence[tuple[str, int]],
    *,
    label: str,
    value_label: str | None = None,
    colors: Sequence[str] | None = None,
    chart_id: str | None = None,
    rtl: bool | None = None,
    width: int = 640,
    bar_height: int = 20,
    fmt: Formatter | None = None,
    empty_text: str | None = None,
) -> SafeString:
    """Return a horizontal bar chart of ``items`` (``(label, value)`` pairs, drawn in the given order).

    ``label`` names what the labels are (e.g. "Domain"), ``value_label`` what the numbers count;
    both go into each bar's tooltip. Bar lengths are proportional to the values (the longest bar is
    the largest value). No items, or only zeros, give a chart that says "No data to show."
    """
    chart_id = _chart_id(chart_id)
    rtl = get_language_bidi() if rtl is None else rtl
    fmt = fmt or format_number
    if _is_empty([value for _label, value in items]):
        return _empty(title, desc, chart_id=chart_id, width=width, rtl=rtl, empty_text=empty_text)
    palette = tuple(colors) if colors else PALETTE[:1]
    largest = max(1, *(value for _label, value in items))
    label_width = min(max(_text_width(text) for text, _value in items), width * 0.4)
    value_width = max(_text_width(fmt(value)) for _label, value in items) + GAP
    axis = PAD + label_width + GAP
    plot = width - axis - value_width - PAD
    row = bar_height + 8
    canvas = _Canvas(width, rtl=rtl)
    for index, (text, value) in enumerate(items):
        y = PAD + index * row
        length = plot * max(value, 0) / largest
        shown = fmt(value)
        tooltip = f"{text}: {shown}" if value_label is None else f"{text}: {shown} ({value_label})"
        baseline = y + bar_height / 2 + FONT_SIZE * 0.35
        canvas.text(axis - GAP, baseline, _fit(text, label_width), anchor="end", full=text)
        if length > 0:
            canvas.rect(axis, y, length, bar_height, fill=palette[index % len(palette)], tooltip=tooltip)
        canvas.text(axis + length + GAP / 2, baseline, shown, anchor="start", fill=MUTED)
    height = PAD * 2 + len(items) * row - 8
    canvas.line(axis, PAD - 2, axis, height - PAD + 2, stroke=MUTED)
    return canvas.svg(height=height, chart_id=chart_id, title=title, desc=desc, css_class="chart chart-bar")


def _nice_step(largest: int, ticks: int = 4) -> int:
    """Return a round tick step (1, 2 or 5 times a power of ten) giving about ``ticks`` intervals."""
    raw = max(largest / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover — the loop always returns


def grouped_bar_chart(
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    label: str,
    stacked: bool = False,
    colors: Sequence[str] | None = None,
    chart_id: str | None = None,
    rtl: bool | None = None,
    width: int = 640,
    plot_height: int = 200,
    fmt: Formatter | None = None,
    empty_text: str | None = None,
) -> SafeString:
    """Return a column chart: one group (or stack, with ``stacked``) of columns per category, one colour per series.

    ``series`` is ``[(name, [value per category, …]), …]``; ``label`` names the categories (e.g.
    "Quarter"). Column heights are proportional to the values (stacked: segment heights). A legend
    names the series. No series, or only zeros, give a chart that says "No data to show."
    """
    chart_id = _chart_id(chart_id)
    rtl = get_language_bidi() if rtl is None else rtl
    fmt = fmt or format_number
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    if not categories or _is_empty([value for _name, values in series for value in values]):
        return _empty(title, desc, chart_id=chart_id, width=width, rtl=rtl, empty_text=empty_text)
    palette = tuple(colors) if colors else PALETTE
    if stacked:
        largest = max(sum(max(values[i], 0) for _name, values in series) for i in range(len(categories)))
    else:
        largest = max(max(values) for _name, values in series)
    step = _nice_step(largest)
    top_value = step * math.ceil(largest / step)
    value_width = _text_width(fmt(top_value)) + GAP
    axis = PAD + value_width + GAP
    plot_width = width - axis - PAD
    top = PAD + FONT_SIZE / 2
    bottom = top + plot_height
    canvas = _Canvas(width, rtl=rtl)
    for tick in range(0, top_value + 1, step):
        y = bottom - plot_height * tick / top_value
        canvas.line(axis, y, width - PAD, y, stroke=GRID if tick else MUTED)
        canvas.text(axis - GAP, y + FONT_SIZE * 0.35, fmt(tick), anchor="end", fill=MUTED)
    band = plot_width / len(categories)
    for index, category in enumerate(categories):
        start = axis + index * band
        _draw_group(
            canvas,
            category,
            [(name, values[index]) for name, values in series],
            x=start + band * 0.1,
            width=band * 0.8,
            bottom=bottom,
            scale=plot_height / top_value,
            stacked=stacked,
            palette=palette,
            fmt=fmt,
        )
        canvas.text(start + band / 2, bottom + FONT_SIZE + 4, _fit(category, band - 2), anchor="middle", full=category)
    legend_top = bottom + FONT_SIZE * 2 + 8
    height = _legend(canvas, [name for name, _values in series], palette, top=legend_top, left=axis, right=width - PAD)
    return canvas.svg(height=height, chart_id=chart_id, title=title, desc=desc, css_class="chart chart-columns")


def _draw_group(
    canvas: _Canvas,
    category: str,
    values: Sequence[tuple[str, int]],
    *,
    x: float,
    width: float,
    bottom: float,
    scale: float,
    stacked: bool,
    palette: Sequence[str],
    fmt: Formatter,
) -> None:
    """Draw one category's columns: side by side, or stacked bottom-up in series order."""
    column = width if stacked else width / len(values)
    base = bottom
    for position, (name, value) in enumerate(values):
        if value <= 0:
            continue
        height = value * scale
        tooltip = f"{name}, {category}: {fmt(value)}"
        fill = palette[position % len(palette)]
        if stacked:
            base -= height
            canvas.rect(x, base, column, height, fill=fill, tooltip=tooltip, stroke=PAPER)
        else:
            canvas.rect(x + position * column, bottom - height, column, height, fill=fill, tooltip=tooltip)


def _legend(
    canvas: _Canvas, names: Sequence[str], palette: Sequence[str], *, top: float, left: float, right: float
) -> float:
    """Draw the legend (a swatch and a name per series), wrapping lines; return the chart's height."""
    swatch = FONT_SIZE - 2
    x, y = left, top
    for position, name in enumerate(names):
        shown = _fit(name, (right - left) / 2)
        needed = swatch + GAP + _text_width(shown) + GAP * 3
        if x + needed > right and x > left:
            x, y = left, y + FONT_SIZE + GAP
        canvas.rect(x, y, swatch, swatch, fill=palette[position % len(palette)])
        canvas.text(x + swatch + GAP, y + swatch - 1, shown, full=name)
        x += needed
    return y + FONT_SIZE + PAD


# --- the tables that go with the charts -------------------------------------------------------------


def _table(caption: str, head: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> SafeString:
    cells = "".join(f'<th scope="col">{_esc(text)}</th>' for text in head)
    body = "".join(
        f'<tr><th scope="row">{_esc(name)}</th>{"".join(f"<td>{_esc(value)}</td>" for value in values)}</tr>'
        for name, values in rows
    )
    return mark_safe(  # noqa: S308 — every text is escaped above
        f'<table class="data-table chart-table"><caption>{_esc(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"
    )


def bar_table(
    caption: str, items: Sequence[tuple[str, int]], *, label: str, value_label: str, fmt: Formatter | None = None
) -> SafeString:
    """Return the data of a ``bar_chart`` as a table: one row per item."""
    fmt = fmt or format_number
    return _table(caption, [label, value_label], [(text, [fmt(value)]) for text, value in items])


def grouped_table(
    caption: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    label: str,
    total_label: str | None = None,
    fmt: Formatter | None = None,
) -> SafeString:
    """Return the data of a ``grouped_bar_chart`` as a table: a row per category, a column per series.

    With ``total_label``, a last column gives each category's total.
    """
    fmt = fmt or format_number
    head = [label, *(name for name, _values in series)]
    if total_label is not None:
        head.append(total_label)
    rows: list[tuple[str, Sequence[str]]] = []
    for index, category in enumerate(categories):
        values = [values[index] for _name, values in series]
        shown = [fmt(value) for value in values]
        if total_label is not None:
            shown.append(fmt(sum(values)))
        rows.append((category, shown))
    return _table(caption, head, rows)
