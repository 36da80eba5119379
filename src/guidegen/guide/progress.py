""" "My progress": scores over time on the vocabulary's measures, and the goals a person reached.

For each measure with scores the guide says in one sentence what changed and which way is
better, gives a table with the same numbers (for screen readers and paper) and, with two or
more scores, a chart. The chart is an SVG drawn by matplotlib: text stays text, colours are
`currentColor` (so it follows dark mode and high contrast), and the same scores give the same
bytes.
"""

from __future__ import annotations

import functools
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_skeleton
from markupsafe import Markup

from ..project.profile_parts import Score
from ..project.profiles import Profile
from ..project.vocabulary import Measure, Vocabulary

INK = "#010203"
"""Drawn in this colour, written as currentColor: the chart takes the colour of the text around it."""
FONT = "Atkinson Hyperlegible"
AXES = (0.14, 0.13, 0.56, 0.77)
"""Where the plot sits in the figure (left, bottom, width, height): room for band names on the right."""


@dataclass(frozen=True)
class ScoreRow:
    """One score as the table shows it."""

    day: date
    score: int
    band: str
    """The band's label in the guide's language."""


@dataclass(frozen=True)
class MeasureProgress:
    """One measure's scores over time, ready for the page."""

    id: str
    title: str
    """The measure's name in the guide's language."""
    better: str
    """Which way is better, in words."""
    sentence: str
    """What changed, in words: the same as the chart says."""
    rows: tuple[ScoreRow, ...]
    """Oldest first."""
    chart: Markup | None
    """Inline SVG, with two or more scores."""


@dataclass(frozen=True)
class ReachedGoal:
    """A goal marked `done:` in the profile."""

    text: str
    done: date


@dataclass(frozen=True)
class Progress:
    """Everything "My progress" shows; empty when there are no scores and no reached goals."""

    measures: tuple[MeasureProgress, ...] = ()
    reached: tuple[ReachedGoal, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.measures or self.reached)


def progress_for(
    person: Profile, vocabulary: Vocabulary, language: str, fallback: str, strings: Mapping[str, str]
) -> Progress:
    """The person's progress in `language` (labels missing there come from `fallback`)."""
    large = "large_print" in person.format
    measures = []
    for measure_id, measure in vocabulary.measures.items():
        scores = sorted(person.measures.get(measure_id, ()), key=lambda s: s.date)
        if scores:
            measures.append(measure_progress(measure, scores, language, fallback, strings, large=large))
    reached = tuple(
        ReachedGoal(goal.text, goal.done)
        for goal in sorted(person.goals, key=lambda g: g.done or date.min)
        if goal.done
    )
    return Progress(tuple(measures), reached)


def measure_progress(
    measure: Measure,
    scores: Sequence[Score],
    language: str,
    fallback: str,
    strings: Mapping[str, str],
    *,
    large: bool = False,
) -> MeasureProgress:
    """Sentence, table and chart for one measure; `scores` oldest first."""

    def label(labels: Mapping[str, str]) -> str:
        return labels.get(language) or labels.get(fallback) or next(iter(labels.values()))

    def band(score: int) -> str:
        found = measure.band_of(score)
        return label(found.labels) if found else ""

    title = label(measure.labels)
    better = strings[f"progress_better_{measure.better}"]
    first, last = scores[0], scores[-1]
    words = {
        "measure": title,
        "first": str(first.score),
        "first_band": lower_first(band(first.score)),
        "last": str(last.score),
        "last_band": lower_first(band(last.score)),
        "since": format_skeleton("yMMMM", first.date, locale=language),
        "last_date": format_skeleton("yMMMMd", last.date, locale=language),
        "better": better,
    }
    if len(scores) == 1:
        key = "progress_one"
    elif first.score == last.score:
        key = "progress_same"
    else:
        key = "progress_changed"
    sentence = fill(strings[key], words)
    rows = tuple(ScoreRow(s.date, s.score, band(s.score)) for s in scores)
    chart = None
    if len(scores) >= 2:
        svg = chart_svg(
            measure,
            tuple((s.date, s.score) for s in scores),
            tuple(label(b.labels) for b in measure.bands),
            language,
            strings[f"progress_axis_{measure.better}"],
            large=large,
        )
        chart = Markup(svg.replace("<svg ", f'<svg aria-labelledby="progress-{measure.id}-sentence" ', 1))
    return MeasureProgress(measure.id, title, better, sentence, rows, chart)


class _Kept(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, words: Mapping[str, str]) -> str:
    """A UI string with its {placeholders} filled; one a theme misspelt stays as written."""
    try:
        return template.format_map(_Kept(words))
    except (ValueError, IndexError, AttributeError):
        return template


def lower_first(text: str) -> str:
    """'Moderately severe' -> 'moderately severe' inside a sentence; 'PHQ-9' stays as it is."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


@functools.cache
def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's Figure and SVG canvas, imported once and only when a chart is drawn."""
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import font_manager
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    from ..project.theme import font_dir

    for path in sorted(font_dir().glob("*.ttf")):
        font_manager.fontManager.addfont(str(path))
    return Figure, FigureCanvasSVG


