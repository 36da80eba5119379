"""Shared blocks: a fact written once in content/_shared/, included with `::: shared <id>`, shown in
full the first time in a guide and as a link back after that; `check` finds what should be one."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from markupsafe import Markup

from conftest import REPO, page_html, pdf_of
from guidegen.check import check, repeated_passages
from guidegen.guide.assemble import Guide, GuideModule, make_guide, with_shared_placed
from guidegen.paper.choose import printed_guide
from guidegen.project.profiles import Profile
from guidegen.publish.build import build
from guidegen.text.markdown import render_markdown, shared_references
from guidegen.text.repeats import find_repeats
from guidegen.web.themecheck import load_checked_project

BLOCK = """---
title: How to give naloxone
reviewed: 2026-11-01
reviewed_by: guidegen clinical content team
sources: ["CDC, Lifesaving Naloxone (2024)"]
---
::: crisis How to give naloxone
Call 911, {{ person.name }}. Spray naloxone into one nostril.
:::
"""
BLOCK_ES = BLOCK.replace("title: How to give naloxone", "title: Cómo dar naloxona").replace(
    "::: crisis How to give naloxone\nCall 911, {{ person.name }}. Spray naloxone into one nostril.",
    "::: crisis Cómo dar naloxona\nLlama al 911, {{ person.name }}. Rocía la naloxona en la nariz.",
)
BENZO = """---
title: Don't stop benzos suddenly
when: {substances: [benzodiazepines]}
reviewed: 2026-11-01
reviewed_by: guidegen clinical content team
sources: ["FDA, Boxed Warning Updated for Benzodiazepines (2020)"]
---
::: warning
Stopping benzos suddenly can cause seizures.
:::
"""
TODAY = date(2026, 11, 22)


def add_blocks(root: Path, **blocks: str) -> None:
    folder = root / "content" / "_shared"
    folder.mkdir(exist_ok=True)
    for name, text in blocks.items():  # naloxone_steps_es -> naloxone-steps.es.md
        stem, spanish = name.removesuffix("_es"), name.endswith("_es")
        (folder / f"{stem.replace('_', '-')}{'.es' if spanish else ''}.md").write_text(text)


def include(root: Path, module: str, line: str) -> None:
    path = root / "content" / module
    path.write_text(path.read_text() + f"\n{line}\n")


def guide_for(root: Path, person: Profile) -> Guide:
    return make_guide(load_checked_project(root), person)


@pytest.fixture
def shared(mini: Path) -> Path:
    """The mini project with a naloxone block (English and Spanish) in two modules and a benzo block."""
    add_blocks(mini, naloxone_steps=BLOCK, naloxone_steps_es=BLOCK_ES, benzo_stop=BENZO)
    include(mini, "welcome/hello.md", "::: shared naloxone-steps\n\n::: shared benzo-stop")
    include(mini, "welcome/hello.es.md", "::: shared naloxone-steps\n\n::: shared benzo-stop")
    include(mini, "safety/naloxone.md", "::: shared naloxone-steps\n\n::: shared benzo-stop")
    return mini


def test_the_directive_is_one_line_and_renders_to_a_marker() -> None:
    source = "Intro\n::: shared naloxone-steps\n\n::: warning\nInside\n::: shared stop-safely\n:::\n\nAfter\n"
    html = render_markdown(source, module="m", person={}, strings={})
    assert "<p>After</p>" in html and "naloxone-steps" in html and "stop-safely" in html
    assert html.index("stop-safely") < html.index("</aside>")  # inside the callout, which still closes
    assert shared_references(source) == [(2, "naloxone-steps"), (6, "stop-safely")]
    assert shared_references("::: shared {{ x }}\n::: shared a b") == [(1, None), (2, None)]


def test_a_block_is_shown_in_full_once_then_as_a_link_back(shared: Path) -> None:
    person = Profile(id="t", name="Robin <b>", substances=("opioids",), stage="action")
    guide = guide_for(shared, person)
    first, later = (m.html for s in guide.sections for m in s.modules if m.id in ("hello", "naloxone"))
    assert first.count('id="shared-naloxone-steps"') == 1
    assert "Call 911, Robin &lt;b&gt;. Spray naloxone" in first  # personalised like a module, escaped
    assert "Spray naloxone" not in later
    assert '<a href="#shared-naloxone-steps" data-page="page">See: How to give naloxone</a>' in later


def test_a_block_with_a_rule_shows_only_to_the_people_it_concerns(shared: Path) -> None:
    without = guide_for(shared, Profile(id="t", name="Robin", substances=("opioids",), stage="action"))
    assert "seizures" not in "".join(m.html for s in without.sections for m in s.modules)
    assert "benzo-stop" not in "".join(m.html for s in without.sections for m in s.modules)
    taking = guide_for(shared, Profile(id="t", name="Robin", substances=("benzodiazepines",), stage="action"))
    assert "".join(m.html for s in taking.sections for m in s.modules).count("seizures") == 1


def test_a_reader_gets_the_block_in_their_language_and_the_original_marked_when_missing(shared: Path) -> None:
    spanish = guide_for(shared, Profile(id="t", name="Teo", language="es", substances=("benzodiazepines",)))
    html = "".join(m.html for s in spanish.sections for m in s.modules)
    assert "Llama al 911, Teo." in html
    assert '<div class="shared-block" id="shared-benzo-stop" lang="en">' in html


def test_paper_links_back_only_to_what_is_on_paper(shared: Path) -> None:
    guide = guide_for(shared, Profile(id="t", name="Robin", substances=("opioids",), stage="action"))
    printed, _ = printed_guide(guide, {"naloxone"})  # the first place, hello, stays on the web
    [module] = [m for s in printed.sections for m in s.modules]
    assert 'id="shared-naloxone-steps"' in module.html and "See:" not in module.html


def test_check_reports_unknown_and_badly_written_directives_with_file_and_line(shared: Path) -> None:
    include(shared, "coping/cravings.md", "::: shared nalaxone-steps\n\n::: shared {{ person.name }}")
    errors = [(p.path, p.line, p.message) for p in check(shared, today=TODAY).errors]
    lines = (shared / "content" / "coping" / "cravings.md").read_text().split("\n")
    unknown = lines.index("::: shared nalaxone-steps") + 1
    assert (
        "content/coping/cravings.md",
        unknown,
        "unknown shared block 'nalaxone-steps' (content/_shared/ has: benzo-stop, naloxone-steps)",
    ) in errors
    assert any(line == unknown + 2 and "alone on its line" in message for _, line, message in errors)


def test_a_block_cannot_include_another_and_its_translation_needs_an_original(shared: Path) -> None:
    add_blocks(shared, nested=BENZO + "\n::: shared naloxone-steps\n", lonely_es=BLOCK_ES)
    messages = {(p.path, p.message.split(":")[0]) for p in check(shared, today=TODAY).errors}
    assert ("content/_shared/nested.md", "a shared block cannot include another") in messages
    assert ("content/_shared/lonely.es.md", "translation without an original") in messages


def test_check_warns_about_a_block_without_translation_review_or_readers(shared: Path) -> None:
    add_blocks(shared, unused=BLOCK.replace('sources: ["CDC, Lifesaving Naloxone (2024)"]\n', ""))
    warnings = [(p.path, p.message) for p in check(shared, today=TODAY).warnings if "_shared" in p.path]
    assert (
        "content/_shared/benzo-stop.md",
        "no translation in 'es': readers of that language get this block in the original (add benzo-stop.es.md)",
    ) in warnings
    assert ("content/_shared/unused.md", "no `sources:`: name the public guidance this module follows") in warnings
    assert any(path.endswith("unused.md") and message.startswith("no module includes") for path, message in warnings)
    assert not any(path.endswith("naloxone-steps.md") for path, _ in warnings)


PASSAGE = (
    "If you take benzos every day, do not stop all at once on your own. Stopping suddenly can cause "
    "seizures and can be life-threatening. If you decide to cut down or stop, your care team can help "
    "you do it safely."
)


def first_line(path: Path, words: str) -> int:
    return next(n for n, line in enumerate(path.read_text().split("\n"), start=1) if words in line)


def test_check_reports_a_passage_of_200_characters_in_two_modules_on_both(mini: Path) -> None:
    include(mini, "coping/cravings.md", PASSAGE.replace(". ", ".\n", 1))  # line breaks do not hide it
    include(mini, "safety/naloxone.md", "{% if person.name %}" + PASSAGE + "{% endif %}")
    found = {(p.path, p.line): p.message for p in check(mini, today=TODAY).warnings if "word for word" in p.message}
    cravings, naloxone = (
        first_line(mini / "content" / name, PASSAGE[:30]) for name in ("coping/cravings.md", "safety/naloxone.md")
    )
    assert set(found) == {("content/coping/cravings.md", cravings), ("content/safety/naloxone.md", naloxone)}
    assert found[("content/coping/cravings.md", cravings)].startswith(
        f"lines {cravings}-{cravings + 1} repeat content/safety/naloxone.md:{naloxone}-{naloxone} word for word"
    )


def test_shorter_passages_and_a_module_with_its_own_translation_are_not_repeats() -> None:
    assert find_repeats([("a.md", PASSAGE[:190]), ("b.md", "So: " + PASSAGE[:190])]) == []
    assert len(find_repeats([("a.md", PASSAGE), ("b.md", "So: " + PASSAGE)])) == 1
    project = load_checked_project(REPO)
    assert repeated_passages(project) == []  # the starter library says each fact once


def test_a_changed_block_rebuilds_the_guides(shared: Path) -> None:
    assert sorted(build(shared, pdf=False).built) == ["p-001", "p-002"]
    path = shared / "content" / "_shared" / "benzo-stop.md"
    path.write_text(path.read_text().replace("seizures", "seizures, which can kill"))
    assert sorted(build(shared, pdf=False).built) == ["p-001", "p-002"]


def test_no_example_guide_shows_a_block_in_full_twice(example_site: Path) -> None:
    project = load_checked_project(REPO)
    links = 0
    for path in sorted((REPO / "profiles").glob("*.yaml")):
        page = page_html(example_site, path.stem)
        for block_id, block in project.blocks.items():
            assert page.count(f'id="shared-{block_id}"') <= 1, (path.stem, block_id)
            for text in block.texts.values():
                for line in text.source.split("\n"):
                    words = line.split("**")[-1].strip()
                    if len(words) > 40 and not words.startswith((":::", "{%")):
                        assert page.count(words) <= 1, (path.stem, block_id, words)
            linked = len(re.findall(f'href="#shared-{block_id}"', page))
            assert not linked or f'id="shared-{block_id}"' in page
            links += linked
    assert links > 10  # the repeats are there, as links


def test_on_paper_a_link_back_names_the_page_of_the_block(shared: Path) -> None:
    assert build(shared).problems == []
    with pdfplumber.open(pdf_of(shared, "p-002")) as pdf:  # Spanish, opioids: the block is in two modules
        pages = [page.extract_text() or "" for page in pdf.pages]
    text = "\n".join(pages)
    [number] = re.findall(r"Ver: Cómo dar naloxona \(página (\d+)\)", text)
    assert "Llama al 911, Teodoro Brightwater." in pages[int(number) - 1]
    assert text.count("Llama al 911, Teodoro") == 1


def test_a_module_made_without_markers_keeps_its_html(shared: Path) -> None:
    guide = guide_for(shared, Profile(id="t", name="Robin", substances=("opioids",), stage="action"))
    page = GuideModule("start-here", "Start here", "", Markup("<p>Kept</p>"), False, "en")
    section = dataclasses.replace(guide.sections[0], modules=(page, *guide.sections[0].modules))
    placed = with_shared_placed(dataclasses.replace(guide, sections=(section, *guide.sections[1:])))
    assert placed.sections[0].modules[0].html == "<p>Kept</p>"
    assert placed.sections[0].modules[1].html.count('id="shared-naloxone-steps"') == 1
