"""A strict YAML reader that remembers the line of every key and refuses YAML 1.1 surprises.

PyYAML follows YAML 1.1, where `no` is false, `1:20` is 80 and `012` is 10. A clinic writing
`answer: no` or `time: 1:20` would get a guess, so these are refused with a clear message, as are
duplicate keys and anchors/aliases (which make one value appear in several places).

What a message may say is written down in docs/echo-policy.md: the file, the line, field names
and what was expected; never a value, a key, a tag or a quoted character from the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ..errors import Problem, display_path
from .userfiles import decode_text, read_bytes

Key = tuple[str | int, ...]
"""Where a value sits in a document, e.g. ("people", 0, "phone")."""

_AMBIGUOUS_BOOL = "tag:guidegen,2026:ambiguous-bool"
_AMBIGUOUS_NUMBER = "tag:guidegen,2026:ambiguous-number"
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings: real files use five levels; 700 brackets must not crash."""


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message


def _compose_node(self: Any, parent: Any, index: Any) -> Any:
    """Composer.compose_node, refusing anchors, aliases, explicit tags and deep nesting."""
    event = self.peek_event()
    line = event.start_mark.line + 1 if event.start_mark is not None else 1
    if isinstance(event, yaml.AliasEvent):
        raise _Refused(line, "aliases (*name) are not allowed: write the value out in full")
    if getattr(event, "anchor", None) is not None:
        raise _Refused(line, "anchors (&name) are not allowed: write each value out in full")
    if getattr(event, "tag", None) is not None:
        raise _Refused(line, "YAML tags (!!float, !!str, !name ...) are not allowed: write the value plainly")
    depth = getattr(self, "_guidegen_depth", 0)
    if depth >= MAX_DEPTH:
        raise _Refused(line, f"lists and mappings are nested more than {MAX_DEPTH} deep here")
    self._guidegen_depth = depth + 1
    try:
        return Composer.compose_node(self, parent, index)
    finally:
        self._guidegen_depth = depth


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.1's guessing switched off."""

    compose_node = _compose_node


def _strict_resolvers() -> dict[Any, list[tuple[str, re.Pattern[str]]]]:
    resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [
            (tag, regexp)
            for tag, regexp in entries
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        ]
        resolvers[first] = kept
    return resolvers


_StrictLoader.yaml_implicit_resolvers = _strict_resolvers()
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    _AMBIGUOUS_BOOL,
    re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$"),
    list("yYnNoO"),
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)
_StrictLoader.add_implicit_resolver(
    _AMBIGUOUS_NUMBER,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"  # sexagesimal 1:20
        r"|[-+]?0[0-9_]+"  # octal-looking 012
        r"|[-+]?0b[0-1_]+|[-+]?0x[0-9a-fA-F_]+"  # binary, hex
        r"|[-+]?[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?)$"  # 1_000
    ),
    list("-+0123456789"),
)


def _refuse_bool(loader: _StrictLoader, node: yaml.Node) -> None:
    raise _Refused(
        node.start_mark.line + 1,
        "a bare yes/no/on/off is ambiguous in YAML: write true or false, or put text in quotes",
    )


def _refuse_number(loader: _StrictLoader, node: yaml.Node) -> None:
    raise _Refused(
        node.start_mark.line + 1,
        "this number would be read in an old YAML way (as a time like 1:20, or with a leading "
        "zero): put it in quotes if it is text",
    )


_StrictLoader.add_constructor(_AMBIGUOUS_BOOL, _refuse_bool)
_StrictLoader.add_constructor(_AMBIGUOUS_NUMBER, _refuse_number)

