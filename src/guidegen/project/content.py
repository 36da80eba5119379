"""Modules (content/<section>/<id>.md and translations <id>.<lang>.md): loaded and compiled once."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from babel.dates import format_date
from babel.lists import format_list
from jinja2 import Template, pass_context
from jinja2.runtime import Context
from pydantic import Field

from ..errors import InvalidInput, Problem, Problems, display_path
from ..text.formal import ALTERNATION, alternation_problems, choose, in_template
from ..text.personalise import make_environment, personalise
from .cache import Cache
from .files import CONTENT_DIR as CONTENT_DIR
from .profiles import Profile
from .rules import EVERYONE, Rule, RuleSource, parse_rule
from .schema import Day, Frozen, Text, Whole, unknown, validate
from .settings import Settings
from .userfiles import read_text
from .vocabulary import HELPS_WITH, Vocabulary
from .yamlfile import YamlDocument, parse_yaml

F = TypeVar("F", bound=Frozen)
_FILE_NAME = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)(?:\.(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?))?\.md$")


class FrontMatter(Frozen):
    """The keys a module's front matter may have."""

    title: Text
    summary: Text
    order: Whole = 100
    when: dict[str, Any] | None = None
    relevant_when: dict[str, Any] | None = None
    """A rule that, when it holds, makes a module everyone gets rank as this person's own (the
    safety plan for a person at risk); it never decides who gets the module."""
    priority: Literal[1, 2, 3] = 2
    """What goes on paper first: 1 essential, 2 default, 3 extra (see "The printed guide")."""
    helps_with: tuple[Annotated[str, Field(strict=True)], ...] = ()
    """What a coping module answers (vocabulary: helps_with): it is a skill for a person whose
    triggers or warning signs name one of these."""
    reviewed: Day | None = None
    reviewed_by: Text | None = None
    """Who did the clinical review (a person or a team), beside when."""
    sources: tuple[Text, ...] = ()


@dataclass(frozen=True)
class ModuleText:
    """One language version of a module, with its template compiled."""

    language: str
    path: Path
    where: str
    """The file as shown in messages."""
    title: str
    summary: str
    source: str
    """The body, preceded by blank lines so template line numbers are file line numbers."""
    template: Template
    front_matter: FrontMatter
    formal_template: Template
    """The body as a reader spoken to as usted reads it (`template` itself when it says all one way)."""

    def template_for(self, formal: bool) -> Template:
        """The compiled body for a reader: usted when their profile says `formal`."""
        return self.formal_template if formal else self.template

    @property
    def says_usted(self) -> bool:
        """Whether the text holds ((tú|usted)) alternations, so a formal reader reads it otherwise."""
        return any(ALTERNATION.search(t) for t in (self.source, self.front_matter.title, self.front_matter.summary))

    def heading(self, formal: bool) -> tuple[str, str]:
        """Title and summary for a reader, in the usted form when `formal`."""
        return choose(self.front_matter.title, formal), choose(self.front_matter.summary, formal)


@dataclass(frozen=True)
class Module:
    """A module: where it goes, who gets it, and its text per language."""

    id: str
    section: str
    order: int
    rule: Rule
    relevant: Rule | None
    """`relevant_when`: ranks the module as the person's own when it holds (guide/tiers.py)."""
    priority: int
    """1 essential, 2 default, 3 extra: what goes on paper first (see paper/choose.py)."""
    helps_with: tuple[str, ...]
    """What the module answers (vocabulary: helps_with), for the tier "skills for you"."""
    reviewed: date | None
    reviewed_by: str | None
    """Who did the last clinical review."""
    sources: tuple[str, ...]
    texts: Mapping[str, ModuleText]
    """By language; the site's default language is always there."""
    default_language: str

    @property
    def original(self) -> ModuleText:
        """The text in the default language."""
        return self.texts[self.default_language]

    def text_for(self, language: str) -> tuple[ModuleText, bool]:
        """The text in `language`, or the original and True when there is no translation."""
        if language in self.texts:
            return self.texts[language], False
        return self.original, language != self.default_language


