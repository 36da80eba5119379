"""How tall things are on paper, estimated from the print HTML in pure Python (milliseconds).

The page budget (paper.py) chooses the modules of a printed guide before WeasyPrint lays it out
(seconds). It needs two kinds of estimate, both from the HTML and the measures of print.css
(font advance widths, line heights, margins, page areas):

- `module_height`: each module's height;
- `estimate_parts`: the parts that are always printed (cover, contents, What's new, My plan,
  My progress, the safety plan, the back page and the "More in your web guide" page).

pdf.py then lays the guide out once and measures what it made; these estimates only have to be
close enough that a second layout is rarely needed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .guide import GuideModule

PT = 25.4 / 72
"""Millimetres per point."""


@dataclass(frozen=True)
class PrintMetrics:
    """The measures of print.css for one person's format and paper, in mm and pt."""

    size: float
    """Body text, pt."""
    leading: float
    """Line height as a multiple of the size."""
    tracking: float
    """Letter spacing, em."""
    width: float
    """Width of the page area, mm."""
    measure: float
    """Longest line of a paragraph or list item, mm."""
    rule: float
    """Worksheet line pitch, mm."""
    paragraph_gap: float
    heading: Mapping[str, float]
    """Heading sizes by tag (h2 is a section title), pt."""
    summary: float
    toc: float
    """Contents text, pt."""
    toc_leading: float
    page: float
    """Height of a regular page's area (where modules flow), mm."""
    large: bool
    more_columns: int
    """Columns of the list on the "More in your web guide" page."""
    safety_page: float
    """Height of the safety plan page's area, mm."""
    safety_width: float
    """Width of the safety plan page's area, mm."""


def print_metrics(formats: Collection[str], paper: str) -> PrintMetrics:
    """print.css and print.html, in numbers (keep in step with them)."""
    large = "large_print" in formats
    dyslexia = "dyslexia_friendly" in formats
    width = (210.0 if paper == "a4" else 215.9) - (50.0 if large else 40.0)
    leading = 1.65 if dyslexia else 1.6 if large else 1.5
    return PrintMetrics(
        size=17.0 if large else 12.0,
        leading=leading,
        tracking=0.035 if dyslexia else 0.0,
        width=width,
        measure=min(width, 150.0) if dyslexia else width,
        rule=12.0 if large else 9.0,
        paragraph_gap=4.5 if dyslexia else 3.0,
        heading={
            "h2": 28.0 if large else 24.0,
            "h3": 22.0 if large else 17.0,
            "h4": 19.0 if large else 13.0,
            "h5": 17.0 if large else 12.0,
            "h6": 17.0 if large else 12.0,
            "worksheet": 19.0 if large else 14.0,
        },
        summary=17.0 if large else 12.5,
        toc=17.0 if large else 11.5,
        toc_leading=1.5 if large else 1.35,
        page=(297.0 if paper == "a4" else 279.4) - (59.0 if large else 47.0),
        large=large,
        more_columns=1 if large else 2,
        safety_page=(297.0 if paper == "a4" else 279.4) - 37.0,
        safety_width=(210.0 if paper == "a4" else 215.9) - 28.0,
    )


