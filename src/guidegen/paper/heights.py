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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..guide.assemble import GuideModule
from .metrics import PT, PrintMetrics, text_lines


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
    if tag == "figure":
        return _figure_block(node, width, m)
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


def _figure_block(node: _Node, width: float, m: PrintMetrics) -> _Block:
    """A figure (print.css): its title, then rows of panels, three to a row (two in large print),
    each a drawing as wide as its column over its caption; a row is as tall as its tallest panel."""
    columns = 2 if m.large else 3
    panel = (width - 10.0 - 5.0 * (columns - 1)) / columns - (11.0 if m.large else 8.0)
    title = next((c for c in node.children if isinstance(c, _Node) and c.tag == "figcaption"), None)
    height = 6.0 + (_lines_block(title.text(), m.size, m.leading, width, m, bold=True) + 2.0 if title else 0.0)
    items = [c for c in _descendants(node) if c.tag == "li"]
    for row in range(0, len(items), columns):
        tallest = 0.0
        for item in items[row : row + columns]:
            drawing = next((c for c in item.children if isinstance(c, _Node) and c.tag == "svg"), None)
            box = [float(n) for n in _NUMBER.findall(drawing.attrs.get("viewbox", ""))] if drawing else []
            art = panel * box[3] / box[2] + 1.0 if len(box) == 4 and box[2] else 0.0
            caption = "".join(c if isinstance(c, str) else c.text() for c in item.children if c is not drawing)
            tallest = max(tallest, art + _lines_block(caption, m.size, 1.35, panel, m) + 2.0)
        height += tallest + 1.0
    return _Block(4.0, height, 4.0)


_NUMBER = re.compile(r"-?[0-9.]+")


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
