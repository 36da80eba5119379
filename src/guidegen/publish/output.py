"""The one writer of output files: atomic writes, shared assets, removal, and the staff index.

Every file a build makes goes through `Writer`, so every write is atomic, never goes through a
symbolic link (see `nofollow`), and `sync` flushes exactly what was written before the state
records it. Files in a staff folder (print/) are 0600 in a 0700 folder; every file gets a time
made from its bytes, so a file's date never tells when a person's guide changed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError, display_path
from ..project.cache import NO_CACHE, Cache
from . import nofollow

if TYPE_CHECKING:
    from ..project.theme import Theme

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
INDEX_FILE = "index.html"
INDEX_TEMPLATE = "index.html"
INDEX_MARK = '<meta name="generator" content="guidegen index">'
"""In every staff index that guidegen writes: only such a page is removed by a build without --index."""
_UMASK = os.umask(0o022)
os.umask(_UMASK)
TIME_BASE = 946684800
"""2000-01-01: every output file's time is this plus a few days taken from its bytes (see `file_time`)."""


TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp\Z")
"""The name of a temporary file that `Writer` writes before its rename (left over if a build was killed)."""


def file_time(data: bytes) -> int:
    """A file's modification time from its bytes alone: it says nothing about when it was built,
    yet changes with the content, so a web server's Last-Modified and ETag still change."""
    return TIME_BASE + int.from_bytes(hashlib.sha256(data).digest()[:3], "big")


