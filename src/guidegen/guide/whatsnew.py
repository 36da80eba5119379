""" "What's new in your guide": what changed for one person since the last guide they got.

Pure functions: `summarise` turns a guide into ids and hashes (no profile values, so the
summary may be kept in project state), `changes` compares two summaries, and `describe` turns
changes into what the page shows, with module titles looked up from the current modules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .assemble import ChangeLine, Guide

if TYPE_CHECKING:
    from ..project.content import Module

SUMMARY_VERSION = 1
KINDS = (
    "module_added",
    "module_removed",
    "module_updated",
    "goal_added",
    "goal_reached",
    "stage_changed",
    "next_review_changed",
)
"""Every kind of change, in the order the page lists them."""

Change = tuple[str, ...]
"""(kind,) or (kind, module id) or (kind, goal hash)."""


def fingerprint(*parts: str) -> str:
    """A short hash: enough to tell texts apart, no way to read them back."""
    return hashlib.sha256("\x1f".join(("guidegen-whatsnew", *parts)).encode()).hexdigest()[:20]


def summarise(guide: Guide) -> dict[str, Any]:
    """What the next guide is compared with: ids and hashes only."""
    person = guide.person
    return {
        "version": SUMMARY_VERSION,
        "modules": {
            module.id: fingerprint(module.title, module.summary, str(module.html))
            for section in guide.sections
            for module in section.modules
        },
        "goals": {fingerprint(goal.text): goal.done is not None for goal in person.goals},
        "stage": fingerprint(person.stage) if person.stage else None,
        "next_review": fingerprint(person.review.next.isoformat()) if person.review.next else None,
    }


def changes(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[Change]:
    """What changed from `previous` to `current`; nothing for a first guide or an unknown summary."""
    if not previous or previous.get("version") != SUMMARY_VERSION:
        return []
    found: list[Change] = []
    before, now = previous.get("modules", {}), current["modules"]
    found += [("module_added", m) for m in now if m not in before]
    found += [("module_removed", m) for m in before if m not in now]
    found += [("module_updated", m) for m in now if m in before and before[m] != now[m]]
    goals_before, goals_now = previous.get("goals", {}), current["goals"]
    found += [("goal_added", g) for g in goals_now if g not in goals_before]
    found += [("goal_reached", g) for g, reached in goals_now.items() if reached and not goals_before.get(g)]
    if current["stage"] and current["stage"] != previous.get("stage"):
        found.append(("stage_changed",))
    if current["next_review"] and current["next_review"] != previous.get("next_review"):
        found.append(("next_review_changed",))
    return found


def module_titles(modules: Iterable[Module], language: str) -> dict[str, str]:
    """Every module's title in `language` (for modules a person no longer gets)."""
    return {module.id: module.text_for(language)[0].title for module in modules}


def describe(found: Iterable[Change], guide: Guide, titles: Mapping[str, str]) -> tuple[ChangeLine, ...]:
    """Changes in the words of the current guide; `titles` names modules that left it."""
    in_guide = {m.id: m.title for section in guide.sections for m in section.modules}
    goals = {fingerprint(goal.text): goal.text for goal in guide.person.goals}
    stage = guide.terms.get("stage", ())
    lines = []
    for change in sorted(found, key=lambda c: KINDS.index(c[0])):
        kind = change[0]
        if kind in ("module_added", "module_updated"):
            lines.append(ChangeLine(kind, in_guide.get(change[1]), module=change[1]))
        elif kind == "module_removed":
            lines.append(ChangeLine(kind, titles.get(change[1])))
        elif kind in ("goal_added", "goal_reached") and change[1] in goals:
            lines.append(ChangeLine(kind, goals[change[1]]))
        elif kind == "stage_changed" and stage:
            lines.append(ChangeLine(kind, stage[0]))
        elif kind == "next_review_changed" and guide.person.review.next:
            lines.append(ChangeLine(kind, day=guide.person.review.next))
    return tuple(lines)
