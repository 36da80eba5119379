"""The one reader and writer of every file in .guidegen/.

A state file is read through the folder's descriptor (never through a link), at most
`MAX_BYTES`, parsed as JSON at most `MAX_DEPTH` deep, and checked against the shape of its kind
(`StateKind`). A file that fails any of these is damaged: one that holds no keys is moved aside
as `<name>.damaged` with a warning and rebuilt; one that holds every person's link key
(links.json) is copied aside and the command stops, because replacing it would silently give
everyone a new link and every printed QR code would stop working.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OutputError
from . import nofollow

STATE_DIR = ".guidegen"
MAX_BYTES = 64 * 1024 * 1024
"""Larger than the state of 100,000 people; anything bigger is not ours."""
MAX_DEPTH = 8
"""The deepest any state file nests (history: guides → id → summary → modules → hash is 5)."""
DAMAGED = ".damaged"


@dataclass(frozen=True)
class StateKind:
    """One kind of state file: its name, whether it holds keys, and the shape it must have."""

    name: str
    shape: Callable[[Any], bool]
    """True when the parsed JSON has the shape a build writes (entries are checked by their reader)."""
    holds_keys: bool = False


class Damaged(ValueError):
    """A state file that is not what guidegen writes."""


def parse(raw: bytes) -> Any:
    """The JSON in a state file, or Damaged: not UTF-8, not JSON, too deep or too large."""
    if len(raw) > MAX_BYTES:
        raise Damaged("it is larger than guidegen ever writes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Damaged("it is not UTF-8 text") from None
    except RecursionError:
        raise Damaged(f"it nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise Damaged(f"it is not JSON (line {getattr(error, 'lineno', '?')})") from None
    if depth(data) > MAX_DEPTH:
        raise Damaged(f"it nests deeper than {MAX_DEPTH} levels")
    return data


def depth(data: Any) -> int:
    """How deep lists and objects nest in parsed JSON (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((item, level + 1) for item in value)
    return deepest


def to_bytes(data: Any) -> bytes:
    """Stable JSON (sorted keys, one item a line) as every state file is written."""
    return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


class StateFolder:
    """.guidegen/ itself: a real folder (never a link), 0700, every file 0600 and written atomically."""

    def __init__(self, root: Path, warn: Callable[[str, str], None]) -> None:
        self.root = root
        self.warn = warn

    @contextlib.contextmanager
    def opened(self, *, create: bool) -> Iterator[int]:
        """The folder's descriptor, reached without following a link; made (0700) when `create`."""
        with contextlib.ExitStack() as stack:
            try:
                descriptor = stack.enter_context(nofollow.folder(self.root, Path(STATE_DIR), create=create, mode=0o700))
                if create:
                    os.fchmod(descriptor, 0o700)
            except nofollow.LinkRefused:
                raise OutputError(
                    f"{STATE_DIR} is a symbolic link or a file: guidegen keeps its state only in a real folder "
                    "and never writes through a link; replace it with the folder it points to"
                ) from None
            except FileNotFoundError:
                if not create:
                    raise
                raise OutputError(f"cannot make {STATE_DIR}: the project folder is missing") from None
            except OSError as error:
                reason = error.strerror or type(error).__name__
                raise OutputError(f"cannot open {STATE_DIR} ({reason}); nothing was changed") from None
            yield descriptor

    def read(self, kind: StateKind) -> Any:
        """A state file's data, None when it is missing or damaged (see the module's note)."""
        try:
            with self.opened(create=False) as folder:
                try:
                    raw = nofollow.read_file(folder, kind.name, MAX_BYTES)
                    if raw is None:
                        return None
                    data = parse(raw)
                    if not kind.shape(data):
                        raise Damaged("it does not have the shape guidegen writes")
                except (OSError, Damaged) as error:
                    reason = str(error) if isinstance(error, Damaged) else (error.strerror or "unreadable")
                    self._damaged(folder, kind, reason)
                    return None
        except FileNotFoundError:
            return None
        return data

    def _damaged(self, folder: int, kind: StateKind, reason: str) -> None:
        aside = kind.name + DAMAGED
        if kind.holds_keys:
            with contextlib.suppress(OSError):
                if not nofollow.exists(folder, aside):  # the first copy is kept: it is the oldest
                    raw = nofollow.read_file(folder, kind.name, MAX_BYTES) or b""
                    nofollow.write_file(folder, aside, raw, 0o600)
            raise OutputError(
                f"{STATE_DIR}/{kind.name} cannot be read ({reason}). It holds every person's link key, so "
                f"nothing was changed and no new links were made; a copy is in {STATE_DIR}/{aside}. Restore "
                f"{kind.name} from a backup, or remove it to give everyone new links (printed QR codes then stop working)"
            )
        try:
            os.replace(kind.name, aside, src_dir_fd=folder, dst_dir_fd=folder)
        except OSError:
            self.warn(kind.name, f"this state file cannot be read ({reason}) nor moved aside: it is ignored")
            return
        self.warn(kind.name, f"this state file cannot be read ({reason}): kept as {aside}, and written again")

    def write(self, name: str, data: bytes) -> None:
        """Write one state file atomically, readable by its owner only (0600), flushed to disk."""
        try:
            with self.opened(create=True) as folder:
                nofollow.write_file(folder, name, data, 0o600)
        except OutputError:
            raise
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise OutputError(f"cannot write {STATE_DIR}/{name} ({reason}); the state was left as it was") from None

    def remove_leftovers(self, is_temporary: Callable[[str], bool]) -> None:
        """Temporary files of a state write that was killed (only while holding the lock)."""
        try:
            with self.opened(create=False) as folder:
                for name in nofollow.entries(folder):
                    if is_temporary(name):
                        with contextlib.suppress(OSError):
                            os.unlink(name, dir_fd=folder)
        except FileNotFoundError:
            return