@functools.lru_cache(maxsize=4)
def _advances(font: Path) -> tuple[dict[int, float], float]:
    """Advance width of each character in em, and the width of characters the font lacks."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency

    with TTFont(font, lazy=True) as ttf:
        scale = 1.0 / ttf["head"].unitsPerEm
        metrics = ttf["hmtx"].metrics
        widths = {char: metrics[name][0] * scale for char, name in ttf.getBestCmap().items()}
    return widths, widths.get(ord("n"), 0.55)


def _fonts() -> tuple[Path, Path]:
    from .theme import font_dir

    folder = font_dir()
    return folder / "AtkinsonHyperlegible-Regular.ttf", folder / "AtkinsonHyperlegible-Bold.ttf"


def text_lines(text: str, size: float, width: float, metrics: PrintMetrics, *, bold: bool = False) -> int:
    """How many lines `text` takes at `size` pt in a column `width` mm wide (greedy wrapping)."""
    widths, fallback = _advances(_fonts()[1 if bold else 0])
    em = size * PT
    track = metrics.tracking
    space = (widths.get(32, 0.25) + track) * em
    lines, used = 0, 0.0
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            continue
        lines += 1
        used = -space
        for word in words:
            length = sum(widths.get(ord(c), fallback) + track for c in word) * em
            if used + space + length > width and used > 0:
                lines += 1
                used = length
            else:
                used += space + length
    return lines


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            else:
                parts.append(child.text())
        return "".join(parts)


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


_INLINE = frozenset(
    {"a", "strong", "b", "em", "i", "span", "code", "br", "small", "sub", "sup", "abbr", "mark", "label"}
)


@dataclass(frozen=True)
class _Block:
    top: float
    height: float
    bottom: float


def _stack(blocks: Iterable[_Block]) -> _Block:
    """Blocks one under the other, adjacent margins collapsed."""
    items = list(blocks)
    if not items:
        return _Block(0.0, 0.0, 0.0)
    height = sum(b.height for b in items)
    height += sum(max(a.bottom, b.top) for a, b in zip(items, items[1:], strict=False))
    return _Block(items[0].top, height, items[-1].bottom)


def _lines_block(text: str, size: float, leading: float, width: float, m: PrintMetrics, bold: bool = False) -> float:
    return text_lines(text, size, width, m, bold=bold) * size * leading * PT


def _block(node: _Node, width: float, m: PrintMetrics) -> _Block:
    tag, classes = node.tag, node.classes
    body = m.size * m.leading * PT
    if tag in ("h2", "h3", "h4", "h5", "h6"):
        size = m.heading["worksheet"] if "worksheet-title" in classes else m.heading[tag]
        height = _lines_block(node.text(), size, 1.25, width, m, bold=True)
        if "worksheet-title" in classes:
            return _Block(1.0, height, 2.0)
        return {"h4": _Block(5.0, height, 1.5), "h3": _Block(7.0, height, 2.0)}.get(tag, _Block(4.0, height, 1.0))
    if tag == "p":
        bold = "callout-title" in classes
        height = _lines_block(node.text(), m.size, m.leading, min(width, m.measure), m, bold)
        return _Block(0.0, height, 1.0 if bold else m.paragraph_gap)
    if tag in ("ul", "ol"):
        items = [_item(child, width - 6.0, m) for child in node.children if isinstance(child, _Node)]
        inner = _stack(items)
        return _Block(0.0, inner.height + inner.top, 3.0)
    if tag == "aside" or "callout" in classes:
        inner = _container(node, width - 10.0 - 3 * PT, m)
        return _Block(4.0, 3.0 + inner.height, 4.0)
    if "worksheet" in classes:
        inner = _container(node, width - 12.0 - 2 * PT, m)
        return _Block(5.0, 6.0 + 2 * PT + inner.height, 5.0)
    if "ws-field" in classes:
        return _field_block(node, width, m)
    if tag == "table":
        return _table_block(node, width, m, body)
    if tag == "blockquote":
        inner = _container(node, width - 20.0, m)
        return _Block(max(4.0, inner.top), inner.height, max(4.0, inner.bottom))
    if tag in ("hr", "br", "textarea"):
        return _Block(0.0, 0.0, 0.0)
    return _container(node, width, m)


def _field_block(node: _Node, width: float, m: PrintMetrics) -> _Block:
    """A worksheet field: its label, then its ruled lines (or its pre-filled text, if longer)."""
    label = next((c for c in node.children if isinstance(c, _Node) and c.tag == "label"), None)
    area = next((c for c in node.children if isinstance(c, _Node) and c.tag == "textarea"), None)
    height = _lines_block(label.text(), m.size, m.leading, width, m, bold=True) + 1.0 if label else 0.0
    if area is not None:
        rows = int(area.attrs.get("rows", "3") or 3)
        filled = text_lines(area.text(), m.size, width, m) if area.text().strip() else 0
        height += max(rows, filled) * m.rule
    return _Block(3.0, height, 0.0)


def _table_block(node: _Node, width: float, m: PrintMetrics, body: float) -> _Block:
    """A table: each row as tall as its tallest cell."""
    height = 0.0
    for row in (c for c in _descendants(node) if c.tag == "tr"):
        cells = [c for c in row.children if isinstance(c, _Node) and c.tag in ("td", "th")]
        cell_width = width / max(1, len(cells)) - 4.0
        tallest = max((_lines_block(c.text(), m.size, m.leading, cell_width, m) for c in cells), default=body)
        height += tallest + 3.0
    return _Block(0.0, height, 4.0)


def _descendants(node: _Node) -> Iterable[_Node]:
    for child in node.children:
        if isinstance(child, _Node):
            yield child
            yield from _descendants(child)


def _item(node: _Node, width: float, m: PrintMetrics) -> _Block:
    """A list item: its own text, then any nested blocks."""
    inline = "".join(
        c if isinstance(c, str) else c.text() for c in node.children if isinstance(c, str) or c.tag in _INLINE
    )
    height = _lines_block(inline, m.size, m.leading, min(width, m.measure), m) if inline.strip() else 0.0
    nested = _stack(_block(c, width, m) for c in node.children if isinstance(c, _Node) and c.tag not in _INLINE)
    return _Block(0.0, height + nested.height + (nested.top if height else 0.0), 1.0)


def _container(node: _Node, width: float, m: PrintMetrics) -> _Block:
    blocks: list[_Block] = []
    loose: list[str] = []
    for child in node.children:
        if isinstance(child, str) or child.tag in _INLINE:
            loose.append(child if isinstance(child, str) else child.text())
            continue
        if "".join(loose).strip():
            blocks.append(_Block(0.0, _lines_block("".join(loose), m.size, m.leading, width, m), 0.0))
        loose = []
        blocks.append(_block(child, width, m))
    if "".join(loose).strip():
        blocks.append(_Block(0.0, _lines_block("".join(loose), m.size, m.leading, width, m), 0.0))
    return _stack(blocks)


def module_height(module: GuideModule, m: PrintMetrics) -> float:
    """A module's height on paper (mm): title, summary and body, with the space above it."""
    title = _lines_block(module.title, m.heading["h3"], 1.25, m.width, m, bold=True) + 3.0 + PT
    summary = _lines_block(module.summary, m.summary, m.leading, m.width, m)
    body = _container(_parse(str(module.html)), m.width, m)
    return 10.0 + title + 1.5 + summary + max(m.paragraph_gap, body.top) + body.height + body.bottom


