"""Paper that is full: a laid-out guide checked for pages left mostly empty, and the repairs that
fill them (paper/fit.py lays the guide out again with them, at most `REPAIRS` times).

A page ends early when what comes next cannot start on it: a worksheet box (never split over two
pages) taller than the room left, or the contents running a few lines onto a page of their own
before Start here, which starts a new page. The repairs:

- a worksheet that would leave the page before it under a third full, or that is taller than a
  page, gets one ruled line fewer for each empty question at each repair, down to one (answers
  the profile pre-fills keep all of their lines);
- contents that end high on a page of their own let the next part follow on that page;
- a "More in your web guide" list that runs onto a second page (large print, many pages left
  out) names as many as fit on its page and counts the rest ("And 12 more in your web guide").

Only the cover, the safety plan's pages and the last page may stay under a third full; the
rule is docs/print.md's, and tests/test_budget.py measures the PDFs against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .layout import MORE_PAGE, _boxes, page_holds

SHORT = 0.4
"""A page whose reading ends above this share of its height is short: the rule is a third, and
the margin covers the difference between the page area measured here and the printed page that
a reader (or tests/test_budget.py) measures."""
REPAIRS = 2
"""Layouts made to repair short pages, at most (each costs one whole-guide layout)."""
FLOW_TOC = "flow-toc"
"""The body class that lets the part after the contents follow on the contents' last page."""
_FIELD = re.compile(
    r'(id="(ws-[a-z0-9-]+)-\d+" name="[^"]*" rows=")(\d+)(" style="--lines: )(\d+)(" data-lines=")(\d+)"'
)


@dataclass(frozen=True)
class Repairs:
    """What to change in the print HTML so that no page ends early."""

    tighter: dict[str, int] = field(default_factory=dict)
    """Worksheet id (`ws-<module>-<n>`) -> how many ruled lines fewer each empty question gets."""
    flow_toc: bool = False
    more_named: int | None = None
    """How many of the modules left out the "More in your web guide" page names (None: all)."""

    def __bool__(self) -> bool:
        return bool(self.tighter) or self.flow_toc or self.more_named is not None

    def merged(self, other: Repairs) -> Repairs:
        tighter = dict(self.tighter)
        for worksheet, fewer in other.tighter.items():
            tighter[worksheet] = max(tighter.get(worksheet, 0), fewer)
        named = [n for n in (self.more_named, other.more_named) if n is not None]
        return Repairs(tighter, self.flow_toc or other.flow_toc, min(named) if named else None)


def page_fills(document: Any) -> list[float]:
    """How far down each page its reading goes (0 to 1 of the page area's height)."""
    fills = []
    for page in document.pages:
        page_box = page._page_box
        top, height = page_box.content_box_y(), page_box.height
        root = page_box.children[0] if page_box.children else None
        bottom = top
        for box in _boxes(root) if root is not None else ():
            if box.element_tag in ("html", "body") or getattr(box, "position_y", None) is None:
                continue
            if not getattr(box, "children", None) or type(box).__name__ == "LineBox":
                bottom = max(bottom, box.position_y + box.margin_height())
        fills.append(max(0.0, (bottom - top) / height) if height else 1.0)
    return fills


def _worksheets(document: Any) -> dict[str, tuple[int, int, bool]]:
    """Each worksheet on paper: its first and last page, and whether it opens its first page."""
    found: dict[str, tuple[int, int, bool]] = {}
    for number, page in enumerate(document.pages):
        first_block = True
        for box in _boxes(page._page_box.children[0]) if page._page_box.children else ():
            element = box.element
            if element is None or box.element_tag in ("html", "body"):
                continue
            classes = (element.get("class") or "").split()
            opens = first_block and type(box).__name__ != "LineBox"
            if "worksheet" in classes:
                worksheet = str(element.get("aria-labelledby"))
                first, _, opened = found.get(worksheet, (number, number, opens))
                found[worksheet] = (first, number, opened)
            if type(box).__name__ == "LineBox" or "worksheet" in classes:
                first_block = False
    return found


def _page_kind(page: Any) -> str:
    return str(page._page_box.page_type.name or "")


def repairs_for(document: Any, done: Repairs) -> Repairs:
    """The repairs that this layout still needs, on top of those already `done`."""
    fills = page_fills(document)
    pages = document.pages
    tighter: dict[str, int] = {}
    for worksheet, (first, last, opens) in _worksheets(document).items():
        before = first - 1
        starved = (
            opens
            and before >= 1
            and _page_kind(pages[before]) == ""
            and fills[before] < SHORT
            and before < len(pages) - 1
        )
        if last > first or starved:
            tighter[worksheet] = done.tighter.get(worksheet, 0) + 1
    toc_pages = [n for n, page in enumerate(pages) if page_holds(page, "toc")]
    flow_toc = not done.flow_toc and len(toc_pages) > 1 and fills[toc_pages[-1]] < SHORT
    more_pages = [n for n, page in enumerate(pages) if page_holds(page, MORE_PAGE)]
    named = None
    if len(more_pages) > 1:  # two lines of the list make room for the line that counts the rest
        named = max(0, len(_more_items(pages[more_pages[0]])) - 2)
    return Repairs(tighter, flow_toc, named)


def _more_items(page: Any) -> set[str]:
    return {
        str(box.element.get("id"))
        for box in _boxes(page._page_box)
        if box.element is not None and str(box.element.get("id") or "").startswith("more-m-")
    }


def repaired(html: str, repairs: Repairs) -> str:
    """The print HTML with these repairs made."""
    if repairs.flow_toc:
        html = html.replace('<body class="', f'<body class="{FLOW_TOC} ', 1)
    if repairs.more_named is not None:
        html = _more_named(html, repairs.more_named)

    def fewer_lines(match: re.Match[str]) -> str:
        fewer = repairs.tighter.get(match.group(2), 0)
        lines = str(max(1, int(match.group(3)) - fewer)) if fewer else match.group(3)
        return f'{match.group(1)}{lines}{match.group(4)}{lines}{match.group(6)}{lines}"'

    return _FIELD.sub(fewer_lines, html) if repairs.tighter else html


def problems(document: Any) -> int:
    """Pages under a third full that the rule does not allow (all but the cover, the safety plan's
    pages, the blank sides and the last page), and worksheets split over two pages."""
    fills = page_fills(document)
    pages = document.pages
    short = sum(
        1 for n in range(1, len(pages) - 1) if _page_kind(pages[n]) == "" and fills[n] < SHORT and not _blank(pages[n])
    )
    more = sum(1 for page in pages if page_holds(page, MORE_PAGE))
    return short + sum(1 for first, last, _ in _worksheets(document).values() if last > first) + max(0, more - 1)


_MORE_ITEM = re.compile(r'<li id="more-m-[^"]+"')
_MORE_LIST = re.compile(r'<ul class="more-list" data-rest="([^"]*)">(.*?)</ul>', re.S)


def _more_named(html: str, named: int) -> str:
    """The "More in your web guide" list with only its first `named` titles, and the count of the rest."""
    items = list(_MORE_ITEM.finditer(html))
    if named >= len(items):
        return html
    for match in reversed(items[named:]):
        html = html[: match.end()] + " hidden" + html[match.end() :]
    rest = len(items) - named
    return _MORE_LIST.sub(
        lambda m: f'{m.group(0)}\n<p class="more-rest">{m.group(1).replace("{count}", str(rest))}</p>', html, count=1
    )


def _blank(page: Any) -> bool:
    return bool(page._page_box.page_type.blank)
