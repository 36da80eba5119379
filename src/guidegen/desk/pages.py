"""What every desk page shares: the templates (Jinja2, autoescaped), the staff language, the
project's settings and vocabulary, and the profile a page is about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..project.profiles import id_problem
from ..project.settings import Settings, load_settings
from ..project.vocabulary import Vocabulary, load_vocabulary
from .save import profile_file
from .security import Desk, Session
from .strings import LANGUAGES, ui

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def project_of(request: Request) -> tuple[Settings, Vocabulary]:
    """The project's settings and vocabulary, read again for each page (staff may edit them)."""
    root = desk_of(request).root
    settings = load_settings(root)
    return settings, load_vocabulary(root, settings)


def staff_languages(settings: Settings) -> list[str]:
    """The settings' languages the desk has words for (English when none)."""
    return [code for code in settings.languages if code in LANGUAGES] or ["en"]


def language_of(request: Request, settings: Settings) -> str:
    session: Session = request.state.session
    offered = staff_languages(settings)
    return session.language if session.language in offered else offered[0]


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A page in the staff language, with the session's CSRF token for its forms."""
    settings = load_settings(desk_of(request).root)
    language = language_of(request, settings)
    session: Session = request.state.session
    page = _ENV.get_template(name).render(
        t=ui(language),
        lang=language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in staff_languages(settings)],
        csrf=session.csrf,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status)


def person_file(request: Request) -> tuple[str, Path]:
    """The id in the address and its profile file; 404 when there is no such profile."""
    profile_id = str(request.path_params["id"])
    if id_problem(profile_id):
        raise HTTPException(404, "Not found")
    path = profile_file(desk_of(request).root, profile_id)
    if not path.is_file():
        raise HTTPException(404, "Not found")
    return profile_id, path
