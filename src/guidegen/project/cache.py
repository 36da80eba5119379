"""Work kept between commands in `.guidegen/cache/`: what costs more to do again than to read, and
gives the same answer for the same input.

- the checks of a module or shared block text (the template's static check, the Markdown lint)
  and the theme's trial render: the problems found, as JSON;
- a module body compiled to Python code (marshal), so a build does not compile the library again;
- web fonts compressed to WOFF2.

Each entry is named by a hash of everything it depends on: the text or file itself, what the
check reads besides it, and guidegen's own code (with the versions of Python and Jinja2), so a
changed file, a changed setting or another guidegen simply misses and does the work again. Only
the library's texts, the theme and guidegen's code go into an entry, never a profile's data.

The folder is made 0700, and an entry is read only from a folder owned by this user that no one
else may write to (compiled code is run). A cache that cannot be read or written only makes a
command slower; deleting `.guidegen/cache/` at any time is safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from types import CodeType
from typing import Any

from jinja2 import Template

from .. import __version__
from ..errors import Problem
from ..text.personalise import compile_template, static_problems

CACHE_DIR = Path(".guidegen") / "cache"
"""Under the project state folder (publish/statefile.py's STATE_DIR)."""
FORMAT = "1"
"""Changes when the layout of an entry changes."""


@functools.cache
def code_digest() -> str:
    """A hash of guidegen's own code and of the Python and Jinja2 that run it: an entry made by
    other code (another release, or guidegen being changed) is never used."""
    import jinja2

    package = Path(__file__).resolve().parent.parent
    hasher = hashlib.sha256(f"{FORMAT} {__version__} {sys.version} {jinja2.__version__}".encode())
    for path in sorted(package.rglob("*.py")):
        hasher.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def entry_name(kind: str, parts: Iterable[str | bytes]) -> str:
    """The file name of an entry: its kind and a hash of what it depends on."""
    hasher = hashlib.sha256(code_digest().encode())
    for part in (kind, *parts):
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big") + data)
    return f"{kind}-{hasher.hexdigest()[:40]}"


class Cache:
    """The cache of one project (`root` None: nothing kept, every piece of work done again)."""

    def __init__(self, root: Path | None) -> None:
        self.folder = root / CACHE_DIR if root is not None else None

    def problems(self, kind: str, parts: Iterable[str], check: Callable[[], list[Problem]]) -> list[Problem]:
        """What `check` finds, kept by a hash of `parts` (everything the check reads)."""
        name = entry_name(kind, parts)
        kept = self._read(name)
        if kept is not None:
            with contextlib.suppress(ValueError, TypeError, IndexError, KeyError):
                return [_problem(*entry) for entry in json.loads(kept)]
        found = check()
        self._keep(name, json.dumps([[p.path, p.line, p.message, p.severity] for p in found]).encode())
        return found

    def code(self, parts: Iterable[str], compile_code: Callable[[], CodeType]) -> CodeType:
        """Compiled code, kept by a hash of `parts` (the source and the name it is compiled under)."""
        name = entry_name("code", parts)
        kept = self._read(name)
        if kept is not None:
            with contextlib.suppress(ValueError, EOFError, TypeError):
                code = marshal.loads(kept)
                if isinstance(code, CodeType):
                    return code
        code = compile_code()
        self._keep(name, marshal.dumps(code))
        return code

    def template(self, env: Any, source: str, where: str) -> Template:
        """A module body compiled (`compile_template`), its code kept by the source and its name."""
        return compile_template(env, source, where, lambda compile_code: self.code((where, source), compile_code))

    def static_problems(
        self, env: Any, source: str, where: str, fields: Collection[str], sections: Sequence[str]
    ) -> list[Problem]:
        """What `static_problems` finds in a module body, kept by the source, its name, the profile
        fields and the sections it may name."""
        check = functools.partial(static_problems, env, source, where, fields, sections)
        return self.problems("static", (where, source, ",".join(sorted(fields)), ",".join(sections)), check)

    def data(self, kind: str, parts: Iterable[str | bytes], make: Callable[[], bytes]) -> bytes:
        """Bytes made from `parts` (a font to compress), kept by their hash."""
        name = entry_name(kind, parts)
        kept = self._read(name)
        if kept is None:
            kept = make()
            self._keep(name, kept)
        return kept

    def read(self, name: str) -> bytes | None:
        """An entry made by `entry_name`, or None."""
        return self._read(name)

    def keep(self, name: str, data: bytes) -> None:
        """Keep an entry made by `entry_name`."""
        self._keep(name, data)

    def _trusted(self) -> bool:
        """Whether the folder and the state folder holding it are real folders, ours and closed
        to others (compiled code is run from it)."""
        assert self.folder is not None
        for folder in (self.folder.parent, self.folder):
            try:
                info = os.stat(folder, follow_symlinks=False)
            except OSError:
                return False
            mine = info.st_uid == os.getuid() if hasattr(os, "getuid") else True
            if not (stat.S_ISDIR(info.st_mode) and mine and not info.st_mode & 0o022):
                return False
        return True

    def _read(self, name: str) -> bytes | None:
        if self.folder is None or not self._trusted():
            return None
        try:
            descriptor = os.open(self.folder / name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        with os.fdopen(descriptor, "rb") as stream:
            return stream.read()

    def _keep(self, name: str, data: bytes) -> None:
        """Write one entry atomically; a cache that cannot be written only makes the next command slower."""
        if self.folder is None:
            return
        with contextlib.suppress(OSError):
            for folder in (self.folder.parent, self.folder):
                if not folder.is_dir():
                    folder.mkdir(mode=0o700)
            if not self._trusted():
                return
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, self.folder / name)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)


def _problem(path: str, line: int | None, message: str, severity: str) -> Problem:
    """A problem as kept; anything else in an entry is refused (and the check done again)."""
    if not (isinstance(path, str) and isinstance(message, str) and (line is None or isinstance(line, int))):
        raise TypeError("not a kept problem")
    for known in ("error", "warning", "reminder"):
        if severity == known:
            return Problem(path, line, message, known)
    raise ValueError("not a kept severity")


NO_CACHE = Cache(None)
"""Every check and compile done again."""
