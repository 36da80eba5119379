"""The build, top to bottom: load settings, vocabulary, modules, theme; then for each person
select, personalise, render Markdown, render HTML, render PDF, and write.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .content import Module, load_modules, modules_by_section
from .errors import GuidegenError, InvalidInput, Problem, UsageError
from .html import Guide, GuideModule, GuideSection, render_print, render_web, term_labels
from .markdown import lint_markdown, render_markdown
from .personalise import TemplateProblem, personalise
from .profiles import ID_PATTERN, LoadedProfile, load_profiles, profile_paths
from .select import select_modules
from .settings import Settings, load_settings
from .theme import TEMPLATES_DIR, Theme, load_theme
from .vocabulary import Vocabulary, load_vocabulary

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@dataclass(frozen=True)
class Project:
    """Everything shared by all guides, loaded and checked once per build."""

    root: Path
    settings: Settings
    vocabulary: Vocabulary
    modules: tuple[Module, ...]
    theme: Theme

    @property
    def templates_dir(self) -> Path:
        """The project's own templates/ folder (it may not exist)."""
        return self.root / TEMPLATES_DIR


@dataclass
class BuildReport:
    """What a build did, for the final line and the exit status."""

    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        """How many profiles or guides could not be built."""
        return len({p.path for p in self.problems if p.severity == "error"})


def load_project(root: Path) -> Project:
    """Load and check the shared inputs; any problem stops the build before anything is written."""
    settings = load_settings(root)
    problems: list[Problem] = []
    try:
        vocabulary = load_vocabulary(root, settings)
    except InvalidInput as error:
        raise InvalidInput(error.problems) from None
    try:
        theme = load_theme(root, settings)
    except InvalidInput as error:
        problems.extend(error.problems)
        theme = None
    try:
        modules = load_modules(root, settings, vocabulary)
    except InvalidInput as error:
        problems.extend(error.problems)
        modules = []
    if theme is not None:
        for module in modules:
            for text in module.texts.values():
                for found in lint_markdown(text.source, theme.asset_exists):
                    problem = Problem(text.where, found.line, found.message)
                    if problem not in problems:
                        problems.append(problem)
    if problems or theme is None:
        raise InvalidInput(problems)
    return Project(root, settings, vocabulary, tuple(modules), theme)


def guide_date(person_reviews: Sequence[date]) -> date:
    """The date on the cover: SOURCE_DATE_EPOCH, else the latest review, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    if person_reviews:
        return max(person_reviews)
    return date.today()


def make_guide(project: Project, loaded: LoadedProfile) -> Guide:
    """Select, personalise and render the modules for one person."""
    person = loaded.profile
    language = person.language or project.settings.default_language
    strings = project.theme.strings[language]
    view = person.template_view()
    sections = []
    selected = select_modules(person, project.modules)
    for section_id, modules in modules_by_section(selected).items():
        rendered = []
        for module in modules:
            text, untranslated = module.text_for(language)
            lines = text.source.split("\n")
            try:
                personalised = personalise(text.template, lines, text.where, view)
            except TemplateProblem as error:
                raise InvalidInput(
                    [Problem(text.where, error.line, f"{error.message} (building guide {person.id})")]
                ) from None
            body = render_markdown(personalised.markdown, module=module.id, person=view, strings=strings)
            rendered.append(
                GuideModule(
                    module.id, text.title, text.summary, Markup(personalised.fill(body)), untranslated, text.language
                )
            )
        title = strings.get(f"section.{section_id}", section_id.replace("-", " ").capitalize())
        sections.append(GuideSection(section_id, title, tuple(rendered)))
    made = guide_date([entry.date for entry in person.review.history])
    terms = term_labels(person, project.vocabulary, project.settings.default_language)
    return Guide(person, language, made, tuple(sections), strings, terms)


def render_guide(
    project: Project,
    loaded: LoadedProfile,
    *,
    html: bool,
    pdf: bool,
    env: jinja2.Environment | None = None,
    cache: dict[str, Any] | None = None,
) -> dict[str, bytes]:
    """All output files of one guide, in memory; nothing is written here."""
    guide = make_guide(project, loaded)
    env = env or project.theme.page_environment()
    files: dict[str, bytes] = {}
    try:
        if html:
            files["index.html"] = render_web(guide, project.settings, project.theme, env).encode()
        if pdf:
            from .pdf import write_pdf  # WeasyPrint takes a second to import: only when asked

            print_html = render_print(guide, project.settings, project.theme, env)
            files["guide.pdf"] = write_pdf(print_html, project.theme, project.templates_dir, cache=cache)
    except jinja2.TemplateError as error:
        name = getattr(error, "filename", None) or getattr(error, "name", None) or "templates"
        raise InvalidInput(
            [
                Problem(
                    str(name),
                    getattr(error, "lineno", None),
                    f"page template error: {type(error).__name__} (building guide {loaded.profile.id})",
                )
            ]
        ) from None
    return files


def write_atomic(path: Path, data: bytes) -> bool:
    """Write through a temporary file in the same folder, then rename; False when unchanged."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o666 & ~_UMASK)  # readable like any other file, not 0600
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return True


