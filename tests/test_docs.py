"""Every command and option is documented, and the docs' examples are real."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

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
