""" "My progress": scores over time on the vocabulary's measures, and the goals a person reached.

For each measure with scores the guide says in one sentence what changed and which way is
better, gives a table with the same numbers (for screen readers and paper) and, with two or
more scores, a chart (`chart.py`: an SVG drawn directly, in currentColor, the same bytes for the
same scores). A measure that counts days (`unit: days`) speaks of days, not of a score.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from ..project.profile_parts import Score
from ..project.profiles import Profile
from ..project.vocabulary import Measure, Vocabulary
from . import chart


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
    unit: str = "score"
    """"score", or "days" for a count of days: what the table's number column is called."""


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
    days = "_days" if measure.unit == "days" else ""
    better = strings[f"progress_better_{measure.better}{days}"]
    first, last = scores[0], scores[-1]
    words = {
        "measure": title,
        "first": str(first.score),
        "first_band": lower_first(band(first.score)),
        "last": str(last.score),
        "last_band": lower_first(band(last.score)),
        "since": day_as("yMMMM", first.date, language),
        "last_date": day_as("yMMMMd", last.date, language),
        "better": better,
    }
    if len(scores) == 1:
        key = "progress_one"
    elif first.score == last.score:
        key = "progress_same"
    else:
        key = "progress_changed"
    sentence = fill(strings[key + days], words)
    rows = tuple(ScoreRow(s.date, s.score, band(s.score)) for s in scores)
    drawn = None
    if len(scores) >= 2:
        svg = chart_svg(
            measure,
            tuple((s.date, s.score) for s in scores),
            tuple(label(b.labels) for b in measure.bands),
            language,
            strings[f"progress_axis_{measure.better}{days}"],
            large=large,
        )
        drawn = Markup(svg.replace("<svg ", f'<svg aria-labelledby="progress-{measure.id}-sentence" ', 1))
    return MeasureProgress(measure.id, title, better, sentence, rows, drawn, measure.unit)


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
    first = points[0][0]
    skeleton = "yMMM" if points[-1][0].year != first.year and len(points) > 3 else "MMMd"
    return chart.chart_svg(
        low=measure.low,
        high=measure.high,
        better=measure.better,
        bands=[chart.Band(b.low, b.high, name) for b, name in zip(measure.bands, band_labels, strict=True)],
        points=[((day - first).days, score) for day, score in points],
        dates=[day_as(skeleton, day, language) for day, _ in points],
        caption=axis_label,
        large=large,
    )


@functools.lru_cache(maxsize=4096)
def day_as(skeleton: str, day: date, language: str) -> str:
    """A day in a babel skeleton and language, once per process (charts label every score)."""
    from babel.dates import format_skeleton  # babel's locale data: only when a guide has scores

    return str(format_skeleton(skeleton, day, locale=language))