def write_shared_files(project: Project, out: Path) -> None:
    """Assets shared by all guides, and a robots.txt that keeps guides out of search engines."""
    for relative, source in sorted(project.theme.assets.items()):
        write_atomic(out / "assets" / relative, source.read_bytes())
    write_atomic(out / "robots.txt", ROBOTS_TXT.encode())


def output_dir(project: Project, out: str | Path | None) -> Path:
    """Where guides go: --out, else `output` from guidegen.yaml, relative to the project."""
    return Path(out) if out is not None else project.root / project.settings.output


def build(
    root: Path,
    ids: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    html: bool = True,
    pdf: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build the guides named by `ids` (all when empty); see BuildReport for the outcome."""
    started = time.perf_counter()
    if not html and not pdf:
        raise UsageError("--no-html and --no-pdf together leave nothing to build")
    for wanted in ids:
        if not ID_PATTERN.match(wanted):
            raise UsageError(f"'{wanted}' is not a profile id (lowercase letters, digits and -)")
    project = load_project(root)
    known = {p.stem for p in profile_paths(root)}
    missing = [i for i in ids if i not in known]
    if missing:
        raise UsageError(f"no profile with id {', '.join(missing)} in profiles/")
    destination = output_dir(project, out)
    report = BuildReport()
    write_shared_files(project, destination)
    env = project.theme.page_environment()
    cache: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for loaded, problems in load_profiles(root, project.settings, project.vocabulary, ids):
        if loaded is None:
            report.problems.extend(problems)
            continue
        if loaded.profile.id in seen:
            report.problems.append(Problem(loaded.where, None, f"id: the same id is used by {seen[loaded.profile.id]}"))
            continue
        seen[loaded.profile.id] = loaded.where
        try:
            files = render_guide(project, loaded, html=html, pdf=pdf, env=env, cache=cache)
        except GuidegenError as error:
            report.problems.extend(
                getattr(error, "problems", ()) or [Problem(loaded.where, None, f"guide not built: {error}")]
            )
            continue
        changed = [write_atomic(destination / loaded.profile.id / name, data) for name, data in files.items()]
        (report.built if any(changed) else report.unchanged).append(loaded.profile.id)
        if on_progress:
            on_progress(loaded.profile.id)
    report.seconds = time.perf_counter() - started
    return report


def iter_guides(project: Project, ids: Iterable[str] = ()) -> Iterable[LoadedProfile]:
    """Valid profiles, for commands that only read (explain, check)."""
    for loaded, _ in load_profiles(project.root, project.settings, project.vocabulary, tuple(ids)):
        if loaded is not None:
            yield loaded
