"""A progress chart as an inline SVG, drawn directly: bands shaded, points joined by a line, each
point labelled with its score, dates under the axis, band names on the right.

Everything is drawn in `currentColor` (the chart follows the text colour in dark mode and high
contrast), text stays text (it scales, reads aloud and is found by search), and the same input
gives the same bytes: no ids, no clock, no random salt. Sizes are in the SVG's own units, which
CSS scales to the width of the page: the chart is VIEW_WIDTH units wide, about the width of a
phone's column, so a label of 16 units reads at about 16 px on a 390 px phone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

FONT = "Atkinson Hyperlegible, Verdana, sans-serif"
VIEW_WIDTH = 350
"""The chart's width in its own units: a 390 px phone's column less the page's margins."""
CHAR = 0.6
"""A character's width as a share of the font size: an upper estimate for Atkinson Hyperlegible."""

_Scale = Callable[[float], float]
"""A score (or a day) to a position in the chart."""


@dataclass(frozen=True)
class Band:
    """A band of scores as the chart shades and names it."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Sizes:
    """Text and strokes of one chart: regular or large print."""

    text: float
    plot_height: float
    line: float
    dot: float


REGULAR = Sizes(text=16, plot_height=210, line=2.5, dot=4.5)
"""Body text is 18 px: labels at 16 units read at 16 px or more from a 390 px phone up."""
LARGE = Sizes(text=20, plot_height=240, line=3.5, dot=6)
"""Large print's body text is 22 px: labels at 20 units."""


