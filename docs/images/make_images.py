"""Make the pictures in README.md and docs/ from the example project as it builds today.

    .venv/bin/python docs/images/make_images.py

Builds the example guides into a temporary copy of the project, then: printed pages of Sam's
(r-0142) and Dale's (r-0315, large print) guides as PNG (pdftoppm), and the web guide on a phone
and a desktop, sealed (no key) and opened, in headless Chromium (Debian's chromium). Needs
`./install.sh test` (poppler-utils, chromium, playwright). Nothing personal: the people are fictional.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
EPOCH = "1796000000"  # the cover date of the pictures stays the same between runs


def build(root: Path) -> None:
    for name in ("guidegen.yaml", "content", "profiles"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    env = {"SOURCE_DATE_EPOCH": EPOCH, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "guidegen.cli", "build", "r-0142", "r-0315", "--jobs", "2", "-C", str(root)]
    subprocess.run(command, check=True, env=env)


def page_png(pdf: Path, number: int, target: Path, dpi: int = 60) -> None:
    """One page of a PDF as a PNG."""
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(number), "-l", str(number), "-singlefile", str(pdf), str(stem)],
        check=True,
    )


def find_page(pdf: Path, words: str, *, anywhere: bool = False) -> int:
    """The first page whose text starts with `words` (or holds them, `anywhere`)."""
    from pypdf import PdfReader

    for number, page in enumerate(PdfReader(pdf).pages, 1):
        text = " ".join(page.extract_text().split())
        if text.startswith(words) or (anywhere and words in text):
            return number
    raise SystemExit(f"no page starts with {words!r} in {pdf.name}")


def print_pictures(root: Path) -> None:
    sam, dale = root / "print" / "r-0142.pdf", root / "print" / "r-0315.pdf"
    page_png(sam, 1, HERE / "print-cover.png")
    page_png(sam, find_page(sam, "Start here"), HERE / "print-start-here.png")
    page_png(sam, find_page(sam, "More in your web guide"), HERE / "print-more.png")
    page_png(
        sam,
        find_page(sam, "1. Warning signs that a crisis may be coming", anywhere=True),
        HERE / "print-safety-plan.png",
    )
    page_png(dale, find_page(dale, "Start here"), HERE / "print-large-start-here.png")


def web_pictures(root: Path) -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO / "src"))
    from guidegen.publish.state import ProjectState

    link = ProjectState(root).links()["r-0142"]
    page_file = (root / "site" / link.slug / "index.html").as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
        page.goto(page_file)
        page.screenshot(path=str(HERE / "web-sealed.png"))
        page.goto(f"{page_file}#k={link.key}")
        page.wait_for_selector("#start-here")
        page.screenshot(path=str(HERE / "web-phone.png"))
        page.locator("#start-here").scroll_into_view_if_needed()
        page.screenshot(path=str(HERE / "web-start-here.png"))
        page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(HERE / "web-desktop.png"))
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        root.mkdir()
        build(root)
        print_pictures(root)
        if CHROMIUM.is_file():
            web_pictures(root)
    print(f"pictures written to {HERE}")


if __name__ == "__main__":
    main()
