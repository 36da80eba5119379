"""Personalising a module's Markdown source with Jinja2, in a sandbox.

Every value a template prints becomes a placeholder (a private-use character pair around a
number) before Markdown sees it; after Markdown is rendered, each placeholder is replaced by the
value, HTML-escaped. So a profile value can never become Markdown, HTML or template code: `# Sam`,
`<img src=x>` and `{{ 7*7 }}` show as exactly those characters.

A render is bounded by the work it does, never by the clock (a busy machine must not fail a
normal template): at most MAX_OPERATIONS steps (range() steps, calls, filters, operators, printed
values), RENDER_CPU_SECONDS of the thread's CPU time as a backstop, RENDER_CHARS of output, and
no text or list made along the way longer than RENDER_CHARS; range() and repetition are capped
and numbers above a million refused as arguments. A runaway template (nested range() loops)
becomes a problem naming the module file and line, in build, check and preview.
"""

from __future__ import annotations

import functools
import html
import re
import time
import traceback
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InvalidInput, Problem
from .schema import code_message

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")

MAX_OPERATIONS = 1_000_000
"""Most steps a render may take (real modules and page templates take a few thousand)."""
RENDER_CPU_SECONDS = 10.0
"""CPU time (of the rendering thread, not wall time) a render may use: a backstop for steps that
are not counted. Real renders use milliseconds; a busy machine does not make this grow."""
RENDER_CHARS = 1_000_000
"""Most characters a module may produce for one person (real modules produce a few thousand), and
the longest text or list any filter or operator may make along the way."""
TOO_MUCH_WORK = "this template does too much work to render (a loop that runs too long?)"
MAX_RANGE = 10_000
"""Longest range() and longest list or text made by repeating (`*`)."""
MAX_NUMBER = 1_000_000
"""Largest number a template may pass to a function or filter (widths, counts ...)."""
_WIDE_FORMAT = re.compile(r"%[-#0 +]*(?:\*|\d{5,})|\{[^{}]*:[^{}]*\d{5,}")


class RenderLimit(Exception):
    """A render went over its time or size; the message says which."""


class ModuleLimit(SecurityError):
    """A template asked for something too large (range, repetition, width); the message says what."""


@dataclass
class _Render:
    """One render in progress: the values printed so far and its limits."""

    values: list[str]
    cpu_limit: float
    """time.thread_time() past which the render stops."""
    operations: int = 0
    chars: int = 0
    over: str = ""
    """Set when a limit was hit between two pieces of output: the next check raises it."""


_render: ContextVar[_Render | None] = ContextVar("guidegen_render", default=None)


def _tick() -> None:
    """Count one step; raise RenderLimit when the render in progress is over its work or size."""
    state = _render.get()
    if state is None:
        return
    if state.over:
        raise RenderLimit(state.over)
    if _over_work(state):
        raise RenderLimit(TOO_MUCH_WORK)


def _over_work(state: _Render) -> bool:
    state.operations += 1
    if state.operations > MAX_OPERATIONS:
        return True
    return state.operations % 1024 == 0 and time.thread_time() > state.cpu_limit


def _new_render() -> _Render:
    return _Render([], time.thread_time() + RENDER_CPU_SECONDS)


def _size(value: Any) -> int:
    """Characters in a text, or in a list of texts (what join or a concatenation would make)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(item) for item in value if isinstance(item, str))
    return 0


def _check_size(*values: Any) -> None:
    if sum(_size(value) for value in values) > RENDER_CHARS:
        raise ModuleLimit(f"texts and lists are limited to {RENDER_CHARS:,} characters in a template")


def _too_large() -> str:
    return f"this module makes more than {RENDER_CHARS:,} characters of text (a loop that runs too long?)"


class _BoundedRange(Sequence[int]):
    """range() for templates: at most MAX_RANGE numbers, and every step checks the time."""

    def __init__(self, *args: int) -> None:
        for arg in args:
            _check_number(arg)
        self.numbers = range(*args)
        if len(self.numbers) > MAX_RANGE:
            raise ModuleLimit(f"range() is limited to {MAX_RANGE:,} numbers in a module")

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index: Any) -> Any:
        return self.numbers[index]

    def __iter__(self) -> Iterator[int]:
        for number in self.numbers:
            _tick()
            yield number


def _check_number(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise ModuleLimit(f"numbers above {MAX_NUMBER:,} are not allowed here in a module")
    if isinstance(value, str) and _WIDE_FORMAT.search(value):
        raise ModuleLimit("format widths above 9,999 are not allowed in a module")


class ModuleSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with limits on repetition, powers, formats and call arguments."""

    intercepted_binops = frozenset(["*", "**", "%", "//", "/", "+"])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "+":
            _check_size(left, right)
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise ModuleLimit("powers above 64 are not allowed in a module")
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(count, int) and len(sized) * count > MAX_RANGE:
                    raise ModuleLimit(f"repeating text or a list is limited to {MAX_RANGE:,} items in a module")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 256:
                raise ModuleLimit("numbers this large are not allowed in a module")
        if operator == "%" and isinstance(left, str):
            _check_number(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        _tick()
        for value in (*args, *kwargs.values()):
            _check_number(value)
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str):
            _check_number(owner)
        return super().wrap_str_format(value)


def _guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts a step and checks its arguments first: numbers and format widths, and
    the size of the texts and lists it is given (`join` of 10,000 long texts is refused before it
    is made), then the size of what it made."""

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        for value in (*args[1:], *kwargs.values()):
            _check_number(value)
        _check_size(*args[:1])
        result = function(*args, **kwargs)
        _check_size(result)
        return result

    return guarded


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


def with_limits(env: ImmutableSandboxedEnvironment) -> ImmutableSandboxedEnvironment:
    """A bounded range() and filters that check their arguments and the time: for module
    bodies and for page templates alike."""
    env.globals.update(range=_BoundedRange, dict=dict)
    for name, function in list(env.filters.items()):
        env.filters[name] = _guarded(function)
    return env


@contextmanager
def work_limit() -> Iterator[None]:
    """Bound the renders inside in work (range() steps, calls and filters count): for the
    theme's trial render and the page templates, as personalise() bounds a module's."""
    token = _render.set(_new_render())
    try:
        yield
    finally:
        _render.reset(token)


def compile_template(env: ImmutableSandboxedEnvironment, source: str, name: str) -> Template:
    """Compile a module body once; a syntax error is a problem naming the line."""
    try:
        code = env.compile(source, name=name, filename=name)
    except TemplateSyntaxError as error:
        message = f"template syntax error: {code_message(error.message or '')}"
        raise InvalidInput([Problem(name, error.lineno, message)]) from None
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
