"""The theme: page templates, UI strings and assets, from the project's templates/ over the default.

The default theme ships inside the package (the repository's templates/ folder), so a project
made by `guidegen init` works without copying it; a project's own templates/ overrides it file
by file, and its strings.yaml overrides single strings.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from babel.dates import format_date
from jinja2 import pass_context
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from markupsafe import Markup

from ..errors import InvalidInput, Problem, display_path
from ..text.drawings import DRAWING, Drawing, DrawingError, read_drawing
from ..text.formal import alternation_problems, choose
from ..text.sandbox import ModuleSandbox, with_limits
from .cache import Cache, entry_name
from .files import TEMPLATES_DIR as TEMPLATES_DIR
from .files import default_theme_dir as default_theme_dir
from .files import font_dir as font_dir
from .files import theme_fingerprint as theme_fingerprint
from .files import theme_folders as theme_folders
from .settings import Settings
from .userfiles import MAX_ASSET_BYTES, MAX_TEXT_BYTES, decode_text, file_problem, read_bytes
from .yamlfile import read_yaml

STRINGS_FILE = "strings.yaml"


@dataclass(frozen=True)
class Theme:
    """Where templates and assets come from, and the UI strings per language."""

    dirs: tuple[Path, ...]
    """Theme folders, the project's first."""
    strings: Mapping[str, Mapping[str, str]]
    """language -> key -> text (tú where a text says it two ways)."""
    assets: Mapping[str, Path]
    """Every asset by its path under assets/ (e.g. 'guide.css', 'fonts/x.ttf'), first folder wins."""
    roots: tuple[Path, ...] = ()
    """Where theme files may lead: the project and the default theme (links out are refused)."""
    formal_strings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """language -> key -> text in the usted form, for the languages that have one."""
    drawings: Mapping[str, Drawing] = field(default_factory=dict)
    """The figures' drawings (assets/figures/*.svg), checked, by their path under assets/."""

    def strings_for(self, language: str, formal: bool) -> Mapping[str, str]:
        """The UI strings one person reads: in the usted form when their profile says `formal`."""
        if formal and language in self.formal_strings:
            return self.formal_strings[language]
        return self.strings[language]

    def page_environment(self) -> jinja2.Environment:
        """Jinja2 for page templates: the same immutable sandbox as modules, autoescaped, strict
        about undefined names, reading only regular files inside the project or the default theme.

        One per theme, so the templates that the trial render compiled are the build's."""
        return self._pages

    @functools.cached_property
    def _pages(self) -> jinja2.Environment:
        return _limited_pages(
            bytecode_cache=_KeptTemplates(Cache(self.roots[0] if self.roots else None)),
            loader=ThemeLoader(self.dirs, self.roots or self.dirs),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def asset_exists(self, relative: str) -> bool:
        """Whether assets/<relative> exists in the theme."""
        return relative in self.assets


@pass_context
def format_day(context: Context, value: date | None, style: str = "long") -> str:
    """A date in the page's language (`lang` in its context), e.g. 15 de diciembre de 2026."""
    return "" if value is None else day_in(value, style, context["lang"])


@functools.lru_cache(maxsize=4096)
def day_in(value: date, style: str, language: str) -> str:
    """Babel's date, once per day, style and language in a process (a guide shows dozens)."""
    return str(format_date(value, format=style, locale=language))


def css_string(value: str) -> Markup:
    """A CSS string literal for a page template's <style> (UI strings in @page content)."""
    escaped = "".join(c if c.isalnum() or c in " .,:;!?'()-" else f"\\{ord(c):x} " for c in value)
    return Markup(f'"{escaped}"')


def _limited_pages(**options: Any) -> jinja2.Environment:
    """The module sandbox's class (limits on repetition, powers, format widths, call arguments)
    with a bounded range() and guarded filters: a hostile theme cannot exhaust memory."""
    env = ModuleSandbox(**options)
    env.filters["day"] = format_day
    env.filters["css_string"] = css_string
    return with_limits(env)


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled page templates kept in memory for the life of the process, checked against
    each template's source: the preview and the trial render compile a theme once, not per build."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if len(self.store) >= self.limit:
            self.store.clear()
        self.store[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


class _KeptTemplates(jinja2.BytecodeCache):
    """The page templates compiled in this process (`_COMPILED`), else those compiled by an
    earlier command and kept in the project's cache; Jinja checks each against its source."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.load_bytecode(bucket)
        if bucket.code is None:
            kept = self.cache.read(entry_name("page", (bucket.key, bucket.checksum)))
            if kept is not None:
                bucket.bytecode_from_string(kept)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        _COMPILED.dump_bytecode(bucket)
        self.cache.keep(entry_name("page", (bucket.key, bucket.checksum)), bucket.bytecode_to_string())


class ThemeLoader(jinja2.BaseLoader):
    """FileSystemLoader's search order, refusing links out of the theme's roots, anything that
    is not a regular file, and files over the size cap."""

    def __init__(self, dirs: tuple[Path, ...], roots: tuple[Path, ...]) -> None:
        self.dirs = dirs
        self.roots = roots

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.dirs:
            path = folder.joinpath(*pieces)
            if not os.path.lexists(path):
                continue
            data, problem = read_bytes(path, self.roots, str(path), MAX_TEXT_BYTES)
            text, problem = decode_text(data, str(path)) if data is not None else (None, problem)
            if text is None:
                raise jinja2.TemplateNotFound(template, problem.message if problem else None)
            mtime = path.stat().st_mtime
            return text, str(path), lambda path=path, mtime=mtime: path.stat().st_mtime == mtime
        raise jinja2.TemplateNotFound(template)


def theme_roots(project: Path) -> tuple[Path, ...]:
    """Where theme files may lead: the project itself and the default theme."""
    return (project, default_theme_dir())


def load_theme(project: Path, settings: Settings) -> Theme:
    """The project's templates/ (if any) over the default theme; every language needs its strings."""
    folders = theme_folders(project)
    roots = theme_roots(project)
    problems: list[Problem] = []
    strings = _read_strings(folders, project, roots, settings, problems)
    default = strings.get("en", {})
    where = f"{TEMPLATES_DIR}/{STRINGS_FILE}"
    for language in settings.languages:
        if language not in strings:
            problems.append(
                Problem(where, None, f"no UI strings for '{language}': add a '{language}:' block to {where}")
            )
        elif missing := sorted(set(default) - set(strings[language])):
            problems.append(Problem(where, None, f"'{language}' lacks strings: {', '.join(missing)}"))
    assets = _read_assets(folders, project, roots, problems)
    drawings = _read_drawings(assets, project, roots, problems)
    if problems:
        raise InvalidInput(problems)
    for path in sorted(font_dir().glob("*.ttf")):
        assets.setdefault(f"fonts/{path.name}", path)
    plain = {language: {key: choose(text, False) for key, text in texts.items()} for language, texts in strings.items()}
    formal = {language: {key: choose(text, True) for key, text in texts.items()} for language, texts in strings.items()}
    return Theme(dirs=folders, strings=plain, assets=assets, roots=roots, formal_strings=formal, drawings=drawings)


def _read_drawings(
    assets: Mapping[str, Path], project: Path, roots: tuple[Path, ...], problems: list[Problem]
) -> dict[str, Drawing]:
    """Every drawing a figure may use (assets/figures/*.svg), checked: what it may not hold is a
    problem with the file and line."""
    drawings: dict[str, Drawing] = {}
    for relative, path in sorted(assets.items()):
        if not DRAWING.match(f"assets/{relative}"):
            continue
        where = display_path(path, project)
        data, refused = read_bytes(path, roots, where, MAX_ASSET_BYTES)
        if data is None:
            problems.extend([refused] if refused else [])
            continue
        try:
            drawings[relative] = read_drawing(data)
        except DrawingError as error:
            problems.append(Problem(where, error.line, error.message))
    return drawings


def _read_strings(
    folders: tuple[Path, ...], project: Path, roots: tuple[Path, ...], settings: Settings, problems: list[Problem]
) -> dict[str, dict[str, str]]:
    """UI strings per language: the default theme's, then the project's over them, string by string."""
    strings: dict[str, dict[str, str]] = {}
    for folder in reversed(folders):
        path = folder / STRINGS_FILE
        if not os.path.lexists(path):
            continue
        document, found = read_yaml(path, project, roots=roots)
        problems.extend(found)
        if document is None:
            continue
        where = display_path(path, project)
        if not isinstance(document.data, dict):
            problems.append(Problem(where, 1, "expected a mapping of languages to strings"))
            continue
        for language, texts in document.data.items():
            if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
                shown = language if language in settings.languages else "this language"
                problems.append(
                    Problem(where, document.line((language,)), f"{shown}: expected a mapping of string names to text")
                )
            else:
                for key, text in texts.items():
                    problems += alternation_problems(
                        text, where, str(language), document.line((language, key)) or 1, str(key)
                    )
                strings.setdefault(language, {}).update(texts)
    return strings


def _read_assets(
    folders: tuple[Path, ...], project: Path, roots: tuple[Path, ...], problems: list[Problem]
) -> dict[str, Path]:
    """Every asset by its path under assets/, first folder wins; templates and assets that lead
    outside the project or the default theme, are not regular files or are too big are refused."""
    assets: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or path.is_dir() and not path.is_symlink():
                continue
            relative = path.relative_to(folder)
            is_asset = relative.parts[0] == "assets"
            if not is_asset and path.suffix != ".html":
                continue
            where = display_path(path, project)
            refused = file_problem(path, roots, where, MAX_ASSET_BYTES if is_asset else MAX_TEXT_BYTES)
            if refused is not None:
                problems.append(refused)
            elif is_asset:
                assets.setdefault(str(relative.relative_to("assets")), path)
    return assets
