"""Make the pictures of the staff desk in docs/desk.md from the example project.

    .venv/bin/python docs/images/make_desk_images.py

Copies the example project into a temporary folder, starts `guidegen desk --no-browser --port 0`
on it, and takes the people list, Sam's (r-0142) form and Sam's preview in headless Chromium
(Debian's chromium); then stops the desk with SIGTERM. Needs `./install.sh test`. The people are
fictional.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 860}


def copy_project(root: Path) -> None:
    root.mkdir(parents=True)
    for name in ("guidegen.yaml", "content", "profiles"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)


def pictures(address: str) -> None:
    from playwright.sync_api import sync_playwright

    origin = address.split("/?", 1)[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
        page.goto(address)
        page.screenshot(path=str(HERE / "desk-people.png"))
        page.goto(origin + "/people/r-0142")
        page.screenshot(path=str(HERE / "desk-form.png"))
        page.goto(origin + "/people/r-0142/preview")
        page.frame_locator("iframe").locator("body").wait_for()
        page.screenshot(path=str(HERE / "desk-preview.png"))
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="guidegen-desk-images-") as folder:
        root = Path(folder) / "project"
        copy_project(root)
        command = [sys.executable, "-m", "guidegen.cli", "desk", "-C", str(root), "--port", "0", "--no-browser"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            match = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", process.stdout.readline())
            if not match:
                raise SystemExit("guidegen desk did not print its address")
            pictures(match.group(0))
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate()
    print("wrote desk-people.png, desk-form.png and desk-preview.png in", HERE)


if __name__ == "__main__":
    main()
