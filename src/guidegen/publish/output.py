"""The one writer of output files: atomic writes, shared assets, removal, and the staff index.

Every file a build makes goes through `Writer`, so every write is atomic and `sync` flushes
exactly what was written before the state records it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import OutputError, display_path
from ..project.theme import Theme

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
INDEX_FILE = "index.html"
INDEX_TEMPLATE = "index.html"
INDEX_MARK = '<meta name="generator" content="guidegen index">'
"""In every staff index that guidegen writes: only such a page is removed by a build without --index."""
_UMASK = os.umask(0o022)
os.umask(_UMASK)


TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
"""The name of a temporary file that `Writer` writes before its rename (left over if a build was killed)."""


def _temporary(path: Path) -> Any:
    return tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)


class Writer:
    """Writes output files; remembers what it wrote so `sync` can flush just that.

    Every write goes through a temporary file in the same folder and a rename, so a reader or an
    interrupted build sees the old file or the new one, never a part. A disk that is full,
    read-only or not ours is an OutputError naming the file (relative to the project).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []

    def write(self, path: Path, data: bytes) -> None:
        """Write one file atomically (nothing happens when it already holds `data`)."""
        self.write_together({path: data})

    def write_together(self, files: dict[Path, bytes]) -> None:
        """Replace several files together: every new file is written first, then all are renamed,
        so a full disk leaves all of them as they were."""
        changed = {
            p: d for p, d in files.items() if not (p.is_file() and p.stat().st_size == len(d) and p.read_bytes() == d)
        }
        staged: list[tuple[str, Path]] = []
        try:
            for path, data in changed.items():
                self._mkdir(path.parent)
                handle = _temporary(path)
                staged.append((handle.name, path))
                with handle:
                    handle.write(data)
                os.chmod(handle.name, 0o666 & ~_UMASK)  # readable like any other file, not 0600
            for temporary, path in staged:
                os.replace(temporary, path)
        except OSError as error:
            raise OutputError(self._cannot("write", path, error)) from None
        finally:
            for temporary, _ in staged:
                Path(temporary).unlink(missing_ok=True)
        self.written.extend(changed)

    def _mkdir(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(self._cannot("make the folder", folder, error)) from None

    def _cannot(self, what: str, path: Path, error: OSError) -> str:
        reason = error.strerror or type(error).__name__
        return f"cannot {what} {display_path(path, self.root)} ({reason}); nothing of this guide was changed"

    def remove(self, folder: Path, names: Iterable[str]) -> None:
        """Delete files a build wrote in a folder, and the folder when it is left empty."""
        for name in names:
            (folder / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()

    def remove_leftovers(self, folder: Path, depth: int = 1) -> int:
        """Delete temporary files that a killed build left (in the folder and its sub-folders)."""
        removed = 0
        if not folder.is_dir():
            return 0
        for path in folder.iterdir():
            if path.is_file() and not path.is_symlink() and TEMPORARY.match(path.name):
                path.unlink(missing_ok=True)
                removed += 1
            elif depth and path.is_dir() and not path.is_symlink():
                removed += self.remove_leftovers(path, depth - 1)
        return removed

    def sync(self) -> None:
        """Flush every file written so far, and their folders, to the disk."""
        folders = {path.parent for path in self.written}
        for path in [*self.written, *sorted(folders)]:
            with contextlib.suppress(FileNotFoundError):
                descriptor = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        self.written.clear()

    def write_shared(self, folder: Path, theme: Theme, made: Mapping[str, bytes] | None = None) -> tuple[str, ...]:
        """Assets shared by all guides (the theme's, and `made` by the build: the app icon), and a
        robots.txt that keeps guides out of search engines; returns what was written, relative
        to the folder."""
        files = {"robots.txt": ROBOTS_TXT.encode()}
        for relative, source in sorted(theme.assets.items()):
            files[f"assets/{relative}"] = source.read_bytes()
            woff2 = web_font_name(relative)
            if woff2 and woff2 not in theme.assets:
                files[f"assets/{woff2}"] = web_font(source)
        files.update({f"assets/{name}": data for name, data in (made or {}).items()})
        self.write_together({folder / name: data for name, data in files.items()})
        return tuple(sorted(files))

    def write_index(self, folder: Path, page: str | None) -> None:
        """The staff index (print/index.html with --index): written when given, else removed
        when an earlier --index build wrote it (a page that staff wrote themselves is left alone)."""
        path = folder / INDEX_FILE
        if page is not None:
            self.write(path, page.encode())
        elif path.is_file() and INDEX_MARK in path.read_text(encoding="utf-8", errors="replace"):
            path.unlink()


def web_font_name(relative: str) -> str | None:
    """The WOFF2 copy the build writes of a theme's TrueType font (None for any other asset)."""
    if relative.startswith("fonts/") and relative.endswith(".ttf"):
        return relative.removesuffix(".ttf") + ".woff2"
    return None


def shared_names(theme: Theme, made: Iterable[str] = ()) -> list[str]:
    """Every shared asset's path under assets/, as `write_shared` writes them."""
    names = set(theme.assets) | set(made)
    names |= {w for w in map(web_font_name, theme.assets) if w}
    return sorted(names)


def web_font(source: Path) -> bytes:
    """A TrueType font as WOFF2 for the web guide: less than half the bytes on a reader's phone."""
    stat = source.stat()
    return _compress_font(source, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _compress_font(source: Path, mtime_ns: int, size: int) -> bytes:
    """WOFF2 bytes, the same for the same font (no timestamp); once per font per process."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency, with brotli

    font = TTFont(source, recalcTimestamp=False)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
