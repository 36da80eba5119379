"""A laid-out guide, measured: how tall each part and each module came out, so that the page model
can correct its estimates (paper/fit.py)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

from .choose import Candidates, Skeleton
from .layout import MORE_PAGE, ONE_PAGE_SECTION, PX_MM, _boxes


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
