"""The desk's people pages: everyone (overdue reviews first, search), reviews due, and a person's
form: opened from their file, saved through the loader `check` uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..errors import Problem
from ..project.due import ReviewDue, due_reviews, pick, today
from ..project.profiles import LoadedProfile, id_problem, load_profile, profile_paths
from ..project.settings import Settings
from ..project.vocabulary import Vocabulary
from ..project.yamlfile import read_yaml
from .audit import audit
from .form import PersonForm, form_values, person_form, place_problem, read_submitted
from .pages import desk_of, language_of, person_file, project_of, render
from .save import file_version, save_profile
from .security import Session, posted
from .strings import LANGUAGES

REVIEW_WINDOW = 30
"""Reviews due page: overdue ones, and those due within this many days."""


def _people(root: Path, settings: Settings, vocabulary: Vocabulary) -> tuple[list[LoadedProfile], list[str]]:
    valid, invalid = [], []
    for path in profile_paths(root):
        loaded, _ = load_profile(path, root, settings, vocabulary)
        if loaded is None:
            invalid.append(path.stem)
        else:
            valid.append(loaded)
    return valid, invalid


def _rows(
    due: list[ReviewDue], by_id: Mapping[str, LoadedProfile], settings: Settings, vocabulary: Vocabulary, language: str
) -> list[dict[str, Any]]:
    rows = []
    for review in due:
        person = by_id[review.id].profile
        rows.append(
            {
                "id": person.id,
                "name": person.name,
                "language": person.language or settings.default_language,
                "stage": vocabulary.label(person.stage, language, settings.default_language) if person.stage else "",
                "next": review.next.isoformat() if review.next else "",
                "days": review.days,
                "overdue": review.overdue,
            }
        )
    return rows


def people_list(request: Request) -> Response:
    """Everyone, overdue reviews first; `q` keeps those whose name or id holds it."""
    root = desk_of(request).root
    settings, vocabulary = project_of(request)
    valid, invalid = _people(root, settings, vocabulary)
    by_id = {loaded.profile.id: loaded for loaded in valid}
    rows = _rows(due_reviews(valid, today()), by_id, settings, vocabulary, language_of(request, settings))
    query = request.query_params.get("q", "").strip()
    if query:
        wanted = query.casefold()
        rows = [r for r in rows if wanted in r["name"].casefold() or wanted in r["id"]]
        invalid = [i for i in invalid if wanted in i]
    return render(request, "people.html", {"section": "people", "rows": rows, "invalid": invalid, "query": query})


def reviews_due(request: Request) -> Response:
    """As `guidegen reviews --within 30`: overdue first, then soonest."""
    root = desk_of(request).root
    settings, vocabulary = project_of(request)
    valid, _ = _people(root, settings, vocabulary)
    by_id = {loaded.profile.id: loaded for loaded in valid}
    due = pick(due_reviews(valid, today()), within=REVIEW_WINDOW)
    rows = _rows(due, by_id, settings, vocabulary, language_of(request, settings))
    return render(request, "reviews.html", {"section": "reviews", "rows": rows})


def _form_page(
    request: Request,
    form: PersonForm,
    values: Mapping[str, Any],
    *,
    profile_id: str,
    version: str,
    problems: Sequence[Problem] = (),
    aliases: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    """The form with its values, each problem beside its field (and listed at the top, linked)."""
    known = {f.name for f in form.all()} | {"id"}
    for item in form.all():
        for index in range(len(values.get(item.name, [])) + 1 if item.columns else 0):
            known |= {f"{item.name}-{index}-{c.name}" for c in item.columns} | {f"{item.name}-{index}"}
    errors: dict[str, list[str]] = {}
    for problem in problems:
        place, message = place_problem(problem.message, aliases or {}, known)
        errors.setdefault(place, []).append(message)
    labels, anchors = _error_labels(form, errors)
    context = {
        "section": "new" if not version else "people",
        "form": form,
        "values": values,
        "errors": errors,
        "labels": labels,
        "anchors": anchors,
        "profile_id": profile_id,
        "new": not version,
        "version": version,
        "notice": notice,
    }
    return render(request, "person.html", context, status)


def _error_labels(form: PersonForm, errors: Mapping[str, list[str]]) -> tuple[dict[str, str], dict[str, str]]:
    """Each problem's place in words (field, row, column) and the element to jump to."""
    labels, anchors = {"id": "Id"}, {}
    for place in errors:
        matches = [f for f in form.all() if place == f.name or place.startswith(f.name + "-")]
        if not matches:
            continue
        item = max(matches, key=lambda f: len(f.name))
        row, _, column = place[len(item.name) :].strip("-").partition("-")
        if not row.isdigit():
            labels[place] = item.label
            continue
        named = next((c for c in item.columns if c.name == column), None)
        labels[place] = f"{item.label} {int(row) + 1}" + (f", {named.label}" if named else "")
        anchors[place] = place if named else f"{item.name}-{row}-{item.columns[0].name}"
    return labels, anchors


