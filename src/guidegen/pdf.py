"""The print HTML to guide.pdf with WeasyPrint. The only module that imports weasyprint.

WeasyPrint may read nothing but `data:` URLs and the theme's assets: the URL fetcher refuses
web addresses and any file outside those folders (checked on the resolved path), and the
refusal stops the PDF with a message instead of quietly leaving something out.

Two things are done here that WeasyPrint does not do by itself:

- the safety plan must fit on one page: its page is laid out alone first, with a tighter card
  (the `fit` level of the print template) until it fits;
- every worksheet field gets an appearance stream that puts its text on the ruled lines, so
  pre-filled answers print on the lines in every reader (WeasyPrint leaves the drawing of
  text fields to the reader, and readers use their own line spacing).
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import pydyf  # type: ignore[import-untyped]  # WeasyPrint's own PDF writer
import weasyprint
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency
from weasyprint.formatting_structure import boxes
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import GuidegenError
from .theme import Theme

VIRTUAL_PAGE = "_print_/page.html"
"""The print HTML pretends to live here inside the theme, so `../assets/x` resolves to an asset."""
ONE_PAGE_SECTION = "safety-plan"
"""The element that must fit on one page (it is meant to be cut out or photographed)."""
FIT_LEVELS = 5
"""How many layouts of the safety plan to try, from roomy (0) to tight (4)."""
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_forms": True}
PX = 0.75
"""PDF points per CSS pixel."""
MM = 72 / 25.4
"""PDF points per millimetre."""
RULE_MM = 0.5
"""How far above the bottom of each line of a worksheet field its ruled line ends (print.css)."""
_TEXT_FONT = re.compile(rb"/(\S+)\s+([\d.]+)\s+Tf")


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


class PrintHTML(Protocol):
    """The print HTML at a fit level; with `safety_plan_only`, only the safety plan page."""

    def __call__(self, fit: int, *, safety_plan_only: bool = False) -> str: ...


def write_pdf(
    print_html: str | PrintHTML,
    theme: Theme,
    project_templates: Path,
) -> bytes:
    """Lay out the print HTML as a tagged PDF/UA-1 with fillable worksheet fields.

    When `print_html` can make the page at several fit levels, the safety plan page is laid out
    alone first (it is quick) at each level, roomiest first, until it fits on one page.

    The image cache lives for this one guide. WeasyPrint's SVG images keep the layout of the
    document that first drew them, so a cache shared between guides would keep every earlier
    guide's whole layout alive (about 14 MB each) and hold one person's QR code in memory
    while the next person's guide is made.
    """
    cache: dict[str, Any] = {}
    html = print_html(fit_level(print_html, theme, project_templates, cache)) if callable(print_html) else print_html
    document = lay_out(html, theme, project_templates, cache)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = document.write_pdf(
        **PDF_OPTIONS, pdf_identifier=identifier, uncompressed_pdf=False, finisher=finish_form_fields
    )
    assert isinstance(pdf, bytes)
    return pdf


def fit_level(print_html: PrintHTML, theme: Theme, project_templates: Path, cache: dict[str, Any]) -> int:
    """The roomiest fit level at which the safety plan takes one page (the tightest if none does)."""
    for fit in range(FIT_LEVELS - 1):
        page = print_html(fit, safety_plan_only=True)
        if f'id="{ONE_PAGE_SECTION}"' not in page:
            return fit
        if pages_holding(lay_out(page, theme, project_templates, cache), ONE_PAGE_SECTION) <= 1:
            return fit
    return FIT_LEVELS - 1


def lay_out(print_html: str, theme: Theme, project_templates: Path, cache: dict[str, Any]) -> Any:
    """Pages of the print HTML (a weasyprint Document), with only theme assets and data: URLs."""
    assets_dir = project_templates / "assets"
    base_url = (project_templates / VIRTUAL_PAGE).resolve().as_uri()
    try:
        html = weasyprint.HTML(string=print_html, base_url=base_url, url_fetcher=ThemeFetcher(theme, assets_dir))
        return html.render(**PDF_OPTIONS, cache=cache)
    except FatalURLFetchingError as error:
        raise RefusedResource(str(error)) from None


def _boxes(box: Any) -> Iterator[Any]:
    """A box and everything inside it, in document order."""
    yield box
    for child in box.all_children():
        yield from _boxes(child)


def pages_holding(document: Any, element_id: str) -> int:
    """On how many pages some part of the element with this id is laid out."""
    return sum(
        any(box.element is not None and box.element.get("id") == element_id for box in _boxes(page._page_box))
        for page in document.pages
    )


def finish_form_fields(document: Any, pdf: Any) -> None:
    """Name each worksheet field after its label, and draw its text on its ruled lines.

    WeasyPrint names a field after its label only inside a <form>, and leaves the drawing of
    text fields to the reader (NeedAppearances), which puts the text at its own line spacing,
    off the lines. Here each field gets an appearance stream with its text where WeasyPrint
    wrapped it (the textarea is laid out hidden, at the ruled line height), one line on each
    rule. With an appearance for every text field, readers show and print ours and make a new
    one only when someone types.
    """
    form = pdf.catalog.get("AcroForm")
    if form is None:
        return
    labels: dict[str, str] = {}
    fields = []
    for page in document.pages:
        for box in _boxes(page._page_box):
            if box.element is None:
                continue
            if box.element.tag == "label" and box.element.get("for") and isinstance(box, boxes.BlockBox):
                labels[box.element.get("for")] = " ".join(_box_text(box).split())
            elif box.widget_annotation is not None and box.element.tag == "textarea":
                fields.append(box)
    fonts = {font.hash: font for font in document.fonts.values()}
    glyph_maps: dict[str, dict[int, int]] = {}
    drawn = 0
    for box in fields:
        field = box.widget_annotation
        label = labels.get(box.element.get("id", ""))
        if label:
            field["TU"] = pydyf.String(label)
        match = _TEXT_FONT.search(_pdf_bytes(field["DA"]))
        font = fonts.get(match.group(1).decode()) if match else None
        if match is None or font is None:
            continue
        if font.hash not in glyph_maps:
            glyph_maps[font.hash] = _glyph_ids(font.file_content, font.index)
        appearance = _appearance(box, field["Rect"], font.hash, float(match.group(2)), glyph_maps[font.hash])
        appearance.extra["Resources"] = form["DR"]
        pdf.add_object(appearance)
        field["AP"] = pydyf.Dictionary({"N": appearance.reference})
        drawn += 1
    text_fields = sum(1 for obj in pdf.objects if isinstance(obj, dict) and obj.get("FT") == "/Tx")
    if drawn == text_fields:
        form["NeedAppearances"] = "false"


def _appearance(box: Any, rect: Any, font_name: str, size: float, glyphs: dict[int, int]) -> Any:
    """A field's appearance: its lines of text, each just above its ruled line (see print.css)."""
    lines = ["".join(text.text for text in line.children if isinstance(text, boxes.TextBox)) for line in box.children]
    pitch = _line_pitch(box.style, size)
    x1, y1, x2, y2 = (float(v) for v in rect)
    width, height = abs(x2 - x1), abs(y1 - y2)
    rise = (RULE_MM + 0.25 * size / MM) * MM  # clear of the rule, descenders included
    operations = [b"/Tx BMC", b"q", b"BT", f"/{font_name} {size:g} Tf".encode(), b"0 g"]
    for number, text in enumerate(line.rstrip() for line in lines):
        baseline = height - (number + 1) * pitch + rise
        if text and baseline > 0:
            codes = "".join(f"{glyphs.get(ord(c), 0):04x}" for c in text)
            operations.append(f"1 0 0 1 1 {baseline:.2f} Tm <{codes}> Tj".encode())
    operations += [b"ET", b"Q", b"EMC"]
    bounds = pydyf.Array((0, 0, round(width, 2), round(height, 2)))
    return pydyf.Stream(operations, {"Type": "/XObject", "Subtype": "/Form", "BBox": bounds}, compress=True)


def _box_text(box: Any) -> str:
    """The text laid out inside a box."""
    return "".join(child.text for child in _boxes(box) if isinstance(child, boxes.TextBox))


def _pdf_bytes(value: Any) -> bytes:
    """The bytes of a pydyf string (or of a plain one)."""
    if isinstance(value, pydyf.String):
        value = value.string
    return value if isinstance(value, bytes) else str(value).encode()


def _line_pitch(style: Any, font_size_pt: float) -> float:
    """The ruled line spacing of a field, in points: its CSS line height."""
    line_height = style["line_height"]
    if getattr(line_height, "unit", None) == "px":
        return float(line_height.value) * PX
    return font_size_pt * 1.5


def _glyph_ids(font_file: bytes, index: int) -> dict[int, int]:
    """Character -> glyph id in an embedded font (WeasyPrint embeds form fonts whole)."""
    font = TTFont(io.BytesIO(font_file), fontNumber=index, lazy=True)
    return {char: font.getGlyphID(name) for char, name in font.getBestCmap().items()}
