"""Figures: numbered panels of drawings with captions (`::: figure`), the drawings checked and put
inline so they take the text colour; the naloxone card and the recovery position in the web guide
and on paper, with their text alternatives in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import REPO, copy_project, page_html, pdf_of
from guidegen.cli import main
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
FIGURES = {"naloxone-card": 6, "recovery-position": 3}
"""The library's figures (shared blocks) and how many panels each has."""


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


@pytest.mark.parametrize("block", FIGURES)
def test_every_panel_has_a_drawing_alt_text_and_caption_in_every_language(block: str, library: Project) -> None:
    project = library
    texts = project.blocks[block].texts
    assert sorted(texts) == sorted(project.settings.languages)
    drawings = {}
    for language, text in texts.items():
        panels = re.findall(
            r"^\d\. !\[([^\]]+)\]\(assets/(figures/[a-z0-9-]+\.svg)\)\n   \*\*(.+?)\*\*", text.source, re.M
        )
        assert len(panels) == FIGURES[block], language
        assert all(alt.strip() and caption.strip() for alt, _, caption in panels)
        drawings[language] = [path for _, path, _ in panels]
        assert all(path in project.theme.drawings for path in drawings[language])
    assert drawings["es"] == drawings["en"]


def test_every_drawing_of_the_default_theme_is_one_a_figure_may_use() -> None:
    files = sorted((default_theme_dir() / "assets" / "figures").glob("*.svg"))
    assert len(files) == sum(FIGURES.values())
    for path in files:
        read_drawing(path.read_bytes())


@pytest.mark.parametrize(("who", "title", "alt"), [
    ("r-0752", "Naloxone nasal spray, step by step", "Drawing: a phone with its number keys."),
    ("r-0201", "Naloxona en aerosol nasal, paso a paso", "Dibujo: un teléfono con sus teclas."),
])  # fmt: skip
def test_the_web_guide_shows_the_card_once_inline_with_its_words_in_the_guide_language(
    example_site: Path, who: str, title: str, alt: str
) -> None:
    page = page_html(example_site, who)
    assert page.count(f'<figcaption class="figure-title">{title}</figcaption>') == 1
    assert page.count('<figure class="figure">') == 2  # the card and the recovery position, in full once
    assert f'role="img" aria-label="{alt}" focusable="false"><title>{alt}</title>' in page
    assert page.count('class="figure-art"') == 9
    assert "<img" not in page.split('<figure class="figure">')[1].split("</figure>")[0]


@pytest.fixture(scope="module")
def english_pdf(tmp_path_factory: pytest.TempPathFactory) -> PdfReader:
    root = copy_project(tmp_path_factory.mktemp("figures") / "project", profiles=("r-0752",))
    result = CliRunner().invoke(main, ["build", "--no-html", "-C", str(root), "r-0752"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return PdfReader(pdf_of(root, "r-0752"))


def test_the_printed_card_has_its_captions_as_text_and_each_drawing_as_a_figure_with_alt_text(
    english_pdf: PdfReader,
) -> None:
    text = " ".join(" ".join(page.extract_text().split()) for page in english_pdf.pages)
    for caption in (
        "Naloxone nasal spray, step by step",
        "Check. Shout their name.",
        "Give one spray. Put the tip in one nostril. Press the plunger firmly.",
        "No answer after 2 to 3 minutes? Give a new spray in the other nostril.",
        "Stay until help comes.",
        "The recovery position",
        "Open the airway.",
    ):
        assert text.count(caption) == 1, caption
    alts = [str(item["/Alt"]) for item in _structure(english_pdf) if item.get("/S") == "/Figure" and "/Alt" in item]
    assert "Drawing: a phone with its number keys." in alts
    assert sum(alt.startswith(("Drawing: ", "Drawing seen from above: ")) for alt in alts) == 9


def _structure(reader: PdfReader) -> list[dict]:
    """Every element of the PDF's structure tree."""
    found, stack = [], [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        item = stack.pop()
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, dict):
            found.append(item)
            kids = item.get("/K")
            stack.extend(kids if isinstance(kids, list) else [kids] if kids is not None else [])
        elif isinstance(item, list):
            stack.extend(item)
    return found
