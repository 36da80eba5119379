"""Spanish *usted*: a profile with `formal: true` reads every Spanish text (modules, shared blocks,
UI strings, settings) in the usted form, from the same files as everyone else; `check` finds a
malformed ((tú|usted)) alternation, or one in an English text, by file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import copy_project, folder_of, page_html, pdf_of
from guidegen.errors import InvalidInput, Problem
from guidegen.publish.build import build
from guidegen.text.formal import alternation_problems, choose, in_template
from guidegen.web.themecheck import load_checked_project

FORMAL, PLAIN = "r-0912", "r-0902"
"""Two Spanish speakers named Ernesto: the first's profile says `formal: true`, the second's does not."""


def words(html: str) -> str:
    """What the reader reads: no tags, no entities for the few characters that have them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("usted") / "project", profiles=(FORMAL, PLAIN))
    report = build(root)
    assert report.problems == [] and sorted(report.built) == sorted((FORMAL, PLAIN))
    return root


# The syntax, case by case


@pytest.mark.parametrize(
    ("text", "plain", "formal"),
    [
        ("((Llama|Llame)) al 911.", "Llama al 911.", "Llame al 911."),
        ("No ((dejes tu|deje su)) dosis.", "No dejes tu dosis.", "No deje su dosis."),
        ("(((llama|llame)) al 988)", "(llama al 988)", "(llame al 988)"),
        ("**((Dale|Dele)) naloxona.**", "**Dale naloxona.**", "**Dele naloxona.**"),
        ("((|usted ))decide", "decide", "usted decide"),
        ("Sin alternancias.", "Sin alternancias.", "Sin alternancias."),
    ],
)
def test_an_alternation_gives_the_tu_form_or_the_usted_form(text: str, plain: str, formal: str) -> None:
    assert choose(text, False) == plain and choose(text, True) == formal
    assert alternation_problems(text, "x.es.md", "es") == []


def test_jinja_tags_are_left_alone_and_lines_keep_their_numbers() -> None:
    source = '{% if "a" in person.needs %}((Pide|Pida)) ayuda.{% endif %}\n{{ ((person.name)) }} ((tu|su))'
    assert in_template(source, True) == '{% if "a" in person.needs %}Pida ayuda.{% endif %}\n{{ ((person.name)) }} su'
    assert in_template(source, False).count("\n") == 1
    assert alternation_problems(source, "x.es.md", "es") == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Bien.\n((Llama al 911.", 2),  # never closed on its line
        ("((Llama|Llame|Llamen)) al 911.", 1),  # two |
        ("((Llama)) al 911.", 1),  # no |
        ("Uno.\nDos.\n((Llama\n|Llame)) al 911.", 3),  # split over two lines
        ("((Llama|{{ person.name }}))", 1),  # a form holds template code
    ],
)
def test_a_malformed_alternation_is_a_problem_on_its_line(text: str, line: int) -> None:
    problems = alternation_problems(text, "content/x/y.es.md", "es", first_line=1)
    assert [(p.path, p.line) for p in problems] == [("content/x/y.es.md", line)]
    assert "expected ((tú form|usted form))" in problems[0].message


def test_english_says_each_thing_one_way() -> None:
    problems = alternation_problems("Title\n((Call|Ring)) 911.", "content/x/y.md", "en")
    assert [(p.line, "Spanish texts only" in p.message) for p in problems] == [(2, True)]


# The guide a formal reader gets


def test_a_formal_readers_web_guide_says_usted(site: Path) -> None:
    formal, plain = words(page_html(site, FORMAL)), words(page_html(site, PLAIN))
    for tu, usted in (("llama al 911", "llame al 911"), ("Empieza aquí", "Empiece aquí"), ("tu equipo", "su equipo")):
        assert tu.lower() not in formal.lower() and usted.lower() in formal.lower(), (tu, usted)
        assert tu.lower() in plain.lower() and usted.lower() not in plain.lower(), (tu, usted)
    # shared blocks, settings' crisis lines and the web app's own words
    assert "Si piensa en hacerse daño" in formal and "Si piensas en hacerte daño" in plain
    assert "llame al 988 y oprima 2" in formal and "llama al 988 y oprime 2" in plain
    assert "Guarde su guía en este teléfono" in formal and "Guarda tu guía en este teléfono" in plain
    assert "Lo que más necesita, en un solo lugar." in formal


def test_titles_and_summaries_say_usted_too(site: Path) -> None:
    formal, plain = words(page_html(site, FORMAL)), words(page_html(site, PLAIN))
    assert "Apoyo de su familia y sus amigos" in formal
    assert "Cómo darle forma a su día" in formal and "Cómo darle forma a tu día" in plain


def test_a_formal_readers_printed_guide_says_usted(site: Path) -> None:
    text = " ".join(page.extract_text() for page in PdfReader(pdf_of(site, FORMAL)).pages)
    flat = re.sub(r"\s+", " ", text).lower()
    assert "llama al" not in flat and "llame al" in flat
    assert "empiece aquí" in flat and "empieza aquí" not in flat
    plain = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(pdf_of(site, PLAIN)).pages)).lower()
    assert "llama al" in plain and "llame al" not in plain


def test_the_sealed_page_is_the_same_for_everyone(site: Path) -> None:
    """The page around a sealed guide is not personal: it stays in the tú form for everyone."""
    pages = {
        re.sub(r'(id="sealed-guide">)[^<]*', r"\1", (folder_of(site, guide) / "index.html").read_text(encoding="utf-8"))
        for guide in (FORMAL, PLAIN)
    }
    assert len(pages) == 1 and "Tu guía se abre con el enlace privado" in pages.pop()