# The parts that are always printed ------------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    """Estimated heights (mm) of the parts of a printed guide that do not depend on its modules."""

    contents: float
    """The first page's crisis box and the contents, without the module and section entries."""
    front: tuple[int, ...]
    """Pages of each part between the cover and the modules (What's new, My plan, My progress);
    each starts on a new page."""
    safety_plan: bool
    """Whether the guide has a safety plan page (on a right-hand page, with a blank back)."""
    back: float
    """The back page (contacts, crisis lines, QR code)."""
    more: float
    """The "More in your web guide" page without its list."""
    more_items: Mapping[str, float] = field(default_factory=dict)
    """Each module's share of that page's list (its line's height over the list's columns), by
    module id."""
    safety_plan_fits: bool = True
    """Whether the safety plan card looks likely to fit on its page at the roomiest fit level."""


def estimate_parts(html: str, m: PrintMetrics) -> Parts:
    """The parts always printed, from the print HTML of the guide with no module on paper (so
    that the "More in your web guide" page lists every module)."""
    root = _parse(html)
    by_id = {node.attrs["id"]: node for node in _descendants(root) if "id" in node.attrs}
    crisis = next((n for n in _descendants(root) if "crisis-box-first" in n.classes), None)
    contents = (_crisis_box(crisis, m.width, m) + 8.0 if crisis else 0.0) + _toc(by_id.get("toc"), m)
    front = tuple(_part_pages(by_id[key], m) for key in ("whats-new", "my-plan", "my-progress") if key in by_id)
    back_page = next((n for n in _descendants(root) if "back-page" in n.classes), None)
    back = _part(back_page, m) if back_page is not None else 0.0
    more, items = 0.0, {}
    if "more-web" in by_id:
        listing = next((n for n in _descendants(by_id["more-web"]) if "more-list" in n.classes), None)
        column = (m.width - 6.0 - 10.0 * (m.more_columns - 1)) / m.more_columns
        for item in _descendants(listing) if listing is not None else ():
            if item.tag == "li" and item.attrs.get("id", "").startswith("more-m-"):
                share = (_item(item, column, m).height + 1.0) / m.more_columns
                items[item.attrs["id"].removeprefix("more-m-")] = share
        more = _part(by_id["more-web"], m) - sum(items.values())
    plan = by_id.get("safety-plan")
    fits = plan is None or _safety_card(plan, m) <= m.safety_page - (10.0 if m.large else 7.0)
    return Parts(contents, front, plan is not None, back, more, items, fits)


