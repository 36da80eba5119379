"""Problems found in a user's input, and the one error that carries them to the CLI.

A message never contains a value from a profile: profiles hold health data. Messages name the
file, the line and the key, and say what was expected and what kind of thing arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
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
    severity: Literal["error", "warning", "reminder"] = "error"
    """Errors stop the file from being used; warnings are reported only; reminders are about the
    calendar (an overdue review), not a defect, so `check --strict` does not fail on them."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "" if self.severity == "error" else f"{self.severity}: "
        return f"{where}: {prefix}{self.message}"

    def adding(self, note: str) -> Problem:
        """The same problem with a note after its message, e.g. which guide was being built."""
        return replace(self, message=f"{self.message} ({note})")


class Problems:
    """Collects problems from many files so that one run reports all of them, then stops once."""

    def __init__(self, found: Iterable[Problem] = ()) -> None:
        self._found: list[Problem] = []
        self.extend(found)

    def add(self, path: str, line: int | None, message: str) -> None:
        """An error in `path` at `line`."""
        self.append(Problem(path, line, message))

    def warn(self, path: str, line: int | None, message: str) -> None:
        """A warning: reported, never blocking."""
        self.append(Problem(path, line, message, "warning"))

    def append(self, problem: Problem) -> None:
        """Keep a problem once, however often it is found."""
        if problem not in self._found:
            self._found.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Keep several problems."""
        for problem in problems:
            self.append(problem)

    @property
    def errors(self) -> list[Problem]:
        """Only the errors."""
        return [p for p in self._found if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Only the warnings."""
        return [p for p in self._found if p.severity == "warning"]

    @property
    def reminders(self) -> list[Problem]:
        """Only the reminders about the calendar."""
        return [p for p in self._found if p.severity == "reminder"]

    def raise_errors(self) -> None:
        """Stop with every problem found when any of them is an error."""
        if self.errors:
            raise InvalidInput(self._found)

    def sort(self) -> None:
        """Errors first, then by file and line."""
        self._found.sort(key=lambda p: (p.severity != "error", p.path, p.line or 0, p.message))

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def __bool__(self) -> bool:
        return bool(self._found)


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
    """Root of every error caused by a user's input or command line; it formats itself for the CLI."""

    exit_code = 1

    def __init__(self, message: str = "", problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        self.message = message
        super().__init__(message or "\n".join(str(p) for p in self.problems))

    def report(self) -> list[str]:
        """The lines the CLI prints for this error."""
        if not self.problems:
            return [f"error: {self.message}"]
        errors = sum(1 for p in self.problems if p.severity == "error")
        return [*(str(p) for p in self.problems), f"{errors} error{'s' if errors != 1 else ''}; nothing was written"]


class InvalidInput(GuidegenError):
    """Input files are wrong; carries every problem found, not only the first (exit status 1)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__("", problems)


class UsageError(GuidegenError):
    """The command line asks for something that cannot be done (exit status 2)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)


class OutputError(GuidegenError):
    """The output folder cannot be written (full disk, read-only, no permission): nothing changed."""
