"""Problems found in a user's input, and the errors that carry them to the CLI.

A message never contains a value from a profile: profiles hold health data. Messages name the
file, the line and the key, and say what was expected and what kind of thing arrived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a look) in one input file."""

    path: str
    """The file, relative to the project when it lies inside it."""
    line: int | None
    """1-based line in that file, when known."""
    message: str
    """What was expected and what kind of thing arrived; never a profile's value."""
    severity: Literal["error", "warning"] = "error"
    """Errors stop the file from being used; warnings are reported only."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


def display_path(path: Path, root: Path | None) -> str:
    """A path as users see it: relative to the project when possible."""
    if root is not None:
        try:
            return str(path.relative_to(root))  # the common case, without touching the disk
        except ValueError:
            pass
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


class GuidegenError(Exception):
    """Root of every error caused by a user's input or command line; the CLI prints it."""

    exit_code = 1


class InvalidInput(GuidegenError):
    """Input files are wrong; carries every problem found, not only the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(GuidegenError):
    """The command line asks for something that cannot be done (exit status 2)."""

    exit_code = 2
