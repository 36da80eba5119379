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

import hashlib
import io
import mimetypes
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pydyf  # type: ignore[import-untyped]  # WeasyPrint's own PDF writer
import weasyprint
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency
from weasyprint.formatting_structure import boxes
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from .errors import GuidegenError
from .paper import Budget, Candidates, PrintHTML, Skeleton, choose_printed, drop_to_fit, pages_needed, skeleton_for
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
PX_MM = 25.4 / 96
"""Millimetres per CSS pixel."""
MORE_PAGE = "more-web"
"""The last page that lists the modules left out of the printed guide."""
ROOM = 2
"""Unused pages after the first layout of a guide that make it worth a second one with more
modules (one page unused is the price of laying most guides out once)."""
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


@dataclass(frozen=True)
class LaidOut:
    """A printed guide laid out: the pages, and how they were arrived at."""

    document: Any
    """The weasyprint Document."""
    html: str
    printed: frozenset[str] | None
    """The modules on paper (None: every module)."""
    layouts: int
    """Whole-guide layouts made (1 for most guides, see `lay_out_guide`)."""
    probes: int
    """Layouts of the safety plan page alone (one page each)."""


def write_pdf(
    print_html: str | PrintHTML,
    theme: Theme,
    project_templates: Path,
    budget: Budget | None = None,
) -> bytes:
    """Lay out the print HTML as a tagged PDF/UA-1 with fillable worksheet fields.

    When `print_html` can make the page at several fit levels, the safety plan page is laid out
    alone first (it is quick) at each level, roomiest first, until it fits on one page. With a
    `budget`, the guide holds the modules that fit in that many pages (see `lay_out_guide`).

    The image cache lives for this one guide. WeasyPrint's SVG images keep the layout of the
    document that first drew them, so a cache shared between guides would keep every earlier
    guide's whole layout alive (about 14 MB each) and hold one person's QR code in memory
    while the next person's guide is made.
    """
    return pdf_bytes(lay_out_guide(print_html, theme, project_templates, budget))


def pdf_bytes(laid_out: LaidOut) -> bytes:
    """The PDF file of a laid-out guide: the same bytes for the same HTML."""
    identifier = hashlib.sha256(laid_out.html.encode()).hexdigest()[:32].encode()
    pdf = laid_out.document.write_pdf(
        **PDF_OPTIONS, pdf_identifier=identifier, uncompressed_pdf=False, finisher=finish_form_fields
    )
    assert isinstance(pdf, bytes)
    return pdf


def lay_out_guide(
    print_html: str | PrintHTML, theme: Theme, project_templates: Path, budget: Budget | None = None
) -> LaidOut:
    """The guide's pages: with a budget, as many modules as fit in it, most relevant first.

    One layout for most guides: paper.py chooses the modules from estimated heights of the
    modules and of the parts always printed, and the guide is laid out. That layout is then
    measured (each part and each module as laid out), and a second layout follows only when
    - the guide came out over its budget: the lowest-ranked modules are left out, counted
      with the measured heights;
    - the safety plan took more than one page: it is set tighter (`fit_level`);
    - the estimate was off the other way, leaving ROOM pages or more unused: modules are added
      (and when that comes out over the budget, the first layout is kept).
    Only a guide still over its budget after that is laid out again, each time with fewer
    modules. Priority 1 modules are always printed, even when they alone overrun the budget.
    """
    cache: dict[str, Any] = {}
    if not callable(print_html):
        return LaidOut(lay_out(print_html, theme, project_templates, cache), print_html, None, 1, 0)
    if budget is None or not budget.candidates.ranked:
        fit, probes = fit_level(print_html, theme, project_templates, cache)
        html = print_html(fit)
        return LaidOut(lay_out(html, theme, project_templates, cache), html, None, 1, probes)
    return _WithinBudget(print_html, theme, project_templates, budget, cache).lay_out()


