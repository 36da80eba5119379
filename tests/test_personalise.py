"""Profile values stay literal text; templates run in a sandbox; labels are in the reader's language."""

from __future__ import annotations

from pathlib import Path

from conftest import page_html

HOSTILE = {
    "heading": "# Title",
    "image": "<img src=x onerror=alert(1)>",
    "md_image": "![](/etc/passwd)",
    "template": "{{ 7*7 }}",
    "link": "[click](javascript:alert(1))",
    "emphasis": "**bold** _it_",
    "container": "::: crisis",
    "worksheet": "{fill=triggers}",
}


def write_profile(mini: Path, name: str, triggers: list[str]) -> None:
    lines = "\n".join(f"  - {value!r}" for value in triggers)
    (mini / "profiles" / "p-001.yaml").write_text(
        f"id: p-001\nname: {name!r}\nsubstances: [alcohol]\nstage: action\ntriggers:\n{lines}\n"
        "review: {next: 2026-12-01}\n",
        encoding="utf-8",
    )


def test_hostile_profile_values_appear_as_typed_and_nothing_more(mini: Path, run) -> None:
    write_profile(mini, "<b>Sam</b> {{ 7*7 }}", list(HOSTILE.values()))
    result = run("build", "--no-pdf", "-C", mini, "p-001")
    assert result.exit_code == 0, result.output
    page = page_html(mini, "p-001")
    assert "<b>Sam</b>" not in page
    assert "&lt;b&gt;Sam&lt;/b&gt; {{ 7*7 }}" in page
    assert "49" not in page
    assert "<img src=x" not in page and "onerror=alert(1)>" not in page
    assert '<img src="/etc/passwd"' not in page and "javascript:" not in page.replace(
        "[click](javascript:alert(1))", ""
    )
    assert "<strong>bold</strong>" not in page
    assert "# Title" in page and "**bold** _it_" in page and "{fill=triggers}" in page
    assert page.count('class="callout callout-crisis"') == 0  # no crisis module for this person
    # The worksheet prompt with {fill=triggers} is pre-filled, as escaped text.
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_labels_filter_uses_the_readers_language(mini: Path, run) -> None:
    (mini / "profiles" / "p-002.yaml").write_text(
        "id: p-002\nname: Teo\nlanguage: es\nsubstances: [alcohol]\nstage: action\n", encoding="utf-8"
    )
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    spanish = page_html(mini, "p-002")
    english = page_html(mini, "p-001")
    assert "You are working on: Alcohol." in english
    assert 'lang="es"' in spanish
    # cravings.md has no Spanish translation: shown in English with a note, in Spanish.
    assert "Esta parte todavía no está disponible en tu idioma." in spanish
    assert "Hola Teo." in spanish


def test_trauma_informed_wording(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert "Tú eliges qué contar y cuándo." in page_html(mini, "p-002")
    assert "You choose what to share" not in page_html(mini, "p-001")


def test_a_runtime_error_in_a_branch_names_file_and_line(mini: Path, run) -> None:
    module = mini / "content" / "welcome" / "hello.md"
    module.write_text(module.read_text() + "\n{% if person.stage %}{{ person.triggers[5] }}{% endif %}\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert "content/welcome/hello.md:14:" in result.stderr
    assert "Payday" not in result.stderr


def test_the_sandbox_remembers_attribute_answers_by_type_and_name_only() -> None:
    """The sandbox's per-(type, name) memory gives Jinja's own answer for every pair, asked in any order."""
    from collections import deque

    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from guidegen.text.sandbox import ModuleSandbox

    def function() -> None:
        return None

    objects = [{}, [], set(), deque(), "text", 3, function, str, (i for i in ()), object(), {"a": 1}, ["x"]]
    names = ["clear", "append", "add", "keys", "upper", "mro", "__globals__", "_private", "gi_frame", "index", "pop"]
    reference, ours = ImmutableSandboxedEnvironment(), ModuleSandbox()
    for _ in range(2):  # the second round is answered from memory
        for obj in objects:
            for name in names:
                value = getattr(obj, name, None)
                assert ours.is_safe_attribute(obj, name, value) == reference.is_safe_attribute(obj, name, value), (
                    type(obj),
                    name,
                )
