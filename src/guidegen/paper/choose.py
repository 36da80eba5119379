"""Which modules go on paper: the page budget of the printed guide.

The web guide holds every selected module; the printed guide holds as many as fit in
`print.pages` pages (settings), most relevant first (`rank_modules`). Priority 1 modules are
always printed. Whether a module fits is decided in two steps:

- before any layout, from estimates (heights.py, pure Python, milliseconds): each module's height
  (`candidates_for`) and the pages of the parts always printed (`skeleton_for`); `choose_printed`
  fills the budget in rank order;
- after pdf.py has laid the guide out, from what it measured on that layout (`Skeleton` and the
  modules' heights as laid out): `drop_to_fit` when it came out over the budget, `choose_printed`
  again when it left pages unused.

pdf.py lays the guide out and checks the real page count; this module only decides.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ..guide.assemble import Guide, GuideModule, with_shared_placed
from ..guide.tiers import Tier, ranked
from ..project.content import Module
from ..project.settings import Settings
from .heights import module_height
from .metrics import PT, PrintMetrics, print_metrics, text_lines
from .parts import Parts

PRIORITY_WORDS = {1: "essential", 2: "default", 3: "extra"}
FILL = 0.90
"""Share of a page's height that estimated module heights are counted on: the rest goes to page
breaks that keep headings, tips, worksheet questions and list items whole, and to what the
estimate misses. On the example guides, laid-out modules took 1.07 to 1.09 times their
estimate (page breaks included; spread 0.05): counting on 90 % of a page makes a guide that
comes out over its budget (and is laid out again) rare."""
FILL_LARGE_PRINT = 0.87
"""The same in large print: bigger blocks leave more of a page empty at breaks (1.11 times)."""


def rank_modules(guide: Guide, selected: Sequence[Module]) -> list[Module]:
    """Selected modules, most relevant first: tier, then priority, then guide order (guide/tiers.py)."""
    return ranked(selected, guide.tiers)


def always_printed(module: Module, tier: Tier) -> bool:
    """Priority 1 modules and the tiers "safety for you" and "your treatment" are on paper whatever
    the page budget."""
    return module.priority == 1 or tier.always_printed


def rank_reason(module: Module, tier: Tier) -> str:
    """Why a module ranks where it does, for `explain`."""
    words = PRIORITY_WORDS.get(module.priority, "?")
    always = ", always printed" if always_printed(module, tier) else ""
    return f"{tier.describe()}, priority {module.priority} ({words}){always}"


# The parts always printed, and the page count they imply -------------------------------------------


@dataclass(frozen=True)
class Skeleton:
    """The parts of a printed guide that are always there: estimated before the guide is laid out
    (`estimated_skeleton`), then measured on its layout (pdf.measure_guide).

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
    """Each module's share of that page's list (its line over the list's columns)."""
    more_columns: int = 1
    """Columns of that list."""
    plan_fits: bool = True
    """Whether the safety plan is expected to fit on its page at the roomiest fit level (an
    estimate: the layout tells)."""


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
    metrics: PrintMetrics
    """The print CSS's measures for this person's format and paper."""


def estimated_skeleton(parts: Parts, m: PrintMetrics) -> Skeleton:
    """The parts always printed as pages, from their estimated heights (before any layout)."""
    page = m.page
    before = 1 + sum(parts.front)  # the cover, then each part
    if not parts.safety_plan:
        before, after = before + _pages(parts.back, page), 0
    else:
        after = 2 + _pages(parts.back, page)  # the safety plan, its blank back, the back page
    return Skeleton(
        page,
        before,
        after,
        parts.safety_plan,
        parts.contents,
        parts.more,
        parts.more_items,
        m.more_columns,
        parts.safety_plan_fits,
    )


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
    pages += _pages(sum(by_section.values()), page * candidates.fill) if by_section else 0  # sections flow on
    if skeleton.recto and pages % 2 == 1:
        pages += 1  # a blank left-hand page, so that the safety plan starts on a right-hand one
    pages += skeleton.after
    left_out = [m for m in candidates.ranked if m not in printed]
    if left_out:
        pages += _pages(skeleton.more + sum(skeleton.more_items.get(m, 0.0) for m in left_out), page)
    return pages


def _pages(height: float, page: float) -> int:
    return max(1, math.ceil(height / page - 1e-6))


def choose_printed(
    candidates: Candidates, skeleton: Skeleton, budget: int, start: Collection[str] = ()
) -> frozenset[str]:
    """The modules to print: every essential one (and those in `start`), then each next in rank
    that still fits."""
    printed = set(candidates.essential) | set(start)
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


def candidates_for(guide: Guide, ranked: Sequence[Module], m: PrintMetrics) -> Candidates:
    """The guide's modules, ranked, with their estimated heights on paper."""
    rendered = {module.id: (section.id, module) for section in guide.sections for module in section.modules}
    toc_line = m.toc * m.toc_leading * PT + 1.2
    return Candidates(
        ranked=tuple(module.id for module in ranked if module.id in rendered),
        essential=frozenset(
            module.id for module in ranked if module.id in rendered and always_printed(module, guide.tiers[module.id])
        ),
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
    return with_shared_placed(dataclasses.replace(guide, sections=tuple(sections))), tuple(left_out)


def budget_for(guide: Guide, modules: Sequence[Module], settings: Settings) -> Budget | None:
    """The page budget of this person's printed guide; None when their profile says `print: full`."""
    if guide.person.print == "full":
        return None
    shown = {module.id for section in guide.sections for module in section.modules}
    ranked = rank_modules(guide, [module for module in modules if module.id in shown])
    metrics = print_metrics(guide.person.format, settings.paper)
    return Budget(settings.print.pages, candidates_for(guide, ranked, metrics), metrics)
