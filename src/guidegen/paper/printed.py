"""The printed guide of one person: its print HTML at each fit level, laid out within its page
budget, as PDF bytes. What publish/build.py calls for the paper stage."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..guide.assemble import Guide
from ..project.load import Project
from ..project.settings import Settings
from ..project.theme import TEMPLATES_DIR
from ..web.pages import render_print
from .choose import budget_for, printed_guide
from .fit import write_pdf
from .layout import PrintHTML


def print_source(guide: Guide, settings: Settings, env: Any) -> PrintHTML:
    """The print HTML of this guide as pdf.py asks for it: at a fit level of the safety plan,
    and with some modules on paper and the rest listed on the "More in your web guide" page."""

    def print_html(fit: int, *, safety_plan_only: bool = False, printed: Collection[str] | None = None) -> str:
        shown, left_out = printed_guide(guide, printed)
        return render_print(shown, settings, env, {"left_out": left_out}, fit=fit, safety_plan_only=safety_plan_only)

    return print_html


def print_guide(project: Project, guide: Guide) -> bytes:
    """The person's printed guide as PDF bytes: within the page budget (the chooser picks the
    modules that fit, the layout lays them out, see fit.py), or every module with `print: full`."""
    source = print_source(guide, project.settings, project.pages)
    budget = budget_for(guide, project.modules, project.settings)
    return write_pdf(source, project.theme, project.root / TEMPLATES_DIR, budget)
