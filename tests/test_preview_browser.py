"""The live preview in a real browser: the guide's CSP is kept, and under it the reload script
still polls and reloads the page after a save (no CSP violation in the console)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from cases import FIXTURES
from test_browser import Visit, chromium  # noqa: F401 - the session's Chromium fixture
from test_hardening import start_preview

pytestmark = pytest.mark.browser


def test_the_preview_reloads_under_the_guides_csp(chromium, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    mini = Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))
    address, saves, thread = start_preview(mini)
    visit = Visit(chromium)
    try:
        page = visit.open(address)
        assert "connect-src 'self'" in page.content()
        module = mini / "content" / "welcome" / "hello.md"
        module.write_text(module.read_text().replace("This guide is yours.", "This guide belongs to you."))
        saves.put("saved")
        deadline = time.monotonic() + 15  # polled from here: the page's CSP forbids eval, so no wait_for_function
        while "This guide belongs to you." not in page.inner_text("body") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "This guide belongs to you." in page.inner_text("body")
        assert [e for e in visit.errors if "Content Security Policy" in e] == []
    finally:
        visit.page.close()
        saves.put(None)
        thread.join(timeout=10)
