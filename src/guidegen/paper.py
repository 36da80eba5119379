"""Which modules go on paper: the page budget of the printed guide.

The web guide holds every selected module; the printed guide holds as many as fit in
`print.pages` pages (settings), most relevant first (`rank_modules`). Priority 1 modules are
always printed. Whether a module fits is decided in two steps:

- `candidates_for` estimates each module's height on paper from its HTML and the print CSS's
  measures (font advance widths, line heights, margins): pure Python, a few milliseconds;
- `choose_printed` fills the budget in rank order, using the page counts that pdf.py measured on
  a layout of the parts that are always printed (`Skeleton`), and measured module heights once
  the guide has been laid out.

pdf.py lays the guide out and checks the real page count; this module only decides.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .rules import AllOf, AnyOf, LatestBand, Match, Not, Rule, holds

if TYPE_CHECKING:
    from .content import Module
    from .guide import Guide, GuideModule
    from .profiles import LoadedProfile, Profile
    from .project import Project
    from .settings import Settings

PRIORITY_WORDS = {1: "essential", 2: "default", 3: "extra"}
PT = 25.4 / 72
"""Millimetres per point."""
FILL = 0.90
"""Share of a page's height that estimated module heights are counted on: the rest goes to page
breaks that keep headings, tips, worksheet questions and list items whole, and to what the
estimate misses. On the example guides, laid-out modules took 1.07 to 1.09 times their
estimate (page breaks included; spread 0.05): counting on 90 % of a page makes a guide that
comes out over its budget (and is laid out again) rare."""
FILL_LARGE_PRINT = 0.87
"""The same in large print: bigger blocks leave more of a page empty at breaks (1.11 times)."""


def names_situation(rule: Rule, person: Profile) -> bool:
    """Whether the rule picks this person for something about them (a term they have), not
    only because it picks everyone or everyone but some."""
    if isinstance(rule, Match):
        value = getattr(person, rule.key)
        values = value if isinstance(value, tuple) else (value,)
        return any(v in rule.terms for v in values if v is not None)
    if isinstance(rule, LatestBand):
        return holds(rule, person)
    if isinstance(rule, (AllOf, AnyOf)):
        return any(names_situation(part, person) for part in rule.rules)
    assert isinstance(rule, Not)
    return False


def rank_modules(person: Profile, selected: Sequence[Module]) -> list[Module]:
    """Selected modules, most relevant first: priority, then rules that name this person's
    situation before modules for everyone, then guide order."""
    position = {module.id: index for index, module in enumerate(selected)}
    return sorted(selected, key=lambda m: (m.priority, not names_situation(m.rule, person), position[m.id]))


def rank_reason(module: Module, person: Profile) -> str:
    """Why a module ranks where it does, for `explain`."""
    situation = "rule names their situation" if names_situation(module.rule, person) else "for everyone"
    return f"priority {module.priority} ({PRIORITY_WORDS.get(module.priority, '?')}), {situation}"


# What pdf.py measures, and the page count it implies -------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """The parts of a printed guide that are always there, measured on a layout without modules.

    Heights are in millimetres; a flow starts on a new page and is `page_height` tall per page."""

    page_height: float
    """The height of the page area that modules flow in."""
    before: int
    """Pages before the safety plan that are neither contents nor modules (cover, My plan ...)."""
    after: int
    """The safety plan, its blank back and the back page (0 without a safety plan)."""
    recto: bool
    """Whether a safety plan must start on a right-hand (odd) page."""
    contents: float
    """The first page's crisis box and the contents, without module entries."""
    more: float
    """The "More in your web guide" page without its list."""
    more_items: Mapping[str, float] = field(default_factory=dict)
    """Each module's line on that page's list."""


@dataclass(frozen=True)
class Candidates:
    """A guide's modules as the budget sees them."""

    ranked: tuple[str, ...]
    """Module ids, most relevant first."""
    essential: frozenset[str]
    """Priority 1: always printed."""
    section: Mapping[str, str]
    """Module id -> its section."""
    heights: Mapping[str, float]
    """Estimated height of each module on paper (mm), margins included."""
    entries: Mapping[str, float]
    """Estimated height of each module's line in the contents."""
    section_title: float
    """Height of a section's title at the top of its first page."""
    section_entry: float
    """Height of a section's line in the contents."""
    fill: float = FILL
    """Share of a page that module heights are counted on (see FILL)."""