def _safety_card(node: _Node, m: PrintMetrics) -> float:
    """The safety plan card's height at the roomiest fit level (print.css: 13pt, 17pt in large
    print; line height 1.5), mm. Its page has margins of its own (12mm 14mm 25mm)."""
    size, leading = (17.0, 1.5) if m.large else (13.0, 1.5)
    card = replace(m, size=size, leading=leading)
    width = m.safety_width - 14.0 - 3 * PT
    height = 8.0 + 3 * PT  # the card's padding and dashed border
    for child in _descendants(node):
        classes = child.classes
        if "sp-head" in classes:
            height += _lines_block("x", 24.0 if m.large else 20.0, 1.25, width, card) + 2.0 + 2 * PT
        elif "sp-intro" in classes:
            height += _lines_block(child.text(), size, leading, width, card) + 4.0
        elif "sp-step" in classes:
            height += 4.0 + 0.75 * PT
            for part in (c for c in child.children if isinstance(c, _Node)):
                if part.tag == "h3":
                    height += _lines_block(part.text(), 17.0 if m.large else 14.0, 1.25, width, card, True) + 1.0
                elif part.tag == "ul":
                    height += sum(_item(li, width - 6.0, card).height for li in part.children if isinstance(li, _Node))
                    height += 1.0
                elif "ws-field" in classes or "ws-field" in part.classes:
                    height += _field_block(part, width, card).height
                elif part.tag == "p":
                    height += _lines_block(part.text(), 18.0 if m.large else 13.0, leading, width, card, True) + 1.0
        elif "sp-crisis" in classes:
            inner = width - 10.0 - 4.5 * PT
            height += 5.0 + 3.0 + 4.5 * PT + _lines_block("x", 17.0 if m.large else 13.0, 1.25, inner, card)
            lines = next((c for c in _descendants(child) if "crisis-lines" in c.classes), None)
            height += _crisis_lines(lines, inner, card) if lines is not None else 0.0
    return height


def _part(node: _Node, m: PrintMetrics) -> float:
    return _stack(_part_block(child, m) for child in node.children if isinstance(child, _Node)).height


def _part_pages(node: _Node, m: PrintMetrics) -> int:
    """Pages of a part that starts on a new page: a measure of My progress is kept whole (not in
    large print), so it starts a new page when it does not fit on what is left of one."""
    pages, used, bottom = 1, 0.0, 0.0
    for child in (c for c in node.children if isinstance(c, _Node)):
        block = _part_block(child, m)
        gap = max(bottom, block.top) if used > 0 else 0.0
        breaks = used + gap + block.height > m.page
        if "measure" in child.classes and not m.large and used > 0 and breaks:
            pages, used = pages + 1, block.height
        else:
            if "measure" in child.classes and breaks:  # large print: split, its table's head repeated
                used += (17.0 * m.leading * PT + 2.0 + 0.75 * PT) * 1.5
            used += gap + block.height
            while used > m.page + 1e-6:
                pages, used = pages + 1, used - m.page
        bottom = block.bottom
    return pages


