"""The build, top to bottom: load the project; then for each person select, personalise, render
Markdown, render HTML, render PDF, and write; then record what was built.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import whatsnew
from .content import CONTENT_DIR
from .errors import GuidegenError, InvalidInput, Problem, UsageError, display_path
from .guide import Guide, make_guide
from .output import INDEX_MARK, INDEX_TEMPLATE, Writer
from .pages import guide_link, render_sealed, render_web
from .paper import budget_for, print_source
from .pool import Jobs
from .profiles import ID_PATTERN, LoadedProfile, check_id, load_profile, profile_paths
from .project import Project, load_project
from .rules import select_modules
from .seal import seal
from .settings import Settings, load_settings
from .state import (
    MAIN_MANIFEST,
    OLD_MANIFEST,
    STATE_DIR,
    GuideRecord,
    Link,
    Manifest,
    ProjectState,
    digest,
    file_digest,
    guide_key,
    manifest_name,
    module_file_digests,
    shared_digest,
)
from .theme import TEMPLATES_DIR, load_theme, theme_folders

WEB_FILE = "index.html"
PDF_FILE = "guide.pdf"
SEALED_PDF = "guide.pdf.enc"
"""A private guide's PDF in its web folder: sealed like the page, opened by the page."""


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
    written: tuple[Path, ...] = ()
    """Files the job wrote: the build flushes them to disk before the state records the guide."""
    history: Mapping[str, Any] | None = None
    """What this guide was (ids and hashes) and what its "What's new" compares with."""


@dataclass(frozen=True)
class Places:
    """Where a build writes: what may be published, and what is for staff only."""

    site: Path
    """The published folder: site/<slug>/ per person, assets/, robots.txt."""
    staff: Path
    """Print guides for staff: print/<id>.pdf, and the staff index."""
    private: bool
    """Whether web guides are sealed for their person."""

    def web_files(self, guide_id: str, slug: str, outputs: Sequence[str]) -> dict[str, Path]:
        """Each output file of one guide by its role: web, pdf (for the web guide) and print."""
        folder = self.site / slug
        files = {}
        if WEB_FILE in outputs:
            files["web"] = folder / WEB_FILE
        if PDF_FILE in outputs:
            files["pdf"] = folder / (SEALED_PDF if self.private else PDF_FILE)
            files["print"] = self.staff / f"{guide_id}.pdf"
        return files


@dataclass(frozen=True)
class BuildPlan:
    """What every guide's job needs: loaded once, shared with the workers."""

    project: Project
    places: Places
    manifest: Manifest
    links: Mapping[str, Link]
    outputs: tuple[str, ...]
    force: bool
    inputs_unchanged: bool
    """No shared input or module file changed since the last build."""
    histories: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Each person's last guide, in summary (for "What's new in your guide")."""


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
    on_wait: Callable[[], None] | None = None,
    index: bool = False,
    sealed: bool | None = None,
) -> BuildReport:
    """Build the guides named by `ids` (all when empty), rendering only what changed.

    `sealed` overrides `web.access` (the live preview shows plain pages on this computer)."""
    started = time.perf_counter()
    settings = load_settings(root)
    outputs = tuple(name for name, wanted in ((WEB_FILE, html), (PDF_FILE, pdf)) if wanted)
    state = ProjectState(root)
    with state.locked(on_wait):
        report = BuildReport()
        paths = choose_profiles(root, ids, report)
        places = choose_places(root, settings, out, sealed)
        writer = Writer(root)
        clear_leftovers(writer, places)
        manifest_file = manifest_name(places.site, root / settings.output)
        manifest = state.manifest(manifest_file)
        links = state.links_for(p.stem for p in paths)
        gone = [] if ids else sorted(set(manifest.guides) - {p.stem for p in paths})
        modules = module_file_digests(module_files(root, settings))
        if not force and not gone and nothing_changed(root, places, manifest, links, modules, paths, outputs):
            report.unchanged = [p.stem for p in paths]
        else:
            project = load_project(root)
            inputs_unchanged = manifest.inputs_unchanged(project.shared, modules)
            histories = state.histories()
            plan = BuildPlan(project, places, manifest, links, outputs, force, inputs_unchanged, dict(histories))
            following = build_changed(plan, histories, writer, modules, paths, jobs, report, on_progress)
            remove_old_files(writer, places, manifest, following, gone, report)
            writer.sync()  # every guide on disk before the state says it was built
            state.save_manifest(manifest_file, following)
            if manifest_file == MAIN_MANIFEST:  # what people were given: not a preview or another --out
                state.save_histories({i: h for i, h in histories.items() if i not in gone})
        writer.write_index(places.staff, staff_index(root, settings, places, links) if index else None)
    report.problems[:0] = state.warnings
    report.seconds = time.perf_counter() - started
    return report


