"""The guide laid out within its page budget: choose (choose.py), lay out (layout.py), measure
(measure.py), and lay out again only when the estimate was off."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..project.theme import Theme
from .choose import Budget, Skeleton, choose_printed, drop_to_fit, estimated_skeleton, pages_needed
from .fill import REPAIRS, Repairs, problems, repaired, repairs_for
from .forms import finish_form_fields
from .layout import FIT_LEVELS, ONE_PAGE_SECTION, PDF_OPTIONS, PrintHTML, fit_level, lay_out, pages_holding
from .measure import measure_guide
from .parts import estimate_parts

ROOM = 2
"""Unused pages after the first layout of a guide that make it worth a second one with more
modules (one page unused is the price of laying most guides out once)."""


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
    repairs: int = 0
    """Layouts made again to fill pages that ended early (fill.py), kept."""


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
    modules. The modules always printed (priority 1, safety for you, your treatment) are printed
    even when they alone overrun the budget.
    """
    cache: dict[str, Any] = {}
    if not callable(print_html):
        return LaidOut(lay_out(print_html, theme, project_templates, cache), print_html, None, 1, 0)
    if budget is None or not budget.candidates.ranked:
        fit, probes = fit_level(print_html, theme, project_templates, cache)
        html = print_html(fit)
        laid_out = LaidOut(lay_out(html, theme, project_templates, cache), html, None, 1, probes)
    else:
        laid_out = _WithinBudget(print_html, theme, project_templates, budget, cache).lay_out()
    return filled(laid_out, theme, project_templates, cache)


def filled(laid_out: LaidOut, theme: Theme, project_templates: Path, cache: dict[str, Any]) -> LaidOut:
    """The guide laid out again with the repairs (fill.py) that leave no page under a third full,
    at most REPAIRS times; a layout that comes out longer, or no fuller, is not kept."""
    done, base = Repairs(), laid_out.html
    found = problems(laid_out.document)
    for _ in range(REPAIRS):
        needed = repairs_for(laid_out.document, done)
        if not needed:
            break
        done = done.merged(needed)
        html = repaired(base, done)
        document = lay_out(html, theme, project_templates, cache)
        left = problems(document)
        if len(document.pages) > len(laid_out.document.pages) or (
            left >= found and len(document.pages) == len(laid_out.document.pages)
        ):
            break
        laid_out, found = replace(laid_out, document=document, html=html, repairs=laid_out.repairs + 1), left
    return laid_out


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


def skeleton_for(budget: Budget, print_html: PrintHTML) -> Skeleton:
    """The estimated skeleton of the guide that `print_html` makes."""
    return estimated_skeleton(estimate_parts(print_html(0, printed=()), budget.metrics), budget.metrics)
