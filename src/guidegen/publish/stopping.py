"""Stopping a long-running command (the live preview, the desk) cleanly: SIGTERM and SIGHUP become
KeyboardInterrupt, as Ctrl+C does (even where the command was started with Ctrl+C ignored), so the
command's own clean-up runs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM, SIGHUP and SIGINT raise KeyboardInterrupt inside the block. Only the main thread may set
    handlers: elsewhere, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {number: signal.signal(number, interrupt) for number in wanted}
    # Ctrl+C too, even when this process was started with SIGINT ignored (from a script, in the
    # background): the server takes it over once it runs, and a Ctrl+C before that must not be lost.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