def split_front_matter(text: str, where: str) -> tuple[str, str, int]:
    """Split a module into front matter and body; the body's first line number is returned."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise InvalidInput(
            [
                Problem(
                    where,
                    1,
                    "a module starts with front matter: a line with ---, the keys (title, summary ...), then another ---",
                )
            ]
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise InvalidInput([Problem(where, 1, "the front matter is never closed: add a line with --- after its last key")])


def read_front_matter(path: Path, root: Path, model: type[F]) -> tuple[F, YamlDocument, str, str]:
    """A module-like file read: its front matter validated against `model`, the YAML document (for
    the lines of its keys), the body preceded by blank lines so its line numbers are the file's,
    and the file as shown in messages."""
    where = display_path(path, root)
    raw, problem = read_text(path, root)
    if raw is None:
        raise InvalidInput([problem] if problem else [])
    text = raw.replace("\r\n", "\n")
    header, body, body_line = split_front_matter(text, where)
    document, found = parse_yaml(header, where, line_offset=1)
    if document is None:
        raise InvalidInput(found)
    if document.data is None:
        required = " and ".join(name for name, field in model.model_fields.items() if field.is_required())
        raise InvalidInput([Problem(where, 2, f"the front matter is empty: it needs at least {required}")])
    front, found = validate(model, document, where)
    if front is None:
        raise InvalidInput(found)
    return front, document, "\n" * (body_line - 1) + body, where


def compile_body(
    env: Any, source: str, where: str, language: str, settings: Settings, problems: Problems, cache: Cache
) -> tuple[Template, Template]:
    """A body compiled for tú and for usted readers (one template when it says all one way), checked
    (`cache` keeps both), and tried on a person with nothing filled in; raises InvalidInput with every problem."""
    problems.extend(alternation_problems(source, where, language))
    problems.raise_errors()
    plain, formal = in_template(source, False), in_template(source, True)
    try:
        template = cache.template(env, plain, where)
        formal_template = template if formal == plain else cache.template(env, formal, where)
    except InvalidInput as error:
        problems.extend(error.problems)
        problems.raise_errors()
        raise
    problems.extend(cache.static_problems(env, plain, where, Profile.model_fields, settings.sections))
    problems.raise_errors()
    trial_sections = {section: section for section in settings.sections}
    for person, compiled, text in ((TRIAL_PERSON, template, plain), (TRIAL_FORMAL, formal_template, formal)):
        personalise(compiled, text, where, person.template_view(), trial_sections)  # runtime errors surface now
    return template, formal_template


def heading_problems(front: Any, document: YamlDocument, where: str, language: str) -> list[Problem]:
    """Malformed alternations in a title or summary (or any in a language without usted)."""
    texts = [(key, getattr(front, key, None)) for key in ("title", "summary")]
    lines = {key: document.line((key,)) or 1 for key, _ in texts}
    return [p for k, v in texts if isinstance(v, str) for p in alternation_problems(v, where, language, lines[k], k)]


def load_module_text(
    path: Path, root: Path, language: str, settings: Settings, vocabulary: Vocabulary, env: Any
) -> tuple[ModuleText, Rule, Rule | None]:
    """Read one module file: front matter validated, rules parsed, body compiled and tried once."""
    front, document, source, where = read_front_matter(path, root, FrontMatter)
    problems = Problems()
    rule, relevant = EVERYONE, None
    rule_source = RuleSource(where, document.line, vocabulary, settings.languages, problems)
    if front.when is not None:
        rule = parse_rule(front.when, ("when",), rule_source)
    if front.relevant_when is not None:
        relevant = parse_rule(front.relevant_when, ("relevant_when",), rule_source)
    allowed = vocabulary.terms(HELPS_WITH)
    for index, term in enumerate(front.helps_with):
        if term not in allowed:
            expected = ", ".join(allowed) or "none declared in the vocabulary"
            message = f"helps_with: {unknown('term', term, allowed)} (expected one of: {expected})"
            problems.add(where, document.line(("helps_with", index)), message)
    problems.extend(heading_problems(front, document, where, language))
    template, formal_template = compile_body(env, source, where, language, settings, problems, Cache(root))
    title, summary = choose(front.title, False), choose(front.summary, False)
    text = ModuleText(language, path, where, title, summary, source, template, front, formal_template)
    return text, rule, relevant


TRIAL_PERSON = Profile(id="trial", name="Sam")
"""A person with every optional field empty: a module must render for them too."""
TRIAL_FORMAL = Profile(id="trial", name="Sam", formal=True)
"""The same person spoken to as usted: a text with alternations must render in that form too."""


def make_module_environment(vocabulary: Vocabulary, settings: Settings) -> Any:
    """One sandbox for every module, with `labels`, `date` and `join_list` filters in the reader's language."""

    def reader_language(context: Context) -> str:
        return str(context["person"].get("language") or settings.default_language)

    @pass_context
    def labels(context: Context, terms: Any) -> Any:
        language = reader_language(context)
        if isinstance(terms, str):
            return vocabulary.label(terms, language, settings.default_language)
        return vocabulary.labels(terms or (), language, settings.default_language)

    @pass_context
    def day(context: Context, value: Any, style: str = "long") -> str:
        return format_day(value, reader_language(context), style)

    @pass_context
    def join_list(context: Context, items: Any, style: str = "and") -> str:
        return format_items(items, reader_language(context), style)

    env = make_environment(labels)  # type: ignore[arg-type]  # pass_context filters get the context first
    env.filters["date"] = day
    env.filters["join_list"] = join_list
    return env


_LIST_STYLES = {"and": "standard", "or": "or"}


def format_day(value: Any, language: str, style: str = "long") -> str:
    """A date in the reader's language: 2026-12-15 -> '15 de diciembre de 2026'; nothing for no date."""
    if value is None or value == "":
        return ""
    if not isinstance(value, date):
        raise TypeError("the date filter takes a date, like person.review.next")
    if style not in ("short", "medium", "long", "full"):
        raise ValueError("the date filter's style is short, medium, long or full")
    return str(format_date(value, format=style, locale=language))


