"""Modules (content/<section>/<id>.md and translations <id>.<lang>.md): loaded and compiled once."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Template, pass_context
from jinja2.runtime import Context

from .errors import InvalidInput, Problem, display_path
from .personalise import TemplateProblem, compile_template, make_environment, personalise, static_problems
from .profiles import Profile
from .schema import Day, Frozen, Text, Whole, validate
from .select import EVERYONE, Rule, parse_rule
from .settings import Settings
from .userfiles import read_text
from .vocabulary import Vocabulary
from .yamlfile import parse_yaml

CONTENT_DIR = "content"
_FILE_NAME = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]*)(?:\.(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?))?\.md$")


class FrontMatter(Frozen):
    """The keys a module's front matter may have."""

    title: Text
    summary: Text
    order: Whole = 100
    when: dict[str, Any] | None = None
    reviewed: Day | None = None
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


@dataclass(frozen=True)
class Module:
    """A module: where it goes, who gets it, and its text per language."""

    id: str
    section: str
    order: int
    rule: Rule
    reviewed: date | None
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


def load_module_text(
    path: Path, project: Path, language: str, settings: Settings, vocabulary: Vocabulary, env: Any
) -> tuple[ModuleText, Rule]:
    """Read one module file: front matter validated, rule parsed, body compiled."""
    where = display_path(path, project)
    raw, problem = read_text(path, project)
    if raw is None:
        raise InvalidInput([problem] if problem else [])
    text = raw.replace("\r\n", "\n")
    header, body, body_line = split_front_matter(text, where)
    document, problems = parse_yaml(header, where, line_offset=1)
    if document is None:
        raise InvalidInput(problems)
    if document.data is None:
        raise InvalidInput([Problem(where, 2, "the front matter is empty: it needs at least title and summary")])
    front, problems = validate(FrontMatter, document, where)
    if front is None:
        raise InvalidInput(problems)
    rule = EVERYONE
    if front.when is not None:
        rule = parse_rule(front.when, ("when",), document.line, where, vocabulary, settings.languages, problems)
    source = "\n" * (body_line - 1) + body
    try:
        template = compile_template(env, source, where)
    except TemplateProblem as error:
        problems.append(Problem(where, error.line, error.message))
    else:
        for found in static_problems(env, source, Profile.model_fields):
            problems.append(Problem(where, found.line, found.message))
        if not problems:
            problems.extend(_trial_render(template, source, where))
    if problems:
        raise InvalidInput(problems)
    return ModuleText(language, path, where, front.title, front.summary, source, template, front), rule


TRIAL_PERSON = Profile(id="trial", name="Sam")
"""A person with every optional field empty: a module must render for them too."""


def _trial_render(template: Template, source: str, where: str) -> list[Problem]:
    """Render once for a person with an empty profile, so runtime errors surface at load time."""
    try:
        personalise(template, source.split("\n"), where, TRIAL_PERSON.template_view())
    except TemplateProblem as error:
        return [Problem(where, error.line, error.message)]
    return []


def make_module_environment(vocabulary: Vocabulary, settings: Settings) -> Any:
    """One sandbox for every module, with a `labels` filter in the reader's language."""

    @pass_context
    def labels(context: Context, terms: Any) -> Any:
        language = context["person"].get("language") or settings.default_language
        if isinstance(terms, str):
            return vocabulary.label(terms, language, settings.default_language)
        return vocabulary.labels(terms or (), language, settings.default_language)

    return make_environment(labels)  # type: ignore[arg-type]  # pass_context filters get the context first


def load_modules(project: Path, settings: Settings, vocabulary: Vocabulary) -> list[Module]:
    """Every module of every section, in guide order; raises InvalidInput with all problems."""
    env = make_module_environment(vocabulary, settings)
    problems: list[Problem] = []
    modules: list[Module] = []
    seen: dict[str, str] = {}
    for section in settings.sections:
        folder = project / CONTENT_DIR / section
        if not folder.is_dir():
            problems.append(
                Problem(
                    display_path(folder, project),
                    None,
                    f"section '{section}' is listed in guidegen.yaml but this folder does not exist",
                )
            )
            continue
        originals: dict[str, tuple[ModuleText, Rule]] = {}
        translations: dict[str, dict[str, ModuleText]] = {}
        for path in sorted(folder.glob("*.md")):
            where = display_path(path, project)
            match = _FILE_NAME.match(path.name)
            if not match:
                problems.append(
                    Problem(
                        where,
                        None,
                        "a module file is named <id>.md or <id>.<language>.md, with lowercase letters, digits and -",
                    )
                )
                continue
            module_id, language = match["id"], match["lang"] or settings.default_language
            if match["lang"] and (language not in settings.languages or language == settings.default_language):
                problems.append(
                    Problem(
                        where,
                        None,
                        f"'{match['lang']}' is not a translation language of this site (guidegen.yaml languages: {', '.join(settings.languages)})",
                    )
                )
                continue
            try:
                text, rule = load_module_text(path, project, language, settings, vocabulary, env)
            except InvalidInput as error:
                problems.extend(error.problems)
                continue
            if match["lang"]:
                translations.setdefault(module_id, {})[language] = text
            else:
                if module_id in seen:
                    problems.append(
                        Problem(
                            where,
                            None,
                            f"module id '{module_id}' is also used in {seen[module_id]}: ids must be unique across sections",
                        )
                    )
                    continue
                seen[module_id] = where
                originals[module_id] = (text, rule)
        for module_id, by_language in translations.items():
            if module_id not in originals and not (folder / f"{module_id}.md").is_file():
                for text in by_language.values():
                    problems.append(
                        Problem(
                            text.where, None, f"translation without an original: there is no {module_id}.md beside it"
                        )
                    )
        for module_id, (text, rule) in originals.items():
            front = text.front_matter
            modules.append(
                Module(
                    id=module_id,
                    section=section,
                    order=front.order,
                    rule=rule,
                    reviewed=front.reviewed,
                    sources=front.sources,
                    texts={settings.default_language: text, **translations.get(module_id, {})},
                    default_language=settings.default_language,
                )
            )
    if problems:
        raise InvalidInput(problems)
    position = {section: index for index, section in enumerate(settings.sections)}
    modules.sort(key=lambda m: (position[m.section], m.order, m.id))
    return modules


def modules_by_section(modules: Sequence[Module]) -> dict[str, list[Module]]:
    """Group modules (already in guide order) by section."""
    grouped: dict[str, list[Module]] = {}
    for module in modules:
        grouped.setdefault(module.section, []).append(module)
    return grouped