# check


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        load_checked_project(root)
    return caught.value.problems


def test_check_names_the_file_and_line_of_a_malformed_alternation(project: Path) -> None:
    module = project / "content" / "coping" / "urge-surfing.es.md"
    lines = module.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.startswith("### 3.")) + 1
    lines[number - 1] = "### 3. ((Respira|Respire al 911"
    module.write_text("\n".join(lines), encoding="utf-8")
    found = [p for p in problems_of(project) if p.path == "content/coping/urge-surfing.es.md"]
    assert [p.line for p in found] == [number]
    assert "expected ((tú form|usted form))" in found[0].message


def test_check_refuses_an_alternation_in_an_english_module(project: Path) -> None:
    module = project / "content" / "coping" / "urge-surfing.md"
    module.write_text(module.read_text(encoding="utf-8").replace("title: ", "title: ((Riding|Surfing)) ", 1))
    found = [p for p in problems_of(project) if p.path == "content/coping/urge-surfing.md"]
    assert [p.line for p in found] == [2] and "title:" in found[0].message and "Spanish" in found[0].message


def test_both_forms_must_render(project: Path) -> None:
    """The usted form is tried at load, as the tú form is: a failure there names the file and line."""
    module = project / "content" / "coping" / "halt.es.md"
    text = module.read_text(encoding="utf-8")
    module.write_text(text + "\n{% if person.formal %}{{ (1 // 0) }}{% endif %}\n", encoding="utf-8")
    line = len(text.split("\n")) + 1
    found = [p for p in problems_of(project) if p.path == "content/coping/halt.es.md"]
    assert [p.line for p in found] == [line]


def test_check_finds_malformed_alternations_in_ui_strings(project: Path) -> None:
    (project / "templates").mkdir()
    (project / "templates" / "strings.yaml").write_text(
        'en:\n  start_here: "((Start|Begin)) here"\nes:\n  start_here: "((Empieza|Empiece aquí"\n', encoding="utf-8"
    )
    found = {(p.path, p.line) for p in problems_of(project)}
    assert found == {("templates/strings.yaml", 2), ("templates/strings.yaml", 4)}


def test_check_finds_malformed_alternations_in_settings(project: Path) -> None:
    settings = project / "guidegen.yaml"
    lines = settings.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if "((manda|mande)) START" in line) + 1
    lines[number - 1] = lines[number - 1].replace("((manda|mande)) START", "((manda|mande START")
    settings.write_text("\n".join(lines), encoding="utf-8")
    found = problems_of(project)
    assert [(p.path, p.line) for p in found] == [("guidegen.yaml", number)]
    assert "crisis[3].note" in found[0].message and "expected ((tú form|usted form))" in found[0].message


def test_the_example_library_renders_in_both_forms_without_problems(repo: Path) -> None:
    project = load_checked_project(repo)
    spanish = [t for m in project.modules for t in m.texts.values() if t.language == "es"]
    assert spanish and all(t.says_usted for t in spanish), [t.where for t in spanish if not t.says_usted]
    english = [t for m in project.modules for t in m.texts.values() if t.language == "en"]
    assert all(t.formal_template is t.template for t in english)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("No ((dejes|deje)) la dosis si las tomas todos los días.", [(1, "tomas")]),
        ("Así que ten cuidado.\n((Llama|Llame)) a tu equipo.", [(1, "ten"), (2, "tu")]),
        ("Un plan para las tomas de la noche. Lleve sus notas.", []),  # nouns
        ('Dígale: "Te quiero, y estoy preocupado por ti".', []),  # what the reader says to someone
        ("{{ 'te' if person.formal }} ((Te sientes|Se siente)) bien.", []),  # Jinja tags and alternations
    ],
)
def test_tu_words_left_in_the_usted_form_are_found(text: str, found: list[tuple[int, str]]) -> None:
    from guidegen.text.formal import tu_leftovers

    assert tu_leftovers(text) == found


def test_check_warns_of_a_tu_word_outside_an_alternation(project: Path, run) -> None:
    """A Spanish sentence that says "tienes" to everyone: `check` names its file and line (and the
    title's), and the example library has none."""
    module = project / "content" / "coping" / "halt.es.md"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace('title: "', 'title: "Si tienes ganas, ', 1) + "\nSi tienes hambre, come algo.\n")
    line = len(text.split("\n")) + 1
    result = run("check", "-C", project)
    assert f"content/coping/halt.es.md:{line}: warning: 'tienes' speaks to the reader as tú" in result.output
    assert "content/coping/halt.es.md: warning: 'tienes' speaks to the reader as tú" in result.output
    assert "in the title" in result.output
    assert result.output.count("speaks to the reader as tú") == 2


def test_a_spanish_text_without_any_alternation_gets_one_warning(project: Path, run) -> None:
    """Written for tú readers only (a clinic's own module): one warning for the file, at its first
    tú word, not one per word."""
    module = project / "content" / "coping" / "halt.es.md"
    front, body = module.read_text(encoding="utf-8").split("\n---\n", 1)
    plain = "\n---\n".join(
        (re.sub(r"\(\(([^|()]*)\|[^()]*\)\)", r"\1", front), re.sub(r"\(\(([^|()]*)\|[^()]*\)\)", r"\1", body))
    )
    module.write_text(plain, encoding="utf-8")
    result = run("check", "-C", project)
    found = [line for line in result.output.splitlines() if line.startswith("content/coping/halt.es.md")]
    assert (
        len(found) == 1
        and "speaks to the reader as tú (" in found[0]
        and "with no ((tú|usted)) alternation" in found[0]
    )
