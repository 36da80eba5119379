"""The package's floor plan stays true: stage folders in one order, no import cycles (TYPE_CHECKING
and function-level imports count), small modules, a build() that reads like a script, and
docs/architecture.md naming every module with what it may import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "guidegen"
ARCHITECTURE = REPO / "docs" / "architecture.md"

STAGES = ("errors", "text", "project", "guide", "web", "paper", "publish", "fhir", "desk", "commands")
"""Lowest first: a stage imports only itself and the stages before it."""
COMMANDS = frozenset({"cli", "check", "serve", "reviews", "explain", "__init__", "__main__"})
"""Top-level modules: the commands, above every stage."""


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (without the leading `guidegen.`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "scaffold" in path.parts or "default_theme" in path.parts:
            continue
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def stage_of(module: str) -> str:
    head = module.split(".")[0]
    if "." not in module:
        return "errors" if head == "errors" else "commands"
    return head


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The guidegen modules this module imports, wherever the import statement is."""
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module and node.module.startswith("guidegen"):
                target = node.module.removeprefix("guidegen").lstrip(".")
            else:
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}" if target else alias.name
                if candidate in known:
                    found.add(candidate)
                elif target in known:
                    found.add(target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("guidegen."):
                    found.add(alias.name.removeprefix("guidegen."))
    found.discard(module)
    return {m for m in found if m in known and not m.endswith("__init__") and m != ""}


def graph() -> dict[str, set[str]]:
    known = modules()
    names = set(known)
    return {name: imports_of(name, path, names) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules() -> None:
    assert cycles(graph()) == []


def test_no_import_cycles_between_folders_and_no_stage_imports_a_higher_one() -> None:
    wrong = []
    for module, targets in graph().items():
        for target in targets:
            if STAGES.index(stage_of(target)) > STAGES.index(stage_of(module)):
                wrong.append(f"{module} ({stage_of(module)}) imports {target} ({stage_of(target)})")
    assert wrong == []


def test_only_the_paper_stage_imports_weasyprint_and_only_cli_imports_click() -> None:
    for name, path in modules().items():
        text = path.read_text()
        if re.search(r"^\s*(import|from) weasyprint", text, re.M):
            assert name.startswith("paper."), name
        if re.search(r"^\s*(import|from) click", text, re.M):
            assert name == "cli", name


def test_only_the_cluster_module_imports_dask_and_only_inside_functions() -> None:
    """`guidegen --help` and every local build stay free of Dask (an optional extra)."""
    for name, path in modules().items():
        tree = ast.parse(path.read_text())
        imported = [
            (node, alias.name if isinstance(node, ast.Import) else node.module or "")
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else node.names[:1])
        ]
        for node, module in imported:
            if module.split(".")[0] in ("dask", "distributed"):
                assert name == "publish.cluster", name
                assert node not in tree.body, f"{name} imports {module} at the top"


@pytest.mark.parametrize("name", sorted(modules()))
def test_no_module_is_over_400_lines(name: str) -> None:
    assert len(modules()[name].read_text().splitlines()) <= 400


def test_build_reads_like_a_script() -> None:
    tree = ast.parse((PACKAGE / "publish" / "build.py").read_text())
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build")
    assert build.end_lineno is not None and build.end_lineno - build.lineno + 1 <= 40


def documented() -> dict[str, set[str]]:
    """docs/architecture.md's table: each module and the stages it may import."""
    rows = {}
    for line in ARCHITECTURE.read_text().splitlines():
        match = re.match(r"^\| `([\w./]+)\.py` \| (.*?) \| (.*?) \|$", line)
        if match:
            name = match.group(1).replace("/", ".")
            rows[name] = {word for word in re.findall(r"`(\w+)`", match.group(3))}
    return rows


def test_docs_architecture_names_every_module() -> None:
    table = documented()
    known = {name for name in modules() if not name.endswith("__init__")}
    assert sorted(known - set(table)) == [], "modules missing from docs/architecture.md"
    assert sorted(set(table) - known) == [], "docs/architecture.md names modules that do not exist"


def test_every_import_follows_the_may_import_column() -> None:
    table = documented()
    wrong = []
    for module, targets in graph().items():
        if module.endswith("__init__"):
            continue
        allowed = table.get(module, set())
        for target in targets:
            if stage_of(target) != stage_of(module) and stage_of(target) not in allowed:
                wrong.append(f"{module} imports {target}: docs/architecture.md allows {sorted(allowed)}")
    assert wrong == []


def test_one_guide_goes_guide_then_web_then_paper() -> None:
    """render_guide calls one stage after another; each call stays in its folder."""
    text = (PACKAGE / "publish" / "job.py").read_text()
    body = text[text.index("def render_guide(") :]
    body = body[: body.index("\ndef ", 1)]
    calls = [m for m in ("make_guide(", "render_web(", "print_guide(") if m in body]
    assert calls == ["make_guide(", "render_web(", "print_guide("]
    assert body.index("make_guide(") < body.index("render_web(") < body.index("print_guide(")
