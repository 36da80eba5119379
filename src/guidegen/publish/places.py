"""Where a build writes each guide's files: the names of the output files and the folders they
go in. Light on purpose: a build that finds nothing changed needs this and nothing that renders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..web.app import MANIFEST_FILE, WORKER_FILE

WEB_FILE = "index.html"
APP_FILES = {"manifest": MANIFEST_FILE, "worker": WORKER_FILE}
"""Beside every web guide: what makes it installable and readable offline."""


PDF_FILE = "guide.pdf"


SEALED_PDF = "guide.pdf.enc"
"""A private guide's PDF in its web folder: sealed like the page, opened by the page."""


@dataclass(frozen=True)
class Places:
    """Where a build writes: what may be published, and what is for staff only."""

    site: Path
    """The published folder: site/<slug>/ per person, assets/, robots.txt."""
    staff: Path
    """Print guides for staff: print/<id>.pdf, and the staff index."""
    private: bool
    """Whether web guides are sealed for their person."""

    def web_files(self, guide_id: str, slug: str, outputs: Sequence[str]) -> dict[str, Path]:
        """Each output file of one guide by its role: web, pdf (for the web guide) and print."""
        folder = self.site / slug
        files = {}
        if WEB_FILE in outputs:
            files["web"] = folder / WEB_FILE
            files.update({role: folder / name for role, name in APP_FILES.items()})
        if PDF_FILE in outputs:
            files["pdf"] = folder / (SEALED_PDF if self.private else PDF_FILE)
            files["print"] = self.staff / f"{guide_id}.pdf"
        return files
