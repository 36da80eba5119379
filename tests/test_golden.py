"""The example project's web guides, byte for byte against the committed goldens.

After an intended change: GUIDEGEN_REGENERATE=1 .venv/bin/python -m pytest tests/test_golden.py
then review `git diff tests/golden`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guidegen.build import build

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1795000000"  # 2026-11-18: the cover date is fixed
    try:
        report = build(REPO, out=out, pdf=False)
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    assert report.problems == []
    return out


def example_ids() -> list[str]:
    return sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))


@pytest.mark.parametrize("profile_id", example_ids())
def test_web_guide_matches_golden(built: Path, profile_id: str) -> None:
    fresh = (built / profile_id / "index.html").read_text(encoding="utf-8")
    golden = GOLDEN / f"{profile_id}.html"
    if os.environ.get("GUIDEGEN_REGENERATE"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(fresh, encoding="utf-8")
    assert golden.is_file(), f"no golden for {profile_id}: run with GUIDEGEN_REGENERATE=1"
    assert fresh == golden.read_text(encoding="utf-8"), f"{profile_id} differs from its golden (regenerate if intended)"


def test_every_golden_has_a_profile() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.html")) == example_ids()
