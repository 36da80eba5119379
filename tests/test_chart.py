"""The progress chart drawn as SVG without a plotting library (guide/chart.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guidegen.guide.chart import LARGE, REGULAR, VIEW_WIDTH, Band, chart_svg, spread

REPO = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
PHQ9 = (
    Band(0, 4, "Minimal"),
    Band(5, 9, "Mild"),
    Band(10, 14, "Moderate"),
    Band(15, 19, "Moderately severe"),
    Band(20, 27, "Severe"),
)
POINTS = ((0, 16), (58, 12), (120, 9))
DATES = ("Aug 4", "Oct 1", "Dec 2")


def draw(**changes: object) -> str:
    arguments: dict[str, object] = {
        "low": 0, "high": 27, "better": "lower", "bands": PHQ9, "points": POINTS, "dates": DATES,
        "caption": "Lower is better",
    }  # fmt: skip
    arguments.update(changes)
    return chart_svg(**arguments)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in parse(svg).iter(f"{SVG}text")]


def test_one_shaded_band_per_band_darker_towards_the_worse_end() -> None:
    rects = parse(draw()).findall(f"{SVG}rect")
    assert len(rects) == len(PHQ9)
    shades = [float(r.get("fill-opacity", "")) for r in rects]
    assert shades == sorted(shades) and shades[0] < shades[-1]  # lower is better: the top band is darkest
    higher = [float(r.get("fill-opacity", "")) for r in parse(draw(better="higher")).findall(f"{SVG}rect")]
    assert higher == shades[::-1]
    tops = [float(r.get("y", "")) for r in rects]
    heights = [float(r.get("height", "")) for r in rects]
    for below, above in zip(range(len(rects) - 1), range(1, len(rects)), strict=True):
        assert abs(tops[above] + heights[above] - tops[below]) < 0.11  # bands touch: no gap, no overlap


def test_a_point_and_a_bold_score_label_per_score_joined_by_a_line() -> None:
    root = parse(draw())
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == len(POINTS)
    [line] = root.findall(f"{SVG}polyline")
    corners = [tuple(map(float, pair.split(","))) for pair in (line.get("points") or "").split()]
    assert corners == [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in circles]
    ys = [y for _, y in corners]
    assert ys[0] < ys[1] < ys[2], "a higher score is drawn higher (smaller y)"
    bold = [t.text for t in root.iter(f"{SVG}text") if t.get("font-weight") == "700"]
    assert bold == ["16", "12", "9"]


def test_labels_are_text_dates_bands_ticks_and_the_caption() -> None:
    found = texts(draw())
    assert "Lower is better" in found and {"Aug 4", "Oct 1", "Dec 2"} <= set(found)
    assert {"Minimal", "Mild", "Moderate", "Severe", "0", "27"} <= set(found)
    assert "Moderately severe" in found  # on two lines, a space between them


def test_drawn_in_current_color_with_no_ids_styles_or_fixed_size() -> None:
    svg = draw()
    root = parse(svg)
    assert root.get("fill") == "currentColor" and root.get("role") == "img" and root.get("width") is None
    assert root.get("viewBox", "").startswith(f"0 0 {VIEW_WIDTH} ")
    assert "#" not in svg and " id=" not in svg and "<style" not in svg and "style=" not in svg
    strokes = {e.get("stroke") for e in root.iter() if e.get("stroke")}
    assert strokes == {"currentColor"}
    assert "Atkinson Hyperlegible" in (root.get("font-family") or "")


def test_label_sizes_body_minus_two_and_large_print() -> None:
    """A 390 px phone shows the chart VIEW_WIDTH px wide: a label of N units reads at N px."""
    assert REGULAR.text >= 18 - 2  # the web guide's body text is 18 px
    assert LARGE.text >= max(16, 22 - 2)  # large print's is 22 px
    regular, large = parse(draw()), parse(draw(large=True))
    assert regular.get("font-size") == "16px" and large.get("font-size") == "20px"
    for root in (regular, large):
        assert all(t.get("font-size") is None for t in root.iter(f"{SVG}text")), "no label is drawn smaller"


def test_text_is_escaped() -> None:
    svg = draw(caption="Less <is> better & more", dates=("<b>", "Oct 1", "Dec 2"))
    assert "Less &lt;is&gt; better &amp; more" in svg and "&lt;b&gt;" in svg
    assert texts(svg)[0] == "Less <is> better & more"


def test_the_same_input_gives_the_same_bytes_in_another_process() -> None:
    code = (
        "from guidegen.guide.chart import Band, chart_svg;"
        "print(chart_svg(low=0, high=12, better='lower', bands=(Band(0, 2, 'Low'), Band(3, 12, 'High')),"
        " points=((0, 9), (30, 5), (61, 3)), dates=('a', 'b', 'c'), caption='x'), end='')"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONHASHSEED": "random"}
    outputs = {
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout for _ in range(2)
    }
    here = chart_svg(low=0, high=12, better="lower", bands=(Band(0, 2, "Low"), Band(3, 12, "High")),
                     points=((0, 9), (30, 5), (61, 3)), dates=("a", "b", "c"), caption="x")  # fmt: skip
    assert outputs == {here.encode()}


def test_overlapping_dates_are_left_out_but_never_the_first_or_last() -> None:
    points = tuple((day, 10) for day in range(0, 10))
    dates = tuple(f"Day {day}" for day in range(10))
    found = [t for t in texts(draw(points=points, dates=dates)) if t.startswith("Day ")]
    assert found[0] == "Day 0" and found[-1] == "Day 9" and len(found) < 10
    assert spread([0, 10, 20, 100], [8, 8, 8, 8], 1) == [0, 1, 2, 3]
    assert spread([0, 5, 10, 100], [8, 8, 8, 8], 1) == [0, 2, 3] or spread([0, 5, 10, 100], [8, 8, 8, 8], 1) == [0, 3]


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(0, 27), min_size=2, max_size=12),
    gaps=st.lists(st.integers(0, 400), min_size=11, max_size=11),
    large=st.booleans(),
)
def test_any_scores_draw_inside_the_view(scores: list[int], gaps: list[int], large: bool) -> None:
    days = [sum(gaps[:i]) for i in range(len(scores))]
    svg = draw(points=tuple(zip(days, scores, strict=True)), dates=tuple(f"d{d}" for d in days), large=large)
    root = parse(svg)
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    for circle in root.iter(f"{SVG}circle"):
        assert 0 <= float(circle.get("cx", "")) <= width and 0 <= float(circle.get("cy", "")) <= height
    for text in root.iter(f"{SVG}text"):
        assert 0 <= float(text.get("y") or 0) <= height


@pytest.mark.parametrize("large", [False, True])
def test_band_names_never_overlap(large: bool) -> None:
    size = (LARGE if large else REGULAR).text
    root = parse(draw(large=large))
    lines = sorted(float(t.get("y", "")) for t in root.iter(f"{SVG}tspan"))
    assert all(b - a >= size for a, b in zip(lines, lines[1:], strict=False))
