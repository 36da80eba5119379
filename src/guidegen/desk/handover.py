"""From the form to the person: preview (their web guide, plain, and what goes on paper and why),
Print (their PDF, built as `guidegen build ID` builds it), Hand over (the private link and its QR
code, and a new link), and importing a FHIR file."""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..errors import GuidegenError, display_path
from ..fhir.importer import import_fhir
from ..fhir.report import report_lines
from ..project.load import Project
from ..project.profiles import load_profile
from ..project.settings import load_settings
from ..publish.build import build
from ..publish.explain import paper_choice
from ..publish.state import ProjectState, person_link
from ..publish.statefile import STATE_DIR
from ..web.themecheck import load_checked_project
from .audit import audit
from .pages import desk_of, person_file, render
from .security import Desk, posted

UPLOAD_SUFFIXES = (".json", ".ndjson")


def _preview(desk: Desk, profile_id: str, path: Path) -> dict[str, Any]:
    """Build the plain web guide into the preview folder, and lay out the printed one."""
    with desk.building:
        report = build(desk.root, [profile_id], out=desk.preview, pdf=False, jobs=1, sealed=False)
    problems = [p.message for p in report.problems if p.severity == "error"]
    link = ProjectState(desk.root).links().get(profile_id)
    project: Project = load_checked_project(desk.root)
    loaded, found = load_profile(path, desk.root, project.settings, project.vocabulary)
    if loaded is None or link is None:
        return {"problems": problems or [p.message for p in found], "frame": "", "marks": [], "summary": ""}
    choice = paper_choice(project, loaded)
    language = loaded.profile.language or project.settings.default_language
    titles = {m.id: m.text_for(language)[0].title for m in project.modules}
    marks = [(titles.get(module_id, module_id), mark) for module_id, mark in choice.marks.items()]
    return {
        "problems": problems,
        "frame": f"/preview/{link.slug}/index.html",
        "marks": marks,
        "summary": choice.summary(),
    }


async def preview_page(request: Request) -> Response:
    desk = desk_of(request)
    profile_id, path = person_file(request)
    try:
        context = await run_in_threadpool(_preview, desk, profile_id, path)
    except GuidegenError as error:
        context = {"problems": error.report(), "frame": "", "marks": [], "summary": ""}
    return render(request, "preview.html", {"section": "people", "profile_id": profile_id, **context})


def preview_file(request: Request) -> Response:
    """A file of the previewed web guides (their pages and shared assets), never outside that folder."""
    desk = desk_of(request)
    parts = [p for p in str(request.path_params["path"]).split("/") if p]
    target = desk.preview.joinpath(*parts).resolve() if parts else desk.preview
    if not parts or not target.is_relative_to(desk.preview.resolve()) or not target.is_file():
        raise HTTPException(404, "Not found")
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind == "application/javascript":
        kind += "; charset=utf-8"
    return Response(target.read_bytes(), media_type=kind)


def print_page(request: Request) -> Response:
    profile_id, _ = person_file(request)
    return render(
        request, "print.html", {"section": "people", "profile_id": profile_id, "problems": [], "ready": False}
    )


async def print_person(request: Request) -> Response:
    """Build this person's guide (web and PDF) as `guidegen build ID` does; then the PDF is ready."""
    await posted(request)
    desk = desk_of(request)
    profile_id, _ = person_file(request)
    try:
        report = await run_in_threadpool(build, desk.root, [profile_id], jobs=1)
        problems = [str(p) for p in report.problems if p.severity == "error"]
    except GuidegenError as error:
        problems = error.report()
    ready = not problems and _pdf_path(desk, profile_id).is_file()
    if ready:
        audit(desk.root, "printed", profile_id)
    context = {"section": "people", "profile_id": profile_id, "problems": problems, "ready": ready}
    return render(request, "print.html", context, 200 if ready else 400)


def _pdf_path(desk: Desk, profile_id: str) -> Path:
    return desk.root / load_settings(desk.root).print_output / f"{profile_id}.pdf"


def person_pdf(request: Request) -> Response:
    """The person's printed guide (print/<id>.pdf), shown in the browser."""
    desk = desk_of(request)
    profile_id, _ = person_file(request)
    path = _pdf_path(desk, profile_id)
    if not path.is_file():
        raise HTTPException(404, "Not found")
    headers = {"Content-Disposition": f'inline; filename="{profile_id}.pdf"'}
    return Response(path.read_bytes(), media_type="application/pdf", headers=headers)


def _handover(request: Request, *, rotate: bool) -> Response:
    desk = desk_of(request)
    profile_id, _ = person_file(request)
    link = person_link(desk.root, load_settings(desk.root), profile_id, rotate=rotate)
    audit(desk.root, "link-rotated" if rotate else "link-shown", profile_id)
    import segno

    qr = Markup(segno.make(link, error="m", micro=False).svg_inline(scale=5, border=4, dark="#000", light="#fff"))
    context = {"section": "people", "profile_id": profile_id, "link": link, "qr": qr, "rotated": rotate}
    return render(request, "handover.html", context)


def handover_page(request: Request) -> Response:
    return _handover(request, rotate=False)


async def new_link(request: Request) -> Response:
    await posted(request)
    return await run_in_threadpool(_handover, request, rotate=True)


def import_page(request: Request) -> Response:
    return render(request, "import.html", {"section": "import", "lines": [], "problems": []})


def _import(desk: Desk, upload: bytes, suffix: str) -> tuple[list[str], list[str]]:
    """Import one uploaded file as `guidegen import fhir` does: (report lines, problems)."""
    folder = desk.root / STATE_DIR
    ProjectState(desk.root).ensure()
    staging = Path(tempfile.mkdtemp(prefix="desk-upload-", dir=folder))
    try:
        path = staging / f"upload{suffix}"
        path.write_bytes(upload)
        shown = display_path(path, desk.root)
        try:
            report = import_fhir(desk.root, [path], jobs=1)
        except GuidegenError as error:
            return [], [line.replace(shown, "the uploaded file") for line in error.report()]
        for item in report.imported:
            if item.status != "unchanged":
                audit(desk.root, "imported", item.id)
        return [line.replace(shown, "the uploaded file") for line, _ in report_lines(report)], []
    finally:
        shutil.rmtree(staging, ignore_errors=True)


async def import_file(request: Request) -> Response:
    form = await posted(request)
    upload = form.get("file")
    desk = desk_of(request)
    lines: list[str] = []
    problems: list[str] = []
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems = ["choose a FHIR file (.json or .ndjson)"]
    else:
        suffix = Path(upload.filename).suffix.lower()
        data = await upload.read()
        lines, problems = await run_in_threadpool(_import, desk, data, suffix if suffix in UPLOAD_SUFFIXES else ".json")
    status = 400 if problems else 200
    return render(request, "import.html", {"section": "import", "lines": lines, "problems": problems}, status)
