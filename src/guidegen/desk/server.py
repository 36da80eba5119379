"""`guidegen desk`: the staff desk served by uvicorn on 127.0.0.1 only, until Ctrl+C or SIGTERM.

The socket is bound (and listening) before the address is printed, so the browser never races
the server; uvicorn's access log is off (paths can hold ids, queries a search for a name), and
the preview folder is removed however the desk stops.
"""

from __future__ import annotations

import logging
import shutil
import socket
import traceback
from collections.abc import Callable
from pathlib import Path

from ..project.settings import load_settings
from ..publish.state import manifest_name
from ..publish.statefile import STATE_DIR
from ..publish.stopping import stop_on_signals
from .security import Desk

HOST = "127.0.0.1"


def run_desk(root: Path, port: int, on_ready: Callable[[str], None]) -> None:
    """Serve the desk for the project at `root`; `on_ready` gets the address with the token."""
    import uvicorn

    from .app import make_app

    load_settings(root)  # a project with broken settings stops here, with file:line
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(64)
    except OSError:
        listener.close()
        raise
    desk = Desk(root, listener.getsockname()[1])
    config = uvicorn.Config(
        make_app(desk),
        access_log=False,
        log_level="warning",
        lifespan="off",
        server_header=False,
        date_header=False,
        log_config=None,
    )
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        logging.getLogger(name).addFilter(NoValues())
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = uvicorn.Server(config)
    try:
        with stop_on_signals():
            on_ready(desk.address)
            server.run(sockets=[listener])
    finally:
        listener.close()
        shutil.rmtree(desk.preview, ignore_errors=True)
        settings = load_settings(root)
        (root / STATE_DIR / manifest_name(desk.preview, root / settings.output)).unlink(missing_ok=True)


class NoValues(logging.Filter):
    """A bug's log line says where (files and lines), never what: an exception's message or a
    traceback's variables could hold a value from a profile."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            frames = traceback.extract_tb(trace)[-4:]
            where = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
            record.msg = f"guidegen desk: a bug ({kind.__name__} at {where}); please report it"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
