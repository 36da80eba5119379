"""Every page guidegen publishes is valid HTML for the W3C Nu HTML Checker (vnu.jar), both as
published (a private guide's plain page) and as its reader sees it once the link opens it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, page_html

VNU = Path(sys.prefix) / "share" / "vnu" / "vnu.jar"
"""Where `./install.sh test` puts the checker (from the npm registry's vnu-jar package)."""


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    java = shutil.which("java")
    if not (java and VNU.is_file()):
        if os.environ.get("CI"):
            pytest.fail("the Nu HTML Checker needs java and vnu.jar: run ./install.sh test")
        pytest.skip("the Nu HTML Checker is not installed (./install.sh test installs it)")
    return [java, "-jar", str(VNU), "--errors-only", "--exit-zero-always"]


def test_published_and_opened_pages_are_valid_html(vnu: list[str], example_site: Path, tmp_path: Path) -> None:
    opened = []
    for guide_id in sorted(p.stem for p in (REPO / "profiles").glob("*.yaml")):
        path = tmp_path / f"{guide_id}.html"
        path.write_text(page_html(example_site, guide_id), encoding="utf-8")
        opened.append(str(path))
    published = [str(p) for p in sorted((example_site / "site").glob("*/index.html"))]
    staff = [str(example_site / "print" / "index.html")]
    result = subprocess.run([*vnu, *published, *opened, *staff], capture_output=True, text=True, check=False)
    assert result.stdout + result.stderr == "", result.stderr[:3000]
