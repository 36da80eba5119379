"""Passages written word for word in two files: a fact that should be a shared block.

Whitespace is normalised (line breaks and runs of spaces count as one space), template statements
(`{% ... %}`) and the `:::` that ends a callout are left out, and a passage starts at the beginning of a word. Work is bounded by the texts' total length: one dictionary lookup per word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

REPEAT_CHARS = 200
"""A passage this long or longer, found in two files, is reported."""
_SPACE = re.compile(r"\s+")
_TEMPLATE_CODE = re.compile(r"\{%.*?%\}|\{#.*?#\}")
"""Template statements and comments are code, not words a reader sees: they are left out."""


@dataclass(frozen=True)
class Repeat:
    """One passage found in two texts: where it starts and ends in each (file lines), its length."""

    first: str
    first_lines: tuple[int, int]
    second: str
    second_lines: tuple[int, int]
    chars: int


@dataclass(frozen=True)
class _Flat:
    """A text with whitespace normalised, and the source line of each character."""

    where: str
    text: str
    lines: tuple[int, ...]
    starts: tuple[int, ...]
    """Where each word begins."""


def _flatten(where: str, source: str) -> _Flat:
    chars: list[str] = []
    lines: list[int] = []
    starts: list[int] = []
    for number, line in enumerate(source.split("\n"), start=1):
        if line.strip() == ":::":
            continue  # the end of a callout is structure, not words
        for word in _SPACE.split(_TEMPLATE_CODE.sub(" ", line).strip()):
            if not word:
                continue
            if chars:
                chars.append(" ")
                lines.append(number)
            starts.append(len(chars))
            chars.extend(word)
            lines.extend([number] * len(word))
    return _Flat(where, "".join(chars), tuple(lines), tuple(starts))


def _run(a: str, i: int, b: str, j: int) -> int:
    """How long a and b agree from a[i] and b[j]."""
    length = 0
    while i + length < len(a) and j + length < len(b) and a[i + length] == b[j + length]:
        length += 1
    return length


def find_repeats(texts: Sequence[tuple[str, str]], size: int = REPEAT_CHARS) -> list[Repeat]:
    """Every passage of `size` characters or more that two of the texts (where, source) share,
    once per stretch and pair of texts, the earlier text first."""
    flats = [_flatten(where, source) for where, source in texts]
    seen: dict[int, list[tuple[int, int]]] = {}
    """Each window's hash: the texts and places where it starts (a hash, not the text, to stay small)."""
    covered: dict[tuple[int, int], int] = {}
    found: list[Repeat] = []
    for j, flat in enumerate(flats):
        for p in flat.starts:
            window = flat.text[p : p + size]
            if len(window) < size:
                break
            key = hash(window)
            for i, q in seen.get(key, ()):
                if i == j or covered.get((i, j), -1) > p:
                    continue
                other = flats[i]
                length = _run(other.text, q, flat.text, p)
                if length < size:
                    continue  # two windows with the same hash
                covered[(i, j)] = p + length
                found.append(
                    Repeat(
                        other.where,
                        (other.lines[q], other.lines[q + length - 1]),
                        flat.where,
                        (flat.lines[p], flat.lines[p + length - 1]),
                        length,
                    )
                )
            seen.setdefault(key, []).append((j, p))
    return found
