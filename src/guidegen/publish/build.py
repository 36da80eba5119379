"""The build, top to bottom: load the project; then for each person select, personalise, render
Markdown, render HTML, render PDF, and write; then record what was built.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..errors import Problem, UsageError, display_path
from ..project.digests import file_digest, module_file_digests, shared_digest
from ..project.files import CONTENT_DIR, ID_PATTERN, PROFILES_DIR, TEMPLATES_DIR, check_id, profile_paths, theme_folders
from ..project.settings import SETTINGS_FILE, Settings, load_settings
from ..web.app import app_assets
from .output import INDEX_MARK, INDEX_TEMPLATE, Writer
from .places import APP_FILES, PDF_FILE, SEALED_PDF, WEB_FILE, Places
from .state import (
    MAIN_MANIFEST,
    OLD_MANIFEST,
    SLUG,
    Link,
    Manifest,
    ProjectState,
    manifest_name,
)
from .statefile import STATE_DIR, Damaged, parse

if TYPE_CHECKING:  # what renders guides is imported only when a guide needs rendering
    from .job import BuildPlan, GuideResult

IMPORT_STAGING = re.compile(r"^\.import-[A-Za-z0-9_]{8}\Z")
"""A staging folder of `guidegen import fhir` (tempfile.mkdtemp's name) in profiles/."""


@dataclass
class BuildReport:
    """What a build did, for the final line and the exit status."""

    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    @property
    def failed(self) -> int:
        """How many profiles or guides could not be built."""
        return len({p.path for p in self.problems if p.severity == "error"})

    def finish(self, warnings: Sequence[Problem]) -> BuildReport:
        """The report with the state's warnings first and the time the build took."""
        self.problems[:0] = warnings
        self.seconds = time.perf_counter() - self.started
        return self


def build(
    root: Path,
    ids: Sequence[str] = (),
    *,
    out: str | Path | None = None,
    html: bool = True,
    pdf: bool = True,
    jobs: int = 1,
    cluster: str | None = None,
    force: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    on_wait: Callable[[], None] | None = None,
    index: bool = False,
    sealed: bool | None = None,
) -> BuildReport:
    """Build the guides named by `ids` (all when empty), rendering only what changed; `sealed` overrides
    `web.access` (the preview's plain pages), `cluster` renders on Dask (see cluster.check_address)."""
    settings, state, report = load_settings(root), ProjectState(root), BuildReport()
    outputs = tuple(name for name, wanted in ((WEB_FILE, html), (PDF_FILE, pdf)) if wanted)
    with state.locked(on_wait):
        paths, places = choose_profiles(root, ids, report), choose_places(root, settings, out, sealed, report)
        writer = Writer(root, (places.site,), (places.staff,))
        clear_leftovers(root, writer, places)
        manifest_file = manifest_name(places.site, root / settings.output)
        manifest, links = state.manifest(manifest_file), state.links_for(p.stem for p in paths)
        revoke(writer, places, links, None if ids else paths)
        gone = [] if ids else sorted(set(manifest.guides) - {p.stem for p in paths})
        modules = module_file_digests(module_files(root, settings))
        if not force and not gone and nothing_changed(root, places, manifest, links, modules, paths, outputs):
            report.unchanged = [p.stem for p in paths]
        else:
            plan = load_plan(root, places, manifest, links, outputs, force, modules, state)
            with start_workers(plan, jobs, cluster) as run:  # a cluster is reached before anything is written
                following = build_changed(plan, writer, modules, paths, run, report, on_progress)
            remove_gone(writer, places, following, gone, report)
            record_build(state, writer, manifest_file, following, plan.histories, gone)
        writer.write_index(places.staff, staff_index(root, settings, places, links) if index else None)
    return report.finish(state.warnings)


def load_plan(
    root: Path,
    places: Places,
    manifest: Manifest,
    links: Mapping[str, Link],
    outputs: tuple[str, ...],
    force: bool,
    modules: dict[str, str],
    state: ProjectState,
) -> BuildPlan:
    """The project loaded and checked, and what every guide's job needs: only a build with
    something to render imports what renders (templates, Markdown, models, WeasyPrint)."""
    from ..web.themecheck import load_checked_project
    from .job import BuildPlan

    project = load_checked_project(root)
    unchanged = manifest.inputs_unchanged(project.shared, modules)
    return BuildPlan(project, places, manifest, links, outputs, force, unchanged, state.histories())


def record_build(
    state: ProjectState,
    writer: Writer,
    manifest_file: str,
    following: Manifest,
    histories: Mapping[str, Mapping[str, Any]],
    gone: Sequence[str],
) -> None:
    """Every guide on disk first, then the state that says it was built."""
    writer.sync()
    state.save_manifest(manifest_file, following)
    if manifest_file == MAIN_MANIFEST:  # what people were given: not a preview or another --out
        state.save_histories({i: dict(h) for i, h in histories.items() if i not in gone})


def choose_places(
    root: Path, settings: Settings, out: str | Path | None, sealed: bool | None, report: BuildReport
) -> Places:
    """The published folder (--out, else `output`) and the staff folder. Staff files, the project
    state and the project's inputs may never be published: an output folder that holds any of
    them, or lies inside one, is refused; one outside the project is written with a warning (the
    live preview's own folder, `sealed` given, is not warned about)."""
    site = Path(out) if out is not None else root / settings.output
    source = "--out" if out is not None else SETTINGS_FILE
    staff = root / settings.print_output
    published, project = site.resolve(), root.resolve()
    if published == project or published in project.parents:
        raise UsageError(f"{source}: the output folder may not be the project folder or hold it: choose another folder")
    kept = [("print_output", staff), ("the project state", root / STATE_DIR)]
    kept += [(f"{name}/", root / name) for name in (PROFILES_DIR, CONTENT_DIR, TEMPLATES_DIR)]
    for name, folder in kept:
        inside = name.endswith("/") and folder.resolve() in published.parents
        if inside or folder.resolve() == published or published in folder.resolve().parents:
            raise UsageError(f"{source}: the output folder may not be or hold {name}: choose another folder")
    if site.exists() and not site.is_dir():
        raise UsageError(f"the output folder {display_path(site, root)} is a file, not a folder")
    if project not in published.parents and sealed is None:
        message = "the output folder is outside the project: every build writes and cleans it, so check it is the one you publish"
        report.problems.append(Problem(source, None, message, "warning"))
    return Places(site, staff, settings.web.access == "private" if sealed is None else sealed)


def build_changed(
    plan: BuildPlan,
    writer: Writer,
    modules: dict[str, str],
    paths: Sequence[Path],
    run: Run,
    report: BuildReport,
    on_progress: Callable[[int, int], None] | None,
) -> Manifest:
    """Render the guides whose inputs changed; the manifest that records the result."""
    manifest, project = plan.manifest, plan.project
    assets = manifest.assets
    made = app_assets()
    missing = not all((plan.places.site / a).is_file() for a in [*assets, *(f"assets/{n}" for n in made)])
    if plan.force or manifest.shared != project.shared or missing:
        assets = writer.write_shared(plan.places.site, project.theme, made)
    following = Manifest(project.shared, modules, dict(manifest.guides), assets)
    for result in build_guides(plan, paths, run, on_progress):
        record_result(result, report, following)
        if result.history is not None:
            plan.histories[result.id] = result.history
    return following


def remove_gone(writer: Writer, places: Places, following: Manifest, gone: Sequence[str], report: BuildReport) -> None:
    """Forget the guides whose profile is gone and remove their staff PDF (their web folder went
    with `revoke`)."""
    for guide_id in gone:
        writer.remove_whole(places.staff / f"{guide_id}.pdf")
        following.guides.pop(guide_id, None)
        report.removed.append(guide_id)


def revoke(writer: Writer, places: Places, links: Mapping[str, Link], paths: Sequence[Path] | None) -> None:
    """Remove, whole, every guide folder in the published folder that no current link names: a
    rotated link's old folder, a deleted profile's, any a lost manifest forgot (`paths` None: a
    build of some ids, where every person's link is current). In every other guide folder,
    remove each file the access mode would not write (a plain guide.pdf in a private site)."""
    current = {link.slug for link in links.values()} if paths is None else {links[p.stem].slug for p in paths}
    allowed = {WEB_FILE, SEALED_PDF if places.private else PDF_FILE, *APP_FILES.values()}
    for name in writer.entries(places.site):
        folder = places.site / name
        if not SLUG.match(name):
            continue
        if name not in current or not folder.is_dir() or folder.is_symlink():
            writer.remove_whole(folder)
            continue
        for inside in writer.entries(folder):
            if inside not in allowed:
                writer.remove_whole(folder / inside)


def clear_leftovers(root: Path, writer: Writer, places: Places) -> None:
    """Before building: temporary files a killed build or import left, and what the first edition
    of guidegen published that named people (site/<id>/ folders and its manifest)."""
    for folder in (places.site, places.staff):
        writer.remove_leftovers(folder)
    remove_import_staging(root, writer)
    old = places.site / OLD_MANIFEST
    guides: Any = {}
    if OLD_MANIFEST in writer.entries(places.site):
        with contextlib.suppress(OSError, Damaged, AttributeError):  # read like every state file
            guides = parse(writer.read(old)).get("guides") or {}
        for guide_id in guides if isinstance(guides, dict) else ():
            if isinstance(guide_id, str) and ID_PATTERN.match(guide_id):
                writer.remove(places.site / guide_id, [WEB_FILE, PDF_FILE])
        writer.remove_whole(old)


def remove_import_staging(root: Path, writer: Writer) -> None:
    """The staging folders (profiles/.import-XXXX/) of an import that was killed (under the lock)."""
    for name in writer.entries(root / PROFILES_DIR):
        if IMPORT_STAGING.match(name):
            writer.remove_whole(root / PROFILES_DIR / name)


def staff_index(root: Path, settings: Settings, places: Places, links: Mapping[str, Link]) -> str:
    """print/index.html for staff: every guide by id with its private link and print PDF."""
    from ..project.theme import load_theme
    from ..web.pages import guide_link

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
        which = "that id" if len(missing) == 1 else f"{len(missing)} of the ids given"
        raise UsageError(f"no profile with {which} in profiles/ (ids are not repeated here: one may be a name)")
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


Run = Callable[[Sequence[Path]], Iterator[tuple[int, "GuideResult"]]]
"""Runs every guide's job: yields (position among the paths, result) for every guide."""


@contextlib.contextmanager
def start_workers(plan: BuildPlan, jobs: int, cluster: str | None) -> Iterator[Run]:
    """Where guide jobs run: this process or forked workers (`jobs`), or a Dask cluster."""
    if cluster is not None:
        from .cluster import connect  # dask is imported only when a build asks for a cluster

        with connect(cluster, plan) as on_cluster:
            yield on_cluster
        return

    def run(paths: Sequence[Path]) -> Iterator[tuple[int, GuideResult]]:
        from .job import build_one
        from .pool import Jobs

        pdf = PDF_FILE in plan.outputs
        if pdf and jobs > 1:
            from ..paper import layout as _pdf  # noqa: F401 - import WeasyPrint once, before the workers fork
        return Jobs(build_one, plan).run(paths, jobs, one_by_one=pdf)

    yield run


def build_guides(
    plan: BuildPlan, paths: Sequence[Path], run: Run, on_progress: Callable[[int, int], None] | None
) -> list[GuideResult]:
    """Every guide's result, in the order of the profiles however the workers finished."""
    results: list[GuideResult | None] = [None] * len(paths)
    for done, (position, result) in enumerate(run(paths), start=1):
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
