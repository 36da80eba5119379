"""`guidegen serve`: a live preview for editors.

Builds the web guides (no PDF) into a temporary folder, serves them on this computer only, and
rebuilds when a module, profile, template or setting is saved; the open page reloads itself.
Problems are shown on the page as `file:line: message`, as `check` prints them.

It answers only requests addressed to its own host and port (a web page elsewhere cannot reach
it through DNS rebinding), keeps each guide's Content-Security-Policy (adding only what the
reload script needs: `connect-src 'self'`), and removes its temporary folder of previewed guides
on Ctrl+C, SIGTERM and SIGHUP alike.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .errors import GuidegenError
from .project.profiles import PROFILES_DIR, check_id, profile_paths
from .project.settings import SETTINGS_FILE
from .publish.build import build
from .publish.state import Link, ProjectState
from .publish.stopping import stop_on_signals

RELOAD_SCRIPT = """\
(function () {
  "use strict";
  var seen = null;
  function show(problems) {
    var box = document.getElementById("guidegen-preview-problems");
    if (!problems) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "guidegen-preview-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;bottom:0;left:0;right:0;max-height:40vh;overflow:auto;margin:0;padding:1em;" +
        "background:#fff3cd;color:#000;border-top:3px solid #a15c00;font:14px/1.4 monospace;z-index:1000;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = problems;
  }
  function poll() {
    fetch("/__preview/state", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (state) {
      if (seen !== null && state.version !== seen) { location.reload(); return; }
      seen = state.version;
      show(state.problems);
    }).catch(function () {}).finally(function () { setTimeout(poll, 700); });
  }
  poll();
})();
"""
_CSP = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")', re.IGNORECASE)


def preview_csp(page: str) -> str:
    """The page's own CSP, plus `connect-src 'self'` for the reload script's state poll.

    The reload script itself is served from the preview's own origin, so `script-src 'self'`
    already allows it; nothing else is loosened."""

    def extend(match: re.Match[str]) -> str:
        policy = match.group(2)
        if "connect-src" not in policy:
            policy = policy.rstrip("; ") + "; connect-src 'self'"
        return match.group(1) + policy + match.group(3)

    return _CSP.sub(extend, page)


@dataclass
class Preview:
    """The preview's state: what was built last and what went wrong."""

    root: Path
    out: Path
    profile: str | None
    version: int = 0
    problems: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    hosts: frozenset[str] = frozenset()
    """The Host headers the preview answers: its own host and port only."""

    def rebuild(self) -> None:
        """Build the previewed guides (HTML only) and remember the problems."""
        with self.lock:
            try:
                report = build(
                    self.root, [self.profile] if self.profile else [], out=self.out, pdf=False, jobs=1, sealed=False
                )
                self.problems = "\n".join(str(p) for p in report.problems)
            except GuidegenError as error:
                self.problems = str(error)
            self.version += 1


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            """Quiet: requests carry profile ids, which do not belong in a terminal log."""

        def send(self, body: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if (self.headers.get("Host") or "").lower() not in preview.hosts:
                self.send(b"this preview answers only at its own address", "text/plain", HTTPStatus.MISDIRECTED_REQUEST)
                return
            path = self.path.split("?", 1)[0]
            if path == "/__preview/state":
                state = {"version": preview.version, "problems": preview.problems}
                self.send(json.dumps(state).encode(), "application/json")
            elif path == "/__preview/reload.js":
                self.send(RELOAD_SCRIPT.encode(), "text/javascript")
            elif path == "/":
                self.send(self.chooser().encode(), "text/html; charset=utf-8")
            else:
                self.static(path)

        def chooser(self) -> str:
            return chooser_page(preview)

        def static(self, path: str) -> None:
            found = preview_file(preview.out, path)
            if found is None:
                self.send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
            else:
                self.send(*found)

    return Handler


def chooser_page(preview: Preview) -> str:
    """The preview's first page: which person to preview as."""
    ids = [preview.profile] if preview.profile else [p.stem for p in profile_paths(preview.root)]
    known = ProjectState(preview.root).links()
    links = "".join(
        f'<li><a href="{html.escape(preview_address(known[i]))}">{html.escape(i)}</a></li>' for i in ids if i in known
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>guidegen preview</title></head>'
        f"<body><h1>Preview as</h1><ul>{links}</ul>"
        '<script src="/__preview/reload.js"></script></body></html>'
    )


def preview_address(link: Link) -> str:
    """Where the preview shows a person's guide (plain, on this computer only)."""
    return f"/{link.slug}/"


def preview_file(out: Path, path: str) -> tuple[bytes, str] | None:
    """A built file and its type, with the reload script in pages; None outside the output folder."""
    parts = [p for p in path.split("/") if p]
    if path.endswith("/"):
        parts.append("index.html")
    target = (out.joinpath(*parts)).resolve()
    if not parts or not target.is_relative_to(out.resolve()) or not target.is_file():
        return None
    body = target.read_bytes()
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.name == "index.html":
        page = preview_csp(body.decode("utf-8"))
        page = page.replace("</body>", '<script src="/__preview/reload.js"></script></body>')
        body = page.encode("utf-8")
        kind = "text/html; charset=utf-8"
    return body, kind


def watched_paths(root: Path) -> list[Path]:
    """What the preview watches: settings, content, profiles and the project's theme."""
    paths = [root / SETTINGS_FILE, root / "content", root / PROFILES_DIR, root / "templates"]
    return [p for p in paths if p.exists()]


def serve(
    root: Path,
    profile: str | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    changes: Iterable[object] | None = None,
) -> None:
    """Serve a live preview until interrupted. `changes` yields once per batch of saved files
    (watchfiles by default)."""
    if profile is not None:
        check_id(profile)
    out = Path(tempfile.mkdtemp(prefix="guidegen-preview-"))
    try:
        with stop_on_signals():
            preview = Preview(root, out, profile)
            preview.rebuild()
            server = ThreadingHTTPServer((host, port), _handler(preview))
            bound = server.server_address[1]
            preview.hosts = frozenset(f"{name}:{bound}" for name in (host, "127.0.0.1", "localhost"))
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            address = f"http://{host}:{bound}/"
            if profile:
                address = address.rstrip("/") + preview_address(ProjectState(root).links_for([profile])[profile])
            if on_ready:
                on_ready(address)
            try:
                if changes is None:
                    import watchfiles

                    changes = watchfiles.watch(*watched_paths(root))
                for _ in changes:
                    preview.rebuild()
            finally:
                server.shutdown()
                server.server_close()
    finally:
        shutil.rmtree(out, ignore_errors=True)
