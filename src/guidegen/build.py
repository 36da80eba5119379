"""The build, top to bottom: load the project; then for each person select, personalise, render
Markdown, render HTML, render PDF, and write; then record what was built.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from .content import CONTENT_DIR
from .errors import GuidegenError, InvalidInput, Problem, UsageError, display_path
from .guide import make_guide
from .output import Writer
from .pages import render_print, render_web
from .pool import Jobs
from .profiles import LoadedProfile, check_id, load_profile, profile_paths
from .project import Project, load_project
from .rules import select_modules
from .settings import Settings, load_settings
from .state import (
    MANIFEST_FILE,
    GuideRecord,
    Manifest,
    digest,
    file_digest,
    guide_key,
    module_file_digests,
    shared_digest,
)
from .theme import TEMPLATES_DIR, load_theme, theme_folders

WEB_FILE = "index.html"
PDF_FILE = "guide.pdf"


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


@dataclass(frozen=True)
class GuideResult:
    """What happened to one guide, sent back from a worker."""

    id: str
    status: str
    """built, unchanged or failed."""
    problems: tuple[Problem, ...] = ()
    record: GuideRecord | None = None


@dataclass(frozen=True)
class BuildPlan:
    """What every guide's job needs: loaded once, shared with the workers."""

    project: Project
    destination: Path
    manifest: Manifest
    outputs: tuple[str, ...]
    force: bool
    inputs_unchanged: bool
    """No shared input or module file changed since the last build."""


def build(
    root: Path,
    ids: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    html: bool = True,
    pdf: bool = True,
    jobs: int = 1,
    force: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    index: bool = False,
) -> BuildReport:
    """Build the guides named by `ids` (all when empty), rendering only what changed."""
    started = time.perf_counter()
    settings = load_settings(root)
    report = BuildReport()
    paths = choose_profiles(root, ids, report)
    writer = Writer(Path(out) if out is not None else root / settings.output)
    manifest = Manifest.read(writer.folder)
    outputs = tuple(name for name, wanted in ((WEB_FILE, html), (PDF_FILE, pdf)) if wanted)
    gone = [] if ids else sorted(set(manifest.guides) - {p.stem for p in paths})
    modules = module_file_digests(module_files(root, settings))
    if not force and not gone and nothing_changed(root, writer.folder, manifest, modules, paths, outputs):
        report.unchanged = [p.stem for p in paths]
    else:
        project = load_project(root)
        inputs_unchanged = manifest.inputs_unchanged(project.shared, modules)
        plan = BuildPlan(project, writer.folder, manifest, outputs, force, inputs_unchanged)
        assets = manifest.assets
        if force or manifest.shared != project.shared or not all((writer.folder / a).is_file() for a in assets):
            assets = writer.write_shared(project.theme)
        following = Manifest(project.shared, modules, dict(manifest.guides), assets)
        for result in build_guides(plan, paths, jobs, on_progress):
            record_result(result, report, following)
        for guide_id in gone:
            writer.remove(guide_id, manifest.guides[guide_id].outputs)
            del following.guides[guide_id]
            report.removed.append(guide_id)
        writer.sync()  # every guide on disk before the manifest says it was built
        writer.write(MANIFEST_FILE, following.to_bytes())
        writer.sync()
    writer.write_index(load_theme(root, settings) if index else None, settings)
    report.seconds = time.perf_counter() - started
    return report


def choose_profiles(root: Path, ids: Sequence[str], report: BuildReport) -> list[Path]:
    """The profile files to build: all, or those named; a second file with the same id is a problem."""
    for wanted in ids:
        check_id(wanted)
    every = profile_paths(root)
    missing = [i for i in ids if i not in {p.stem for p in every}]
    if missing:
        raise UsageError(f"no profile with id {', '.join(missing)} in profiles/")
    paths: list[Path] = []
    seen: dict[str, Path] = {}
    for path in every:
        if ids and path.stem not in ids:
            continue
        if path.stem in seen:
            other = display_path(seen[path.stem], root)
            report.problems.append(Problem(display_path(path, root), None, f"id: the same id is used by {other}"))
            continue
        seen[path.stem] = path
        paths.append(path)
    return paths


def module_files(root: Path, settings: Settings) -> list[tuple[str, Path]]:
    """Every module file of every section, by its path relative to the project."""
    return [
        (f"{section}/{path.name}", path)
        for section in settings.sections
        for path in sorted((root / CONTENT_DIR / section).glob("*.md"))
    ]


def nothing_changed(
    root: Path,
    destination: Path,
    manifest: Manifest,
    modules: dict[str, str],
    paths: Sequence[Path],
    outputs: tuple[str, ...],
) -> bool:
    """True when no input changed since the last build: nothing needs loading or rendering."""
    if not manifest.assets or not all((destination / a).is_file() for a in manifest.assets):
        return False
    if not manifest.inputs_unchanged(shared_digest(root, theme_folders(root)), modules):
        return False
    return all(
        manifest.is_current(
            p.stem, outputs, destination / p.stem, profile=file_digest(p), inputs_unchanged=True, key=None
        )
        for p in paths
    )


