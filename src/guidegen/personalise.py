"""Personalising a module's Markdown source with Jinja2, in a sandbox.

Every value a template prints becomes a placeholder (a private-use character pair around a
number) before Markdown sees it; after Markdown is rendered, each placeholder is replaced by the
value, HTML-escaped. So a profile value can never become Markdown, HTML or template code: `# Sam`,
`<img src=x>` and `{{ 7*7 }}` show as exactly those characters.
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Callable, Collection, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InvalidInput, Problem

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_values: ContextVar[list[str] | None] = ContextVar("guidegen_values", default=None)


@dataclass(frozen=True)
class Personalised:
    """Module Markdown with placeholders, and the text each placeholder stands for."""

    markdown: str
    values: tuple[str, ...]

    def fill(self, rendered_html: str) -> str:
        """Put the values back into rendered HTML, escaped so they stay text."""
        return _PLACEHOLDER.sub(lambda m: html.escape(self.values[int(m.group(1))]), rendered_html)

    def fill_text(self, text: str) -> str:
        """Put the values back into plain text (what a module says to one person, for checks)."""
        return _PLACEHOLDER.sub(lambda m: self.values[int(m.group(1))], text)


def _finalize(value: Any) -> str:
    values = _values.get()
    if values is None:  # pragma: no cover - only reachable by calling render() directly
        raise RuntimeError("templates are rendered through personalise()")
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    values.append(str(value))
    return f"{_OPEN}{len(values) - 1}{_CLOSE}"


def make_environment(labeller: Callable[[Any], Any]) -> ImmutableSandboxedEnvironment:
    """The sandbox for module bodies: unknown names are errors, output is text only."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        keep_trailing_newline=True,
        extensions=(),
    )
    env.filters["labels"] = labeller
    return env


def compile_template(env: ImmutableSandboxedEnvironment, source: str, name: str) -> Template:
    """Compile a module body once; a syntax error names the line."""
    try:
        code = env.compile(source, name=name, filename=name)
    except TemplateSyntaxError as error:
        raise InvalidInput([Problem(name, error.lineno, f"template syntax error: {error.message}")]) from None
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def personalise(
    template: Template, source: str, name: str, person: dict[str, Any], sections: Mapping[str, str] | None = None
) -> Personalised:
    """Render a compiled module body for one person; a failure is a problem naming `name` and the line.

    `sections` maps section ids to their headings in the guide's language (`{{ sections.coping }}`)."""
    values: list[str] = []
    token = _values.set(values)
    try:
        markdown = template.render({"person": person, "sections": dict(sections or {})})
    except Exception as error:  # noqa: BLE001 - a template can raise anything; report the line, not the value
        raise InvalidInput([Problem(name, _line(error, name), _render_message(error, source))]) from None
    finally:
        _values.reset(token)
    return Personalised(markdown, tuple(values))


def _render_message(error: Exception, source: str) -> str:
    """What went wrong in a template, in words that hold nothing from the profile."""
    if isinstance(error, SecurityError):
        return f"the template tried something the sandbox does not allow ({_safe_message(str(error), source)})"
    if isinstance(error, UndefinedError):
        return f"undefined name in template ({_safe_message(str(error), source)})"
    if isinstance(error, TemplateError):
        return f"template error ({type(error).__name__})"
    return f"template error ({type(error).__name__}); check the expression on this line"


def _line(error: BaseException, name: str) -> int | None:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == name:
            return frame.lineno
    return getattr(error, "lineno", None)


def _safe_message(message: str, source: str) -> str:
    """Keep a Jinja message only if every quoted word in it comes from the template itself."""
    quoted = re.findall(r"'([^']*)'", message)
    if all(q in source or q.endswith(" object") for q in quoted):
        return message
    return "a name used in the template is not defined"


def static_problems(
    env: ImmutableSandboxedEnvironment,
    source: str,
    where: str,
    fields: Collection[str],
    section_ids: Collection[str] = (),
) -> list[Problem]:
    """Mistakes visible without rendering, in every branch: unknown names, unknown person
    fields, unknown sections, and reaching for internals that the sandbox would refuse."""
    tree = env.parse(source)
    found = [*_unknown_names(env, tree), *_unknown_sections(tree, section_ids), *_forbidden(env, tree, fields)]
    return [Problem(where, line, message) for line, message in found]


def _unknown_names(env: ImmutableSandboxedEnvironment, tree: nodes.Template) -> list[tuple[int | None, str]]:
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: list[tuple[int | None, str]] = []
    for name in sorted(meta.find_undeclared_variables(tree) - assigned - set(env.globals) - {"person", "sections"}):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
        found.append(
            (
                line,
                f"undefined name in template: '{name}' (modules can use `person`, `sections` and the `labels`, `date` and `join_list` filters)",
            )
        )
    return found


def _unknown_sections(tree: nodes.Template, section_ids: Collection[str]) -> list[tuple[int | None, str]]:
    found: list[tuple[int | None, str]] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
        if not (isinstance(node.node, nodes.Name) and node.node.name == "sections"):
            continue
        section = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(section, str) and section not in section_ids:
            known = ", ".join(section_ids)
            found.append(
                (node.lineno, f"sections.{section}: not a section of this site (guidegen.yaml sections: {known})")
            )
    return found


def _forbidden(
    env: ImmutableSandboxedEnvironment, tree: nodes.Template, fields: Collection[str]
) -> list[tuple[int | None, str]]:
    refused = "the template tried something the sandbox does not allow"
    found: list[tuple[int | None, str]] = []
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            found.append((node.lineno, f"{refused} (attribute '{node.attr}')"))
        elif isinstance(node.node, nodes.Name) and node.node.name == "person" and node.attr not in fields:
            found.append((node.lineno, f"undefined name in template: person.{node.attr} is not a profile field"))
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str) and item.arg.value.startswith("_"):
            found.append((item.lineno, f"{refused} (an item starting with _)"))
    for filter_node in tree.find_all(nodes.Filter):
        if filter_node.name == "attr":
            found.append((filter_node.lineno, f"{refused} (the attr filter is not available in modules)"))
        elif filter_node.name not in env.filters:
            found.append((filter_node.lineno, f"unknown filter '{filter_node.name}'"))
    return found