@dataclass(frozen=True)
class Budget:
    """A page budget and the modules that compete for it."""

    pages: int
    candidates: Candidates


def pages_needed(printed: Collection[str], candidates: Candidates, skeleton: Skeleton) -> int:
    """How many pages the guide takes with these modules on paper (an estimate until laid out)."""
    page = skeleton.page_height
    by_section: dict[str, float] = {}
    for module_id in printed:
        section = candidates.section[module_id]
        by_section[section] = by_section.get(section, candidates.section_title) + candidates.heights[module_id]
    contents = skeleton.contents + sum(candidates.entries[m] for m in printed)
    contents += candidates.section_entry * len(by_section)
    pages = skeleton.before + _pages(contents, page)
    pages += sum(_pages(height, page * candidates.fill) for height in by_section.values())
    if skeleton.recto and pages % 2 == 1:
        pages += 1  # a blank left-hand page, so that the safety plan starts on a right-hand one
    pages += skeleton.after
    left_out = [m for m in candidates.ranked if m not in printed]
    if left_out:
        pages += _pages(skeleton.more + sum(skeleton.more_items.get(m, 0.0) for m in left_out), page)
    return pages


def _pages(height: float, page: float) -> int:
    return max(1, math.ceil(height / page - 1e-6))


def choose_printed(candidates: Candidates, skeleton: Skeleton, budget: int) -> frozenset[str]:
    """The modules to print: every essential one, then each next in rank that still fits."""
    printed = set(candidates.essential)
    for module_id in candidates.ranked:
        if module_id not in printed and pages_needed(printed | {module_id}, candidates, skeleton) <= budget:
            printed.add(module_id)
    return frozenset(printed)


def drop_to_fit(
    printed: Collection[str], candidates: Candidates, skeleton: Skeleton, budget: int, overshoot: int
) -> frozenset[str]:
    """After a layout came out `overshoot` pages longer than its estimate allowed: leave out the
    lowest-ranked modules that are not essential until the estimate is that much lower."""
    kept = [m for m in candidates.ranked if m in printed]
    target = budget - overshoot
    while pages_needed(kept, candidates, skeleton) > target:
        droppable = [m for m in kept if m not in candidates.essential]
        if not droppable:
            break
        kept.remove(droppable[-1])
    if len(kept) == len(printed):  # the estimate already fits: leave out one more all the same
        droppable = [m for m in kept if m not in candidates.essential]
        if droppable:
            kept.remove(droppable[-1])
    return frozenset(kept)


# Estimating heights from the HTML -----------------------------------------------------------


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


def print_metrics(formats: Collection[str], paper: str) -> PrintMetrics:
    """print.css and print.html, in numbers (keep in step with them)."""
    large = "large_print" in formats
    dyslexia = "dyslexia_friendly" in formats
    width = (210.0 if paper == "a4" else 215.9) - (50.0 if large else 40.0)
    leading = 1.8 if dyslexia else 1.6 if large else 1.5
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


def candidates_for(guide: Guide, ranked: Sequence[Module], paper: str) -> Candidates:
    """The guide's modules, ranked, with their estimated heights on paper."""
    m = print_metrics(guide.person.format, paper)
    rendered = {module.id: (section.id, module) for section in guide.sections for module in section.modules}
    toc_line = m.toc * m.toc_leading * PT + 1.2
    return Candidates(
        ranked=tuple(module.id for module in ranked if module.id in rendered),
        essential=frozenset(module.id for module in ranked if module.priority == 1 and module.id in rendered),
        section={module_id: section for module_id, (section, _) in rendered.items()},
        heights={module_id: module_height(module, m) for module_id, (_, module) in rendered.items()},
        entries={
            module_id: text_lines(module.title, m.toc, m.width - 7.0 - 15.0, m) * (toc_line - 1.2) + 1.2
            for module_id, (_, module) in rendered.items()
        },
        section_title=m.heading["h2"] * 1.25 * PT + 2.0 + 2 * PT + 5.0,
        section_entry=toc_line + 2.0,
        fill=FILL_LARGE_PRINT if "large_print" in guide.person.format else FILL,
    )


