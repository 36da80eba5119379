"""Every command and option is documented, and the docs' examples are real."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
import yaml

from guidegen.cli import main

REPO = Path(__file__).resolve().parent.parent
DOCS = (REPO / "README.md").read_text() + "".join(p.read_text() for p in sorted((REPO / "docs").glob("*.md")))


def commands(group: click.Group, prefix: str = "guidegen") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found.extend(commands(command, f"{prefix} {name}"))
    return found


@pytest.mark.parametrize(("name", "command"), commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_command_and_options_are_documented(name: str, command: click.Command) -> None:
    assert f"`{name}" in DOCS, f"{name} is not in the README or docs/"
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--"):
                    assert opt in DOCS, f"{name} {opt} is not documented"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "./install.sh && .venv/bin/guidegen build" in readme
    assert "./install.sh test && .venv/bin/python -m pytest" in readme
    assert "./install.sh test && .venv/bin/python -m pytest" in ci


def test_the_scaffold_vocabulary_is_the_projects() -> None:
    scaffold = REPO / "src" / "guidegen" / "scaffold" / "content" / "vocabulary.yaml"
    assert scaffold.read_text() == (REPO / "content" / "vocabulary.yaml").read_text()


def test_the_readme_lists_every_module_of_the_library() -> None:
    readme = (REPO / "README.md").read_text()
    for path in sorted((REPO / "content").glob("*/*.md")):
        if "." not in path.stem:
            assert f"`{path.stem}`" in readme, f"{path.stem} is missing from the README's library list"


def library_tables() -> str:
    """The README's tables of the starter library, made from content/ itself."""
    from guidegen.project.content import load_modules, modules_by_section
    from guidegen.project.rules import describe
    from guidegen.project.settings import load_settings
    from guidegen.project.shared import load_shared_blocks
    from guidegen.project.vocabulary import load_vocabulary

    settings = load_settings(REPO)
    modules = load_modules(REPO, settings, load_vocabulary(REPO, settings))
    strings = yaml.safe_load((REPO / "templates" / "strings.yaml").read_text(encoding="utf-8"))["en"]
    words = {1: "1 essential", 2: "2", 3: "3 extra"}
    parts = []
    for section, found in modules_by_section(modules).items():
        parts.append(f"**{strings.get(f'section.{section}', section)}** ({len(found)})\n")
        parts.append("| module | who gets it | priority | es |\n|---|---|---|---|")
        for module in found:
            es = "es" if "es" in module.texts else ""
            title = module.original.title
            parts.append(f"| `{module.id}` — {title} | {describe(module.rule)} | {words[module.priority]} | {es} |")
        parts.append("")
    blocks = load_shared_blocks(REPO, settings, load_vocabulary(REPO, settings))
    parts.append(f"**Shared blocks** (`content/_shared/`, {len(blocks)}: each written once, see docs/modules.md)\n")
    parts.append("| block | shown to | included by | es |\n|---|---|---|---|")
    for block_id, block in sorted(blocks.items()):
        users = ", ".join(f"`{m.id}`" for m in modules if f"::: shared {block_id}\n" in m.original.source + "\n")
        es = "es" if "es" in block.texts else ""
        parts.append(f"| `{block_id}` — {block.original.title} | {describe(block.rule)} | {users} | {es} |")
    parts.append("")
    return "\n".join(parts)


def test_the_readme_library_tables_are_the_library() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- library:")
    start = readme.index("-->", start) + len("-->\n")
    end = readme.index("<!-- end of library -->")
    fresh = library_tables()
    if os.environ.get("GUIDEGEN_REGENERATE"):
        (REPO / "README.md").write_text(readme[:start] + fresh + readme[end:], encoding="utf-8")
        readme = (REPO / "README.md").read_text(encoding="utf-8")
        end = readme.index("<!-- end of library -->")
    assert readme[start:end] == fresh, "the README's library tables differ from content/ (regenerate them)"
