"""Hashes of the inputs a guide is made from: what tells a build whether anything changed.

Only hashes: never a value from a profile."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from .. import __version__
from .files import CONTENT_DIR, SHARED_DIR, VOCABULARY_FILE, theme_fingerprint
from .settings import SETTINGS_FILE
from .userfiles import read_bytes


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of some bytes or strings."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()[:32]


def file_digest(path: Path) -> str:
    """Hash of a file's bytes; a folder, pipe, device or huge file is never read (loading reports it)."""
    data, _ = read_bytes(path, (Path("/"),), str(path))
    return digest(data if data is not None else b"\0unreadable")


def shared_digest(root: Path, theme_dirs: tuple[Path, ...]) -> str:
    """Hash of the inputs every guide uses: guidegen's version, settings, vocabulary, theme and
    the shared blocks (content/_shared/, which any module may include)."""
    settings = (root / SETTINGS_FILE).read_bytes()
    vocabulary = (root / VOCABULARY_FILE).read_bytes()
    blocks = sorted((root / CONTENT_DIR / SHARED_DIR).glob("*.md"))
    block_digests = [f"{path.name}={file_digest(path)}" for path in blocks]
    return digest(__version__, settings, vocabulary, theme_fingerprint(theme_dirs), *block_digests)


def module_file_digests(files: Iterable[tuple[str, Path]]) -> dict[str, str]:
    """Hash of every module file by its relative path."""
    return {name: file_digest(path) for name, path in files}
