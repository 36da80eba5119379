"""Print measures: the page areas, fonts and line heights of print.css for a format and paper, and
how many lines a text takes (from the fonts' advance widths). Used by the height estimates."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..project.theme import font_dir

PT = 25.4 / 72
"""Millimetres per point."""


@dataclass(frozen=True)
class PrintMetrics:
    """The measures of print.css for one person's format and paper, in mm and pt."""

    size: float
    """Body text, pt."""
    leading: float
    """Line height as a multiple of the size."""
    tracking: float
    """Letter spacing, em."""
    width: float
    """Width of the page area, mm."""
    measure: float
    """Longest line of a paragraph or list item, mm."""
    rule: float
    """Worksheet line pitch, mm."""
    paragraph_gap: float
    heading: Mapping[str, float]
    """Heading sizes by tag (h2 is a section title), pt."""
    summary: float
    toc: float
    """Contents text, pt."""
    toc_leading: float
    page: float
    """Height of a regular page's area (where modules flow), mm."""
    large: bool
    more_columns: int
    """Columns of the list on the "More in your web guide" page."""
    safety_page: float
    """Height of the safety plan page's area, mm."""
    safety_width: float
    """Width of the safety plan page's area, mm."""


def print_metrics(formats: Collection[str], paper: str) -> PrintMetrics:
    """print.css and print.html, in numbers (keep in step with them)."""
    large = "large_print" in formats
    dyslexia = "dyslexia_friendly" in formats
    width = (210.0 if paper == "a4" else 215.9) - (50.0 if large else 40.0)
    leading = 1.65 if dyslexia else 1.6 if large else 1.5
    return PrintMetrics(
        size=17.0 if large else 12.0,
        leading=leading,
        tracking=0.035 if dyslexia else 0.0,
        width=width,
        measure=min(width, 150.0) if dyslexia else width,
        rule=12.0 if large else 9.0,
        paragraph_gap=4.5 if dyslexia else 3.0,
        heading={
            "h2": 28.0 if large else 24.0,
            "h3": 22.0 if large else 17.0,
            "h4": 19.0 if large else 13.0,
            "h5": 17.0 if large else 12.0,
            "h6": 17.0 if large else 12.0,
            "worksheet": 19.0 if large else 14.0,
        },
        summary=17.0 if large else 12.5,
        toc=17.0 if large else 11.5,
        toc_leading=1.5 if large else 1.35,
        page=(297.0 if paper == "a4" else 279.4) - (59.0 if large else 47.0),
        large=large,
        more_columns=2,
        safety_page=(297.0 if paper == "a4" else 279.4) - 37.0,
        safety_width=(210.0 if paper == "a4" else 215.9) - 28.0,
    )


@functools.lru_cache(maxsize=4)
def _advances(font: Path) -> tuple[dict[int, float], float]:
    """Advance width of each character in em, and the width of characters the font lacks."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency

    with TTFont(font, lazy=True) as ttf:
        scale = 1.0 / ttf["head"].unitsPerEm
        metrics = ttf["hmtx"].metrics
        widths = {char: metrics[name][0] * scale for char, name in ttf.getBestCmap().items()}
    return widths, widths.get(ord("n"), 0.55)


def _fonts() -> tuple[Path, Path]:

    folder = font_dir()
    return folder / "AtkinsonHyperlegible-Regular.ttf", folder / "AtkinsonHyperlegible-Bold.ttf"


def text_lines(text: str, size: float, width: float, metrics: PrintMetrics, *, bold: bool = False) -> int:
    """How many lines `text` takes at `size` pt in a column `width` mm wide (greedy wrapping)."""
    widths, fallback = _advances(_fonts()[1 if bold else 0])
    em = size * PT
    track = metrics.tracking
    space = (widths.get(32, 0.25) + track) * em
    lines, used = 0, 0.0
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            continue
        lines += 1
        used = -space
        for word in words:
            length = sum(widths.get(ord(c), fallback) + track for c in word) * em
            if used + space + length > width and used > 0:
                lines += 1
                used = length
            else:
                used += space + length
    return lines