def chart_svg(
    measure: Measure,
    points: tuple[tuple[date, int], ...],
    band_labels: tuple[str, ...],
    language: str,
    axis_label: str,
    *,
    large: bool = False,
) -> str:
    """The chart as an inline <svg> element: bands shaded, one point per score, each labelled."""
    return _chart_svg(measure.id, measure.low, measure.high, measure.better,
                      tuple((b.low, b.high) for b in measure.bands), points, band_labels,
                      language, axis_label, large)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _chart_svg(
    measure_id: str,
    low: int,
    high: int,
    better: str,
    spans: tuple[tuple[int, int], ...],
    points: tuple[tuple[date, int], ...],
    band_labels: tuple[str, ...],
    language: str,
    axis_label: str,
    large: bool,
) -> str:
    import matplotlib

    figure_class, canvas_class = _matplotlib()
    size = 13.0 if large else 11.0
    settings: Any = {
        "svg.hashsalt": f"guidegen-{measure_id}",  # ids in the SVG are the same on every build
        "svg.fonttype": "none",  # text stays text: it scales, reads aloud and is found by search
        "font.family": [FONT, "DejaVu Sans"],
        "font.size": size,
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(settings):
        # Small figures, so that text is large where CSS scales the chart to a phone's width.
        figure = figure_class(figsize=(4.2, 3.3) if large else (4.4, 3.0))
        canvas_class(figure)
        figure.patch.set_alpha(0)
        axes = figure.add_axes(AXES)
        axes.patch.set_alpha(0)
        days = [(day - points[0][0]).days for day, _ in points]
        span_days = max(days[-1], 1)
        pad = span_days * 0.08
        axes.set_xlim(-pad, span_days + pad)
        axes.set_ylim(low - 0.5, high + 0.5)
        count = len(spans)
        for index, (band_low, band_high) in enumerate(spans):
            # Darker towards the worse end of the scale, whichever end that is.
            worse = index if better == "lower" else count - 1 - index
            alpha = 0.05 + 0.2 * worse / max(count - 1, 1)
            axes.axhspan(band_low - 0.5, band_high + 0.5, color=INK, alpha=alpha, linewidth=0)
        _label_bands(axes, spans, band_labels, low, high, size, figure)
        width = 3.5 if large else 2.5
        axes.plot(days, [score for _, score in points], color=INK, linewidth=width, marker="o",
                  markersize=width * 3, clip_on=False)  # fmt: skip
        for x, (_, score) in zip(days, points, strict=True):
            axes.annotate(str(score), (x, score), xytext=(0, size * 0.7), textcoords="offset points",
                          ha="center", va="bottom", color=INK, fontweight="bold", annotation_clip=False)  # fmt: skip
        axes.set_xticks(_ticks(days))
        skeleton = "yMMM" if points[-1][0].year != points[0][0].year and len(points) > 3 else "MMMd"
        axes.set_xticklabels([format_skeleton(skeleton, points[days.index(x)][0], locale=language)
                              for x in _ticks(days)])  # fmt: skip
        axes.set_yticks(sorted({low, high, *(band_low for band_low, _ in spans)}))
        axes.set_ylabel(axis_label, color=INK)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            axes.spines[side].set_color(INK)
        axes.tick_params(colors=INK, labelcolor=INK, length=4)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue(), f"chart-{measure_id}-")


def _ticks(days: list[int]) -> list[int]:
    """At most six date labels, spread evenly, always the first and the last."""
    if len(days) <= 6:
        return days
    return sorted({days[round(i * (len(days) - 1) / 5)] for i in range(6)})


def _label_bands(
    axes: Any,
    spans: tuple[tuple[int, int], ...],
    labels: tuple[str, ...],
    low: int,
    high: int,
    size: float,
    figure: Any,
) -> None:
    """Band names to the right of the chart, leaving out any that would overlap (the table has them all)."""
    height_points = figure.get_figheight() * 72 * AXES[3]
    per_unit = height_points / (high - low + 1)
    last_top = -1e9
    for (band_low, band_high), label in zip(spans, labels, strict=True):
        text = textwrap.fill(label, 11, break_long_words=False)
        half = (text.count("\n") + 1) * size * 0.55
        centre = (band_low + band_high) / 2
        position = (centre - low + 0.5) * per_unit
        if position - half < last_top:
            continue
        axes.text(1.03, centre, text, transform=axes.get_yaxis_transform(), ha="left", va="center",
                  color=INK, fontsize=size * 0.9, linespacing=1.1)  # fmt: skip
        last_top = position + half


_PROLOGUE = re.compile(r"\A.*?(?=<svg )", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_GLOBAL_STYLE = re.compile(r"\s*<defs>\s*<style[^>]*>.*?</style>\s*</defs>", re.S)
_ID = re.compile(r'( id="|href="#|url\(#)')
_STYLE = re.compile(r' style="([^"]*)"')
_SIZE = re.compile(r' (width|height)="[0-9.]+pt"')


def _presentation_attributes(match: re.Match[str]) -> str:
    """style="fill: none; stroke-width: 2" -> fill="none" stroke-width="2": the same drawing,
    without CSS in style attributes, which an HTML page's CSS (and WeasyPrint) would read as its own."""
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def _inline(svg: str, prefix: str) -> str:
    """matplotlib's SVG file as an element to put inside HTML: no XML prologue, metadata or
    page-wide style; presentation attributes; ids unique on the page; sized by CSS; drawn in
    currentColor."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _ID.sub(lambda m: f"{m.group(1)}{prefix}", svg)
    svg = _METADATA.sub("", svg, count=1)
    svg = _GLOBAL_STYLE.sub("", svg, count=1)
    svg = _STYLE.sub(_presentation_attributes, svg)
    head, rest = svg.split(">", 1)
    head = _SIZE.sub("", head).replace("<svg ", '<svg class="progress-chart" role="img" focusable="false" ', 1)
    return (head + ">" + rest).replace(INK, "currentColor").strip()
