"""The printed guide of one person: its print HTML at each fit level, laid out within its page
budget, as PDF bytes. What publish/build.py calls for the paper stage.

The budget counts reading, not sheets: a large-print or dyslexia-friendly guide holds the modules
that the same person's standard guide holds within the budget, and takes the pages it needs."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from ..guide.assemble import Guide, make_guide
from ..project.load import Project
from ..project.settings import Settings
from ..project.theme import TEMPLATES_DIR
from ..web.pages import render_print
from .choose import Budget, budget_for, printed_guide
from .fit import LaidOut, lay_out_guide, pdf_bytes
from .layout import PrintHTML
from .stack import in_one_chunk


def print_source(guide: Guide, settings: Settings, env: Any) -> PrintHTML:
    """The print HTML of this guide as pdf.py asks for it: at a fit level of the safety plan,
    and with some modules on paper and the rest listed on the "More in your web guide" page."""

    def print_html(fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str:
        shown, left_out = printed_guide(guide, printed)
        return render_print(shown, settings, env, {"left_out": left_out}, fit=fit, safety_plan_only=safety_plan_only)

    return print_html


READING_FORMATS = frozenset({"large_print", "dyslexia_friendly"})
"""Formats that change how much a page holds: their guides hold the topics of the standard one."""


def print_guide(project: Project, guide: Guide) -> bytes:
    """The person's printed guide as PDF bytes (see `lay_out_printed`), laid out in one chunk of
    Python's data stack (stack.py)."""
    return in_one_chunk(lambda: pdf_bytes(_lay_out_printed(project, guide)[0]))


def lay_out_printed(project: Project, guide: Guide) -> tuple[LaidOut, Budget | None]:
    """The person's printed guide laid out: within the page budget (the chooser picks the modules
    that fit, the layout lays them out, see fit.py), or every module with `print: full`; and the
    budget it was chosen by. In a reading format, the modules are chosen on the standard guide."""
    return in_one_chunk(lambda: _lay_out_printed(project, guide))


def _lay_out_printed(project: Project, guide: Guide) -> tuple[LaidOut, Budget | None]:
    settings, templates = project.settings, project.root / TEMPLATES_DIR
    budget = budget_for(guide, project.modules, settings)
    reading = [f for f in guide.person.format if f in READING_FORMATS]
    if budget is None or not reading:
        return lay_out_guide(print_source(guide, settings, project.pages), project.theme, templates, budget), budget
    standard_person = guide.person.model_copy(
        update={"format": tuple(f for f in guide.person.format if f not in reading)}
    )
    standard = dataclasses.replace(  # made again: its charts at the standard size
        make_guide(project, standard_person), link=guide.link, has_pdf=guide.has_pdf, changes=guide.changes
    )
    standard_budget = budget_for(standard, project.modules, settings)
    chosen = lay_out_guide(print_source(standard, settings, project.pages), project.theme, templates, standard_budget)
    source = print_source(guide, settings, project.pages)

    def same_topics(fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str:
        return source(fit, safety_plan_only=safety_plan_only, printed=chosen.printed)

    laid_out = lay_out_guide(same_topics, project.theme, templates, None)
    return dataclasses.replace(laid_out, printed=chosen.printed), standard_budget
