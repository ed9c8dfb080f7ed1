"""The SVG chart library: well-formed, accessible, proportional, mirrored for right-to-left, honest when empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from nonpro.register import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 — our own output, not untrusted input


def bars(root: ET.Element) -> list[ET.Element]:
    """Return the bars: rectangles that carry a tooltip."""
    return [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]


def tooltip(rect: ET.Element) -> str:
    title = rect.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def texts(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


ITEMS = [("Nuclear", 5), ("Chemical", 10), ("Biological", 2)]


def test_a_bar_chart_is_an_accessible_image_with_title_and_description() -> None:
    root = parse(charts.bar_chart("Entries by domain", "Synthetic example: 17 entries.", ITEMS, label="Domain"))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.text == "Entries by domain"
    assert desc.text == "Synthetic example: 17 entries."
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root.get("viewBox")


def test_bar_lengths_are_proportional_to_the_values_and_each_bar_has_a_tooltip() -> None:
    root = parse(charts.bar_chart("T", "D", ITEMS, label="Domain", value_label="entries", rtl=False))

    drawn = bars(root)
    widths = [float(rect.get("width", "0")) for rect in drawn]
    assert len(drawn) == 3
    assert widths[1] == pytest.approx(2 * widths[0], rel=0.01)
    assert widths[2] == pytest.approx(widths[1] / 5, rel=0.01)
    assert [tooltip(rect) for rect in drawn] == [
        "Nuclear: 5 (entries)",
        "Chemical: 10 (entries)",
        "Biological: 2 (entries)",
    ]
    assert {"Nuclear", "Chemical", "Biological", "5", "10", "2"} <= set(texts(root))


def test_labels_and_titles_are_escaped() -> None:
    markup = charts.bar_chart('A <b> & "c"', "x < y", [('<script>alert("x")</script>', 3)], label="L")

    root = parse(markup)
    assert "<script>" not in markup
    assert '<script>alert("x")</script>' in texts(root)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == 'A <b> & "c"'


@pytest.mark.parametrize("items", [[], [("Nuclear", 0), ("Chemical", 0)]])
def test_no_data_gives_a_chart_that_says_so(items: list[tuple[str, int]]) -> None:
    root = parse(charts.bar_chart("Entries by domain", "Synthetic example.", items, label="Domain"))

    assert root.get("role") == "img"
    assert "chart-empty" in (root.get("class") or "")
    assert bars(root) == []
    assert "No data to show." in texts(root)
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "No data to show." in (desc.text or "")


def test_the_no_data_text_can_be_given() -> None:
    root = parse(charts.grouped_bar_chart("T", "D", [], [], label="Quarter", empty_text="Nothing yet."))

    assert "Nothing yet." in texts(root)


def test_no_style_attributes_or_foreign_objects_are_written() -> None:
    markup = str(charts.bar_chart("T", "D", ITEMS, label="L")) + str(
        charts.grouped_bar_chart("T", "D", ["Q1", "Q2"], [("A", [1, 2]), ("B", [3, 0])], label="Quarter")
    )

    assert "style=" not in markup
    assert "foreignObject" not in markup
    assert "var(" not in markup
    assert "<script" not in markup


def test_right_to_left_mirrors_the_chart() -> None:
    ltr = parse(charts.bar_chart("T", "D", ITEMS, label="L", rtl=False))
    rtl = parse(charts.bar_chart("T", "D", ITEMS, label="L", rtl=True))

    def label_and_bar(root: ET.Element) -> tuple[float, float]:
        label = next(text for text in root.iter(f"{SVG}text") if "".join(text.itertext()) == "Nuclear")
        return float(label.get("x", "0")), float(bars(root)[0].get("x", "0"))

    label_x, bar_x = label_and_bar(ltr)
    assert label_x <= bar_x  # the label ends where the bar starts, on the left
    label_x, bar_x = label_and_bar(rtl)
    assert label_x > bar_x  # the label is on the right, the bar grows to the left
    assert ltr.get("direction") == "ltr"
    assert rtl.get("direction") == "rtl"
    assert all(text.get("direction") == "rtl" for text in rtl.iter(f"{SVG}text"))


def test_the_direction_follows_the_language_by_default() -> None:
    with translation.override("ar"):
        arabic = parse(charts.bar_chart("T", "D", ITEMS, label="L"))
    with translation.override("fr"):
        french = parse(charts.bar_chart("T", "D", ITEMS, label="L"))

    assert arabic.get("direction") == "rtl"
    assert french.get("direction") == "ltr"


def test_stacked_columns_are_proportional_and_named_in_the_legend() -> None:
    series = [("Nuclear", [1, 4]), ("Chemical", [2, 0])]
    root = parse(charts.grouped_bar_chart("T", "D", ["Q1 2026", "Q2 2026"], series, label="Quarter", stacked=True))

    drawn = {tooltip(rect): float(rect.get("height", "0")) for rect in bars(root)}
    assert set(drawn) == {"Nuclear, Q1 2026: 1", "Chemical, Q1 2026: 2", "Nuclear, Q2 2026: 4"}
    assert drawn["Chemical, Q1 2026: 2"] == pytest.approx(2 * drawn["Nuclear, Q1 2026: 1"], rel=0.01)
    assert drawn["Nuclear, Q2 2026: 4"] == pytest.approx(4 * drawn["Nuclear, Q1 2026: 1"], rel=0.01)
    assert {"Nuclear", "Chemical", "Q1 2026", "Q2 2026"} <= set(texts(root))


def test_grouped_columns_stand_side_by_side() -> None:
    series = [("Nuclear", [3]), ("Chemical", [6])]
    root = parse(charts.grouped_bar_chart("T", "D", ["Q1"], series, label="Quarter", rtl=False))

    first, second = bars(root)
    assert float(second.get("x", "0")) > float(first.get("x", "0"))
    assert float(second.get("height", "0")) == pytest.approx(2 * float(first.get("height", "0")), rel=0.01)


def test_a_series_must_have_one_value_per_category() -> None:
    with pytest.raises(ValueError, match="2 categories"):
        charts.grouped_bar_chart("T", "D", ["Q1", "Q2"], [("Nuclear", [1])], label="Quarter")


def test_element_ids_are_checked_and_unique_by_default() -> None:
    first = parse(charts.bar_chart("T", "D", ITEMS, label="L"))
    second = parse(charts.bar_chart("T", "D", ITEMS, label="L"))

    assert first.get("id") != second.get("id")
    assert parse(charts.bar_chart("T", "D", ITEMS, label="L", chart_id="my-chart")).get("id") == "my-chart"
    with pytest.raises(ValueError, match="element id"):
        charts.bar_chart("T", "D", ITEMS, label="L", chart_id='x" onload="alert(1)')


def test_the_tables_hold_the_same_numbers() -> None:
    table = parse(charts.bar_table("Entries by domain", ITEMS, label="Domain", value_label="Entries"))

    assert table.tag == "table"
    caption = table.find("caption")
    assert caption is not None
    assert caption.text == "Entries by domain"
    assert [th.get("scope") for th in table.iter("th")][:2] == ["col", "col"]
    rows = [[cell.text for cell in row] for row in table.iter("tr")]
    assert rows == [["Domain", "Entries"], ["Nuclear", "5"], ["Chemical", "10"], ["Biological", "2"]]


def test_the_grouped_table_has_a_row_per_category_and_totals() -> None:
    series = [("Nuclear", [1, 4]), ("Chemical", [2, 0])]
    table = parse(charts.grouped_table("Per quarter", ["Q1", "Q2"], series, label="Quarter", total_label="Total"))

    rows = [[cell.text for cell in row] for row in table.iter("tr")]
    assert rows == [["Quarter", "Nuclear", "Chemical", "Total"], ["Q1", "1", "2", "3"], ["Q2", "4", "0", "4"]]


def test_numbers_are_formatted_for_the_language() -> None:
    with translation.override("en"):
        english = charts.format_number(12345)
    with translation.override("fr"):
        french = charts.format_number(12345)

    assert english == "12,345"
    assert french != english
    assert french.startswith("12")
    assert french.endswith("345")
