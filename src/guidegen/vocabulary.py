"""The controlled terms (content/vocabulary.yaml) that profiles and module rules may use."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput, Problem, Problems, display_path
from .settings import Settings
from .yamlfile import YamlDocument, read_yaml

VOCABULARY_FILE = Path("content") / "vocabulary.yaml"

LIST_FIELDS = (
    "substances",
    "conditions",
    "therapies",
    "groups",
    "format",
    "needs",
    "strengths",
    "population",
    "transitions",
)
"""Profile fields that hold a list of terms (needs and strengths: the social situation and recovery capital;
population: groups a page may be written for; transitions: leaving jail, hospital or residential care)."""
SINGLE_FIELDS = ("stage", "support_style")
"""Profile fields that hold one term."""
TERM_FIELDS = LIST_FIELDS + SINGLE_FIELDS
BORROWED_FIELDS = {"prescribed": "substances"}
"""Profile list fields that take another field's terms: `prescribed` lists the substances a person
takes only as prescribed, as directed (so rules can tell that from other use)."""
_TERM = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Vocabulary:
    """Allowed terms per profile field, each with a label per language."""

    fields: Mapping[str, Mapping[str, Mapping[str, str]]]
    """field -> term -> language -> label."""
    path: str = ""
    """The file as shown in messages (for the glossary's warnings on labels)."""
    lines: Mapping[tuple[str, ...], int] = dataclasses.field(default_factory=dict)
    """Line of each field and term in the file."""

    def terms(self, field: str) -> tuple[str, ...]:
        """The terms allowed in `field` (or the field it borrows from), in the order the file declares them."""
        return tuple(self.fields.get(BORROWED_FIELDS.get(field, field), {}))

    def label(self, term: str, language: str, fallback: str) -> str:
        """The words for `term` in `language` (then `fallback`), or the term itself."""
        for terms in self.fields.values():
            if term in terms:
                labels = terms[term]
                return labels.get(language) or labels.get(fallback) or term
        return term

    def labels(self, terms: Iterable[str], language: str, fallback: str) -> list[str]:
        """Labels for several terms."""
        return [self.label(term, language, fallback) for term in terms]


def load_vocabulary(root: Path, settings: Settings) -> Vocabulary:
    """Read content/vocabulary.yaml; every term needs a label in every language of the site."""
    path = root / VOCABULARY_FILE
    where = display_path(path, root)
    if not path.is_file():
        raise InvalidInput([Problem(where, None, "the vocabulary file is missing")])
    document, found = read_yaml(path, root)
    if document is None:
        raise InvalidInput(found)
    if not isinstance(document.data, dict):
        raise InvalidInput([Problem(where, 1, "expected a mapping of fields to terms")])
    problems = Problems()
    fields: dict[str, dict[str, dict[str, str]]] = {}
    seen: dict[str, str] = {}
    for field, terms in document.data.items():
        line = document.line((field,))
        if field not in TERM_FIELDS:
            expected = ", ".join(TERM_FIELDS)
            problems.add(
                where, line, f"'{field}' is not a profile field that takes terms (expected one of: {expected})"
            )
        elif not isinstance(terms, dict) or not terms:
            problems.add(where, line, f"{field}: expected a mapping of terms to labels")
        else:
            fields[field] = _read_terms(field, terms, document, where, settings, seen, problems)
    problems.raise_errors()
    lines = {tuple(str(k) for k in key): line for key, line in document.lines.items()}
    return Vocabulary(fields=fields, path=where, lines=lines)


def _read_terms(
    field: str,
    terms: dict[str, Any],
    document: YamlDocument,
    where: str,
    settings: Settings,
    seen: dict[str, str],
    problems: Problems,
) -> dict[str, dict[str, str]]:
    """The terms of one field with their labels; terms are unique across fields."""
    result: dict[str, dict[str, str]] = {}
    for term, labels in terms.items():
        line = document.line((field, term))
        if not _TERM.match(term):
            problems.add(where, line, f"{field}.{term}: a term is lowercase letters, digits and _")
        elif term in seen:
            problems.add(
                where, line, f"{field}.{term}: this term is already declared under '{seen[term]}'; terms must be unique"
            )
        elif not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
            problems.add(where, line, f"{field}.{term}: expected labels like {{en: Alcohol, es: Alcohol}}")
        else:
            seen[term] = field
            missing = [lang for lang in settings.languages if lang not in labels]
            if missing:
                languages = ", ".join(missing)
                problems.add(
                    where, line, f"{field}.{term}: no label for {languages} (every language in guidegen.yaml needs one)"
                )
            result[term] = {lang: label.strip() for lang, label in labels.items()}
    return result
