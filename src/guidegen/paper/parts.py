"""Heights of the parts of a printed guide that are always printed (cover, contents, What's new,
My plan, My progress, the safety plan, contacts, the More list), estimated from the print HTML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .heights import (
    _Block,
    _block,
    _container,
    _descendants,
    _field_block,
    _item,
    _lines_block,
    _Node,
    _parse,
    _stack,
)
from .metrics import PT, PrintMetrics, text_lines


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
    # What's new, Start here, My plan and My progress flow on from one another: one flow of pages.
    flow = [by_id[key] for key in ("whats-new", "start-here", "my-plan", "my-progress") if key in by_id]
    front = (_part_pages(_Node("div", {}, [child for part in flow for child in part.children]), m),) if flow else ()
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
CHART_MM = {False: 74.0, True: 110.0}
"""A progress chart's width on paper (print.css), standard and large print."""


def _measure(node: _Node, m: PrintMetrics) -> _Block:
    """One measure of My progress: title, sentence, then the chart with the table of scores beside
    it (print.css floats the chart; in large print the table is under it)."""
    height, chart, table = 0.0, 0.0, 0.0
    for child in _descendants(node):
        if child.tag == "h3":
            height += 5.0 + _lines_block(child.text(), 22.0 if m.large else 14.0, 1.25, m.width, m, True) + 1.5
        elif "measure-sentence" in child.classes:
            height += _lines_block(child.text(), m.size, m.leading, m.width, m) + 2.0
        elif child.tag == "svg" and "progress-chart" in child.classes:
            box = _SVG_SIZE.findall(child.attrs.get("viewbox", "") or child.attrs.get("viewBox", "") or "")
            shown = CHART_MM[m.large]  # .progress-chart's width in print.css, in mm
            chart = (shown * float(box[3]) / float(box[2]) if len(box) == 4 and float(box[2]) else shown * 0.85) + 2.0
        elif child.tag == "tr":
            table += (17.0 if m.large else 11.0) * m.leading * PT + 2.0 + 0.75 * PT
    height += chart + table if m.large else max(chart, table)
    return _Block(0.0, height + 2.0, 7.0)
