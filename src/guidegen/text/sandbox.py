"""The Jinja2 sandbox that module bodies and page templates render in, bounded by the work a
render does, never by the clock (a busy machine must not fail a normal template): at most
MAX_OPERATIONS steps (range() steps, calls, filters, operators, printed values), RENDER_CPU_SECONDS
of the thread's CPU time as a backstop, RENDER_CHARS of output, and no text or list longer than
RENDER_CHARS made along the way; range() and repetition are capped and numbers above a million
refused as arguments."""

from __future__ import annotations

import functools
import re
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

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
    cpu_limit: float | None = None
    """time.thread_time() past which the render stops, set at its first check (step 1024): the
    thousands of short renders of a build never read the thread's clock, a system call."""
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
    if state.operations % 1024:
        return False
    now = time.thread_time()
    if state.cpu_limit is None:
        state.cpu_limit = now + RENDER_CPU_SECONDS
    return now > state.cpu_limit


def _new_render() -> _Render:
    return _Render([])


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


_SAFE_ATTRIBUTES: dict[tuple[type, str], bool] = {}
"""(type, attribute name) -> whether the sandbox lets a template read it."""


class ModuleSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with limits on repetition, powers, formats and call arguments."""

    intercepted_binops = frozenset(["*", "**", "%", "//", "/", "+"])

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Jinja's answer depends only on the object's type and the name (isinstance tests and
        the name's prefix), so it is worked out once per pair: a guide's page reads about a
        thousand attributes, and the checks were a fifth of rendering it."""
        key = (type(obj), attr)
        known = _SAFE_ATTRIBUTES.get(key)
        if known is None:
            if len(_SAFE_ATTRIBUTES) >= 4096:
                _SAFE_ATTRIBUTES.clear()
            known = _SAFE_ATTRIBUTES[key] = super().is_safe_attribute(obj, attr, value)
        return known

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
        if not isinstance(value, _METHODS):  # every attribute a template reads comes here: most are data
            return None
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str):
            _check_number(owner)
        return super().wrap_str_format(value)


_METHODS = (types.MethodType, types.BuiltinMethodType)
"""What Jinja's `wrap_str_format` looks at (`str.format` and `str.format_map` are among them)."""


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
