"""`guidegen check`: every problem in settings, vocabulary, modules and profiles in one run,
plus the editors' warnings: hard reading, old reviews, missing sources, modules nobody gets,
and translations that drifted from their original.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import InvalidInput, Problem, Problems
from .guide.assemble import make_guide, render_module
from .project.content import Module, ModuleText, section_titles
from .project.glossary import check_module_text, check_strings, check_vocabulary, load_glossaries
from .project.load import Project
from .project.profile_parts import RECENT_OVERDOSE_DAYS
from .project.profiles import LoadedProfile, Profile, load_profiles
from .project.rules import select_modules
from .project.settings import Settings, load_settings
from .project.shared import SharedFrontMatter
from .project.vocabulary import Vocabulary, load_vocabulary
from .project.yamlfile import read_yaml
from .text.formal import ALTERNATION, choose, has_formal, tu_leftovers
from .text.markdown import html_to_text, shared_references, worksheet_shape
from .text.readability import reading_score
from .text.repeats import REPEAT_CHARS, find_repeats
from .web.themecheck import load_checked_project

SAMPLE_PERSON = Profile(id="sample", name="Sam")
"""Stands in for a reader when no example profile selects a module."""


@dataclass
class CheckReport:
    """Problems and reading scores from one run of `check`."""

    problems: Problems = field(default_factory=Problems)
    grades: dict[str, float] = field(default_factory=dict)
    """Reading score per module file (FK grade for English, Fernández-Huerta ease for Spanish)."""

    @property
    def errors(self) -> list[Problem]:
        """Only the errors."""
        return self.problems.errors

    @property
    def warnings(self) -> list[Problem]:
        """Only the warnings."""
        return self.problems.warnings

    @property
    def reminders(self) -> list[Problem]:
        """Only the reminders (overdue reviews, old overdoses): the calendar, not a defect."""
        return self.problems.reminders


def check(root: Path, today: date | None = None) -> CheckReport:
    """Validate the whole project; never stops at the first problem."""
    report = CheckReport()
    try:
        project = load_checked_project(root)
    except InvalidInput as error:
        report.problems.extend(error.problems)
        _check_profiles_alone(root, report)
        return report
    today = today or date.today()
    profiles = _check_profiles(root, project.settings, project.vocabulary, report)
    report.problems.extend(overdue_reviews(profiles, today))
    report.problems.extend(old_overdoses(profiles, today))
    selected_by: dict[str, list[LoadedProfile]] = {m.id: [] for m in project.modules}
    for loaded in profiles:
        for module in select_modules(loaded.profile, project.modules):
            selected_by[module.id].append(loaded)
        try:
            make_guide(project, loaded.profile)
        except InvalidInput as error:
            report.problems.extend(error.problems)
    for module in project.modules:
        _check_module(project, module, selected_by[module.id], today, report)
    _check_shared_blocks(project, today, report)
    report.problems.extend(repeated_passages(project))
    _check_glossaries(project, report)
    report.problems.sort()
    return report


def _check_glossaries(project: Project, report: CheckReport) -> None:
    """Each language's glossary against that language's modules, shared blocks and vocabulary labels."""
    glossaries, problems = load_glossaries(project.root, project.settings)
    report.problems.extend(problems)
    for language, glossary in glossaries.items():
        report.problems.extend(check_vocabulary(glossary, project.vocabulary))
        report.problems.extend(check_strings(glossary, project.root, project.theme.dirs))
        files = [(t.path, t.where) for m in project.modules for t in m.texts.values() if t.language == language]
        files += [
            (t.path, t.where) for b in project.blocks.values() for t in b.texts.values() if t.language == language
        ]
        for path, where in files:
            report.problems.extend(check_module_text(glossary, path, where))


def overdue_reviews(profiles: list[LoadedProfile], today: date) -> list[Problem]:
    """A reminder for each profile whose next review date has passed (the file names the id).

    A reminder, not a warning: the calendar moving on is not a defect, so `check --strict` (run by
    editors and CI on content) does not fail on it; `guidegen reviews --overdue` lists them for staff."""
    found = []
    for loaded in profiles:
        next_review = loaded.profile.review.next
        if next_review is not None and next_review < today:
            document, _ = read_yaml(loaded.path)
            line = document.line(("review", "next")) if document else None
            message = "review.next: this review is overdue: review the plan with the person and set a new date"
            found.append(Problem(loaded.where, line, message, "reminder"))
    return found


def old_overdoses(profiles: list[LoadedProfile], today: date) -> list[Problem]:
    """A reminder for each profile whose recent overdose is more than RECENT_OVERDOSE_DAYS ago: the
    guide still speaks of it as recent (a reminder, as the calendar moving on is not a defect)."""
    found = []
    for loaded in profiles:
        day = loaded.profile.risk.recent_overdose if loaded.profile.risk else None
        if day is not None and (today - day).days > RECENT_OVERDOSE_DAYS:
            document, _ = read_yaml(loaded.path)
            line = document.line(("risk", "recent_overdose")) if document else None
            message = (
                f"risk.recent_overdose: more than {RECENT_OVERDOSE_DAYS} days ago, and the guide still speaks of "
                "a recent overdose: at the next review, update the date or remove it"
            )
            found.append(Problem(loaded.where, line, message, "reminder"))
    return found


def _check_profiles_alone(root: Path, report: CheckReport) -> None:
    """When modules or the theme are broken, still check profiles against settings and vocabulary."""
    try:
        settings = load_settings(root)
        vocabulary = load_vocabulary(root, settings)
    except InvalidInput:
        return  # already reported by load_checked_project
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


def _check_module(
    project: Project, module: Module, readers: list[LoadedProfile], today: date, report: CheckReport
) -> None:
    original = module.original
    if not readers:
        report.problems.warn(
            original.where,
            None,
            "no example profile gets this module: check its `when` rule, or add a profile that needs it",
        )
    _check_review(project, module, original.where, today, report)
    for language in project.settings.languages:
        if language not in module.texts:
            report.problems.warn(
                original.where,
                None,
                f"no translation in '{language}': readers of that language get the original (add {module.id}.{language}.md)",
            )
    person = readers[0].profile if readers else SAMPLE_PERSON
    for language, text in module.texts.items():
        if text is not original:
            _compare_translation(original, text, report)
        words = _rendered_text(project, module, text, person.model_copy(update={"language": language}))
        if words is not None and words.strip():
            _check_reading(project, text, reading_score(words, language), report)
        if text.says_usted:
            _check_usted(
                project, module, text, person.model_copy(update={"language": language, "formal": True}), report
            )
        _check_tu_leftovers(
            text.where, text.language, (text.source, text.front_matter.title, text.front_matter.summary), report
        )


def _check_review(
    project: Project, module: Module | SharedFrontMatter, where: str, today: date, report: CheckReport
) -> None:
    """A clinical review that is missing, old, or says nobody; no sources."""
    limit = project.settings.check.review_age_days
    if module.reviewed is None:
        report.problems.warn(where, None, "no `reviewed:` date: add the date of the last clinical review")
    elif (today - module.reviewed).days > limit:
        days = (today - module.reviewed).days
        report.problems.warn(
            where, None, f"last reviewed {days} days ago (limit {limit}): review it and update `reviewed:`"
        )
    if module.reviewed_by is None:
        report.problems.warn(where, None, "no `reviewed_by:`: name who did the clinical review (a person or a team)")
    if not module.sources:
        report.problems.warn(where, None, "no `sources:`: name the public guidance this module follows")


def _check_shared_blocks(project: Project, today: date, report: CheckReport) -> None:
    """Each shared block: its review and sources, a translation in every site language that keeps
    the original's front matter, and at least one module that includes it."""
    included = {
        block_id for m in project.modules for t in m.texts.values() for _, block_id in shared_references(t.source)
    }
    for block in project.blocks.values():
        original = block.original
        _check_review(project, original.front_matter, original.where, today, report)
        if block.id not in included:
            report.problems.warn(
                original.where,
                None,
                f"no module includes this shared block: add `::: shared {block.id}` where it belongs, or remove it",
            )
        for language in project.settings.languages:
            if language not in block.texts:
                report.problems.warn(
                    original.where,
                    None,
                    f"no translation in '{language}': readers of that language get this block in the original (add {block.id}.{language}.md)",
                )
        for text in block.texts.values():
            _check_tu_leftovers(text.where, text.language, (text.source,), report)
            for key in ("when", "reviewed", "reviewed_by", "sources"):
                if text is not original and getattr(text.front_matter, key) != getattr(original.front_matter, key):
                    report.problems.warn(
                        text.where,
                        None,
                        f"`{key}` differs from {original.where}: a translation keeps the original's {key}",
                    )


