"""The live preview: serves the chosen person's guide, rebuilds on save, shows problems."""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import link_of
from guidegen.serve import serve


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
        return response.read().decode()


def test_preview_serves_rebuilds_and_reports_problems(mini: Path) -> None:
    saves: queue.Queue[object] = queue.Queue()
    ready: queue.Queue[str] = queue.Queue()

    def changes():
        while (item := saves.get()) is not None:
            yield item

    thread = threading.Thread(
        target=serve, args=(mini, "p-001"), kwargs={"port": 0, "on_ready": ready.put, "changes": changes()}, daemon=True
    )
    thread.start()
    address = ready.get(timeout=20)
    base = "/".join(address.split("/", 3)[:3]) + "/"
    assert address == base + link_of(mini, "p-001").slug + "/"
    try:
        page = get(address)
        assert "Robin Alvarez-Quill" in page and "/__preview/reload.js" in page
        assert "script-src 'self'" in page and "connect-src 'self'\">" in page  # the guide's CSP is kept
        assert "p-001" in get(base) and "p-002" not in get(base)
        state = json.loads(get(base + "__preview/state"))
        assert state["problems"] == ""

        module = mini / "content" / "welcome" / "hello.md"
        module.write_text(module.read_text().replace("This guide is yours.", "This guide belongs to you."))
        saves.put("saved")
        deadline = time.monotonic() + 10
        while json.loads(get(base + "__preview/state"))["version"] == state["version"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "This guide belongs to you." in get(address)

        module.write_text(module.read_text() + "\n{{ person.nmae }}\n")
        saves.put("saved")
        deadline = time.monotonic() + 10
        while "hello.md" not in json.loads(get(base + "__preview/state"))["problems"] and time.monotonic() < deadline:
            time.sleep(0.05)
        problems = json.loads(get(base + "__preview/state"))["problems"]
        assert "content/welcome/hello.md:14:" in problems and "without an original" not in problems
        with pytest.raises(urllib.error.HTTPError):
            get(base + "../../etc/passwd")
    finally:
        saves.put(None)
        thread.join(timeout=10)
    assert not thread.is_alive()
