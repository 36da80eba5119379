"""Read data-driven cases from fixture files: '### title', 'key: value' lines, '~~~', body."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Case:
    """One input and what must be said about it."""

    title: str
    expect: dict[str, str]
    body: str


def read_cases(name: str) -> list[Case]:
    """All cases in tests/fixtures/<name>."""
    cases = []
    for chunk in (FIXTURES / name).read_text(encoding="utf-8").split("\n### ")[1:]:
        head, body = chunk.split("\n~~~\n", 1)
        title, *settings = head.split("\n")
        expect = dict(line.split(": ", 1) for line in settings if line.strip())
        cases.append(Case(title.strip(), expect, body.rstrip("\n") + "\n"))
    return cases
