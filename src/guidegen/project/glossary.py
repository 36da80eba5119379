"""The project's glossary per language (content/glossary.<lang>.yaml): the preferred word for each
recovery term and the words to avoid, so every module of a language says the same thing the same way.

`guidegen check` warns, with file and line, where a module of that language (or a vocabulary
label) uses a word to avoid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, display_path
from .content import CONTENT_DIR
from .schema import Frozen, Text, validate
from .settings import Settings
from .vocabulary import Vocabulary
from .yamlfile import YamlDocument, read_yaml


class GlossaryEntry(Frozen):
    """One term: the words to use, the words to avoid, and why."""

    use: Text
    """The preferred words, e.g. 'ansias de consumir'."""
    avoid: tuple[Text, ...] = ()
    """Words or phrases that a module of this language should not use for the term."""
    allow: tuple[Text, ...] = ()
    """Phrases in which an avoided word is fine, e.g. 'síntomas de abstinencia'."""
    note: Text | None = None
    """A short reason, shown with every warning."""


@dataclass(frozen=True)
class Rule:
    """An avoided phrase, ready to search for."""

    term: str
    avoid: str
    pattern: re.Pattern[str]
    allowed: tuple[re.Pattern[str], ...]
    entry: GlossaryEntry


@dataclass(frozen=True)
class Glossary:
    """The glossary of one language."""

    language: str
    where: str
    entries: Mapping[str, GlossaryEntry]
    rules: tuple[Rule, ...]


def glossary_path(project: Path, language: str) -> Path:
    """Where the glossary of `language` lives."""
    return project / CONTENT_DIR / f"glossary.{language}.yaml"


def _phrase(words: str) -> re.Pattern[str]:
    """Whole words, any case, any run of spaces between them."""
    parts = [re.escape(part) for part in words.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def load_glossaries(project: Path, settings: Settings) -> tuple[dict[str, Glossary], list[Problem]]:
    """The glossary of each site language that has one; problems name file and line."""
    glossaries: dict[str, Glossary] = {}
    problems: list[Problem] = []
    for language in settings.languages:
        path = glossary_path(project, language)
        if not path.is_file():
            continue
        where = display_path(path, project)
        document, found = read_yaml(path, project)
        problems.extend(found)
        if document is None or document.data is None:
            continue
        if not isinstance(document.data, dict):
            problems.append(Problem(where, 1, "expected a mapping of terms, each with `use`, `avoid` and `note`"))
            continue
        entries: dict[str, GlossaryEntry] = {}
        rules: list[Rule] = []
        for term, data in document.data.items():
            lines = {key[1:]: line for key, line in document.lines.items() if key[:1] == (term,)}
            entry, found = validate(GlossaryEntry, YamlDocument(data, lines), where)
            problems.extend(Problem(p.path, p.line, f"{term}.{p.message}", p.severity) for p in found)
            if entry is None:
                continue
            entries[term] = entry
            allowed = tuple(_phrase(words) for words in entry.allow)
            rules.extend(Rule(term, avoid, _phrase(avoid), allowed, entry) for avoid in entry.avoid)
        glossaries[language] = Glossary(language, where, entries, tuple(rules))
    return glossaries, problems


def _allowed_spans(line: str, rule: Rule) -> list[tuple[int, int]]:
    return [match.span() for allowed in rule.allowed for match in allowed.finditer(line)]


def _message(rule: Rule, found: str) -> str:
    note = f" ({rule.entry.note})" if rule.entry.note else ""
    return f"glossary: '{found}' for {rule.term}: say '{rule.entry.use}'{note}"


def find_avoided(glossary: Glossary, lines: Iterable[tuple[int, str]], where: str) -> list[Problem]:
    """A warning for each avoided word in the numbered lines, outside the phrases that allow it."""
    problems = []
    for number, line in lines:
        reported: list[tuple[int, int]] = []
        for rule in sorted(glossary.rules, key=lambda r: -len(r.avoid)):  # "no uses a solas" before "uses a solas"
            spans = _allowed_spans(line, rule) + reported
            for match in rule.pattern.finditer(line):
                if any(start <= match.start() and match.end() <= end for start, end in spans):
                    continue
                reported.append(match.span())
                problems.append(Problem(where, number, _message(rule, match.group(0)), "warning"))
    return sorted(problems, key=lambda p: (p.line or 0, p.message))


def module_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a module that a reader sees: title, summary and body, not rules or sources."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return list(enumerate(lines, start=1))
    result: list[tuple[int, str]] = []
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            result.extend(enumerate(lines[index + 1 :], start=index + 2))
            break
        if lines[index].startswith(("title:", "summary:")):
            result.append((index + 1, lines[index]))
    return result


def check_module_text(glossary: Glossary, path: Path, where: str) -> list[Problem]:
    """Glossary warnings for one module file."""
    return find_avoided(glossary, module_lines(path.read_text(encoding="utf-8")), where)


def check_vocabulary(glossary: Glossary, vocabulary: Vocabulary) -> list[Problem]:
    """Glossary warnings for the vocabulary's labels in the glossary's language."""
    problems = []
    for field, terms in vocabulary.fields.items():
        for term, labels in terms.items():
            label = labels.get(glossary.language)
            if label:
                line = vocabulary.lines.get((field, term)) or 0
                problems.extend(find_avoided(glossary, [(line, label)], vocabulary.path))
    return problems


def check_strings(glossary: Glossary, project: Path, theme_dirs: Iterable[Path]) -> list[Problem]:
    """Glossary warnings for the theme's UI strings (templates/strings.yaml) in the glossary's language."""
    problems = []
    for folder in theme_dirs:
        path = folder / "strings.yaml"
        if not path.is_file():
            continue
        document, _ = read_yaml(path, project)  # a broken strings file is reported by the theme
        if document is None or not isinstance(document.data, dict):
            continue
        texts = document.data.get(glossary.language)
        if not isinstance(texts, dict):
            continue
        where = display_path(path, project)
        lines = [
            (document.line((glossary.language, key)) or 0, text) for key, text in texts.items() if isinstance(text, str)
        ]
        problems.extend(find_avoided(glossary, lines, where))
    return problems