def person_page(request: Request) -> Response:
    """A person's form, filled from their file; the file's problems beside their fields."""
    root = desk_of(request).root
    profile_id, path = person_file(request)
    settings, vocabulary = project_of(request)
    form = person_form(settings, vocabulary, language_of(request, settings))
    saved = request.query_params.get("saved") == "1"
    if not saved:
        audit(root, "opened", profile_id)
    document, problems = read_yaml(path, root)
    if document is None or not isinstance(document.data, dict):
        return render(request, "broken.html", {"section": "people", "profile_id": profile_id, "problems": problems})
    values = form_values(form, document.data)
    _, problems = load_profile(path, root, settings, vocabulary)
    aliases = _measure_aliases(values.get("measures", []))
    notice = "saved" if saved else ""
    return _form_page(
        request,
        form,
        values,
        profile_id=profile_id,
        version=file_version(path),
        problems=problems,
        aliases=aliases,
        notice=notice,
    )


def _measure_aliases(rows: list[dict[str, str]]) -> dict[str, str]:
    """measures.phq9[1].score -> the form's row of that score (the rows list every measure in turn)."""
    aliases: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        position = seen.get(row["measure"], 0)
        seen[row["measure"]] = position + 1
        at = f"measures.{row['measure']}[{position}]"
        aliases[at] = f"measures-{index}"
        for column in ("date", "score"):
            aliases[f"{at}.{column}"] = f"measures-{index}-{column}"
    return aliases


def new_person(request: Request) -> Response:
    """An empty form, with an id to choose."""
    settings, vocabulary = project_of(request)
    form = person_form(settings, vocabulary, language_of(request, settings))
    values = form_values(form, {"language": settings.default_language, "print": "essentials"})
    return _form_page(request, form, values, profile_id="", version="")


async def save_person(request: Request) -> Response:
    """Save the form (POST): checked as `check` checks, written only when valid and unchanged on disk."""
    root = desk_of(request).root
    posted_form = await posted(request)
    new = request.url.path == "/new"
    if new:
        profile_id = str(posted_form.get("id") or "").strip()
        version = ""
    else:
        profile_id, _ = person_file(request)
        version = str(posted_form.get("version") or "")
    settings, vocabulary = project_of(request)
    words = language_of(request, settings)
    form = person_form(settings, vocabulary, words)
    submitted = read_submitted(form, posted_form)
    page: dict[str, Any] = {"profile_id": profile_id, "version": version, "aliases": submitted.aliases}
    problem = id_problem(profile_id) if new else None
    if problem:
        return _form_page(
            request, form, submitted.shown, problems=[Problem("", None, f"id: {problem}")], status=400, **page
        )
    saved = await run_in_threadpool(save_profile, root, profile_id, submitted.values, version, settings, vocabulary)
    if saved.status == "saved":
        audit(root, "saved", profile_id)
        return RedirectResponse(f"/people/{profile_id}?saved=1", status_code=303)
    if saved.status == "exists":
        return _form_page(request, form, submitted.shown, notice="exists", status=409, **page)
    if saved.status == "changed":
        return _form_page(request, form, submitted.shown, notice="changed", status=409, **page)
    if saved.status == "unchanged":
        return _form_page(request, form, submitted.shown, notice="unchanged", **page)
    return _form_page(request, form, submitted.shown, problems=saved.problems, notice="invalid", status=400, **page)


async def choose_language(request: Request) -> Response:
    """The staff language for this session (POST), then back to the page it was chosen on."""
    form = await posted(request)
    session: Session = request.state.session
    language = str(form.get("language") or "")
    if language in LANGUAGES:
        session.language = language
    back = str(form.get("back") or "/")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    return RedirectResponse(back, status_code=303)
