"""Personalising a module's Markdown source with Jinja2, in a sandbox.

Every value a template prints becomes a placeholder (a private-use character pair around a
number) before Markdown sees it; after Markdown is rendered, each placeholder is replaced by the
value, HTML-escaped. So a profile value can never become Markdown, HTML or template code: `# Sam`,
`<img src=x>` and `{{ 7*7 }}` show as exactly those characters.

A render is bounded by the work it does (sandbox.py). A runaway template (nested range() loops)
becomes a problem naming the module file and line, in build, check and preview.
"""

from __future__ import annotations

import html
import re
import traceback
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import InvalidInput, Problem
from .sandbox import (
    RENDER_CHARS,
    TOO_MUCH_WORK,
    ModuleLimit,
    ModuleSandbox,
    RenderLimit,
    _new_render,
    _over_work,
    _Render,
    _render,
    _tick,
    _too_large,
    with_limits,
)

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")
_JINJA_WORD = re.compile(
    r"(?:end)?(?:if|elif|else|for|in|not|and|or|is|block|extends|include|import|from|macro|call|filter|set"
    r"|with|raw|autoescape|trans|pluralize|break|continue|do|recursive|ignore|missing|context|without|scoped"
    r"|required|as|name|integer|float|string|operator)"
    r"|end of (?:print statement|statement block|template|comment)|[^\w\s]{1,2}"
)
"""What a Jinja parser message may quote and keep: its own keywords and punctuation."""


def code_message(message: str) -> str:
    """A template parser's message, keeping quoted words only when they are Jinja's own
    (tag names, punctuation): anything else it quotes came from the file."""

    def keep(match: re.Match[str]) -> str:
        word = match.group(1) if match.group(1) is not None else match.group(2)
        return f"'{word}'" if _JINJA_WORD.fullmatch(word) else "(something else)"

    return _QUOTED.sub(keep, message)


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
    state = _render.get()
    if state is None:  # pragma: no cover - only reachable by calling render() directly
        raise RuntimeError("templates are rendered through personalise()")
    _tick()
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    state.chars += len(text)
    if state.chars > RENDER_CHARS:
        raise RenderLimit(_too_large())
    state.values.append(text)
    return f"{_OPEN}{len(state.values) - 1}{_CLOSE}"


def make_environment(labeller: Callable[[Any], Any]) -> ImmutableSandboxedEnvironment:
    """The sandbox for module bodies: unknown names are errors, output is text only, and a
    render is bounded in time and size. Modules get `range` and `dict`, nothing else global."""
    env = ModuleSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        keep_trailing_newline=True,
        extensions=(),
    )
    env.globals.clear()
    env.filters["labels"] = labeller
    return with_limits(env)


def compile_template(
    env: ImmutableSandboxedEnvironment,
    source: str,
    name: str,
    remember: Callable[[Callable[[], CodeType]], CodeType] | None = None,
) -> Template:
    """Compile a module body once; a syntax error is a problem naming the line. `remember` may
    keep the compiled code (by the source and name) and hand it back on a later run."""

    def compile_code() -> CodeType:
        try:
            return env.compile(source, name=name, filename=name)
        except TemplateSyntaxError as error:
            message = f"template syntax error: {code_message(error.message or '')}"
            raise InvalidInput([Problem(name, error.lineno, message)]) from None

    code = remember(compile_code) if remember is not None else compile_code()
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def personalise(
    template: Template, source: str, name: str, person: dict[str, Any], sections: Mapping[str, str] | None = None
) -> Personalised:
    """Render a compiled module body for one person, within the time and size limits; a failure
    is a problem naming `name` and the line. `sections` maps section ids to their headings in the
    guide's language (`{{ sections.coping }}`)."""
    try:
        return _personalise(template, source.split("\n"), name, person, sections)
    except TemplateProblem as problem:
        raise InvalidInput([Problem(name, problem.line, problem.message)]) from None


