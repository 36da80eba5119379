"""The build, top to bottom: load settings, vocabulary, modules, theme; then for each person
select, personalise, render Markdown, render HTML, render PDF, and write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import io
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
from markupsafe import Markup

from .content import CONTENT_DIR, Module, load_modules, modules_by_section
from .errors import GuidegenError, InvalidInput, Problem, UsageError, display_path
from .html import Guide, GuideModule, GuideSection, render_print, render_web, term_labels
from .manifest import (
    MANIFEST_FILE,
    GuideRecord,
    Manifest,
    digest,
    file_digest,
    guide_key,
    module_file_digests,
    shared_digest,
)
from .markdown import lint_markdown, render_markdown
from .personalise import TemplateProblem, personalise
from .profiles import ID_PATTERN, LoadedProfile, Profile, load_profile, load_profiles, profile_paths
from .select import select_modules
from .settings import SETTINGS_FILE, Settings, load_settings
from .theme import TEMPLATES_DIR, Theme, load_theme, theme_fingerprint, theme_folders
from .themecheck import trial_render_theme
from .vocabulary import VOCABULARY_FILE, Vocabulary, load_vocabulary

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
    shared: str
    """Hash of settings, vocabulary, theme and guidegen's version."""
    pages: jinja2.Environment
    """Page templates, compiled once per build."""
    module_hashes: Mapping[str, tuple[str, Mapping[str, str]]]
    """Module id -> (hash of its place: section and order; hash of each language's file).

    The rule is not in it: a changed rule matters only where it changes who gets the module,
    and that shows in each guide's list of selected modules."""

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
        problems.extend(trial_render_theme(theme, settings, root))  # issue 12: a broken page template stops the build
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
    shared = shared_digest(root / SETTINGS_FILE, root / VOCABULARY_FILE, theme_fingerprint(theme.dirs))
    hashes = {
        m.id: (
            digest(m.section, str(m.order)),
            {lang: digest(t.title, t.summary, t.source) for lang, t in m.texts.items()},
        )
        for m in modules
    }
    return Project(root, settings, vocabulary, tuple(modules), theme, shared, theme.page_environment(), hashes)


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
    pdf_exists: bool = False,
) -> dict[str, bytes]:
    """All output files of one guide, in memory; nothing is written here."""
    guide = dataclasses.replace(make_guide(project, loaded), has_pdf=pdf or pdf_exists)
    env = env or project.pages
    files: dict[str, bytes] = {}
    try:
        if html:
            files["index.html"] = render_web(guide, project.settings, project.theme, env).encode()
        if pdf:
            from .pdf import write_pdf  # WeasyPrint takes a second to import: only when asked

            def print_html(fit: int, *, safety_plan_only: bool = False) -> str:
                return render_print(
                    guide, project.settings, project.theme, env, fit=fit, safety_plan_only=safety_plan_only
                )

            # Only a safety plan has to be fitted to one page; without one, the page is made once.
            source = print_html if guide.person.safety_plan else print_html(0)
            files["guide.pdf"] = write_pdf(source, project.theme, project.templates_dir)
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


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> bool:
    """Write through a temporary file in the same folder, then rename; False when unchanged.

    The rename is atomic: a reader, or a build that is interrupted, sees the old file or the new
    one, never a part. Guides are not flushed one by one (that doubled the time of an HTML
    build); build() syncs once at the end, before the manifest (durable=True) records them."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)  # noqa: SIM115 - closed below, renamed after
    try:
        with handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(handle.name, 0o666 & ~_UMASK)  # readable like any other file, not 0600
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return True


def module_files(root: Path, settings: Settings) -> list[tuple[str, Path]]:
    """Every module file of every section, by its path relative to the project."""
    files = []
    for section in settings.sections:
        for path in sorted((root / CONTENT_DIR / section).glob("*.md")):
            files.append((f"{section}/{path.name}", path))
    return files


def write_shared_files(project: Project, out: Path) -> tuple[str, ...]:
    """Assets shared by all guides, and a robots.txt that keeps guides out of search engines;
    returns what was written, relative to `out`."""
    written = []
    for relative, source in sorted(project.theme.assets.items()):
        write_atomic(out / "assets" / relative, source.read_bytes())
        written.append(f"assets/{relative}")
        woff2 = relative.removesuffix(".ttf") + ".woff2"
        if relative.startswith("fonts/") and relative.endswith(".ttf") and woff2 not in project.theme.assets:
            write_atomic(out / "assets" / woff2, web_font(source))
            written.append(f"assets/{woff2}")
    write_atomic(out / "robots.txt", ROBOTS_TXT.encode())
    written.append("robots.txt")
    return tuple(sorted(written))


def web_font(source: Path) -> bytes:
    """A TrueType font as WOFF2 for the web guide: less than half the bytes on a reader's phone."""
    stat = source.stat()
    return _compress_font(source, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _compress_font(source: Path, mtime_ns: int, size: int) -> bytes:
    """WOFF2 bytes, the same for the same font (no timestamp); once per font per process."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency, with brotli

    font = TTFont(source, recalcTimestamp=False)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


INDEX_FILE = "index.html"
INDEX_TEMPLATE = "index.html"
INDEX_MARK = '<meta name="generator" content="guidegen index">'
"""In every site/index.html that guidegen writes: only such a page is removed by a build without --index."""


def write_index(root: Path, settings: Settings, destination: Path, listed: bool) -> None:
    """With --index, site/index.html lists the guides by id (never names), for staff.

    Without it there is no such page: one that an earlier --index build wrote is removed, so a
    list of every guide's address never lingers in a folder that may be published. A page
    that staff wrote themselves is left alone.
    """
    page = destination / INDEX_FILE
    if not listed:
        if page.is_file() and INDEX_MARK in page.read_text(encoding="utf-8", errors="replace"):
            page.unlink()
        return
    guides = [
        {"id": folder.name, "pdf": (folder / "guide.pdf").is_file()}
        for folder in sorted(destination.iterdir())
        if ID_PATTERN.match(folder.name) and (folder / "index.html").is_file()
    ]
    theme = load_theme(root, settings)
    language = settings.default_language
    template = theme.page_environment().get_template(INDEX_TEMPLATE)
    html = template.render(
        settings=settings, t=theme.strings[language], lang=language, guides=guides, mark=Markup(INDEX_MARK)
    )
    write_atomic(page, html.encode())


def output_dir(project_root: Path, settings: Settings, out: str | Path | None) -> Path:
    """Where guides go: --out, else `output` from guidegen.yaml, relative to the project."""
    return Path(out) if out is not None else project_root / settings.output


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
    """What every worker needs to build guides: loaded once, shared by fork."""

    project: Project
    destination: Path
    manifest: Manifest
    outputs: tuple[str, ...]
    force: bool


_PLAN: BuildPlan | None = None


def used_modules(project: Project, person: Profile) -> dict[str, str]:
    """Each selected module with a hash of what this person gets from it (place and text)."""
    language = person.language or project.settings.default_language
    used = {}
    for module in select_modules(person, project.modules):
        rule_hash, texts = project.module_hashes[module.id]
        used[module.id] = digest(rule_hash, texts.get(language) or texts[project.settings.default_language])
    return used


def build_one(path: Path) -> GuideResult:
    """Load, check, render and write one guide (in a worker process, or in this one)."""
    plan = _PLAN
    assert plan is not None, "build_one runs inside build()"
    project = plan.project
    loaded, problems = load_profile(path, project.root, project.settings, project.vocabulary)
    if loaded is None:
        return GuideResult(path.stem, "failed", tuple(problems))
    guide_id = loaded.profile.id
    profile_hash = file_digest(path)
    key = guide_key(project.shared, profile_hash, used_modules(project, loaded.profile))
    record = plan.manifest.guides.get(guide_id)
    folder = plan.destination / guide_id
    if (
        not plan.force
        and record is not None
        and record.key == key
        and set(plan.outputs) <= set(record.outputs)
        and all((folder / name).is_file() for name in plan.outputs)
    ):
        return GuideResult(guide_id, "unchanged", (), record)
    try:
        files = render_guide(
            project,
            loaded,
            html="index.html" in plan.outputs,
            pdf="guide.pdf" in plan.outputs,
            pdf_exists=(folder / "guide.pdf").is_file(),
        )
    except GuidegenError as error:
        found = getattr(error, "problems", ()) or (Problem(loaded.where, None, f"guide not built: {error}"),)
        return GuideResult(guide_id, "failed", tuple(found))
    for name, data in files.items():
        write_atomic(folder / name, data)
    kept = record.outputs if record is not None and record.key == key else ()
    outputs = tuple(sorted(set(plan.outputs) | set(kept)))
    return GuideResult(guide_id, "built", (), GuideRecord(profile_hash, key, outputs))


def _start_worker(plan: BuildPlan | None) -> None:
    """Workers get the plan by fork; where fork is missing, they are handed it."""
    global _PLAN
    if _PLAN is None:
        _PLAN = plan


def _pdf_cost(path: Path) -> int:
    """A guess at how long a guide's PDF takes: the length of the text it will hold."""
    plan = _PLAN
    assert plan is not None
    project = plan.project
    loaded, _ = load_profile(path, project.root, project.settings, project.vocabulary)
    if loaded is None:
        return 0
    language = loaded.profile.language or project.settings.default_language
    modules = select_modules(loaded.profile, project.modules)
    return path.stat().st_size + sum(len(module.text_for(language)[0].source) for module in modules)


def _run(paths: Sequence[Path], jobs: int, pdf: bool) -> Iterator[tuple[int, GuideResult]]:
    """Build guides in this process or in a pool of workers; yields (position in paths, result)
    as each guide is done.

    PDFs take seconds each, so the pool gets the longest guides first: no worker is left with a
    long guide at the end while the others wait.
    """
    if jobs <= 1 or len(paths) <= 1:
        yield from enumerate(map(build_one, paths))
        return
    if pdf:
        from . import pdf as _pdf  # noqa: F401 - import WeasyPrint once, before the workers fork

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    gc.freeze()  # what is loaded now is shared with the workers, not copied to them by the collector
    try:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(_PLAN,)) as pool:
            if not pdf:
                chunk = max(1, min(32, len(paths) // (jobs * 4)))
                yield from enumerate(pool.map(build_one, paths, chunksize=chunk))
                return
            costs = [_pdf_cost(path) for path in paths]
            order = sorted(range(len(paths)), key=lambda i: -costs[i])
            futures = {pool.submit(build_one, paths[i]): i for i in order}
            for future in as_completed(futures):
                yield futures[future], future.result()
    finally:
        gc.unfreeze()


def _fast_path_unchanged(
    root: Path,
    settings: Settings,
    destination: Path,
    manifest: Manifest,
    paths: Sequence[Path],
    outputs: tuple[str, ...],
) -> bool:
    """True when no input changed since the last build: nothing needs loading or rendering."""
    if not manifest.assets or not all((destination / a).is_file() for a in manifest.assets):
        return False
    theme_dirs = theme_folders(root)
    shared = shared_digest(root / SETTINGS_FILE, root / VOCABULARY_FILE, theme_fingerprint(theme_dirs))
    if shared != manifest.shared or module_file_digests(module_files(root, settings)) != manifest.modules:
        return False
    for path in paths:
        record = manifest.guides.get(path.stem)
        if record is None or record.profile != file_digest(path) or not set(outputs) <= set(record.outputs):
            return False
        if not all((destination / path.stem / name).is_file() for name in outputs):
            return False
    return True


def remove_guide(destination: Path, guide_id: str, outputs: Iterable[str]) -> None:
    """Delete the files a build wrote for a guide whose profile is gone, and its folder if empty."""
    folder = destination / guide_id
    for name in outputs:
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


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
    global _PLAN
    started = time.perf_counter()
    if not html and not pdf:
        raise UsageError("--no-html and --no-pdf together leave nothing to build")
    for wanted in ids:
        if not ID_PATTERN.match(wanted):
            raise UsageError(f"'{wanted}' is not a profile id (lowercase letters, digits and -)")
    settings = load_settings(root)
    all_paths = profile_paths(root)
    missing = [i for i in ids if i not in {p.stem for p in all_paths}]
    if missing:
        raise UsageError(f"no profile with id {', '.join(missing)} in profiles/")
    destination = output_dir(root, settings, out)
    manifest = Manifest.read(destination)
    outputs = tuple(name for name, wanted in (("index.html", html), ("guide.pdf", pdf)) if wanted)
    report = BuildReport()
    paths: list[Path] = []
    seen: dict[str, Path] = {}
    for path in all_paths:
        if ids and path.stem not in ids:
            continue
        if path.stem in seen:
            report.problems.append(
                Problem(
                    display_path(path, root), None, f"id: the same id is used by {display_path(seen[path.stem], root)}"
                )
            )
            continue
        seen[path.stem] = path
        paths.append(path)
    gone = [] if ids else sorted(set(manifest.guides) - set(seen))

    if not force and not gone and _fast_path_unchanged(root, settings, destination, manifest, paths, outputs):
        report.unchanged = [p.stem for p in paths]
    else:
        project = load_project(root)
        assets = manifest.assets
        if force or manifest.shared != project.shared or not all((destination / a).is_file() for a in assets):
            assets = write_shared_files(project, destination)
        new_manifest = Manifest(
            project.shared, module_file_digests(module_files(root, settings)), dict(manifest.guides), assets
        )
        _PLAN = BuildPlan(project, destination, manifest, outputs, force)
        try:
            results: list[GuideResult | None] = [None] * len(paths)
            for done, (position, result) in enumerate(_run(paths, jobs, pdf), start=1):
                results[position] = result
                if on_progress:
                    on_progress(done, len(paths))
        finally:
            _PLAN = None
        for finished in results:  # in the order of the profiles, however the workers finished
            assert finished is not None
            report.problems.extend(finished.problems)
            if finished.status == "built":
                report.built.append(finished.id)
            elif finished.status == "unchanged":
                report.unchanged.append(finished.id)
            if finished.record is not None:
                new_manifest.guides[finished.id] = finished.record
        for guide_id in gone:
            remove_guide(destination, guide_id, manifest.guides[guide_id].outputs)
            del new_manifest.guides[guide_id]
            report.removed.append(guide_id)
        os.sync()  # every guide on disk before the manifest says it was built
        write_atomic(destination / MANIFEST_FILE, new_manifest.to_bytes(), durable=True)
    write_index(root, settings, destination, index)
    report.seconds = time.perf_counter() - started
    return report


def iter_guides(project: Project, ids: Iterable[str] = ()) -> Iterable[LoadedProfile]:
    """Valid profiles, for commands that only read (explain, check)."""
    for loaded, _ in load_profiles(project.root, project.settings, project.vocabulary, tuple(ids)):
        if loaded is not None:
            yield loaded
