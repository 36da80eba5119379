"""The theme: page templates, UI strings and assets, from the project's templates/ over the default.

The default theme ships inside the package (the repository's templates/ folder), so a project
made by `guidegen init` works without copying it; a project's own templates/ overrides it file
by file, and its strings.yaml overrides single strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import jinja2
from babel.dates import format_date
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .errors import Problems, display_path
from .settings import Settings
from .yamlfile import read_yaml

TEMPLATES_DIR = "templates"
STRINGS_FILE = "strings.yaml"


def default_theme_dir() -> Path:
    """The theme that ships with guidegen."""
    return Path(str(resources.files("guidegen") / "default_theme"))


def font_dir() -> Path:
    """Atkinson Hyperlegible, from its registry package: served as assets/fonts/."""
    import fontpkg_atkinson_hyperlegible

    return Path(fontpkg_atkinson_hyperlegible.__file__).parent / "files"


@dataclass(frozen=True)
class Theme:
    """Where templates and assets come from, and the UI strings per language."""

    dirs: tuple[Path, ...]
    """Theme folders, the project's first."""
    strings: Mapping[str, Mapping[str, str]]
    """language -> key -> text."""
    assets: Mapping[str, Path]
    """Every asset by its path under assets/ (e.g. 'guide.css', 'fonts/x.ttf'), first folder wins."""

    def page_environment(self) -> jinja2.Environment:
        """Jinja2 for page templates: autoescaped, strict about undefined names, with the
        theme's filters registered once for every guide."""
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.dirs]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["day"] = format_day
        env.filters["css_string"] = css_string
        return env

    def asset_exists(self, relative: str) -> bool:
        """Whether assets/<relative> exists in the theme."""
        return relative in self.assets


@pass_context
def format_day(context: Context, value: date | None, style: str = "long") -> str:
    """A date in the page's language (`lang` in its context), e.g. 15 de diciembre de 2026."""
    return "" if value is None else format_date(value, format=style, locale=context["lang"])


def css_string(value: str) -> Markup:
    """A CSS string literal for a page template's <style> (UI strings in @page content)."""
    escaped = "".join(c if c.isalnum() or c in " .,:;!?'()-" else f"\\{ord(c):x} " for c in value)
    return Markup(f'"{escaped}"')


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
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def load_theme(root: Path, settings: Settings) -> Theme:
    """The project's templates/ (if any) over the default theme; every language needs its strings."""
    folders = theme_folders(root)
    problems = Problems()
    strings = _read_strings(folders, root, problems)
    default = strings.get("en", {})
    where = f"{TEMPLATES_DIR}/{STRINGS_FILE}"
    for language in settings.languages:
        if language not in strings:
            problems.add(where, None, f"no UI strings for '{language}': add a '{language}:' block to {where}")
        elif missing := sorted(set(default) - set(strings[language])):
            problems.add(where, None, f"'{language}' lacks strings: {', '.join(missing)}")
    problems.raise_errors()
    assets: dict[str, Path] = {}
    for folder in folders:
        base = folder / "assets"
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            if path.is_file():
                assets.setdefault(str(path.relative_to(base)), path)
    for path in sorted(font_dir().glob("*.ttf")):
        assets.setdefault(f"fonts/{path.name}", path)
    return Theme(dirs=folders, strings=strings, assets=assets)


def _read_strings(folders: tuple[Path, ...], root: Path, problems: Problems) -> dict[str, dict[str, str]]:
    """UI strings per language: the default theme's, then the project's over them, string by string."""
    strings: dict[str, dict[str, str]] = {}
    for folder in reversed(folders):
        path = folder / STRINGS_FILE
        if not path.is_file():
            continue
        document, found = read_yaml(path, root)
        problems.extend(found)
        if document is None:
            continue
        where = display_path(path, root)
        if not isinstance(document.data, dict):
            problems.add(where, 1, "expected a mapping of languages to strings")
            continue
        for language, texts in document.data.items():
            if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
                problems.add(
                    where, document.line((language,)), f"{language}: expected a mapping of string names to text"
                )
            else:
                strings.setdefault(language, {}).update(texts)
    return strings
