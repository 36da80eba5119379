"""The controlled terms (content/vocabulary.yaml) that profiles and module rules may use."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidInput, Problem, display_path
from .schema import unknown
from .settings import Settings
from .yamlfile import read_yaml

VOCABULARY_FILE = Path("content") / "vocabulary.yaml"

LIST_FIELDS = ("substances", "conditions", "therapies", "groups", "format")
"""Profile fields that hold a list of terms."""
SINGLE_FIELDS = ("stage", "support_style")
"""Profile fields that hold one term."""
TERM_FIELDS = LIST_FIELDS + SINGLE_FIELDS
_TERM = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Vocabulary:
    """Allowed terms per profile field, each with a label per language."""

    fields: Mapping[str, Mapping[str, Mapping[str, str]]]
    """field -> term -> language -> label."""
    path: str
    """Where it was read from, for messages."""
    lines: Mapping[tuple[str, ...], int]
    """Line of each field and term in the file."""

    def terms(self, field: str) -> tuple[str, ...]:
        """The terms allowed in `field`, in the order the file declares them."""
        return tuple(self.fields.get(field, {}))

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


def load_vocabulary(project: Path, settings: Settings) -> Vocabulary:
    """Read content/vocabulary.yaml; every term needs a label in every language of the site."""
    path = project / VOCABULARY_FILE
    where = display_path(path, project)
    if not path.is_file():
        raise InvalidInput([Problem(where, None, "the vocabulary file is missing")])
    document, problems = read_yaml(path, project)
    if document is None:
        raise InvalidInput(problems)
    data = document.data
    if not isinstance(data, dict):
        raise InvalidInput([Problem(where, 1, "expected a mapping of fields to terms")])
    fields: dict[str, dict[str, dict[str, str]]] = {}
    seen: dict[str, str] = {}
    for field, terms in data.items():
        line = document.line((field,))
        if field not in TERM_FIELDS:
            problems.append(
                Problem(
                    where,
                    line,
                    f"{unknown('field', field, TERM_FIELDS)}: a profile field that takes terms is one of: {', '.join(TERM_FIELDS)}",
                )
            )
            continue
        if not isinstance(terms, dict) or not terms:
            problems.append(Problem(where, line, f"{field}: expected a mapping of terms to labels"))
            continue
        fields[field] = {}
        for term, labels in terms.items():
            term_line = document.line((field, term))
            if not _TERM.match(term):
                problems.append(Problem(where, term_line, f"{field}: a term is lowercase letters, digits and _"))
                continue
            if term in seen:
                problems.append(
                    Problem(
                        where,
                        term_line,
                        f"{field}.{term}: this term is already declared under '{seen[term]}'; terms must be unique",
                    )
                )
                continue
            seen[term] = field
            if not isinstance(labels, dict) or not all(isinstance(v, str) and v.strip() for v in labels.values()):
                problems.append(
                    Problem(where, term_line, f"{field}.{term}: expected labels like {{en: Alcohol, es: Alcohol}}")
                )
                continue
            missing = [lang for lang in settings.languages if lang not in labels]
            if missing:
                problems.append(
                    Problem(
                        where,
                        term_line,
                        f"{field}.{term}: no label for {', '.join(missing)} (every language in guidegen.yaml needs one)",
                    )
                )
            fields[field][term] = {lang: label.strip() for lang, label in labels.items()}
    if problems:
        raise InvalidInput(problems)
    lines = {tuple(str(k) for k in key): line for key, line in document.lines.items()}
    return Vocabulary(fields=fields, path=where, lines=lines)
