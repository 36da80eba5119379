"""The starter library fits the whole person: needs, strengths, stage, and pages for groups of people."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from guidegen.project.content import Module, load_modules
from guidegen.project.profiles import Profile
from guidegen.project.rules import select_modules
from guidegen.project.settings import load_settings
from guidegen.project.vocabulary import load_vocabulary
from guidegen.text.personalise import personalise

REPO = Path(__file__).resolve().parent.parent
NEW_MODULES = (
    "leaving-care",
    "your-assessment",
    "young-people",
    "older-adults",
    "lgbtq",
    "veterans",
    "for-supporters",
    "thinking-it-over",
)


@cache
def library() -> dict[str, Module]:
    settings = load_settings(REPO)
    return {m.id: m for m in load_modules(REPO, settings, load_vocabulary(REPO, settings))}


def picked(**fields: Any) -> set[str]:
    return {m.id for m in select_modules(Profile(id="x", name="Sam", **fields), list(library().values()))}


def text(module_id: str, **fields: Any) -> str:
    """The module's personalised text for a person with these fields (values put back in)."""
    person = Profile(id="x", name="Sam", **fields)
    module_text, _ = library()[module_id].text_for(person.language or "en")
    done = personalise(module_text.template, module_text.source, module_text.where, person.template_view())
    return done.fill_text(done.markdown)


def test_community_resources_speaks_to_the_needs_the_person_has() -> None:
    page = text("community-resources", needs=("housing", "childcare"))
    assert "## Housing" in page and "## Child care" in page
    assert "## Legal help" not in page and "## Food" not in page
    assert "could use help with:\n\n- A safe place to live\n- Child care\n" in page


def test_community_resources_covers_every_need_when_none_are_listed() -> None:
    page = text("community-resources")
    for heading in ("Housing", "Work and school", "Legal help", "Food", "Child care", "A phone and the internet"):
        assert f"## {heading}" in page


def test_strengths_are_named_back_in_the_persons_language() -> None:
    assert "People who support me, Faith or a spiritual life" in text(
        "personalised-care", strengths=("supportive_people", "faith")
    )
    spanish = text("personalised-care", language="es", strengths=("supportive_people",))
    assert "Personas que me apoyan" in spanish
    assert "## The strengths you bring" not in text("personalised-care")


def test_people_not_yet_thinking_about_change_get_pages_that_meet_them_there() -> None:
    pre = picked(stage="precontemplation", substances=("stimulants",))
    assert "thinking-it-over" in pre and "peer-recovery-coaches" in pre
    assert "after-a-slip" not in pre and "relapse-prevention-plan" not in pre
    later = picked(stage="maintenance", substances=("alcohol",))
    assert "after-a-slip" in later and "peer-recovery-coaches" in later and "thinking-it-over" not in later


def test_faith_based_support_is_offered_to_people_open_to_any_support() -> None:
    assert "faith-based-groups" in picked(support_style="any")


@pytest.mark.parametrize(
    ("fields", "module_id"),
    [
        ({"population": ("young_person",)}, "young-people"),
        ({"population": ("older_adult",)}, "older-adults"),
        ({"population": ("lgbtq",)}, "lgbtq"),
        ({"population": ("veteran",)}, "veterans"),
        ({"transitions": ("leaving_jail",)}, "leaving-care"),
        ({"groups": ("al_anon",)}, "for-supporters"),
        ({"therapies": ("craft",)}, "for-supporters"),
        ({}, "your-assessment"),
    ],
)
def test_each_new_page_is_picked_by_its_term(fields: dict[str, Any], module_id: str) -> None:
    assert module_id in picked(**fields)
    if fields:
        assert module_id not in picked()


def test_leaving_jail_warns_about_lost_tolerance_and_naloxone() -> None:
    page = text("leaving-care", transitions=("leaving_jail",), substances=("opioids",))
    assert "## After jail or prison" in page and "naloxone" in page and "tolerance" in page
    assert "## After a hospital stay" not in page


def test_the_lgbtq_page_gives_the_crisis_lines_that_exist_now() -> None:
    for language in ("en", "es"):
        page = text("lgbtq", language=language)
        assert "1-866-488-7386" in page and "678678" in page and "988" in page
        assert "press 3" not in page.lower() and "marca 3" not in page.lower()


def test_the_veterans_page_gives_the_veterans_crisis_line() -> None:
    for language in ("en", "es"):
        page = text("veterans", language=language)
        assert "988" in page and "838255" in page


def front_matter(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def module_files() -> list[Path]:
    return sorted((REPO / "content").glob("*/*.md"))


@pytest.mark.parametrize("path", module_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_module_says_who_reviewed_it_and_dates_its_sources(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    reviewed = next(i for i, line in enumerate(lines) if line.startswith("reviewed:"))
    assert lines[reviewed + 1].startswith("reviewed_by: "), "reviewed_by: goes on the line after reviewed:"
    for source in front_matter(path)["sources"]:
        assert re.search(r"\b(19|20)\d\d\b", source), "every source gives its year"


def test_tip_45_is_cited_as_one_edition() -> None:
    editions = {
        re.search(r"TIP 45[^(]*\((\d{4})\)", line)[1]  # type: ignore[index]
        for path in module_files()
        for line in path.read_text(encoding="utf-8").split("\n")
        if "TIP 45" in line
    }
    assert editions == {"2015"}


@pytest.mark.parametrize("module_id", NEW_MODULES)
def test_new_modules_have_spanish_priority_and_a_review(module_id: str) -> None:
    module = library()[module_id]
    assert "es" in module.texts
    original = front_matter(module.original.path)
    assert original["priority"] in (1, 2, 3)
    assert original["reviewed_by"] and original["reviewed"]


def test_links_between_modules_point_to_modules_that_exist() -> None:
    ids = set(library())
    for path in module_files():
        for target in re.findall(r"\]\(#m-([a-z0-9-]+)\)", path.read_text(encoding="utf-8")):
            assert target in ids, f"{path.name} links to #m-{target}, which is not a module"


def test_breathing_and_grounding_are_taught_once() -> None:
    """The 5-4-3-2-1 exercise and the 4-in, 6-out count live in their own pages; the rest point there."""
    for path in module_files():
        body = path.read_text(encoding="utf-8")
        if path.stem.split(".")[0] not in ("grounding", "slow-breathing"):
            assert not re.search(r"5 things you see|five things you see|nombra 5 cosas", body), path.name
            assert not re.search(r"count of (4|four)\. Breathe out", body), path.name
