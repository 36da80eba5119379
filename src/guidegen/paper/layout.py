"""The print HTML to guide.pdf with WeasyPrint. The only module that imports weasyprint.

WeasyPrint may read nothing but `data:` URLs and the theme's assets: the URL fetcher refuses
web addresses and any file outside those folders (checked on the resolved path), and the
refusal stops the PDF with a message instead of quietly leaving something out.

Three things are done here that WeasyPrint does not do by itself:

- the safety plan must fit on one page: its page is laid out alone first, with a tighter card
  (the `fit` level of the print template) until it fits;
- the guide must fit its page budget (paper.py decides which modules go on paper): the parts
  that are always printed are laid out once without modules and measured, the modules that fit
  are chosen, the guide is laid out and its pages counted; only when it comes out too long is
  it laid out again with fewer modules;
- every worksheet field gets an appearance stream that puts its text on the ruled lines, so
  pre-filled answers print on the lines in every reader (WeasyPrint leaves the drawing of
  text fields to the reader, and readers use their own line spacing).
"""

from __future__ import annotations

import atexit
import mimetypes
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..errors import GuidegenError
from ..project.theme import Theme

VIRTUAL_PAGE = "_print_/page.html"
"""The print HTML pretends to live here inside the theme, so `../assets/x` resolves to an asset."""
ONE_PAGE_SECTION = "safety-plan"
"""The element that must fit on one page (it is meant to be cut out or photographed)."""
FIT_LEVELS = 5
"""How many layouts of the safety plan to try, from roomy (0) to tight (4)."""
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_forms": True}
PX = 0.75
"""PDF points per CSS pixel."""
PX_MM = 25.4 / 96
"""Millimetres per CSS pixel."""
MORE_PAGE = "more-web"
"""The last page that lists the modules left out of the printed guide."""


class RefusedResource(GuidegenError):
    """The PDF asked for something outside the theme's assets."""


class ThemeFetcher(URLFetcher):
    """Serves `data:` URLs and theme assets; refuses everything else."""

    def __init__(self, theme: Theme, assets_dir: Path) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=1)
        self.theme = theme
        self.assets_dir = assets_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlparse(url).path)).resolve()
            if path.is_relative_to(self.assets_dir):
                relative = path.relative_to(self.assets_dir).as_posix()
                real = self.theme.assets.get(relative)
                if real is not None:
                    kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, body=real.read_bytes(), headers={"Content-Type": kind})
            raise FatalURLFetchingError(
                f"refused to load '{_shown(url, self.assets_dir)}': only the theme's assets/ and data: URLs may be used"
            )
        raise FatalURLFetchingError(
            f"refused to load '{_shown(url, self.assets_dir)}': the PDF may not load anything from the network or other files"
        )


def _shown(url: str, assets_dir: Path) -> str:
    """A URL for a message, without this machine's folders in it."""
    if url.startswith("file:"):
        path = unquote(urlparse(url).path)
        return path.replace(str(assets_dir.parent), "templates")
    return url[:200]


def fit_level(
    print_html: PrintHTML, theme: Theme, project_templates: Path, cache: dict[str, Any], *, start: int = 0
) -> tuple[int, int]:
    """The roomiest fit level from `start` on at which the safety plan takes one page (the
    tightest if none does), and how many one-page layouts it took to find it."""
    for fit in range(start, FIT_LEVELS - 1):
        page = print_html(fit, safety_plan_only=True)
        if f'id="{ONE_PAGE_SECTION}"' not in page:
            return fit, fit - start
        if pages_holding(lay_out(page, theme, project_templates, cache), ONE_PAGE_SECTION) <= 1:
            return fit, fit - start + 1
    return FIT_LEVELS - 1, FIT_LEVELS - 1 - start


def lay_out(print_html: str, theme: Theme, project_templates: Path, cache: dict[str, Any]) -> Any:
    """Pages of the print HTML (a weasyprint Document), with only theme assets and data: URLs."""
    assets_dir = project_templates / "assets"
    base_url = (project_templates / VIRTUAL_PAGE).resolve().as_uri()
    try:
        html = weasyprint.HTML(string=print_html, base_url=base_url, url_fetcher=ThemeFetcher(theme, assets_dir))
        return html.render(**PDF_OPTIONS, cache=cache, font_config=_fonts_for(theme, base_url))
    except FatalURLFetchingError as error:
        raise RefusedResource(str(error)) from None


FONT_FILES = (".ttf", ".otf", ".woff", ".woff2")
_fonts: dict[tuple[int, str], tuple[tuple[tuple[str, int, int], ...], FontConfiguration]] = {}
_fonts_lock = threading.Lock()
atexit.register(_fonts.clear)  # each configuration removes its temporary copy of the fonts


def _fonts_for(theme: Theme, base_url: str) -> FontConfiguration:
    """One font configuration per thread and theme, for every layout it makes, made again when a
    font file of the theme changes (the live preview). WeasyPrint makes a new one per layout when
    none is given, and each kept its @font-face fonts in memory for the rest of the process: about
    1.4 MB a guide without end, measured over 150 guides. The PDFs are the same bytes either way."""
    fonts = tuple(
        sorted((name, *_stamp(path)) for name, path in theme.assets.items() if name.lower().endswith(FONT_FILES))
    )
    key = (threading.get_ident(), base_url)
    with _fonts_lock:
        known = _fonts.get(key)
        if known is None or known[0] != fonts:
            known = _fonts[key] = (fonts, FontConfiguration())
        return known[1]


def _stamp(path: Path) -> tuple[int, int]:
    """When a font file last changed, and its size; (-1, -1) when it is gone (the layout then
    reports what WeasyPrint reports of a font it cannot load)."""
    try:
        stat = path.stat()
    except OSError:
        return -1, -1
    return stat.st_mtime_ns, stat.st_size


def _boxes(box: Any) -> Iterator[Any]:
    """A box and everything inside it, in document order."""
    yield box
    for child in box.all_children():
        yield from _boxes(child)


def page_holds(page: Any, element_id: str) -> bool:
    """Whether some part of the element with this id is laid out on this page."""
    return any(box.element is not None and box.element.get("id") == element_id for box in _boxes(page._page_box))


def pages_holding(document: Any, element_id: str) -> int:
    """On how many pages some part of the element with this id is laid out."""
    return sum(page_holds(page, element_id) for page in document.pages)


class PrintHTML(Protocol):
    """The print HTML at a fit level; with `safety_plan_only`, only the safety plan page.

    `printed`: the modules to print, the others listed on the "More in your web guide" page;
    None prints every module and has no such page."""

    def __call__(self, fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str: ...
