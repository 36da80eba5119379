"""Which of a person's modules go on paper and why, from a layout of their printed guide made as
a build would make it (nothing is written): `guidegen explain`'s paper column and the desk's preview."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from ..guide.assemble import make_guide
from ..paper.choose import rank_reason
from ..paper.printed import READING_FORMATS, lay_out_printed
from ..project.load import Project
from ..project.profiles import LoadedProfile
from ..web.pages import guide_link
from .state import ProjectState

LEFT_OUT = "no room left after the parts always printed and the pages ranked above it"
"""Why a module is web only: the budget is filled in rank order (safety for you and your treatment
always, then your situation, skills for you and for everyone)."""


@dataclass(frozen=True)
class PaperChoice:
    """Which of a person's modules go on paper, and why (for `explain`)."""

    marks: Mapping[str, str]
    """Each module the person gets -> "paper: ..." or "web only (page budget): ..."."""
    pages: int
    """Pages of the printed guide."""
    budget: int | None
    """The page budget (None: the profile says `print: full`)."""
    reading_format: bool = False
    """Large print or dyslexia-friendly: the topics of the standard guide, on as many pages as they take."""

    def summary(self) -> str:
        """One line: how many modules are on paper, in how many pages."""
        picked = len(self.marks)
        if self.budget is None:
            return f"{picked} of {picked} on paper: {self.pages} pages (print: full)"
        on_paper = sum(1 for mark in self.marks.values() if mark.startswith("paper"))
        line = f"{on_paper} of {picked} on paper: {self.pages} pages (budget {self.budget} pages)"
        if self.reading_format:
            return line + "; in this format the guide holds the topics of the standard guide, on the pages they take"
        if self.pages > self.budget:
            line += (
                "; over the budget: the modules always printed (priority 1, safety for you, your treatment)"
                " take more, and they are printed all the same"
            )
        return line


def paper_choice(project: Project, loaded: LoadedProfile) -> PaperChoice:
    """Lay out this person's printed guide as a build would, and say which modules it holds.

    Takes a few seconds (the guide is laid out); nothing is written."""

    settings = project.settings
    link = ProjectState(project.root).links_for([loaded.profile.id])[loaded.profile.id]
    key = link.key if settings.web.access == "private" else None
    guide = dataclasses.replace(make_guide(project, loaded.profile), link=guide_link(settings, link.slug, key))
    laid_out, budget = lay_out_printed(project, guide)
    by_id = {module.id: module for module in project.modules}
    marks = {}
    for section in guide.sections:
        for shown in section.modules:
            module = by_id[shown.id]
            reason = rank_reason(module, guide.tiers[module.id])
            if budget is None:
                marks[module.id] = "paper (print: full)"
            elif laid_out.printed is None or module.id in laid_out.printed:
                marks[module.id] = f"paper: {reason}"
            else:
                marks[module.id] = f"web only (page budget): {reason}; {LEFT_OUT}"
    reading = any(f in READING_FORMATS for f in guide.person.format)
    return PaperChoice(marks, len(laid_out.document.pages), budget.pages if budget else None, reading)