@dataclass
class _WithinBudget:
    """One guide laid out within its page budget (see `lay_out_guide`)."""

    print_html: PrintHTML
    theme: Theme
    project_templates: Path
    budget: Budget
    cache: dict[str, Any]
    probes: int = 0

    def lay_out(self) -> LaidOut:
        candidates, pages_allowed = self.budget.candidates, self.budget.pages
        estimate = skeleton_for(self.budget, self.print_html)
        printed = choose_printed(candidates, estimate, pages_allowed)
        # A safety plan that looks too long for its page is fitted first, alone (quick); else the
        # guide's layout tells whether it fits.
        first_fit = 0 if estimate.plan_fits else self.fit_level(start=1)
        document, html = self.guide(printed, first_fit)
        plan_pages = pages_holding(document, ONE_PAGE_SECTION)
        fit = self.fit_level(start=first_fit + 1) if plan_pages > 1 and first_fit < FIT_LEVELS - 1 else first_fit
        refit = fit != first_fit
        skeleton, measured = measure_guide(document, candidates, printed, estimate)
        pages = len(document.pages)
        if refit:  # once fitted, the plan takes one page and its blank back, not this many
            shorter = plan_pages + plan_pages % 2 - 2
            skeleton, pages = replace(skeleton, after=skeleton.after - shorter), pages - shorter
        off = max(0, pages - pages_needed(printed, measured, skeleton))  # what the page model missed
        if pages > pages_allowed:
            fewer = drop_to_fit(printed, measured, skeleton, pages_allowed, off)
            if fewer == printed and not refit:  # only priority 1 modules: printed all the same
                return self.result(document, html, printed, 1)
            printed = fewer
        elif pages <= pages_allowed - ROOM or refit:
            more = choose_printed(measured, skeleton, pages_allowed - off - (not refit), start=printed)
            if more != printed and not refit:  # more modules: this layout stays if they do not fit
                longer, longer_html = self.guide(more, fit)
                if len(longer.pages) <= pages_allowed:
                    return self.result(longer, longer_html, more, 2)
                return self.result(document, html, printed, 2)
            printed = more
        if not refit and pages <= pages_allowed:
            return self.result(document, html, printed, 1)
        return self.again(printed, fit, estimate)

    def again(self, printed: frozenset[str], fit: int, estimate: Skeleton) -> LaidOut:
        """Lay the guide out again (over its budget, or its safety plan set tighter), and again with
        fewer modules for as long as it is over its budget."""
        candidates, pages_allowed = self.budget.candidates, self.budget.pages
        layouts = 1
        while True:
            document, html = self.guide(printed, fit)
            layouts += 1
            if len(document.pages) <= pages_allowed:
                break
            skeleton, measured = measure_guide(document, candidates, printed, estimate)
            off = max(0, len(document.pages) - pages_needed(printed, measured, skeleton))
            fewer = drop_to_fit(printed, measured, skeleton, pages_allowed, off)
            if fewer == printed:
                break  # only priority 1 modules are left: they are printed all the same
            printed = fewer
        return self.result(document, html, printed, layouts)

    def guide(self, printed: frozenset[str], fit: int) -> tuple[Any, str]:
        everything = printed == frozenset(self.budget.candidates.ranked)
        html = self.print_html(fit) if everything else self.print_html(fit, printed=printed)
        return lay_out(html, self.theme, self.project_templates, self.cache), html

    def fit_level(self, start: int) -> int:
        fit, probes = fit_level(self.print_html, self.theme, self.project_templates, self.cache, start=start)
        self.probes += probes
        return fit

    def result(self, document: Any, html: str, printed: frozenset[str], layouts: int) -> LaidOut:
        shown = None if printed == frozenset(self.budget.candidates.ranked) else printed
        return LaidOut(document, html, shown, layouts, self.probes)


def _spans(document: Any, wanted: Any) -> dict[str, tuple[int, float, int, float]]:
    """For each element that `wanted(id, tag)` accepts: its first page and top, and its last page
    and bottom (mm, from the top of the page area)."""
    found: dict[str, tuple[int, float, int, float]] = {}
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        top = page_box.content_box_y()
        for box in _boxes(page_box):
            element = box.element
            element_id = element.get("id") if element is not None else None
            if not element_id or not wanted(element_id, element.tag) or getattr(box, "position_y", None) is None:
                continue
            y1 = (box.position_y - top) * PX_MM
            y2 = (box.position_y + box.margin_height() - top) * PX_MM
            first, first_top, last, bottom = found.get(element_id, (number, y1, number, y2))
            if number == first:
                first_top = min(first_top, y1)
            bottom = max(bottom, y2) if number == last else y2
            found[element_id] = (first, first_top, number, bottom)
    return found


