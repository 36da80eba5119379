"""Where a project keeps its files, known without loading any of them: profile ids and paths, the
content, shared blocks and templates folders, the theme's folders and their fingerprint.

What tells a build "nothing changed" needs only this module (and the settings), so a build with
nothing to do loads no models of profiles or modules, no templates and no Markdown.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

from ..errors import UsageError
from .userfiles import MAX_ASSET_BYTES, read_bytes

CONTENT_DIR = "content"
SHARED_DIR = "_shared"
"""Shared blocks, under content/."""
TEMPLATES_DIR = "templates"
VOCABULARY_FILE = Path(CONTENT_DIR) / "vocabulary.yaml"
PROFILES_DIR = "profiles"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}\Z")
RESERVED_IDS = frozenset({"assets", "index", "robots", "sitemap", "favicon", "manifest", "guidegen", "preview"})
"""Ids that name, or could one day name, guidegen's own files in the output folder."""


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a profile id, or None (the message never repeats the value)."""
    if not ID_PATTERN.match(value):
        return "an id is 1 to 64 lowercase letters, digits and -, starting with a letter or digit"
    if value in RESERVED_IDS:
        return f"this id is reserved for guidegen's own files ({', '.join(sorted(RESERVED_IDS))}): choose another"
    return None


PROFILE_SUFFIXES = (".yaml", ".yml")


def profile_paths(root: Path) -> list[Path]:
    """Every profile file, in a stable order."""
    folder = root / PROFILES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in PROFILE_SUFFIXES)


def check_id(profile_id: str) -> str:
    """A profile id from the command line, or a usage error. The error never repeats what was
    typed: a mistyped id is often the person's name."""
    problem = id_problem(profile_id)
    if problem:
        raise UsageError(f"that is not a profile id: {problem} (never the person's name)")
    return profile_id


def find_profile(root: Path, profile_id: str) -> Path:
    """The file of a profile named on the command line: profiles/<id>.yaml or .yml."""
    check_id(profile_id)
    for suffix in PROFILE_SUFFIXES:
        path = root / PROFILES_DIR / f"{profile_id}{suffix}"
        if path.is_file():
            return path
    raise UsageError(f"no profile with that id in {PROFILES_DIR}/ (the id is not repeated here: it may be a name)")


def default_theme_dir() -> Path:
    """The theme that ships with guidegen."""
    return Path(str(resources.files("guidegen") / "default_theme"))


def font_dir() -> Path:
    """Atkinson Hyperlegible, from its registry package: served as assets/fonts/."""
    import fontpkg_atkinson_hyperlegible

    return Path(fontpkg_atkinson_hyperlegible.__file__).parent / "files"


def theme_folders(project: Path) -> tuple[Path, ...]:
    """The project's templates/ (when it exists) then the default theme, without repeats."""
    unique: list[Path] = []
    for folder in (project / TEMPLATES_DIR, default_theme_dir()):
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return tuple(unique)


def theme_fingerprint(dirs: tuple[Path, ...]) -> str:
    """A hash of every template, string and asset, and of the fonts (changes when any does)."""
    digest = hashlib.sha256()
    for folder in (*dirs, font_dir()):
        for path in sorted(folder.rglob("*")):
            if (path.is_file() or path.is_symlink()) and "__pycache__" not in path.parts:  # a linked folder counts
                digest.update(str(path.relative_to(folder)).encode())
                data, _ = read_bytes(path, (folder,), str(path), MAX_ASSET_BYTES)
                digest.update(data if data is not None else b"\0refused")
    return digest.hexdigest()[:32]
