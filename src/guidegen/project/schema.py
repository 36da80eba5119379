"""Turning a YAML document into a typed, frozen model, with problems that name file and line.

The echo policy (docs/echo-policy.md) is enforced here: a message names the file, the line, the
field names of the schema and what was expected. A key the schema does not know is never shown
(it may be a person's name: `people: [{Dana: ...}]`); when it is close to a known field, the
message suggests that field instead.
"""

from __future__ import annotations

import difflib
import functools
import types
import typing
from collections.abc import Collection, Iterable
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, ValidationError

from ..errors import Problem
from .yamlfile import YamlDocument

Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
"""Free text from a user: must be a string in the YAML (not a number or true/false)."""
Flag = StrictBool
Whole = StrictInt
Day = Annotated[date, Field(strict=False)]


class Frozen(BaseModel):
    """Base for loaded data: unknown keys are errors and nothing changes after loading."""

    # Attribute docstrings become descriptions in `guidegen schema` (hover help in editors).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


M = TypeVar("M", bound=BaseModel)

_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    list: "a list",
    dict: "a mapping",
    date: "a date",
    type(None): "nothing",
}


def kind_of(value: Any) -> str:
    """Name the kind of a value without showing the value itself."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def did_you_mean(word: object, known: Iterable[str]) -> str:
    """'; did you mean `x`?' when `word` is a near miss of a known name, else ''.

    The only way a message refers to an unknown key or term: by the known name it resembles,
    never by the text that was typed."""
    if not isinstance(word, str) or not word:
        return ""
    close = difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""


def unknown(what: str, word: object, known: Iterable[str]) -> str:
    """The message for a key or term that is not allowed: never the word itself."""
    return f"unknown {what}{did_you_mean(word, known)}"


@functools.cache
def schema_names(model: type[BaseModel]) -> tuple[frozenset[str], frozenset[str]]:
    """Every field name of `model` and the models inside it; and the models' class names."""
    fields: set[str] = set()
    classes: set[str] = set()
    todo: list[Any] = [model]
    while todo:
        kind = todo.pop()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if kind.__name__ in classes:
                continue
            classes.add(kind.__name__)
            for name, info in kind.model_fields.items():
                fields.add(name)
                todo.append(info.annotation)
        elif typing.get_origin(kind) is not None or isinstance(kind, types.UnionType):
            todo.extend(typing.get_args(kind))
    return frozenset(fields), frozenset(classes)


def _message(error: Any, known: Collection[str] = ()) -> str:
    kind = error["type"]
    got = kind_of(error.get("input"))
    if kind == "missing":
        return "this required key is missing"
    if kind == "extra_forbidden":
        word = error["loc"][-1] if error["loc"] else None
        return unknown("key", word, known) + (
            "" if did_you_mean(word, known) else " (see the docs for the keys allowed here)"
        )
    if kind in ("string_type", "string_too_short"):
        return f"expected text, got {got}" if kind == "string_type" else "expected text, got an empty value"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"expected a date like 2026-12-31, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {got}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    # Pydantic's own messages describe what was expected, never the input.
    return f"{error['msg']} (got {got})"


def key_text(loc: tuple[str | int, ...]) -> str:
    """A location as users write it: people[0].phone."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def validate(
    model: type[M], document: YamlDocument, where: str, *, strict_root: bool = True
) -> tuple[M | None, list[Problem]]:
    """Validate a document against `model`; every problem names file, line and key."""
    if not isinstance(document.data, dict):
        return None, [Problem(where, 1, f"expected a mapping of keys, got {kind_of(document.data)}")]
    fields, classes = schema_names(model)
    try:
        return model.model_validate(document.data), []
    except ValidationError as errors:
        problems = []
        for error in errors.errors(include_input=True, include_url=False):
            loc = tuple(part for part in error["loc"] if not _is_union_tag(part) and part not in classes)
            line = document.line(loc)
            if error["type"] == "extra_forbidden":
                error = {**error, "loc": loc}
                loc = loc[:-1]
            shown = _known_prefix(loc, fields)
            text = key_text(shown)
            problem = Problem(where, line, f"{text}: {_message(error, fields)}" if text else _message(error, fields))
            if problem not in problems:
                problems.append(problem)
        return None, problems


def _known_prefix(loc: tuple[str | int, ...], fields: Collection[str]) -> tuple[str | int, ...]:
    """The part of a location that is made of schema field names and list positions."""
    for index, part in enumerate(loc):
        if isinstance(part, str) and part not in fields:
            return loc[:index]
    return loc


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("str", "constrained-str", "function-after"))