def build_guides(
    plan: BuildPlan, paths: Sequence[Path], jobs: int, on_progress: Callable[[int, int], None] | None
) -> list[GuideResult]:
    """Every guide's result, in the order of the profiles however the workers finished."""
    pdf = PDF_FILE in plan.outputs
    if pdf and jobs > 1:
        from . import pdf as _pdf  # noqa: F401 - import WeasyPrint once, before the workers fork
    costs = [pdf_cost(plan, path) for path in paths] if pdf and jobs > 1 else None
    results: list[GuideResult | None] = [None] * len(paths)
    for done, (position, result) in enumerate(Jobs(build_one, plan).run(paths, jobs, costs=costs), start=1):
        results[position] = result
        if on_progress:
            on_progress(done, len(paths))
    return [result for result in results if result is not None]


def record_result(result: GuideResult, report: BuildReport, manifest: Manifest) -> None:
    """Count one guide's result in the report and the next manifest."""
    report.problems.extend(result.problems)
    if result.status == "built":
        report.built.append(result.id)
    elif result.status == "unchanged":
        report.unchanged.append(result.id)
    if result.record is not None:
        manifest.guides[result.id] = result.record


def used_modules(project: Project, loaded: LoadedProfile) -> dict[str, str]:
    """Each selected module with a hash of what this person gets from it (place and text)."""
    language = loaded.profile.language or project.settings.default_language
    used = {}
    for module in select_modules(loaded.profile, project.modules):
        place, texts = project.module_hashes[module.id]
        used[module.id] = digest(place, texts.get(language) or texts[project.settings.default_language])
    return used


def build_one(plan: BuildPlan, path: Path) -> GuideResult:
    """Load, check, render and write one guide (in a worker process, or in this one)."""
    project = plan.project
    loaded, problems = load_profile(path, project.root, project.settings, project.vocabulary)
    if loaded is None:
        return GuideResult(path.stem, "failed", tuple(problems))
    guide_id = loaded.profile.id
    folder = plan.destination / guide_id
    profile = file_digest(path)
    key = guide_key(project.shared, profile, used_modules(project, loaded))
    current = plan.manifest.is_current(
        guide_id, plan.outputs, folder, profile=profile, inputs_unchanged=plan.inputs_unchanged, key=lambda: key
    )
    record = plan.manifest.guides.get(guide_id)
    if current and not plan.force and record is not None:
        return GuideResult(guide_id, "unchanged", (), record)
    try:
        files = render_guide(project, loaded, plan.outputs, pdf_exists=(folder / PDF_FILE).is_file())
    except GuidegenError as error:
        found = error.problems or (Problem(loaded.where, None, f"guide not built: {error}"),)
        return GuideResult(guide_id, "failed", tuple(found))
    writer = Writer(plan.destination)
    for name, data in files.items():
        writer.write(f"{guide_id}/{name}", data)
    kept = record.outputs if record is not None and record.key == key else ()
    return GuideResult(guide_id, "built", (), GuideRecord(profile, key, tuple(sorted({*plan.outputs, *kept}))))


def render_guide(
    project: Project, loaded: LoadedProfile, outputs: Sequence[str], *, pdf_exists: bool = False
) -> dict[str, bytes]:
    """All output files of one guide, in memory; nothing is written here."""
    guide = replace(make_guide(project, loaded.profile), has_pdf=PDF_FILE in outputs or pdf_exists)
    settings, env = project.settings, project.pages
    files: dict[str, bytes] = {}
    try:
        if WEB_FILE in outputs:
            files[WEB_FILE] = render_web(guide, settings, env).encode()
        if PDF_FILE in outputs:
            from .pdf import write_pdf  # WeasyPrint takes a second to import: only when asked

            def print_html(fit: int, *, safety_plan_only: bool = False) -> str:
                return render_print(guide, settings, env, fit=fit, safety_plan_only=safety_plan_only)

            # Only a safety plan has to be fitted to one page; without one, the page is made once.
            source = print_html if guide.person.safety_plan else print_html(0)
            files[PDF_FILE] = write_pdf(source, project.theme, project.root / TEMPLATES_DIR)
    except jinja2.TemplateError as error:
        raise page_template_problem(error, loaded.profile.id) from None
    return files


def pdf_cost(plan: BuildPlan, path: Path) -> int:
    """A guess at how long a guide's PDF takes: the length of the text it will hold."""
    project = plan.project
    loaded, _ = load_profile(path, project.root, project.settings, project.vocabulary)
    if loaded is None:
        return 0
    language = loaded.profile.language or project.settings.default_language
    modules = select_modules(loaded.profile, project.modules)
    return path.stat().st_size + sum(len(module.text_for(language)[0].source) for module in modules)


def page_template_problem(error: Exception, guide_id: str) -> InvalidInput:
    """A page template failed while building a guide: file and line, never a value."""
    name = getattr(error, "filename", None) or getattr(error, "name", None) or "templates"
    line = getattr(error, "lineno", None)
    message = f"page template error: {type(error).__name__} (building guide {guide_id})"
    return InvalidInput([Problem(str(name), line, message)])