def printed_guide(guide: Guide, printed: Collection[str] | None) -> tuple[Guide, tuple[GuideModule, ...]]:
    """The guide with only the printed modules (sections left empty are left out), and the
    modules that stay in the web guide only, in guide order."""
    if printed is None:
        return guide, ()
    sections = []
    left_out: list[GuideModule] = []
    for section in guide.sections:
        kept = tuple(module for module in section.modules if module.id in printed)
        left_out.extend(module for module in section.modules if module.id not in printed)
        if kept:
            sections.append(dataclasses.replace(section, modules=kept))
    return dataclasses.replace(guide, sections=tuple(sections)), tuple(left_out)


def budget_for(guide: Guide, modules: Sequence[Module], settings: Settings) -> Budget | None:
    """The page budget of this person's printed guide; None when their profile says `print: full`."""
    if guide.person.print == "full":
        return None
    shown = {module.id for section in guide.sections for module in section.modules}
    ranked = rank_modules(guide.person, [module for module in modules if module.id in shown])
    return Budget(settings.print.pages, candidates_for(guide, ranked, settings.paper))


class PrintHTML(Protocol):
    """The print HTML at a fit level; with `safety_plan_only`, only the safety plan page.

    `printed`: the modules to print, the others listed on the "More in your web guide" page;
    None prints every module and has no such page."""

    def __call__(self, fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str: ...


def print_source(guide: Guide, settings: Settings, env: Any) -> PrintHTML:
    """The print HTML of this guide as pdf.py asks for it: at a fit level of the safety plan,
    and with some modules on paper and the rest listed on the "More in your web guide" page."""
    from .pages import render_print

    def print_html(fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str:
        shown, left_out = printed_guide(guide, printed)
        return render_print(shown, settings, env, {"left_out": left_out}, fit=fit, safety_plan_only=safety_plan_only)

    return print_html


@dataclass(frozen=True)
class PaperChoice:
    """Which of a person's modules go on paper, and why (for `explain`)."""

    marks: Mapping[str, str]
    """Each module the person gets -> "paper: ..." or "web only (page budget): ..."."""
    pages: int
    """Pages of the printed guide."""
    budget: int | None
    """The page budget (None: the profile says `print: full`)."""

    def summary(self) -> str:
        """One line: how many modules are on paper, in how many pages."""
        picked = len(self.marks)
        if self.budget is None:
            return f"{picked} of {picked} on paper: {self.pages} pages (print: full)"
        on_paper = sum(1 for mark in self.marks.values() if mark.startswith("paper"))
        line = f"{on_paper} of {picked} on paper: {self.pages} pages (budget {self.budget} pages)"
        if self.pages > self.budget:
            line += "; over the budget: the priority 1 modules alone take more, and they are always printed"
        return line


def paper_choice(project: Project, loaded: LoadedProfile) -> PaperChoice:
    """Lay out this person's printed guide as a build would, and say which modules it holds.

    Takes a few seconds (the guide is laid out); nothing is written."""
    from .guide import make_guide
    from .pages import guide_link
    from .pdf import lay_out_guide
    from .state import ProjectState
    from .theme import TEMPLATES_DIR

    settings = project.settings
    link = ProjectState(project.root).links_for([loaded.profile.id])[loaded.profile.id]
    key = link.key if settings.web.access == "private" else None
    guide = dataclasses.replace(make_guide(project, loaded.profile), link=guide_link(settings, link.slug, key))
    budget = budget_for(guide, project.modules, project.settings)
    source = print_source(guide, project.settings, project.pages)
    laid_out = lay_out_guide(source, project.theme, project.root / TEMPLATES_DIR, budget)
    person = guide.person
    by_id = {module.id: module for module in project.modules}
    marks = {}
    for section in guide.sections:
        for shown in section.modules:
            module = by_id[shown.id]
            reason = rank_reason(module, person)
            if budget is None:
                marks[module.id] = "paper (print: full)"
            elif laid_out.printed is None or module.id in laid_out.printed:
                marks[module.id] = f"paper: {reason}"
            else:
                marks[module.id] = f"web only (page budget): {reason}"
    return PaperChoice(marks, len(laid_out.document.pages), budget.pages if budget else None)