def _part_block(node: _Node, m: PrintMetrics) -> _Block:
    """A block of a part always printed: its own headings and boxes, else as in a module."""
    width, classes = m.width, node.classes
    if node.tag == "h2":
        if node.attrs.get("id") in ("my-plan-title", "whats-new-title", "my-progress-title"):
            return _Block(0.0, _lines_block(node.text(), m.heading["h2"], 1.25, width, m, True) + 2.0 + 2 * PT, 5.0)
        return _Block(0.0, _lines_block(node.text(), 28.0 if m.large else 20.0, 1.25, width, m, True), 4.0)
    if node.tag == "h3":
        size = 22.0 if m.large else 14.0
        return _Block(5.0, _lines_block(node.text(), size, 1.25, width, m, True), 1.5)
    if "lead" in classes:
        return _Block(0.0, _lines_block(node.text(), 17.0 if m.large else 13.0, m.leading, width, m), m.paragraph_gap)
    if "measure" in classes:
        return _measure(node, m)
    if "message" in classes:
        inner = _container(node, width - 12.0 - 3 * PT, m)
        return _Block(0.0, inner.height + 6.0, m.paragraph_gap)
    if "contact-list" in classes:
        items = [_item(child, width, m) for child in node.children if isinstance(child, _Node)]
        return _Block(0.0, sum(item.height + 2.0 for item in items) - 2.0 * bool(items), 3.0)
    if "contacts" in classes:
        return _stack(_part_block(child, m) for child in node.children if isinstance(child, _Node))
    if "crisis-lines" in classes:
        return _Block(0.0, _crisis_lines(node, width - 12.0 - 4.5 * PT, m) + 4.5 + 4.5 * PT, 3.0)
    if node.tag == "figure" and "qr" in classes:
        image = 45.0 if m.large else 34.0
        caption = _container(node, width - image - 6.0, m).height
        return _Block(2.0 if "qr-more" in classes else 10.0, max(image, caption), 6.0 if "qr-more" in classes else 0.0)
    if "more-list" in classes:
        column = (width - 6.0 - 10.0 * (m.more_columns - 1)) / m.more_columns
        items = [_item(child, column, m) for child in node.children if isinstance(child, _Node)]
        return _Block(0.0, sum(item.height + 1.0 for item in items) / m.more_columns, 3.0)
    return _block(node, width, m)


def _crisis_lines(node: _Node, width: float, m: PrintMetrics) -> float:
    """The crisis lines: one item each, a note under its line."""
    height = 0.0
    for item in (c for c in node.children if isinstance(c, _Node) and c.tag == "li"):
        notes = [c for c in item.children if isinstance(c, _Node) and "crisis-note" in c.classes]
        line = "".join(
            c if isinstance(c, str) else c.text() for c in item.children if isinstance(c, str) or c not in notes
        )
        height += _lines_block(line, m.size, m.leading, width, m) + 1.5
        height += sum(_lines_block(n.text(), m.size * 0.9, m.leading, width, m) for n in notes)
    return height


def _crisis_box(node: _Node, width: float, m: PrintMetrics) -> float:
    inner = width - 12.0 - 4.5 * PT
    height = 5.0 + 4.5 * PT
    for child in (c for c in node.children if isinstance(c, _Node)):
        if child.tag == "h2":
            height += _lines_block(child.text(), 20.0 if m.large else 16.0, 1.25, inner, m, True) + 1.5
        elif child.tag == "p":
            height += _lines_block(child.text(), m.size, m.leading, inner, m) + 2.0
        elif "crisis-lines" in child.classes:
            height += _crisis_lines(child, inner, m) + 1.0
    return height


def _toc(node: _Node | None, m: PrintMetrics) -> float:
    """The contents' title and its entries for the parts (module entries are counted apart)."""
    if node is None:
        return 0.0
    title = next((c for c in node.children if isinstance(c, _Node) and c.tag == "h2"), None)
    height = _lines_block(title.text(), 28.0 if m.large else 20.0, 1.25, m.width, m, True) + 4.0 if title else 0.0
    line = m.toc * m.toc_leading * PT + 1.2
    parts = [n for n in _descendants(node) if n.tag == "li" and "toc-part" in n.classes]
    return height + sum(
        text_lines(p.text(), m.toc, m.width - 15.0, m, bold=True) * (line - 1.2) + 1.2 + 2.0 for p in parts
    )


_SVG_SIZE = re.compile(r"([0-9.]+)")


def _measure(node: _Node, m: PrintMetrics) -> _Block:
    """One measure of My progress: title, sentence, chart and table of scores."""
    height = 0.0
    for child in _descendants(node):
        if child.tag == "h3":
            height += 5.0 + _lines_block(child.text(), 22.0 if m.large else 14.0, 1.25, m.width, m, True) + 1.5
        elif "measure-sentence" in child.classes:
            height += _lines_block(child.text(), m.size, m.leading, m.width, m) + 2.0
        elif child.tag == "svg":
            width = _SVG_SIZE.match(child.attrs.get("width", "") or "")
            tall = _SVG_SIZE.match(child.attrs.get("height", "") or "")
            shown = 140.0 if m.large else 120.0
            height += (shown * float(tall.group(1)) / float(width.group(1)) if width and tall else shown * 0.7) + 2.0
        elif child.tag == "tr":
            height += (17.0 if m.large else 11.0) * m.leading * PT + 2.0 + 0.75 * PT
    return _Block(0.0, height + 2.0, 7.0)
