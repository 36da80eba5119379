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
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_values: ContextVar[list[str] | None] = ContextVar("guidegen_values", default=None)


class TemplateProblem(Exception):
    """A module template failed; carries the line and a message without profile values."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Personalised:
    """Module Markdown with placeholders, and the text each placeholder stands for."""

    markdown: str
    values: tuple[str, ...]

    def fill(self, rendered_html: str) -> str:
        """Put the values back into rendered HTML, escaped so they stay text."""
        return _PLACEHOLDER.sub(lambda m: html.escape(self.values[int(m.group(1))]), rendered_html)

    def fill_text(self, text: str) -> str:
        """Put the values back into plain text."""
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
        raise TemplateProblem(error.lineno, f"template syntax error: {error.message}") from None
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def personalise(
    template: Template,
    source_lines: Sequence[str],
    name: str,
    person: dict[str, Any],
    labels: Callable[[Any], Any] | None = None,
    sections: Mapping[str, str] | None = None,
) -> Personalised:
    """Render a compiled module body for one person; `sections` maps section ids to their
    headings in the guide's language (`{{ sections.coping }}`)."""
    values: list[str] = []
    token = _values.set(values)
    try:
        context: dict[str, Any] = {"person": person, "sections": dict(sections or {})}
        if labels is not None:
            context["labels"] = labels
        markdown = template.render(context)
    except SecurityError as error:
        raise TemplateProblem(
            _line(error, name),
            f"the template tried something the sandbox does not allow ({_safe_message(str(error), source_lines)})",
        ) from None
    except UndefinedError as error:
        raise TemplateProblem(
            _line(error, name), f"undefined name in template ({_safe_message(str(error), source_lines)})"
        ) from None
    except TemplateError as error:
        raise TemplateProblem(_line(error, name), f"template error ({type(error).__name__})") from None
    except Exception as error:  # noqa: BLE001 - a template can raise anything; report the line, not the value
        raise TemplateProblem(
            _line(error, name), f"template error ({type(error).__name__}); check the expression on this line"
        ) from None
    finally:
        _values.reset(token)
    return Personalised(markdown, tuple(values))


def _line(error: BaseException, name: str) -> int | None:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == name:
            return frame.lineno
    return getattr(error, "lineno", None)


def _safe_message(message: str, source_lines: Sequence[str]) -> str:
    """Keep a Jinja message only if every quoted word in it comes from the template itself."""
    source = "\n".join(source_lines)
    quoted = re.findall(r"'([^']*)'", message)
    if all(q in source or q.endswith(" object") for q in quoted):
        return message
    return "a name used in the template is not defined"


def static_problems(
    env: ImmutableSandboxedEnvironment, source: str, fields: Collection[str], section_ids: Collection[str] = ()
) -> list[TemplateProblem]:
    """Mistakes visible without rendering, in every branch: unknown names, unknown person
    fields, unknown sections, and reaching for internals that the sandbox would refuse."""
    problems = []
    tree = env.parse(source)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for name in sorted(meta.find_undeclared_variables(tree) - assigned - set(env.globals) - {"person", "sections"}):
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
        problems.append(
            TemplateProblem(
                line,
                f"undefined name in template: '{name}' (modules can use `person`, `sections` and the `labels`, `date` and `join_list` filters)",
            )
        )
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
        if not (isinstance(node.node, nodes.Name) and node.node.name == "sections"):
            continue
        section = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(section, str) and section not in section_ids:
            problems.append(
                TemplateProblem(
                    node.lineno,
                    f"sections.{section}: not a section of this site (guidegen.yaml sections: {', '.join(section_ids)})",
                )
            )
    for node in tree.find_all(nodes.Getattr):
        if node.attr.startswith("_"):
            problems.append(
                TemplateProblem(
                    node.lineno, f"the template tried something the sandbox does not allow (attribute '{node.attr}')"
                )
            )
        elif isinstance(node.node, nodes.Name) and node.node.name == "person" and node.attr not in fields:
            problems.append(
                TemplateProblem(node.lineno, f"undefined name in template: person.{node.attr} is not a profile field")
            )
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const) and isinstance(item.arg.value, str) and item.arg.value.startswith("_"):
            problems.append(
                TemplateProblem(
                    item.lineno, "the template tried something the sandbox does not allow (an item starting with _)"
                )
            )
    for filter_node in tree.find_all(nodes.Filter):
        if filter_node.name == "attr":
            problems.append(
                TemplateProblem(
                    filter_node.lineno,
                    "the template tried something the sandbox does not allow (the attr filter is not available in modules)",
                )
            )
        elif filter_node.name not in env.filters:
            problems.append(TemplateProblem(filter_node.lineno, f"unknown filter '{filter_node.name}'"))
    return problems
