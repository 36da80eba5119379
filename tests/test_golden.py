"""The example project's web guides, byte for byte against the committed goldens.

After an intended change: GUIDEGEN_REGENERATE=1 .venv/bin/python -m pytest tests/test_golden.py
then review `git diff tests/golden`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import page_html
from guidegen.web.themecheck import load_checked_project

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def built(example_site: Path) -> Path:
    return example_site


def example_ids() -> list[str]:
    return sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("profile_id", example_ids())
def test_web_guide_matches_golden(built: Path, profile_id: str) -> None:
    fresh = page_html(built, profile_id)  # the guide as its reader sees it, once their link opens it
    golden = GOLDEN / f"{profile_id}.html"
    if os.environ.get("GUIDEGEN_REGENERATE"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(fresh, encoding="utf-8")
    assert golden.is_file(), f"no golden for {profile_id}: run with GUIDEGEN_REGENERATE=1"
    assert fresh == golden.read_text(encoding="utf-8"), f"{profile_id} differs from its golden (regenerate if intended)"


def test_every_golden_has_a_profile() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.html")) == example_ids()


def test_print_html_matches_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML that WeasyPrint lays out for one example guide, before any PDF is made."""
    from conftest import EXAMPLE_DATE
    from guidegen.guide.assemble import make_guide
    from guidegen.project.load import valid_profiles
    from guidegen.web.pages import render_print

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_DATE)
    project = load_checked_project(REPO)
    loaded = next(iter(valid_profiles(project, ["r-0142"])))
    fresh = render_print(make_guide(project, loaded.profile), project.settings, project.pages)
    golden = GOLDEN / "print" / "r-0142.html"
    if os.environ.get("GUIDEGEN_REGENERATE"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(fresh, encoding="utf-8")
    assert fresh == golden.read_text(encoding="utf-8"), (
        "the print HTML differs from its golden (regenerate if intended)"
    )
