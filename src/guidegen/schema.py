"""Turning a YAML document into a typed, frozen model, with problems that name file and line."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints, ValidationError

from .errors import Problem
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


def _message(error: Any) -> str:
    kind = error["type"]
    got = kind_of(error.get("input"))
    if kind == "missing":
        return "this required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the docs for the keys allowed here)"
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
    try:
        return model.model_validate(document.data), []
    except ValidationError as errors:
        problems = []
        for error in errors.errors(include_input=True, include_url=False):
            loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
            problems.append(Problem(where, document.line(loc), f"{key_text(loc)}: {_message(error)}"))
        return None, problems


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("str", "constrained-str", "function-after"))
