"""One guide's job, what a worker runs: select, personalise and render the guide (guide stage), its
web page (web stage) and its printed guide (paper stage), seal them for the person, and write
them through the one writer."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2

from ..errors import GuidegenError, InvalidInput, Problem
from ..guide import whatsnew
from ..guide.assemble import Guide, make_guide
from ..project.digests import digest, file_digest
from ..project.load import Project
from ..project.profiles import LoadedProfile, load_profile
from ..project.rules import select_modules
from ..web.app import app_assets, offline_assets, service_worker, web_manifest
from ..web.pages import guide_link, render_sealed, render_web
from ..web.seal import seal
from .output import Writer, shared_names
from .places import APP_FILES as APP_FILES
from .places import PDF_FILE as PDF_FILE
from .places import SEALED_PDF as SEALED_PDF
from .places import WEB_FILE as WEB_FILE
from .places import Places as Places
from .state import (
    GuideRecord,
    Link,
    Manifest,
    guide_key,
)


@dataclass(frozen=True)
class GuideResult:
    """What happened to one guide, sent back from a worker."""

    id: str
    status: str
    """built, unchanged or failed."""
    problems: tuple[Problem, ...] = ()
    record: GuideRecord | None = None
    history: Mapping[str, Any] | None = None
    """What this guide was (ids and hashes) and what its "What's new" compares with."""


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
    histories: dict[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """Each person's last guide, in summary (for "What's new in your guide"); the build puts each
    new guide's summary here as it comes back."""


def used_modules(project: Project, loaded: LoadedProfile) -> dict[str, str]:
    """Each selected module with a hash of what this person gets from it (place and text)."""
    language = loaded.profile.language or project.settings.default_language
    used = {}
    for module in select_modules(loaded.profile, project.modules):
        place, texts = project.module_hashes[module.id]
        used[module.id] = digest(place, texts.get(language) or texts[project.settings.default_language])
    return used


@dataclass(frozen=True)
class GuideWork:
    """One guide to render, as decided on the computer that runs the build: the worker that
    renders it reads nothing from this computer's disk."""

    loaded: LoadedProfile
    link: Link
    key: str
    """The guide's key (`guide_key`), for its record."""
    profile: str
    """Hash of the profile file."""
    files: Mapping[str, Path]
    """Where each output goes, by role (web, pdf, print)."""
    pdf_exists: bool
    """A web guide built without its PDF still links to the PDF an earlier build made."""
    history: Mapping[str, Any] | None


@dataclass(frozen=True)
class Rendered:
    """One guide's files in memory (by role) and the history to keep: what a worker returns."""

    files: Mapping[str, bytes]
    history: Mapping[str, Any]


def build_one(plan: BuildPlan, path: Path) -> GuideResult:
    """Load, check, render and write one guide (in a worker process, or in this one)."""
    work = prepare_one(plan, path)
    if isinstance(work, GuideResult):
        return work
    rendered = render_one(plan.project, plan.outputs, plan.places.private, work)
    if isinstance(rendered, GuideResult):
        return rendered
    return write_one(plan, work, rendered, guide_writer(plan))


def prepare_one(plan: BuildPlan, path: Path) -> GuideWork | GuideResult:
    """Load and check one profile and decide whether its guide is current: the work to render,
    or the result (failed, unchanged) when there is none."""
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
    return GuideWork(loaded, link, key, profile, files, site_pdf.is_file(), plan.histories.get(guide_id))


def render_one(project: Project, outputs: Sequence[str], private: bool, work: GuideWork) -> Rendered | GuideResult:
    """Render one guide's files in memory (where a worker runs it: it writes nothing)."""
    try:
        files, history = render_guide(
            project,
            work.loaded,
            outputs,
            link=work.link,
            private=private,
            pdf_exists=work.pdf_exists,
            history=work.history,
        )
    except GuidegenError as error:
        return failed(work, error)
    return Rendered(files, history)


def write_one(plan: BuildPlan, work: GuideWork, rendered: Rendered, writer: Writer) -> GuideResult:
    """Write one rendered guide through the writer, all its files together, and flush them to the
    disk before the build records the guide (in a worker: both cores flush, not the build alone);
    its record."""
    guide_id, link = work.loaded.profile.id, work.link
    try:
        writer.write_together({work.files[role]: data for role, data in rendered.files.items()})
        writer.sync()
    except GuidegenError as error:
        return failed(work, error)
    record = plan.manifest.guides.get(guide_id)
    kept = record.outputs if record is not None and record.key == work.key and record.slug == link.slug else ()
    outputs = tuple(sorted({*plan.outputs, *kept}))
    record = GuideRecord(work.profile, work.key, outputs, link.slug)
    return GuideResult(guide_id, "built", (), record, rendered.history)


def guide_writer(plan: BuildPlan) -> Writer:
    """The writer of one guide's files: the published folder and the staff folder (0600 files)."""
    return Writer(plan.project.root, (plan.places.site,), (plan.places.staff,))


def failed(work: GuideWork, error: GuidegenError) -> GuideResult:
    """A guide that could not be rendered or written: its problems, never a value."""
    found = error.problems or (Problem(work.loaded.where, None, f"guide not built: {error}"),)
    return GuideResult(work.loaded.profile.id, "failed", tuple(found))


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
            files.update(app_files(project))
        if PDF_FILE in outputs:
            from ..paper.printed import print_guide  # WeasyPrint takes a second to import: only when asked

            files["print"] = files["pdf"] = print_guide(project, guide)
    except jinja2.TemplateError as error:
        raise page_template_problem(error, loaded.profile.id) from None
    if private and link is not None:
        if "web" in files:
            sealed = seal(link.key, files["web"])
            files["web"] = render_sealed(sealed, settings, env, project.theme.strings).encode()
        if "pdf" in files:
            files["pdf"] = seal(link.key, files["pdf"])
    return files, history


def app_files(project: Project) -> dict[str, bytes]:
    """The web app manifest and the service worker: the same for every guide of the project."""
    strings = project.theme.strings[project.settings.default_language]
    shared = shared_names(project.theme, app_assets())
    return {"manifest": web_manifest(strings), "worker": service_worker(offline_assets(shared))}


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
