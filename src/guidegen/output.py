"""The one writer of output files: atomic writes, shared assets, removal, and the staff index.

Every file a build makes goes through `Writer`, so every write is atomic (a temporary file in
the same folder, then a rename: a reader or an interrupted build sees the old file or the new
one, never a part) and `sync` flushes exactly what was written before the state records it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from markupsafe import Markup

from .profiles import ID_PATTERN
from .settings import Settings
from .theme import Theme

ROBOTS_TXT = "User-agent: *\nDisallow: /\n"
INDEX_FILE = "index.html"
INDEX_TEMPLATE = "index.html"
INDEX_MARK = '<meta name="generator" content="guidegen index">'
"""In every site/index.html that guidegen writes: only such a page is removed by a build without --index."""
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write through a temporary file in the same folder, then rename; False when unchanged."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)  # noqa: SIM115 - closed below, renamed after
    try:
        with handle:
            handle.write(data)
        os.chmod(handle.name, 0o666 & ~_UMASK)  # readable like any other file, not 0600
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return True


class Writer:
    """Writes one output folder; remembers what it wrote so `sync` can flush just that."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []

    def write(self, relative: str, data: bytes) -> None:
        """Write `data` to folder/relative atomically (nothing happens when it is already so)."""
        path = self.folder / relative
        if write_atomic(path, data):
            self.written.append(path)

    def remove(self, relative_folder: str, names: Iterable[str]) -> None:
        """Delete files a build wrote in a sub-folder, and the sub-folder when it is left empty."""
        folder = self.folder / relative_folder
        for name in names:
            (folder / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()

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

    def write_shared(self, theme: Theme) -> tuple[str, ...]:
        """Assets shared by all guides, and a robots.txt that keeps guides out of search engines;
        returns what was written, relative to the folder."""
        written = []
        for relative, source in sorted(theme.assets.items()):
            self.write(f"assets/{relative}", source.read_bytes())
            written.append(f"assets/{relative}")
            woff2 = relative.removesuffix(".ttf") + ".woff2"
            if relative.startswith("fonts/") and relative.endswith(".ttf") and woff2 not in theme.assets:
                self.write(f"assets/{woff2}", web_font(source))
                written.append(f"assets/{woff2}")
        self.write("robots.txt", ROBOTS_TXT.encode())
        written.append("robots.txt")
        return tuple(sorted(written))

    def write_index(self, theme: Theme | None, settings: Settings) -> None:
        """With --index (a theme is given), site/index.html lists the guides by id (never names),
        for staff.

        Without it there is no such page: one that an earlier --index build wrote is removed, so
        a list of every guide's address never lingers in a folder that may be published. A page
        that staff wrote themselves is left alone.
        """
        page = self.folder / INDEX_FILE
        if theme is None:
            if page.is_file() and INDEX_MARK in page.read_text(encoding="utf-8", errors="replace"):
                page.unlink()
            return
        guides = [
            {"id": folder.name, "pdf": (folder / "guide.pdf").is_file()}
            for folder in sorted(self.folder.iterdir())
            if ID_PATTERN.match(folder.name) and (folder / "index.html").is_file()
        ]
        language = settings.default_language
        template = theme.page_environment().get_template(INDEX_TEMPLATE)
        html = template.render(
            settings=settings, t=theme.strings[language], lang=language, guides=guides, mark=Markup(INDEX_MARK)
        )
        self.write(INDEX_FILE, html.encode())


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