def _page_height(document: Any) -> float:
    """The height of a regular page's area (not the cover's or the safety plan's), mm."""
    for page in document.pages:
        if page._page_box.page_type.name == "":
            return float(page._page_box.height) * PX_MM
    return float(document.pages[-1]._page_box.height) * PX_MM


def measure_guide(
    document: Any, candidates: Candidates, printed: Collection[str], estimate: Skeleton
) -> tuple[Skeleton, Candidates]:
    """A laid-out guide, measured: the parts always printed (with the contents' entries and the
    "More in your web guide" page's lines of the modules as estimated, so that the page model
    gives back this layout's page count), and the candidates with the printed modules' heights as
    laid out (page breaks included). Modules not laid out keep their estimate, on a full page."""
    page = _page_height(document)
    spans = _spans(
        document,
        lambda i, tag: (
            i in ("first-crisis-title", "toc", ONE_PAGE_SECTION, MORE_PAGE)
            or i.startswith("more-m-")
            or (tag == "section" and i.startswith("s-"))
        ),
    )
    total = len(document.pages)

    def flow(first_id: str, last_id: str) -> tuple[int, float]:
        if first_id not in spans or last_id not in spans:
            return 0, 0.0
        first = spans[first_id][0]
        last, bottom = spans[last_id][2], spans[last_id][3]
        return last - first + 1, (last - first) * page + bottom

    heights = {m: h / candidates.fill for m, h in candidates.heights.items()}
    heights.update((m, h) for m, h in module_heights(document, page).items() if m in heights)
    measured = replace(candidates, heights=heights, fill=1.0)
    shown = {candidates.section[m] for m in printed}
    contents_pages, contents = flow("first-crisis-title", "toc")
    contents -= sum(candidates.entries[m] for m in printed) + candidates.section_entry * len(shown)
    more_pages, more = flow(MORE_PAGE, MORE_PAGE)
    items = {  # an item's share of the list: the list is as tall as its items over its columns
        key.removeprefix("more-m-"): (y2 - y1) / estimate.more_columns
        for key, (p1, y1, p2, y2) in spans.items()
        if key.startswith("more-m-") and p1 == p2
    }
    more -= sum(items.values())
    more_items = {**estimate.more_items, **items}
    sections = [span for key, span in spans.items() if key.startswith("s-")]
    module_pages = max(s[2] for s in sections) - min(s[0] for s in sections) + 1 if sections else 0
    after, padding = 0, 0
    if ONE_PAGE_SECTION in spans:
        plan_page = spans[ONE_PAGE_SECTION][0]
        padding = 1 if plan_page > 0 and document.pages[plan_page - 1]._page_box.page_type.blank else 0
        after = total - more_pages - plan_page
    before = total - contents_pages - module_pages - padding - after - more_pages
    skeleton = Skeleton(
        page, before, after, ONE_PAGE_SECTION in spans, contents, more, more_items, estimate.more_columns
    )
    return skeleton, measured


def module_heights(document: Any, page: float) -> dict[str, float]:
    """How much of its section's flow each module took in a layout (mm, page breaks included)."""
    spans = _spans(document, lambda i, tag: tag == "article" and i.startswith("m-"))
    heights = {}
    ordered = sorted(spans.items(), key=lambda item: (item[1][0], item[1][1]))
    for index, (key, (p1, y1, p2, y2)) in enumerate(ordered):
        end_page, end = p2, y2
        if index + 1 < len(ordered):
            n1, ny1 = ordered[index + 1][1][0], ordered[index + 1][1][1]
            if n1 == p2 or (n1 == p2 + 1 and ny1 <= 0.5):
                end_page, end = n1, ny1  # the next module follows in the same section
        heights[key.removeprefix("m-")] = (end_page - p1) * page + end - y1
    return heights


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
