"""The Markdown renderer on its own: input and expected HTML side by side in tests/fixtures/markdown.txt."""

from __future__ import annotations

import pytest

from cases import read_cases
from guidegen.text.markdown import lint_markdown, render_markdown

STRINGS = {"tip": "Tip", "warning": "Important", "crisis": "In an emergency", "worksheet": "Worksheet"}
PERSON = {"name": "Sam", "people": [{"name": "Dana", "relation": "sister", "phone": "555-0101"}]}
CASES = read_cases("markdown.txt")


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_markdown_renders_as_the_fixture_says(case) -> None:
    source, expected = case.body.split("~~~\n", 1)
    assert render_markdown(source, module="m", person=PERSON, strings=STRINGS) == expected.rstrip("\n") + "\n"


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("<b>x</b>\n", 3, "raw HTML is not allowed"),
        ("# Title\n", 3, "use ## for headings"),
        ("[x](javascript:alert(1))\n", 3, "is not allowed: use https://"),
        ("![x](/etc/passwd)\n", 3, "images must come from the theme's assets/"),
        ("![x](assets/missing.png)\n", 3, "does not exist in the theme's assets/"),
        ("::: worksheet\n- Q {fill=secrets}\n:::\n", 4, "fill=secrets is not a field"),
        ("::: worksheet\n- Q {lines=99}\n:::\n", 4, "lines= expects a number from 1 to 30"),
        ("::: worksheet\n- Q {size=3}\n:::\n", 4, "unknown setting 'size'"),
    ],
)
def test_lint_names_the_file_line_and_breach(source: str, line: int, message: str) -> None:
    problems = lint_markdown("\n\n" + source, "content/x/m.md", lambda asset: asset == "wave.svg")
    assert problems and problems[0].path == "content/x/m.md" and problems[0].line == line
    assert message in problems[0].message


def test_lint_accepts_what_the_renderer_allows() -> None:
    source = "## Steps\n\n[Call](tel:988) ![A wave](assets/wave.svg)\n\n::: worksheet\n- Q {fill=people lines=4}\n:::\n"
    assert lint_markdown(source, "m.md", lambda asset: asset == "wave.svg") == []