def number(value: float) -> str:
    """A coordinate with at most one decimal, the same on every machine."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_width(text: str, size: float) -> float:
    """How wide `text` is drawn at `size`, estimated from its length (no font files read)."""
    return len(text) * size * CHAR


def wrap_label(label: str, size: float, width: float) -> list[str]:
    """A band name on as many lines as it takes to fit `width`; a long word gets a line of its own."""
    return textwrap.wrap(label, max(1, int(width / (size * CHAR))), break_long_words=False) or [label]


def spread(positions: Sequence[float], widths: Sequence[float], gap: float) -> list[int]:
    """Indexes of labels to draw at `positions` (ascending) so that none overlaps the next; the
    first and the last are always drawn, those between only when they fit."""
    if len(positions) <= 2:
        return list(range(len(positions)))
    last = len(positions) - 1
    kept = [0]
    for index in range(1, last):
        before = kept[-1]
        clear_before = positions[index] - positions[before] >= (widths[index] + widths[before]) / 2 + gap
        clear_after = positions[last] - positions[index] >= (widths[index] + widths[last]) / 2 + gap
        if clear_before and clear_after:
            kept.append(index)
    return [*kept, last]


def chart_svg(
    *,
    low: int,
    high: int,
    better: str,
    bands: Sequence[Band],
    points: Sequence[tuple[int, int]],
    dates: Sequence[str],
    caption: str,
    large: bool = False,
) -> str:
    """The chart as an <svg> element. `points` are (days since the first score, score), oldest
    first; `dates` label each point; `caption` says which way is better, above the plot."""
    size = LARGE if large else REGULAR
    s = size.text
    band_lines = [wrap_label(b.label, s, max(text_width("Moderately", s), VIEW_WIDTH * 0.24)) for b in bands]
    right = max(text_width(line, s) for lines in band_lines for line in lines) + s * 0.6
    ticks = sorted({low, high, *(b.low for b in bands)})
    left = max(text_width(str(t), s) for t in ticks) + s * 0.9
    top = s * 2.9
    plot_width = VIEW_WIDTH - left - right
    bottom = top + size.plot_height
    height = bottom + s * 1.9
    per_unit = size.plot_height / (high - low + 1)

    def y(value: float) -> float:
        return bottom - (value - low + 0.5) * per_unit

    span = max(points[-1][0], 1)
    pad = span * 0.08

    def x(day: float) -> float:
        return left + (day + pad) / (span + 2 * pad) * plot_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="progress-chart" role="img" focusable="false" viewBox="0 0 {VIEW_WIDTH} {number(height)}"'
        f' font-family="{FONT}" font-size="{number(s)}px" fill="currentColor">',
        f'<text x="0" y="{number(s)}">{escape(caption)}</text>',
    ]
    count = len(bands)
    for index, band in enumerate(bands):
        worse = index if better == "lower" else count - 1 - index  # darker towards the worse end
        opacity = 0.05 + 0.2 * worse / max(count - 1, 1)
        top_y = y(band.high + 0.5)
        parts.append(
            f'<rect x="{number(left)}" y="{number(top_y)}" width="{number(plot_width)}"'
            f' height="{number(y(band.low - 0.5) - top_y)}" fill-opacity="{opacity:.2f}"/>'
        )
    parts.extend(_band_labels(bands, band_lines, y, VIEW_WIDTH - right + s * 0.5, s))
    parts.extend(_y_axis(ticks, y, left, s))
    parts.extend(_x_axis(points, dates, x, bottom, s))
    parts.append(
        f'<path d="M{number(left)} {number(top - s * 0.4)}V{number(bottom)}H{number(VIEW_WIDTH - right)}"'
        ' fill="none" stroke="currentColor" stroke-width="1.25"/>'
    )
    line = " ".join(f"{number(x(day))},{number(y(score))}" for day, score in points)
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="currentColor" stroke-width="{number(size.line)}"'
        ' stroke-linejoin="round" stroke-linecap="round"/>'
    )
    for day, score in points:
        cx, cy = number(x(day)), y(score)
        parts.append(f'<circle cx="{cx}" cy="{number(cy)}" r="{number(size.dot)}"/>')
        label_y = cy - size.dot - s * 0.45
        parts.append(f'<text x="{cx}" y="{number(label_y)}" text-anchor="middle" font-weight="700">{score}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _band_labels(bands: Sequence[Band], lines: Sequence[list[str]], y: _Scale, start: float, s: float) -> list[str]:
    """Band names beside their bands, lowest first; a name that would overlap the one below is
    left out (the table names every band)."""
    parts = []
    upper_edge = float("inf")  # the top of the last name drawn, in SVG units (y grows downwards)
    step = s * 1.15
    for band, band_lines in zip(bands, lines, strict=True):
        centre = y((band.low + band.high) / 2)
        half = len(band_lines) * step / 2
        if centre + half > upper_edge:
            continue
        first = centre - half + step * 0.78
        spans = " ".join(  # the space keeps the words apart in the page's text (search, copy)
            f'<tspan x="{number(start)}" y="{number(first + i * step)}">{escape(text)}</tspan>'
            for i, text in enumerate(band_lines)
        )
        parts.append(f"<text>{spans}</text>")
        upper_edge = centre - half
    return parts


def _y_axis(ticks: Sequence[int], y: _Scale, left: float, s: float) -> list[str]:
    """Tick marks at the range's ends and each band's start; labels that would touch are left out."""
    positions = [-y(t) for t in ticks]  # ascending
    kept = spread(positions, [s * 0.9] * len(ticks), 0)
    parts = []
    for index in kept:
        at = y(ticks[index])
        parts.append(f'<path d="M{number(left - 5)} {number(at)}H{number(left)}" stroke="currentColor"/>')
        parts.append(
            f'<text x="{number(left - 8)}" y="{number(at + s * 0.35)}" text-anchor="end">{ticks[index]}</text>'
        )
    return parts


def _x_axis(points: Sequence[tuple[int, int]], dates: Sequence[str], x: _Scale, bottom: float, s: float) -> list[str]:
    """A tick at every score's date; dates that would overlap are left out, never the first or last."""
    positions = [x(day) for day, _ in points]
    kept = spread(positions, [text_width(d, s) for d in dates], s * 0.5)
    parts = []
    for index in kept:
        at = number(positions[index])
        parts.append(f'<path d="M{at} {number(bottom)}V{number(bottom + 5)}" stroke="currentColor"/>')
        parts.append(f'<text x="{at}" y="{number(bottom + 6 + s)}" text-anchor="middle">{escape(dates[index])}</text>')
    return parts
