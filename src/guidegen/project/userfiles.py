"""Reading a file that a user put in the project: only regular files inside the project, capped
in size, UTF-8, and never its content in a message.

A profile may be a symlink to a system file, a module may be a folder named `x.md`, a FIFO or a
link to /dev/zero. Each of these is a problem with a message, never a hang, a traceback or a
file from outside the project read (let alone printed).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..errors import Problem, display_path

MAX_TEXT_BYTES = 1024 * 1024
"""Largest profile, module, template or settings file (1 MiB): far above any real one."""
MAX_ASSET_BYTES = 16 * 1024 * 1024
"""Largest theme asset (16 MiB: fonts and images)."""


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether `path`, with every symlink followed, lies inside one of `roots`."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(root.resolve()) for root in roots)


def file_problem(path: Path, roots: Iterable[Path], where: str, limit: int = MAX_TEXT_BYTES) -> Problem | None:
    """Why `path` may not be read (outside the project, not a regular file, too large), or None.

    Checked with stat before anything opens the file: a FIFO is never opened."""
    if not inside(path, roots):
        if path.is_symlink() or path.exists():
            return Problem(where, None, "this file leads outside the project (a link?): it is not read")
        return Problem(where, None, "cannot read this file (it does not exist)")
    try:
        info = os.stat(path)
    except OSError as error:
        return Problem(where, None, f"cannot read this file ({error.strerror})")
    if stat.S_ISDIR(info.st_mode):
        return Problem(where, None, "this is a folder, not a file: rename or move it")
    if not stat.S_ISREG(info.st_mode):
        return Problem(where, None, "this is not a regular file (a device, pipe or socket?): remove it")
    if info.st_size > limit:
        return Problem(where, None, f"this file is larger than {limit // (1024 * 1024)} MiB: is it the right file?")
    return None


def read_bytes(
    path: Path, roots: Iterable[Path], where: str, limit: int = MAX_TEXT_BYTES
) -> tuple[bytes | None, Problem | None]:
    """The bytes of a regular file inside `roots`, at most `limit` of them."""
    roots = tuple(roots)
    refused = file_problem(path, roots, where, limit)
    if refused is not None:
        return None, refused
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        descriptor = os.open(path, flags)
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped between stat and open
                return None, Problem(where, None, "this is not a regular file: remove it")
            data = handle.read(limit + 1)
    except OSError as error:
        return None, Problem(where, None, f"cannot read this file ({error.strerror})")
    if len(data) > limit:
        return None, Problem(
            where, None, f"this file is larger than {limit // (1024 * 1024)} MiB: is it the right file?"
        )
    return data, None


def decode_text(data: bytes, where: str) -> tuple[str | None, Problem | None]:
    """UTF-8 text (a leading BOM dropped); a problem names the line of the first bad byte."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, Problem(
            where, line, "this file is not UTF-8 text (the first bad byte is on this line): save it as UTF-8"
        )


def read_text(path: Path, root: Path, *, roots: Iterable[Path] = ()) -> tuple[str | None, Problem | None]:
    """A user's text file in the project (or in `roots`), checked, capped and decoded."""
    where = display_path(path, root)
    data, problem = read_bytes(path, (root, *roots), where)
    if data is None:
        return None, problem
    return decode_text(data, where)


def is_regular_inside(path: Path, roots: Iterable[Path]) -> bool:
    """A quick yes for files that may be read; no for links out, folders, devices and pipes."""
    if not inside(path, roots):
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
