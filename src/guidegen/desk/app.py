"""The desk as a Starlette application: its routes, behind the Guard (see security.py)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import GuidegenError
from .handover import (
    handover_page,
    import_file,
    import_page,
    new_link,
    person_pdf,
    preview_file,
    preview_page,
    print_page,
    print_person,
)
from .pages import STATIC
from .people import choose_language, new_person, people_list, person_page, reviews_due, save_person
from .security import Desk, Guard


def make_app(desk: Desk) -> Starlette:
    """Every page of the desk; nothing answers before the Guard has let the request in."""
    routes = [
        Route("/", people_list),
        Route("/reviews", reviews_due),
        Route("/new", new_person),
        Route("/new", save_person, methods=["POST"]),
        Route("/people/{id}", person_page),
        Route("/people/{id}", save_person, methods=["POST"]),
        Route("/people/{id}/preview", preview_page),
        Route("/people/{id}/print", print_page),
        Route("/people/{id}/print", print_person, methods=["POST"]),
        Route("/pdf/{id}.pdf", person_pdf),
        Route("/people/{id}/link", handover_page),
        Route("/people/{id}/link", new_link, methods=["POST"]),
        Route("/preview/{path:path}", preview_file),
        Route("/import", import_page),
        Route("/import", import_file, methods=["POST"]),
        Route("/language", choose_language, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {HTTPException: _http_error, GuidegenError: _project_error}
    app = Starlette(routes=routes, middleware=[Middleware(Guard, desk=desk)], exception_handlers=handlers)
    app.state.desk = desk
    return app


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return PlainTextResponse(error.detail, status_code=error.status_code)


async def _project_error(request: Request, error: Exception) -> Response:
    """The project's own files are wrong (settings, vocabulary): say where, as `check` would."""
    assert isinstance(error, GuidegenError)
    lines = "\n".join(error.report())
    return PlainTextResponse(f"The project has problems; run guidegen check:\n{lines}", status_code=500)