def _personalise(
    template: Template,
    source_lines: Sequence[str],
    name: str,
    person: dict[str, Any],
    sections: Mapping[str, str] | None,
) -> Personalised:
    state = _new_render()
    token = _render.set(state)
    try:
        context: dict[str, Any] = {"person": person, "sections": dict(sections or {})}
        markdown = _bounded_render(template, context, state)
    except TemplateProblem:
        raise
    except RenderLimit as error:
        raise TemplateProblem(_line(error, name), str(error)) from None
    except ModuleLimit as error:
        raise TemplateProblem(
            _line(error, name), f"the template tried something the sandbox does not allow ({error})"
        ) from None
    except SecurityError as error:
        raise TemplateProblem(
            _line(error, name),
            f"the template tried something the sandbox does not allow ({_safe_message(str(error), template, source_lines, person)})",
        ) from None
    except UndefinedError as error:
        raise TemplateProblem(
            _line(error, name),
            f"undefined name in template ({_safe_message(str(error), template, source_lines, person)})",
        ) from None
    except TemplateError as error:
        raise TemplateProblem(_line(error, name), f"template error ({type(error).__name__})") from None
    except Exception as error:  # noqa: BLE001 - a template can raise anything; report the line, not the value
        raise TemplateProblem(
            _line(error, name), f"template error ({type(error).__name__}); check the expression on this line"
        ) from None
    finally:
        _render.reset(token)
    return Personalised(markdown, tuple(state.values))


def _bounded_render(template: Template, context: dict[str, Any], state: _Render) -> str:
    """Template.render, one piece at a time, so output size and time are checked as it goes.

    A limit hit between pieces is reported at the template line the render had reached."""
    pieces: list[str] = []
    size = 0
    generator: Any = template.root_render_func(template.new_context(context))  # a generator: close(), gi_frame
    try:
        for piece in generator:
            pieces.append(piece)
            size += len(piece)
            if size + state.chars > RENDER_CHARS:
                state.over = _too_large()
            elif _over_work(state):
                state.over = TOO_MUCH_WORK
            if state.over:
                frame = generator.gi_frame
                line = template.get_corresponding_lineno(frame.f_lineno) if frame is not None else None
                generator.close()
                raise TemplateProblem(line, state.over)
    except TemplateProblem:
        raise
    except Exception:  # noqa: BLE001 - Jinja rewrites the traceback to template lines, then re-raises
        template.environment.handle_exception()
    return "".join(pieces)


def _line(error: BaseException, name: str) -> int | None:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename == name:
            return frame.lineno
    return getattr(error, "lineno", None)


_MESSAGE_SHAPES = (
    re.compile(r"^'(?P<name>\w+)' is undefined$"),
    re.compile(r"^'(?P<type>\w+) object' has no attribute '(?P<name>\w+)'$"),
    re.compile(r"^(?P<type>\w+) object has no element \d+$"),
    re.compile(r"^access to attribute '(?P<name>\w+)' of '(?P<type>\w+)' object is unsafe\.$"),
)
_TYPE_NAMES = frozenset({"dict", "list", "tuple", "str", "int", "float", "bool", "date", "NoneType", "Markup"})


def _safe_message(message: str, template: Template, source_lines: Sequence[str], person: Any) -> str:
    """Jinja's message only when it has a known shape, names a type guidegen knows, and every
    other word in it is a name the template's code uses (not a string in it) and no profile value.

    A message that quotes a dict key from the profile (`person[s]` for each substance) would
    name a person's substance: it is replaced by a generic one."""
    generic = "a name used in the template is not defined"
    for shape in _MESSAGE_SHAPES:
        match = shape.match(message)
        if match:
            break
    else:
        return generic
    parts = match.groupdict()
    if parts.get("type") is not None and parts["type"] not in _TYPE_NAMES:
        return generic
    name = parts.get("name")
    if name is not None and (name not in _code_names(template, source_lines) or name in _profile_words(person)):
        return generic
    return message


def _code_names(template: Template, source_lines: Sequence[str]) -> set[str]:
    """Names that a template's code uses: variables, attributes, filters and tests."""
    try:
        tree = template.environment.parse("\n".join(source_lines))
    except TemplateSyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.find_all((nodes.Name, nodes.Filter, nodes.Test, nodes.Getattr)):
        names.add(node.attr if isinstance(node, nodes.Getattr) else node.name)  # type: ignore[attr-defined]
    return names


def _profile_words(value: Any) -> set[str]:
    """Every value in a profile view, as a whole and word by word (its keys are field names)."""
    found: set[str] = set()
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        elif item is not None:
            text = str(item)
            found.add(text)
            found.update(re.findall(r"\w+", text))
    return found


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
