"""Shared fixtures: the repository's example project, copies of it to break, and a CLI runner."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from guidegen.cli import main
from guidegen.publish.build import build
from guidegen.publish.state import Link, ProjectState
from guidegen.web.seal import unseal

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, which the browser tests drive with Playwright."""
EXAMPLE_DATE = "1795000000"
"""SOURCE_DATE_EPOCH for the example site: 2026-11-18, so cover dates never change."""


@pytest.fixture
def repo() -> Path:
    """The repository, which is itself a guidegen project with example data."""
    return REPO


def copy_project(destination: Path, *, profiles: tuple[str, ...] | None = None) -> Path:
    """A copy of the example project (settings, content, profiles, no templates: the packaged theme)."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "guidegen.yaml", destination / "guidegen.yaml")
    shutil.copytree(REPO / "content", destination / "content")
    (destination / "profiles").mkdir()
    for path in sorted((REPO / "profiles").glob("*.yaml")):
        if profiles is None or path.stem in profiles:
            shutil.copy(path, destination / "profiles" / path.name)
    return destination


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the example project to change freely."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def clinic(project: Path) -> Path:
    """The example project, without its example profiles."""
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    return project


@pytest.fixture
def run() -> Callable[..., Result]:
    """Run the guidegen CLI in-process: run("build", "--no-pdf", "-C", path)."""
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A fresh copy of the small fixture project (tests/fixtures/mini: two people, three modules)."""
    return Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the example project with its web guides (no PDFs) and the staff index, built
    once per test run; the guides are in <copy>/site, the state in <copy>/.guidegen."""
    root = copy_project(tmp_path_factory.mktemp("example") / "project")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EXAMPLE_DATE
    try:
        report = build(root, pdf=False, index=True)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    assert report.problems == []
    yield root


def link_of(root: Path, guide_id: str) -> Link:
    """A person's slug and key, from the project state."""
    return ProjectState(root).links()[guide_id]


def folder_of(root: Path, guide_id: str, out: Path | None = None) -> Path:
    """A person's web guide folder: site/<slug> (or <out>/<slug>)."""
    return (out or root / "site") / link_of(root, guide_id).slug


def page_html(root: Path, guide_id: str, out: Path | None = None) -> str:
    """A person's web guide as they read it: opened with their key when it is sealed."""
    text = (folder_of(root, guide_id, out) / "index.html").read_text(encoding="utf-8")
    return opened(text, link_of(root, guide_id).key)


def opened(page: str, key: str) -> str:
    """The guide inside a sealed page (the page itself when it is not sealed)."""
    start = page.find('<script type="application/octet-stream" id="sealed-guide">')
    if start < 0:
        return page
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return unseal(key, base64.b64decode(body)).decode("utf-8")


def pdf_of(root: Path, guide_id: str) -> Path:
    """A person's print guide for staff: print/<id>.pdf."""
    return root / "print" / f"{guide_id}.pdf"


def _at_size(size: float, obj: dict) -> bool:
    return obj.get("object_type") != "char" or abs(obj["size"] - size) < 0.5


def more_list(pdf: Path, first_page: int) -> list[str]:
    """The titles listed on "More in your web guide" (from page `first_page`, 1-based, to the end),
    read column by column: each title in one line, whatever its wrapping."""
    import pdfplumber

    titles: list[str] = []
    with pdfplumber.open(pdf) as document:
        for page in document.pages[first_page - 1 :]:
            bullets = [char for char in page.chars if char["text"] == "•"]
            if not bullets:
                continue
            size = bullets[0]["size"]  # the list's type size: leaves out the footer and the QR caption
            body = page.filter(partial(_at_size, size))
            starts = sorted({round(char["x0"]) for char in bullets})
            edges = [0.0, *(float(x) - 1.0 for x in starts[1:]), float(page.width)]
            for left, right in zip(edges, edges[1:], strict=False):
                text = body.crop((left, 0, right, page.height)).extract_text()
                titles.extend(" ".join(item.split()) for item in text.split("•")[1:])
    return titles


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """Playwright, started once per session (test_webapp.py launches its own browsers with it)."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail("the browser tests need Debian's chromium: ./install.sh test installs it")
        pytest.skip("Debian's chromium is not installed (./install.sh test)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core, to run inside a page."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
