"""guidegen explain: each module picked or skipped and why, its tier, and whether it goes on paper
(a layout of the printed guide, as a build makes it; nothing is written)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import InvalidInput
from .project.profiles import find_profile, load_profile
from .project.rules import describe, holds, why
from .publish.explain import paper_choice
from .web.themecheck import load_checked_project


def explain_lines(root: Path, profile_id: str) -> Iterator[str]:
    """`guidegen explain`: for each module, picked (with its rule, its tier and whether it is on
    paper) or skipped (with what the rule needs); then the counts and the pages."""
    path = find_profile(root, profile_id)
    project = load_checked_project(root)
    loaded, problems = load_profile(path, root, project.settings, project.vocabulary)
    if loaded is None:
        raise InvalidInput(problems)
    person = loaded.profile
    paper = paper_choice(project, loaded)
    picked = 0
    section = None
    for module in project.modules:
        if module.section != section:
            section = module.section
            yield f"\n{section}"
        if holds(module.rule, person):
            picked += 1
            _, untranslated = module.text_for(person.language or project.settings.default_language)
            note = " (not translated: shown in the default language)" if untranslated else ""
            yield f"  + {module.id:<28} picked: {describe(module.rule)}{note}"
            yield f"    {'':<28} {paper.marks[module.id]}"
        else:
            yield f"  - {module.id:<28} skipped: needs {why(module.rule, person)}"
    yield f"\n{picked} of {len(project.modules)} modules picked for {person.id}"
    yield paper.summary()