def format_items(items: Any, language: str, style: str = "and") -> str:
    """Items joined the language's way ('a, b and c'; 'a, b y c'), each kept as written."""
    if style not in _LIST_STYLES:
        raise ValueError("join_list takes 'and' or 'or'")
    if items is None:
        return ""
    words = [str(item) for item in ([items] if isinstance(items, str) else items)]
    if not words:
        return ""
    joined = str(format_list(words, style=_LIST_STYLES[style], locale=language))  # type: ignore[arg-type]
    if language.split("_")[0] == "es" and len(words) > 1:
        joined = _spanish_conjunction(joined, words[-1], style)
    return joined


def _spanish_conjunction(joined: str, last: str, style: str) -> str:
    """Spanish says 'e' before an i- sound and 'u' before an o- sound ('Ana e Inés', 'siete u ocho')."""
    plain = last.lower()
    if (
        style == "and"
        and plain.startswith(("i", "hi", "í", "hí"))
        and not plain.startswith(("ia", "ie", "io", "iu", "hia", "hie", "hio", "hiu"))
    ):
        return joined[: -len(last) - 3] + " e " + last
    if style == "or" and plain.startswith(("o", "ho", "ó", "hó")):
        return joined[: -len(last) - 3] + " u " + last
    return joined


def section_titles(sections: Sequence[str], strings: Mapping[str, str]) -> dict[str, str]:
    """Each section's heading in one language: what the guide shows and what `sections.<id>` prints."""
    return {section: strings.get(f"section.{section}", section.replace("-", " ").capitalize()) for section in sections}


def load_modules(root: Path, settings: Settings, vocabulary: Vocabulary) -> list[Module]:
    """Every module of every section, in guide order; raises InvalidInput with all problems."""
    env = make_module_environment(vocabulary, settings)
    problems = Problems()
    modules: list[Module] = []
    seen: dict[str, str] = {}
    for section in settings.sections:
        folder = root / CONTENT_DIR / section
        if not folder.is_dir():
            shown = display_path(folder, root)
            problems.add(shown, None, f"section '{section}' is listed in guidegen.yaml but this folder does not exist")
            continue
        modules.extend(_load_section(folder, section, root, settings, vocabulary, env, seen, problems))
    problems.raise_errors()
    position = {section: index for index, section in enumerate(settings.sections)}
    modules.sort(key=lambda m: (position[m.section], m.order, m.id))
    return modules


def _load_section(
    folder: Path,
    section: str,
    root: Path,
    settings: Settings,
    vocabulary: Vocabulary,
    env: Any,
    seen: dict[str, str],
    problems: Problems,
) -> list[Module]:
    """The modules of one section folder, each with its translations."""
    originals: dict[str, tuple[ModuleText, Rule, Rule | None]] = {}
    translations: dict[str, dict[str, ModuleText]] = {}
    for path in sorted(folder.glob("*.md")):
        where = display_path(path, root)
        named = module_name(path.name, where, settings, problems)
        if named is None:
            continue
        module_id, language = named
        try:
            text, rule, relevant = load_module_text(path, root, language, settings, vocabulary, env)
        except InvalidInput as error:
            problems.extend(error.problems)
            continue
        if language != settings.default_language:
            translations.setdefault(module_id, {})[language] = text
        elif module_id in seen:
            problems.add(
                where,
                None,
                f"module id '{module_id}' is also used in {seen[module_id]}: ids must be unique across sections",
            )
        else:
            seen[module_id] = where
            originals[module_id] = (text, rule, relevant)
    for module_id, by_language in translations.items():
        if module_id not in originals and not (folder / f"{module_id}.md").is_file():
            for text in by_language.values():
                problems.add(text.where, None, f"translation without an original: there is no {module_id}.md beside it")
    return [
        Module(
            id=module_id,
            section=section,
            order=text.front_matter.order,
            rule=rule,
            relevant=relevant,
            priority=text.front_matter.priority,
            helps_with=text.front_matter.helps_with,
            reviewed=text.front_matter.reviewed,
            reviewed_by=text.front_matter.reviewed_by,
            sources=text.front_matter.sources,
            texts={settings.default_language: text, **translations.get(module_id, {})},
            default_language=settings.default_language,
        )
        for module_id, (text, rule, relevant) in originals.items()
    ]


def module_name(name: str, where: str, settings: Settings, problems: Problems) -> tuple[str, str] | None:
    """(module id, language) from a file name, or None with a problem."""
    match = _FILE_NAME.match(name)
    if not match:
        problems.add(
            where, None, "a module file is named <id>.md or <id>.<language>.md, with lowercase letters, digits and -"
        )
        return None
    language = match["lang"] or settings.default_language
    if match["lang"] and (language not in settings.languages or language == settings.default_language):
        languages = ", ".join(settings.languages)
        problems.add(
            where,
            None,
            f"'{match['lang']}' is not a translation language of this site (guidegen.yaml languages: {languages})",
        )
        return None
    return match["id"], language


def modules_by_section(modules: Sequence[Module]) -> dict[str, list[Module]]:
    """Group modules (already in guide order) by section."""
    grouped: dict[str, list[Module]] = {}
    for module in modules:
        grouped.setdefault(module.section, []).append(module)
    return grouped