def repeated_passages(project: Project) -> list[Problem]:
    """A warning on both files for each passage of 200 characters or more that two modules (or a
    module and a shared block) say word for word; a module's translations are not compared with it.
    Texts are compared as most readers read them (the tú form of a ((tú|usted)) alternation)."""
    texts = [(t.where, choose(t.source, False)) for m in project.modules for t in m.texts.values()]
    texts += [(t.where, choose(t.source, False)) for b in project.blocks.values() for t in b.texts.values()]
    owner = {t.where: m.id for m in project.modules for t in m.texts.values()}
    owner.update({t.where: f"_shared/{b.id}" for b in project.blocks.values() for t in b.texts.values()})
    problems = []
    for repeat in find_repeats(texts, REPEAT_CHARS):
        if owner[repeat.first] == owner[repeat.second]:
            continue
        for here, lines, there, other in (
            (repeat.first, repeat.first_lines, repeat.second, repeat.second_lines),
            (repeat.second, repeat.second_lines, repeat.first, repeat.first_lines),
        ):
            problems.append(
                Problem(
                    here,
                    lines[0],
                    f"lines {lines[0]}-{lines[1]} repeat {there}:{other[0]}-{other[1]} word for word ({repeat.chars} characters): "
                    "write it once in content/_shared/ and include it in both with `::: shared <id>`",
                    "warning",
                )
            )
    return problems


