"""Folders under the project opened one level at a time, never through a symbolic link.

Every write and every removal guidegen makes (published guides, staff PDFs, the project state,
profiles) starts here: each folder on the way is opened with `O_NOFOLLOW` relative to the one
before (`openat`), files are created with `O_EXCL | O_NOFOLLOW` inside the folder's descriptor,
and renames and removals name the folder's descriptor too. A link planted anywhere on the way
(`site/<slug>`, `.guidegen`, `print/`) is refused, so nothing outside the project is written,
chmodded or deleted through it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_READ = 64 * 1024 * 1024
"""The most `read_file` reads: a state file or an output this large is not one of ours."""


class LinkRefused(OSError):
    """A symbolic link (or something that is not a folder) where guidegen was about to go."""


def split(path: Path, bases: Sequence[Path]) -> tuple[Path, Path]:
    """The base a path lies under (the outermost of `bases`: the project before a folder in it)
    and the path relative to it; a path under none of them is taken from its own folder."""
    absolute = Path(os.path.abspath(path))
    found = [Path(os.path.abspath(base)) for base in bases]
    for base in sorted(found, key=lambda b: len(b.parts)):
        if absolute.is_relative_to(base):
            return base, absolute.relative_to(base)
    return absolute.parent, Path(absolute.name)


@contextlib.contextmanager
def folder(base: Path, relative: Path, *, create: bool = False, mode: int = 0o777) -> Iterator[int]:
    """A descriptor of base/relative, each folder below `base` opened without following a link;
    missing folders are made (with `mode`) when `create` is set, `base` too (a folder the user named)."""
    if create:
        os.makedirs(base, exist_ok=True)
    descriptor = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in relative.parts:
            following = _step(descriptor, part, create, mode, base / relative)
            os.close(descriptor)
            descriptor = following
        yield descriptor
    finally:
        os.close(descriptor)


def _step(parent: int, name: str, create: bool, mode: int, whole: Path) -> int:
    if name in (".", "..", "") or "/" in name:
        raise LinkRefused(errno.EINVAL, "not a plain folder name", str(whole))
    try:
        return os.open(name, _FOLDER, dir_fd=parent)
    except FileNotFoundError:
        if not create:
            raise
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, mode, dir_fd=parent)
        return _step(parent, name, False, mode, whole)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR):
            raise LinkRefused(error.errno, "a symbolic link or a file where a folder should be", str(whole)) from None
        raise


def open_child(parent: int, name: str) -> int:
    """A descriptor of one folder inside another, never through a link (the caller closes it)."""
    return _step(parent, name, False, 0, Path(name))


def exists(parent: int, name: str) -> bool:
    """Whether a folder has an entry of this name (a link counts, and is not followed)."""
    try:
        os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def is_link(parent: int, name: str) -> bool:
    """Whether an entry of a folder is a symbolic link (a missing one is not)."""
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def read_file(parent: int, name: str, limit: int = MAX_READ) -> bytes | None:
    """A regular file's bytes (None when missing); a link or an oversized file is an OSError."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=parent)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LinkRefused(error.errno, "a symbolic link", name) from None
        raise
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LinkRefused(errno.EINVAL, "not a regular file", name)
        if info.st_size > limit:
            raise OSError(errno.EFBIG, "larger than guidegen ever writes", name)
        return handle.read(limit + 1)[:limit]


def stage(parent: int, name: str, data: bytes, mode: int, *, sync: bool = False, mtime: int | None = None) -> str:
    """Write `data` to a new temporary file beside `name` (never through a link); its name."""
    temporary = f".{name}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, _NEW_FILE, mode, dir_fd=parent)
    try:
        os.fchmod(descriptor, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        if mtime is not None:
            os.utime(descriptor, (mtime, mtime))
        if sync:
            os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=parent)
        raise
    os.close(descriptor)
    return temporary


def write_file(parent: int, name: str, data: bytes, mode: int) -> None:
    """Replace one file atomically and durably: a temporary file, fsync, rename, fsync of the folder."""
    temporary = stage(parent, name, data, mode, sync=True)
    try:
        os.replace(temporary, name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=parent)
        raise
    os.fsync(parent)


def remove(parent: int, name: str) -> bool:
    """Remove an entry of a folder: a file or a link itself, a folder with everything in it
    (never following a link inside); whether something was there."""
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(name, dir_fd=parent)
    else:
        os.unlink(name, dir_fd=parent)
    return True


def entries(parent: int) -> list[str]:
    """The names in a folder (from its descriptor)."""
    return sorted(os.listdir(parent))
