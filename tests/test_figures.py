"""Figures: numbered panels of drawings with captions (`::: figure`), the drawings checked and put
inline so they take the text colour; the naloxone card and the recovery position in the web guide
and on paper, with their text alternatives in every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO, copy_project
from guidegen.errors import InvalidInput
from guidegen.project.load import Project
from guidegen.project.theme import default_theme_dir
from guidegen.text.drawings import DrawingError, read_drawing
from guidegen.text.markdown import lint_markdown, render_markdown
from guidegen.web.themecheck import load_checked_project

DRAWING = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 150">
  <title>Words here are left out</title>
  <g fill="none" stroke="currentColor" stroke-width="3">
    <circle class="paper" cx="30" cy="40" r="10"/>
    <path d="M10 10L20 20" stroke-dasharray="4 6"/>
  </g>
</svg>
"""


def test_a_drawing_keeps_its_shapes_and_leaves_out_its_own_words() -> None:
    drawing = read_drawing(DRAWING)
    assert drawing.view_box == "0 0 200 150"
    assert "Words" not in drawing.shapes
    assert '<circle class="paper" cx="30" cy="40" r="10"></circle>' in drawing.shapes
    assert drawing.shapes.startswith('<g fill="none" stroke="currentColor" stroke-width="3">')


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        (b'<path d="M10 10L20 20"', 5, "<script> is not allowed"),
        (b'<circle class="paper"', 4, "<foreignObject> is not allowed"),
        (b'stroke-dasharray="4 6"', 5, "may not have the attribute href"),
        (b'stroke-width="3"', 3, "may not have the attribute style"),
        (b'fill="none"', 3, "may only be none or currentColor"),
        (b'r="10"', 4, "holds characters a drawing does not need"),
        (b"<title>Words here are left out</title>", 2, "may not hold text"),
        (b'viewBox="0 0 200 150"', 1, "may not have onload"),
    ],
)
def test_a_drawing_holding_more_than_shapes_is_refused_with_its_line(change: bytes, line: int, says: str) -> None:
    replacement = {
        b'<path d="M10 10L20 20"': b'<script>alert(1)</script><path d="M10 10L20 20"',
        b'<circle class="paper"': b'<foreignObject width="9" height="9"></foreignObject><circle class="paper"',
        b'stroke-dasharray="4 6"': b'stroke-dasharray="4 6" xmlns:x="http://www.w3.org/1999/xlink" x:href="#a"',
        b'stroke-width="3"': b'stroke-width="3" style="fill:red"',
        b'fill="none"': b'fill="red"',
        b'r="10"': b'r="url(#a)"',
        b"<title>Words here are left out</title>": b"<g>911</g>",
        b'viewBox="0 0 200 150"': b'viewBox="0 0 200 150" onload="x()"',
    }[change]
    with pytest.raises(DrawingError) as refused:
        read_drawing(DRAWING.replace(change, replacement))
    assert refused.value.line == line
    assert says in refused.value.message


def test_a_drawing_with_a_doctype_or_without_svg_is_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(DrawingError, match="DOCTYPE"):
        read_drawing(bomb)
    with pytest.raises(DrawingError, match="not an SVG element"):
        read_drawing(b'<svg viewBox="0 0 1 1"/>')
    with pytest.raises(DrawingError, match="viewBox"):
        read_drawing(b'<svg xmlns="http://www.w3.org/2000/svg"/>')
    with pytest.raises(DrawingError, match="not well-formed"):
        read_drawing(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">')


def test_a_project_drawing_that_is_refused_stops_the_build_with_file_and_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=())
    figures = root / "templates" / "assets" / "figures"
    figures.mkdir(parents=True)
    (figures / "mine.svg").write_bytes(DRAWING.replace(b"<g ", b'<image href="https://x.example/a.png"/>\n  <g '))
    with pytest.raises(InvalidInput) as stopped:
        load_checked_project(root)
    assert [(p.path, p.line) for p in stopped.value.problems] == [("templates/assets/figures/mine.svg", 3)]
    assert "<image> is not allowed" in stopped.value.problems[0].message


@pytest.fixture(scope="module")
def library() -> Project:
    """The repository's project, loaded once for these tests."""
    return load_checked_project(REPO)


FIGURE = """::: figure How to do it
1. ![A phone](assets/figures/naloxone-2-call.svg)
   **Call 911.** Give the address.
:::
"""


def test_a_figure_is_numbered_panels_under_its_title_with_each_drawing_inline(library: Project) -> None:
    html = render_markdown(FIGURE, module="m", person={}, strings={}, drawings=library.theme.drawings)
    assert html.startswith('<figure class="figure"><figcaption class="figure-title">How to do it</figcaption>\n<ol>')
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="figure-art" viewBox="0 0 200 150" role="img"' in html
    assert 'aria-label="A phone" focusable="false"><title>A phone</title>' in html
    assert "<strong>Call 911.</strong> Give the address." in html
    assert html.rstrip().endswith("</ol>\n</figure>")
    # Without the theme (the reading-grade check), the drawing is a plain image with its alt text.
    plain = render_markdown(FIGURE, module="m", person={}, strings={})
    assert '<img src="../assets/figures/naloxone-2-call.svg" alt="A phone">' in plain


def test_an_image_without_alt_text_or_a_figure_without_a_title_is_a_problem_with_its_line() -> None:
    source = "Intro\n\n::: figure\n1. ![](assets/figures/naloxone-2-call.svg) Call.\n:::\n"
    problems = lint_markdown(source, "m.md", lambda _: True)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (3, "a figure needs a title"),
        (4, "an image needs a text alternative that says what it shows"),
    ]


def test_every_drawing_of_the_default_theme_is_one_a_figure_may_use() -> None:
    files = sorted((default_theme_dir() / "assets" / "figures").glob("*.svg"))
    assert files
    for path in files:
        read_drawing(path.read_bytes())