def _check_reading(project: Project, text: ModuleText, score: float, report: CheckReport) -> None:
    """Hard reading: a grade above the limit (English), a reading ease below it (Spanish)."""
    limits = project.settings.check
    report.grades[text.where] = score
    if text.language == "es" and score < limits.min_reading_ease_es:
        report.problems.warn(
            text.where,
            None,
            f"hard to read: Fernández-Huerta reading ease {score:.1f} (lowest allowed {limits.min_reading_ease_es:g}); use shorter sentences and words",
        )
    elif text.language != "es" and score > limits.max_grade:
        report.problems.warn(
            text.where,
            None,
            f"hard to read: grade {score:.1f} (limit {limits.max_grade:g}); use shorter sentences and words",
        )


def _rendered_text(project: Project, module: Module, text: ModuleText, person: Profile) -> str | None:
    strings = project.theme.strings[text.language]
    try:
        titles = section_titles(project.settings.sections, strings)
        rendered = render_module(module, text.language, person.template_view(), strings, titles)
    except InvalidInput:
        return None  # already reported by the guide check
    return f"{text.title}.\n{text.summary}\n{html_to_text(rendered.html)}"


def _check_usted(project: Project, module: Module, text: ModuleText, person: Profile, report: CheckReport) -> None:
    """A text with ((tú|usted)) alternations renders in its usted form too, for a `formal: true` reader."""
    strings = project.theme.strings_for(text.language, True)
    try:
        render_module(
            module, text.language, person.template_view(), strings, section_titles(project.settings.sections, strings)
        )
    except InvalidInput as error:
        report.problems.extend(p.adding("in the usted form") for p in error.problems)


def _check_tu_leftovers(where: str, language: str, texts: tuple[str, ...], report: CheckReport) -> None:
    """A Spanish text's words that still speak as tú in its usted form (text/formal.py): a formal
    reader would read them. The body by line; the title and summary without one. A text with no
    alternation at all gets one warning, not one per word: it was written for tú readers only."""
    if not has_formal(language):
        return
    if not any(ALTERNATION.search(text) for text in texts):
        found = tu_leftovers(texts[0])
        if found:
            report.problems.warn(
                where,
                found[0][0],
                f"speaks to the reader as tú ({len(found)} words, the first '{found[0][1]}') with no ((tú|usted)) "
                "alternation, so a reader with `formal: true` reads it in tú: give the usted form of each (docs/modules.md)",
            )
        return
    for number, text in enumerate(texts):
        for line, word in tu_leftovers(text):
            report.problems.warn(
                where,
                line if number == 0 else None,
                f"'{word}' speaks to the reader as tú outside a ((tú|usted)) alternation, so a reader "
                f"with `formal: true` reads it too: write (({word}|<usted form>))"
                + ("" if number == 0 else f" in the {('title', 'summary')[number - 1]}"),
            )


def _compare_translation(original: ModuleText, translation: ModuleText, report: CheckReport) -> None:
    a, b = original.front_matter, translation.front_matter
    for key in ("order", "when", "relevant_when", "helps_with", "priority", "reviewed", "reviewed_by", "sources"):
        if getattr(a, key) != getattr(b, key):
            report.problems.warn(
                translation.where,
                None,
                f"`{key}` differs from {original.where}: a translation keeps the original's {key}",
            )
    if worksheet_shape(original.source) != worksheet_shape(translation.source):
        report.problems.warn(
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
