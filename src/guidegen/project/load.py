"""The project: settings, vocabulary, modules and theme, loaded and checked once per command.

Shared inputs are all or nothing: any problem in them stops a build before anything is written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import jinja2

from ..errors import InvalidInput, Problem, Problems
from ..text.markdown import lint_markdown
from .cache import Cache
from .content import Module, load_modules
from .digests import digest, shared_digest
from .profiles import LoadedProfile, load_profiles
from .rules import Rule, RuleSource, parse_rule
from .settings import SETTINGS_FILE, Settings, load_settings
from .shared import SharedBlock, load_shared_blocks, reference_problems
from .theme import Theme, load_theme
from .vocabulary import Vocabulary, load_vocabulary
from .yamlfile import read_yaml

T = TypeVar("T")
ThemeCheck = Callable[[Theme, Settings, Path], list[Problem]]
"""A trial render of the theme's page templates (web/themecheck.py), handed in by the caller:
the loader stays below the stages that render pages."""


@dataclass(frozen=True)
class Project:
    """Everything shared by all guides, loaded and checked once."""

    root: Path
    """The project folder (where guidegen.yaml is)."""
    settings: Settings
    vocabulary: Vocabulary
    modules: tuple[Module, ...]
    """Every module, in guide order."""
    theme: Theme
    pages: jinja2.Environment
    """Page templates, compiled once, with their filters."""
    shared: str
    """Hash of settings, vocabulary, theme and guidegen's version."""
    crisis_rules: tuple[Rule | None, ...]
    """The `when:` rule of each crisis line in settings (None: for everyone)."""
    module_hashes: Mapping[str, tuple[str, Mapping[str, str]]]
    """Module id -> (hash of its place: section, order and priority; hash of each language's text).

    The rule is not in it: a changed rule matters only where it changes who gets the module,
    and that shows in each guide's list of selected modules."""
    blocks: Mapping[str, SharedBlock] = field(default_factory=dict)
    """Shared blocks (content/_shared/) by id; their files are part of `shared`'s hash."""


def load_project(root: Path, check_theme: ThemeCheck | None = None) -> Project:
    """Load and check the shared inputs; raises InvalidInput with every problem found.

    Commands load through web.themecheck.load_checked_project, which also trial-renders the theme."""
    settings = load_settings(root)
    vocabulary = load_vocabulary(root, settings)
    problems = Problems()
    theme = _collect(problems, lambda: load_theme(root, settings))
    modules = _collect(problems, lambda: load_modules(root, settings, vocabulary)) or []
    blocks = _collect(problems, lambda: load_shared_blocks(root, settings, vocabulary))
    texts = [(t.where, t.source) for m in modules for t in m.texts.values()]
    if blocks is not None:  # when they failed to load, their problems say so; references wait
        problems.extend(reference_problems(texts, blocks))
        texts += [(t.where, t.source) for b in blocks.values() for t in b.texts.values()]
    cache = Cache(root)
    if theme is not None:
        assets = ",".join(sorted(theme.assets))
        for where, source in texts:
            lint = functools.partial(lint_markdown, source, where, theme.asset_exists)
            problems.extend(cache.problems("lint", (where, source, assets), lint))
    shared = shared_digest(root, theme.dirs) if theme is not None else ""
    if theme is not None and check_theme is not None:  # a broken page template stops the build
        trial = functools.partial(check_theme, theme, settings, root)
        problems.extend(cache.problems("theme", (shared, str(root.resolve())), trial))
    problems.raise_errors()
    assert theme is not None
    hashes = {
        m.id: (
            digest(m.section, str(m.order), str(m.priority)),  # priority decides what is printed
            {lang: digest(t.title, t.summary, t.source) for lang, t in m.texts.items()},
        )
        for m in modules
    }
    pages = theme.page_environment()
    crisis = crisis_rules(root, settings, vocabulary)
    return Project(root, settings, vocabulary, tuple(modules), theme, pages, shared, crisis, hashes, blocks or {})


def crisis_rules(root: Path, settings: Settings, vocabulary: Vocabulary) -> tuple[Rule | None, ...]:
    """Each crisis line's rule, parsed against the vocabulary; a mistake names guidegen.yaml's line."""
    if not any(line.when for line in settings.crisis):
        return tuple(None for _ in settings.crisis)
    document, found = read_yaml(root / SETTINGS_FILE, root)
    problems = Problems(found)
    line_of = document.line if document is not None else (lambda _key: None)
    source = RuleSource(SETTINGS_FILE, line_of, vocabulary, settings.languages, problems)
    rules = tuple(
        None if line.when is None else parse_rule(line.when, ("crisis", index, "when"), source)
        for index, line in enumerate(settings.crisis)
    )
    problems.raise_errors()
    return rules


def _collect(problems: Problems, load: Callable[[], T]) -> T | None:
    """Run one loader; keep its problems so the others still run."""
    try:
        return load()
    except InvalidInput as error:
        problems.extend(error.problems)
        return None


def valid_profiles(project: Project, ids: Sequence[str] = ()) -> Iterator[LoadedProfile]:
    """Valid profiles, for commands that only read (explain, check)."""
    for loaded, _ in load_profiles(project.root, project.settings, project.vocabulary, tuple(ids)):
        if loaded is not None:
            yield loaded