def choose_places(root: Path, settings: Settings, out: str | Path | None, sealed: bool | None) -> Places:
    """The published folder (--out, else `output`) and the staff folder; staff files and the
    project state may never be inside the published folder."""
    site = Path(out) if out is not None else root / settings.output
    staff = root / settings.print_output
    published = site.resolve()
    for name, kept in (("print_output", staff), ("the project state", root / STATE_DIR)):
        if kept.resolve() == published or published in kept.resolve().parents:
            raise UsageError(f"the output folder may not hold {name}: choose another folder")
    if site.exists() and not site.is_dir():
        raise UsageError(f"the output folder {display_path(site, root)} is a file, not a folder")
    return Places(site, staff, settings.web.access == "private" if sealed is None else sealed)


def build_changed(
    plan: BuildPlan,
    histories: dict[str, Mapping[str, Any]],
    writer: Writer,
    modules: dict[str, str],
    paths: Sequence[Path],
    jobs: int,
    report: BuildReport,
    on_progress: Callable[[int, int], None] | None,
) -> Manifest:
    """Render the guides whose inputs changed; the manifest that records the result."""
    manifest, project = plan.manifest, plan.project
    assets = manifest.assets
    if plan.force or manifest.shared != project.shared or not all((plan.places.site / a).is_file() for a in assets):
        assets = writer.write_shared(plan.places.site, project.theme)
    following = Manifest(project.shared, modules, dict(manifest.guides), assets)
    for result in build_guides(plan, paths, jobs, on_progress):
        record_result(result, report, following)
        writer.written.extend(result.written)
        if result.history is not None:
            histories[result.id] = result.history
    return following


def remove_old_files(
    writer: Writer, places: Places, manifest: Manifest, following: Manifest, gone: Sequence[str], report: BuildReport
) -> None:
    """Remove the files of guides whose profile is gone, and the old folder of a guide whose
    link was rotated (once its new folder is built)."""
    for guide_id in gone:
        record = manifest.guides[guide_id]
        files = places.web_files(guide_id, record.slug, record.outputs)
        writer.remove(places.site / record.slug, [path.name for role, path in files.items() if role != "print"])
        if "print" in files:
            files["print"].unlink(missing_ok=True)
        following.guides.pop(guide_id, None)
        report.removed.append(guide_id)
    for guide_id, record in manifest.guides.items():
        now = following.guides.get(guide_id)
        if now is not None and now.slug != record.slug:
            files = places.web_files(guide_id, record.slug, record.outputs)
            writer.remove(places.site / record.slug, [path.name for role, path in files.items() if role != "print"])


def clear_leftovers(writer: Writer, places: Places) -> None:
    """Before building: temporary files a killed build left, and what the first edition of
    guidegen published that named people (site/<id>/ folders and its manifest)."""
    for folder in (places.site, places.staff):
        writer.remove_leftovers(folder)
    old = places.site / OLD_MANIFEST
    if not old.is_file():
        return
    try:
        guides = json.loads(old.read_text(encoding="utf-8")).get("guides") or {}
    except (OSError, ValueError, AttributeError):
        guides = {}
    for guide_id in guides if isinstance(guides, dict) else ():
        if isinstance(guide_id, str) and ID_PATTERN.match(guide_id):
            writer.remove(places.site / guide_id, [WEB_FILE, PDF_FILE])
    old.unlink()


