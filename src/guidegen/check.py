"""`guidegen check`: every problem in settings, vocabulary, modules and profiles in one run,
plus the editors' warnings: hard reading, old reviews, missing sources, modules nobody gets,
and translations that drifted from their original.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .build import Project, load_project, make_guide
from .content import Module, ModuleText
from .errors import InvalidInput, Problem
from .markdown import _LINT, html_to_text, render_markdown
from .personalise import TemplateProblem, personalise
from .profiles import LoadedProfile, Profile, load_profiles
from .readability import reading_score
from .select import select_modules
from .settings import Settings, load_settings
from .vocabulary import Vocabulary, load_vocabulary

SAMPLE_PERSON = Profile(id="sample", name="Sam")
"""Stands in for a reader when no example profile selects a module."""


@dataclass
class CheckReport:
    """Problems and reading scores from one run of `check`."""

    problems: list[Problem] = field(default_factory=list)
    grades: dict[str, float] = field(default_factory=dict)
    """Reading score per module file (FK grade for English, Fernández-Huerta ease for Spanish)."""

    @property
    def errors(self) -> list[Problem]:
        """Only the errors."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Only the warnings."""
        return [p for p in self.problems if p.severity == "warning"]


def check(root: Path, today: date | None = None) -> CheckReport:
    """Validate the whole project; never stops at the first problem."""
    report = CheckReport()
    try:
        project = load_project(root)
    except InvalidInput as error:
        report.problems.extend(error.problems)
        _check_profiles_alone(root, report)
        return report
    today = today or date.today()
    profiles = _check_profiles(root, project.settings, project.vocabulary, report)
    selected_by: dict[str, list[LoadedProfile]] = {m.id: [] for m in project.modules}
    for loaded in profiles:
        for module in select_modules(loaded.profile, project.modules):
            selected_by[module.id].append(loaded)
        try:
            make_guide(project, loaded)
        except InvalidInput as error:
            for problem in error.problems:
                if problem not in report.problems:
                    report.problems.append(problem)
    for module in project.modules:
        _check_module(project, module, selected_by[module.id], today, report)
    report.problems.sort(key=lambda p: (p.severity != "error", p.path, p.line or 0))
    return report


def _check_profiles_alone(root: Path, report: CheckReport) -> None:
    """When modules or the theme are broken, still check profiles against settings and vocabulary."""
    try:
        settings = load_settings(root)
        vocabulary = load_vocabulary(root, settings)
    except InvalidInput:
        return  # already reported by load_project
    _check_profiles(root, settings, vocabulary, report)


def _check_profiles(root: Path, settings: Settings, vocabulary: Vocabulary, report: CheckReport) -> list[LoadedProfile]:
    loaded_profiles = []
    seen: dict[str, str] = {}
    for loaded, problems in load_profiles(root, settings, vocabulary):
        report.problems.extend(problems)
        if loaded is None:
            continue
        if loaded.profile.id in seen:
            report.problems.append(Problem(loaded.where, None, f"id: the same id is used by {seen[loaded.profile.id]}"))
            continue
        seen[loaded.profile.id] = loaded.where
        loaded_profiles.append(loaded)
    return loaded_profiles


def _warn(report: CheckReport, where: str, line: int | None, message: str) -> None:
    report.problems.append(Problem(where, line, message, "warning"))


def _check_module(
    project: Project, module: Module, readers: list[LoadedProfile], today: date, report: CheckReport
) -> None:
    original = module.original
    limits = project.settings.check
    if not readers:
        _warn(
            report,
            original.where,
            None,
            "no example profile gets this module: check its `when` rule, or add a profile that needs it",
        )
    if module.reviewed is None:
        _warn(report, original.where, None, "no `reviewed:` date: add the date of the last clinical review")
    elif (today - module.reviewed).days > limits.review_age_days:
        _warn(
            report,
            original.where,
            None,
            f"last reviewed {(today - module.reviewed).days} days ago (limit {limits.review_age_days}): review it and update `reviewed:`",
        )
    if not module.sources:
        _warn(report, original.where, None, "no `sources:`: name the public guidance this module follows")
    person = readers[0].profile if readers else SAMPLE_PERSON
    for language, text in module.texts.items():
        if text is not original:
            _compare_translation(original, text, report)
        words = _rendered_text(project, module, text, person.model_copy(update={"language": language}))
        if words is None or not words.strip():
            continue
        score = reading_score(words, language)
        report.grades[text.where] = score
        if language == "es" and score < limits.min_reading_ease_es:
            _warn(
                report,
                text.where,
                None,
                f"hard to read: Fernández-Huerta reading ease {score:.1f} (lowest allowed {limits.min_reading_ease_es:g}); use shorter sentences and words",
            )
        elif language != "es" and score > limits.max_grade:
            _warn(
                report,
                text.where,
                None,
                f"hard to read: grade {score:.1f} (limit {limits.max_grade:g}); use shorter sentences and words",
            )


def _rendered_text(project: Project, module: Module, text: ModuleText, person: Profile) -> str | None:
    view = person.template_view()
    try:
        personalised = personalise(text.template, text.source.split("\n"), text.where, view)
    except TemplateProblem:
        return None  # already reported by the guide check
    strings = project.theme.strings[text.language]
    body = personalised.fill(render_markdown(personalised.markdown, module=module.id, person=view, strings=strings))
    return f"{text.title}.\n{text.front_matter.summary}\n{html_to_text(body)}"


def worksheet_shape(source: str) -> list[list[str]]:
    """Each worksheet as the list of its prompts' {fill= lines=} settings."""
    shapes: list[list[str]] = []
    inside = 0
    for token in _LINT.parse(source):
        if token.type == "container_worksheet_open":
            inside += 1
            shapes.append([])
        elif token.type == "container_worksheet_close":
            inside -= 1
        elif inside and token.type == "list_item_open":
            shapes[-1].append("")
        elif inside and token.type == "inline" and shapes and shapes[-1]:
            shapes[-1][-1] = " ".join(sorted(token.meta.get("directive", "").split()))
    return shapes


def _compare_translation(original: ModuleText, translation: ModuleText, report: CheckReport) -> None:
    a, b = original.front_matter, translation.front_matter
    for key in ("order", "when", "priority", "reviewed", "sources"):
        if getattr(a, key) != getattr(b, key):
            _warn(
                report,
                translation.where,
                None,
                f"`{key}` differs from {original.where}: a translation keeps the original's {key}",
            )
    if worksheet_shape(original.source) != worksheet_shape(translation.source):
        _warn(
            report,
            translation.where,
            None,
            f"worksheets differ from {original.where}: keep the same worksheets, prompts and fill= settings",
        )


def grade_summary(report: CheckReport) -> tuple[float, float] | None:
    """Median and highest English reading grade."""
    grades = [g for path, g in report.grades.items() if not path.endswith(".es.md")]
    if not grades:
        return None
    return statistics.median(grades), max(grades)