class Writer:
    """Writes output files; remembers what it wrote so `sync` can flush just that.

    Every write goes through a temporary file in the same folder and a rename, so a reader or an
    interrupted build sees the old file or the new one, never a part. A disk that is full,
    read-only or not ours, or a symbolic link on the way, is an OutputError naming the file
    (relative to the project). `bases` are the folders a walk starts from (the project, an
    output folder outside it); `private` are the staff folders (0700, files 0600).
    """

    def __init__(self, root: Path, bases: Sequence[Path] = (), private: Sequence[Path] = ()) -> None:
        self.root = root
        self.bases = (root, *bases)
        self.private = tuple(Path(os.path.abspath(p)) for p in private)
        self.written: list[Path] = []

    def _is_private(self, folder: Path) -> bool:
        folder = Path(os.path.abspath(folder))
        return any(folder.is_relative_to(p) for p in self.private)

    @contextlib.contextmanager
    def _folder(self, folder: Path, *, create: bool = False) -> Iterator[int]:
        base, relative = nofollow.split(folder / "x", self.bases)
        private = self._is_private(folder)
        with nofollow.folder(base, relative.parent, create=create, mode=0o700 if private else 0o777) as descriptor:
            if private and create:
                os.fchmod(descriptor, 0o700)
            yield descriptor

    def write(self, path: Path, data: bytes) -> None:
        """Write one file atomically (nothing happens when it already holds `data`)."""
        self.write_together({path: data})

    def write_together(self, files: dict[Path, bytes]) -> None:
        """Replace several files together: every new file is written first, then all are renamed,
        so a full disk leaves all of them as they were."""
        staged: list[tuple[int, str, Path]] = []
        changed: list[Path] = []
        path = next(iter(files), self.root)
        with contextlib.ExitStack() as stack:
            try:
                for path, data in files.items():
                    descriptor = stack.enter_context(self._folder(path.parent, create=True))
                    mode = 0o600 if self._is_private(path.parent) else 0o666 & ~_UMASK
                    if _holds(descriptor, path.name, data, mode):
                        continue
                    temporary = nofollow.stage(descriptor, path.name, data, mode, mtime=file_time(data))
                    staged.append((descriptor, temporary, path))
                for descriptor, temporary, path in staged:
                    os.replace(temporary, path.name, src_dir_fd=descriptor, dst_dir_fd=descriptor)
                    changed.append(path)
            except OSError as error:
                raise OutputError(self._cannot("write", path, error)) from None
            finally:
                for descriptor, temporary, _ in staged:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary, dir_fd=descriptor)
        self.written.extend(changed)

    def _cannot(self, what: str, path: Path, error: OSError) -> str:
        reason = error.strerror or type(error).__name__
        return f"cannot {what} {display_path(path, self.root)} ({reason}); nothing of this guide was changed"

    def remove(self, folder: Path, names: Iterable[str]) -> None:
        """Delete files a build wrote in a folder, and the folder when it is left empty (a link
        where the folder should be is removed itself, never followed)."""
        try:
            with self._folder(folder.parent) as parent:
                if nofollow.is_link(parent, folder.name):
                    os.unlink(folder.name, dir_fd=parent)
                    return
                try:
                    descriptor = nofollow.open_child(parent, folder.name)
                except FileNotFoundError:
                    return
                try:
                    for name in names:
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(name, dir_fd=descriptor)
                finally:
                    os.close(descriptor)
                with contextlib.suppress(OSError):
                    os.rmdir(folder.name, dir_fd=parent)
        except FileNotFoundError:
            return
        except OSError as error:
            raise OutputError(self._cannot("remove files in", folder, error)) from None

    def remove_whole(self, path: Path) -> bool:
        """Delete a file, a link or a folder with everything in it (never following a link)."""
        try:
            with self._folder(path.parent) as parent:
                return nofollow.remove(parent, path.name)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise OutputError(self._cannot("remove", path, error)) from None

    def entries(self, folder: Path) -> list[str]:
        """The names in a folder reached without following a link (none when it is missing)."""
        try:
            with self._folder(folder) as descriptor:
                return nofollow.entries(descriptor)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise OutputError(self._cannot("read", folder, error)) from None

    def read(self, path: Path) -> bytes:
        """A file's bytes, reached without following a link (FileNotFoundError when missing)."""
        try:
            with self._folder(path.parent) as descriptor:
                data = nofollow.read_file(descriptor, path.name)
        except OSError as error:
            raise OutputError(self._cannot("read", path, error)) from None
        if data is None:
            raise FileNotFoundError(path)
        return data

    def remove_leftovers(self, folder: Path, depth: int = 1) -> int:
        """Delete temporary files that a killed build left (in the folder and its sub-folders)."""
        removed = 0
        for name in self.entries(folder):
            path = folder / name
            if TEMPORARY.match(name):
                removed += self.remove_whole(path)
            elif depth and path.is_dir() and not path.is_symlink():
                removed += self.remove_leftovers(path, depth - 1)
        return removed

    def sync(self) -> None:
        """Flush every file written so far, and their folders, to the disk."""
        by_folder: dict[Path, list[str]] = {}
        for path in self.written:
            by_folder.setdefault(path.parent, []).append(path.name)
        for folder, names in sorted(by_folder.items()):
            try:
                with self._folder(folder) as descriptor:
                    for name in names:
                        with contextlib.suppress(FileNotFoundError):
                            file = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=descriptor)
                            try:
                                os.fsync(file)
                            finally:
                                os.close(file)
                    os.fsync(descriptor)
            except OSError as error:
                raise OutputError(self._cannot("write", folder / names[0], error)) from None
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
                files[f"assets/{woff2}"] = web_font(source, Cache(self.root))
        files.update({f"assets/{name}": data for name, data in (made or {}).items()})
        self.write_together({folder / name: data for name, data in files.items()})
        return tuple(sorted(files))

    def write_index(self, folder: Path, page: str | None) -> None:
        """The staff index (print/index.html with --index): written when given, else removed
        when an earlier --index build wrote it (a page that staff wrote themselves is left alone)."""
        path = folder / INDEX_FILE
        if page is not None:
            self.write(path, page.encode())
            return
        try:
            with self._folder(folder) as descriptor:
                old = nofollow.read_file(descriptor, INDEX_FILE)
                if old is not None and INDEX_MARK.encode() in old:
                    os.unlink(INDEX_FILE, dir_fd=descriptor)
        except FileNotFoundError:
            return
        except OSError as error:
            raise OutputError(self._cannot("remove", path, error)) from None


def _holds(folder: int, name: str, data: bytes, mode: int) -> bool:
    """Whether a file already holds `data` with `mode` (then it is not written again)."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        return False
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data) or stat.S_IMODE(info.st_mode) != mode:
            return False
        return handle.read() == data


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


def web_font(source: Path, cache: Cache = NO_CACHE) -> bytes:
    """A TrueType font as WOFF2 for the web guide: less than half the bytes on a reader's phone.
    Compressing takes a fraction of a second a font: `cache` keeps the result by the font's hash."""
    data = source.read_bytes()
    return cache.data("woff2", (data,), functools.partial(_compress_font, data))


@functools.lru_cache(maxsize=16)
def _compress_font(data: bytes) -> bytes:
    """WOFF2 bytes, the same for the same font (no timestamp); once per font per process."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # WeasyPrint's own dependency, with brotli

    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