_Loader: Any = _StrictLoader
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _StrictCLoader(CParser, SafeConstructor, Resolver):
        """The same rules with libyaml's scanner and parser (about 5x faster)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.anchors: dict[Any, Any] = {}

        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_node = _compose_node
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node

    _StrictCLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
    _StrictCLoader.yaml_constructors = _StrictLoader.yaml_constructors
    _Loader = _StrictCLoader


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and the line where each key or item stands."""

    data: Any
    """Plain Python data: dicts, lists, str, int, float, bool, date, None."""
    lines: dict[Key, int] = field(default_factory=dict)
    """1-based line of each key (for mapping entries) or item (for sequence entries)."""

    def line(self, key: Key) -> int | None:
        """The line of `key`, or of its nearest parent that has one."""
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]


def parse_yaml(text: str, where: str, line_offset: int = 0) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse YAML text strictly; on failure return the problems (never the offending text)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, {}), []
        lines: dict[Key, int] = {(): node.start_mark.line + 1 + line_offset}
        data = _construct(loader, node, (), lines, line_offset)
        return YamlDocument(data, lines), []
    except _Refused as refused:
        return None, [Problem(where, refused.line + line_offset, refused.message)]
    except yaml.MarkedYAMLError as error:
        # str(error) would quote the source line, which may hold health data: use the parts.
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        context = error.context or ""
        if (
            error.context_mark is not None
            and error.problem_mark is not None
            and error.context_mark.line != error.problem_mark.line
        ):
            context += f" that starts on line {error.context_mark.line + 1 + line_offset}"
        what = ": ".join(p for p in (_unquoted(context), _unquoted(error.problem or "")) if p)
        return None, [Problem(where, line, f"this is not valid YAML ({what})" if what else "this is not valid YAML")]
    except yaml.reader.ReaderError as error:
        line = text[: max(error.position, 0)].count("\n") + 1 + line_offset
        return None, [Problem(where, line, "this is not valid YAML (a control character that YAML does not allow)")]
    except (yaml.YAMLError, RecursionError):
        return None, [Problem(where, 1 + line_offset, "this is not valid YAML")]
    finally:
        loader.dispose()


_QUOTED = re.compile(r"""\s*(?:'[^']*'|"[^"]*")""")


def _unquoted(message: str) -> str:
    """A parser's message without what it quotes from the file (a character, a tag, a word)."""
    return " ".join(_QUOTED.sub("", message).split())


def _construct(loader: _StrictLoader, node: yaml.Node, key: Key, lines: dict[Key, int], offset: int) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused(key_node.start_mark.line + 1, "a key must be a plain word")
            name = _scalar(loader, key_node)
            if not isinstance(name, str):
                name = str(name)
            if name == "<<":
                raise _Refused(key_node.start_mark.line + 1, "merge keys (<<) are not allowed")
            if name in result:
                raise _Refused(key_node.start_mark.line + 1, "this key appears twice in the same mapping: keep one")
            lines[(*key, name)] = key_node.start_mark.line + 1 + offset
            result[name] = _construct(loader, value_node, (*key, name), lines, offset)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item_node in enumerate(node.value):
            lines[(*key, index)] = item_node.start_mark.line + 1 + offset
            items.append(_construct(loader, item_node, (*key, index), lines, offset))
        return items
    return _scalar(loader, node)


def _scalar(loader: _StrictLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as error:  # 2026-02-30 matches the date pattern, then date() refuses it
        line = node.start_mark.line + 1
        if node.tag == "tag:yaml.org,2002:timestamp":
            raise _Refused(line, "this date does not exist (check the day and the month)") from None
        raise _Refused(line, "this value cannot be read") from error
    except (yaml.YAMLError, ArithmeticError, TypeError):
        raise _Refused(node.start_mark.line + 1, "this value cannot be read") from None


def read_yaml(
    path: Path, root: Path | None = None, *, roots: Iterable[Path] = ()
) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML file inside `root` (or `roots`); problems name it relative to `root`."""
    where = display_path(path, root)
    allowed = (*((root,) if root is not None else ()), *roots) or (path.parent,)
    data, problem = read_bytes(path, allowed, where)
    if data is None:
        return None, [problem] if problem else []
    text, problem = decode_text(data, where)
    if text is None:
        return None, [problem] if problem else []
    return parse_yaml(text, where)
