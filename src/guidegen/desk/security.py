"""Who may use the desk: the browser that opened the address with the token, on this computer.

The address printed at start holds a random token (256 bits); opening it sets a session cookie
(HttpOnly, SameSite=Strict) and redirects to an address without the token. Every other request
needs the cookie; the Host must be the desk's own (no DNS rebinding), a POST must come from the
desk's own origin and carry the session's CSRF token. Every answer forbids caching and outside
sources (CSP), and is never framed by another site.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

COOKIE = "guidegen_desk"
MAX_SESSIONS = 64
"""Sessions kept at once (each browser that opened the address); the oldest goes first."""
MAX_UPLOAD = 256 * 1024 * 1024
"""The largest FHIR file the desk accepts in one upload."""
CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
PREVIEW_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
"""For the previewed web guide (framed by the desk's preview page) and the PDF: still no outside source."""
FRAMED = ("/preview/", "/pdf/")


@dataclass
class Session:
    """One browser's session: its CSRF token and the staff language it chose."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    language: str = ""


@dataclass
class Desk:
    """The running desk: its project, its address, its token and sessions, its preview folder."""

    root: Path
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    sessions: dict[str, Session] = field(default_factory=dict)
    preview: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="guidegen-desk-")))
    building: threading.Lock = field(default_factory=threading.Lock)
    """One preview build at a time into the preview folder."""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hosts(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    @property
    def address(self) -> str:
        """What the desk prints (and opens): its address with the token."""
        return f"{self.origin}/?token={self.token}"

    def new_session(self) -> str:
        while len(self.sessions) >= MAX_SESSIONS:
            del self.sessions[next(iter(self.sessions))]
        key = secrets.token_urlsafe(32)
        self.sessions[key] = Session()
        return key


def refused(why: str) -> Response:
    return PlainTextResponse(
        f"Refused: {why}. Open the address that guidegen desk printed when it started.", status_code=403
    )


class Guard(BaseHTTPMiddleware):
    """Host, token, session and origin checks in front of every page; hardening headers after."""

    def __init__(self, app: ASGIApp, desk: Desk) -> None:
        super().__init__(app)
        self.desk = desk

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await self.admit(request, call_next)
        framed = request.url.path.startswith(FRAMED)
        headers = response.headers
        headers["Content-Security-Policy"] = PREVIEW_CSP if framed else CSP
        headers["Cache-Control"] = "no-store"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
        headers["Referrer-Policy"] = "same-origin"  # no-referrer would make the browser send `Origin: null` with forms
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response

    async def admit(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        desk = self.desk
        if request.headers.get("host", "").lower() not in desk.hosts:
            return refused("this desk answers only at its own address")
        if request.method not in ("GET", "HEAD", "POST"):
            return PlainTextResponse("Method not allowed", status_code=405)
        token = request.query_params.get("token")
        if token is not None:
            if request.url.path != "/" or not secrets.compare_digest(token.encode(), desk.token.encode()):
                return refused("this address holds a wrong token")
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, desk.new_session(), httponly=True, samesite="strict", path="/")
            return response
        session = desk.sessions.get(request.cookies.get(COOKIE, ""))
        if session is None:
            return refused("no desk session in this browser")
        if request.method == "POST" and not self.same_origin(request):
            return refused("a form from another site")
        request.state.session = session
        return await call_next(request)

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        site = request.headers.get("sec-fetch-site")
        return (origin is None or origin == self.desk.origin) and site in (None, "same-origin", "none")


async def posted(request: Request) -> FormData:
    """A POSTed form, once its CSRF token is the session's; 403 otherwise."""
    form = await request.form(max_files=1, max_fields=5000, max_part_size=MAX_UPLOAD)
    session: Session = request.state.session
    sent = form.get("csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), session.csrf.encode()):
        raise HTTPException(403, "Refused: this form has no valid CSRF token. Reload the page and try again.")
    return form
