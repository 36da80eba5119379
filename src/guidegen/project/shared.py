"""Shared blocks (content/_shared/<id>.md and translations <id>.<lang>.md): a fact written once and
included from modules with `::: shared <id>`; loaded, compiled and checked once, like modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Template

from ..errors import InvalidInput, Problem, Problems, display_path
from ..text.formal import choose
from ..text.markdown import shared_references
from .cache import Cache
from .content import (
    CONTENT_DIR,
    compile_body,
    heading_problems,
    make_module_environment,
    module_name,
    read_front_matter,
)
from .files import SHARED_DIR as SHARED_DIR
from .rules import EVERYONE, Rule, RuleSource, parse_rule
from .schema import Day, Frozen, Text
from .settings import Settings
from .vocabulary import Vocabulary

"""The folder under content/ that holds shared blocks (never a section)."""


class SharedFrontMatter(Frozen):
    """The keys a shared block's front matter may have."""

    title: Text
    """What a link back to the block says ("See: How to give naloxone")."""
    when: dict[str, Any] | None = None
    """Who is shown the block at all; a module that includes it shows nothing for anyone else."""
    reviewed: Day | None = None
    reviewed_by: Text | None = None
    sources: tuple[Text, ...] = ()


@dataclass(frozen=True)
class SharedText:
    """One language version of a shared block, with its template compiled."""

    language: str
    path: Path
    where: str
    """The file as shown in messages."""
    title: str
    source: str
    """The body, preceded by blank lines so template line numbers are file line numbers."""
    template: Template
    front_matter: SharedFrontMatter
    formal_template: Template
    """The body as a reader spoken to as usted reads it (`template` itself when it says all one way)."""

    def template_for(self, formal: bool) -> Template:
        """The compiled body for a reader: usted when their profile says `formal`."""
        return self.formal_template if formal else self.template

    def title_for(self, formal: bool) -> str:
        """The title for a reader, in the usted form when `formal`."""
        return choose(self.front_matter.title, formal)


@dataclass(frozen=True)
class SharedBlock:
    """A shared block: who is shown it, and its text per language."""

    id: str
    rule: Rule
    texts: Mapping[str, SharedText]
    """By language; the site's default language is always there."""
    default_language: str

    @property
    def original(self) -> SharedText:
        """The text in the default language."""
        return self.texts[self.default_language]

    def text_for(self, language: str) -> SharedText:
        """The text in `language`, or the original when there is no translation."""
        return self.texts.get(language, self.original)


def load_shared_blocks(root: Path, settings: Settings, vocabulary: Vocabulary) -> dict[str, SharedBlock]:
    """Every shared block by id (none when there is no content/_shared/); raises InvalidInput
    with all problems. A block is personalised like a module, in the same sandbox."""
    folder = root / CONTENT_DIR / SHARED_DIR
    if not folder.is_dir():
        return {}
    env = make_module_environment(vocabulary, settings)
    problems = Problems()
    originals: dict[str, tuple[SharedText, Rule]] = {}
    translations: dict[str, dict[str, SharedText]] = {}
    for path in sorted(folder.glob("*.md")):
        named = module_name(path.name, display_path(path, root), settings, problems)
        if named is None:
            continue
        block_id, language = named
        try:
            text, rule = _load_text(path, root, language, settings, vocabulary, env)
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        if language == settings.default_language:
            originals[block_id] = (text, rule)
        else:
            translations.setdefault(block_id, {})[language] = text
    for block_id, by_language in translations.items():
        if block_id not in originals and not (folder / f"{block_id}.md").is_file():
            for text in by_language.values():
                problems.add(text.where, None, f"translation without an original: there is no {block_id}.md beside it")
    problems.raise_errors()
    return {
        block_id: SharedBlock(
            block_id,
            rule,
            {settings.default_language: text, **translations.get(block_id, {})},
            settings.default_language,
        )
        for block_id, (text, rule) in originals.items()
    }


def _load_text(
    path: Path, root: Path, language: str, settings: Settings, vocabulary: Vocabulary, env: Any
) -> tuple[SharedText, Rule]:
    """One shared block file: front matter validated, rule parsed, body compiled and tried once."""
    front, document, source, where = read_front_matter(path, root, SharedFrontMatter)
    problems = Problems()
    rule = EVERYONE
    if front.when is not None:
        rule = parse_rule(
            front.when, ("when",), RuleSource(where, document.line, vocabulary, settings.languages, problems)
        )
    for line, _ in shared_references(source):
        problems.add(where, line, "a shared block cannot include another: write its text here, or include both")
    problems.extend(heading_problems(front, document, where, language))
    template, formal_template = compile_body(env, source, where, language, settings, problems, Cache(root))
    return SharedText(language, path, where, choose(front.title, False), source, template, front, formal_template), rule


def reference_problems(texts: Iterable[tuple[str, str]], blocks: Mapping[str, SharedBlock]) -> list[Problem]:
    """Every `::: shared` directive in module texts (where, source) that names no block, or that
    is not written as `::: shared <id>` on a line of its own."""
    problems: list[Problem] = []
    known = ", ".join(sorted(blocks)) or "none yet"
    for where, source in texts:
        for line, block_id in shared_references(source):
            if block_id is None:
                problems.append(
                    Problem(
                        where, line, "write a shared block as `::: shared <id>` alone on its line, the id written out"
                    )
                )
            elif block_id not in blocks:
                problems.append(
                    Problem(where, line, f"unknown shared block '{block_id}' (content/_shared/ has: {known})")
                )
    return problems