def staff_index(root: Path, settings: Settings, places: Places, links: Mapping[str, Link]) -> str:
    """print/index.html for staff: every guide by id with its private link and print PDF."""
    theme = load_theme(root, settings)
    language = settings.default_language
    site = Path(os.path.relpath(places.site, places.staff)).as_posix()
    guides = []
    for guide_id, link in sorted(links.items()):
        web = (places.site / link.slug / WEB_FILE).is_file()
        pdf = (places.staff / f"{guide_id}.pdf").is_file()
        if web or pdf:
            key = link.key if places.private else None
            local = f"{site}/{link.slug}/index.html" + (f"#k={key}" if key else "")
            address = guide_link(settings, link.slug, key)
            guides.append({"id": guide_id, "link": address, "local": local, "web": web, "pdf": pdf})
    template = theme.page_environment().get_template(INDEX_TEMPLATE)
    page = template.render(
        settings=settings.in_language(language),
        t=theme.strings[language],
        lang=language,
        guides=guides,
        site=site,
        mark=Markup(INDEX_MARK),
    )
    return str(page)


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
    places: Places,
    manifest: Manifest,
    links: Mapping[str, Link],
    modules: dict[str, str],
    paths: Sequence[Path],
    outputs: tuple[str, ...],
) -> bool:
    """True when no input changed since the last build: nothing needs loading or rendering."""
    if not manifest.assets or not all((places.site / a).is_file() for a in manifest.assets):
        return False
    if not manifest.inputs_unchanged(shared_digest(root, theme_folders(root)), modules):
        return False
    for path in paths:
        slug = links[path.stem].slug
        files = places.web_files(path.stem, slug, outputs).values()
        profile = file_digest(path)
        if not manifest.is_current(
            path.stem, outputs, files, slug=slug, profile=profile, inputs_unchanged=True, key=None
        ):
            return False
    return True


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
    link = plan.links[guide_id]
    files = plan.places.web_files(guide_id, link.slug, plan.outputs)
    profile = file_digest(path)
    key = guide_key(project.shared, profile, used_modules(project, loaded))
    current = plan.manifest.is_current(
        guide_id,
        plan.outputs,
        files.values(),
        slug=link.slug,
        profile=profile,
        inputs_unchanged=plan.inputs_unchanged,
        key=lambda: key,
    )
    record = plan.manifest.guides.get(guide_id)
    if current and not plan.force and record is not None:
        return GuideResult(guide_id, "unchanged", (), record)
    site_pdf = plan.places.web_files(guide_id, link.slug, (PDF_FILE,))["pdf"]
    try:
        rendered, history = render_guide(
            project,
            loaded,
            plan.outputs,
            link=link,
            private=plan.places.private,
            pdf_exists=site_pdf.is_file(),
            history=plan.histories.get(guide_id),
        )
        writer = Writer(project.root)
        writer.write_together({files[role]: data for role, data in rendered.items()})
    except GuidegenError as error:
        found = error.problems or (Problem(loaded.where, None, f"guide not built: {error}"),)
        return GuideResult(guide_id, "failed", tuple(found))
    kept = record.outputs if record is not None and record.key == key and record.slug == link.slug else ()
    outputs = tuple(sorted({*plan.outputs, *kept}))
    record = GuideRecord(profile, key, outputs, link.slug)
    return GuideResult(guide_id, "built", (), record, tuple(writer.written), history)


def render_guide(
    project: Project,
    loaded: LoadedProfile,
    outputs: Sequence[str],
    *,
    link: Link | None = None,
    private: bool = False,
    pdf_exists: bool = False,
    history: Mapping[str, Any] | None = None,
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """All output files of one guide by role (web, pdf, print), in memory, and the history to
    remember for its next "What's new"; nothing is written here.

    A private guide's web page and PDF are sealed with the key of the person's link."""
    settings, env = project.settings, project.pages
    address = guide_link(settings, link.slug, link.key if private else None) if link else None
    guide = replace(make_guide(project, loaded.profile), has_pdf=PDF_FILE in outputs or pdf_exists, link=address)
    guide, history = whats_new(project, guide, history)
    files: dict[str, bytes] = {}
    try:
        if WEB_FILE in outputs:
            files["web"] = render_web(guide, settings, env).encode()
        if PDF_FILE in outputs:
            from .pdf import write_pdf  # WeasyPrint takes a second to import: only when asked

            # The page budget: paper.py chooses the modules that fit, pdf.py lays them out.
            source = print_source(guide, settings, env)
            budget = budget_for(guide, project.modules, settings)
            files["print"] = files["pdf"] = write_pdf(source, project.theme, project.root / TEMPLATES_DIR, budget)
    except jinja2.TemplateError as error:
        raise page_template_problem(error, loaded.profile.id) from None
    if private and link is not None:
        if "web" in files:
            sealed = seal(link.key, files["web"])
            files["web"] = render_sealed(sealed, settings, env, project.theme.strings).encode()
        if "pdf" in files:
            files["pdf"] = seal(link.key, files["pdf"])
    return files, history


def whats_new(project: Project, guide: Guide, history: Mapping[str, Any] | None) -> tuple[Guide, dict[str, Any]]:
    """The guide with what changed since the person's last guide, and the history to keep.

    A rebuild that changes nothing keeps showing the changes of the last real change, so a
    forced rebuild or a new PDF does not take "What's new" away."""
    summary = whatsnew.summarise(guide)
    if history and history.get("summary") == summary:
        since = history.get("since")
    else:
        since = history.get("summary") if history else None
    found = whatsnew.changes(since, summary)
    titles = whatsnew.module_titles(project.modules, guide.language)
    lines = whatsnew.describe(found, guide, titles)
    return replace(guide, changes=lines), {"summary": summary, "since": since}


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
