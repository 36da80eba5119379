"""The controlled terms (content/vocabulary.yaml) that profiles and module rules may use."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, Problem, Problems, display_path
from .codes import parse_codes
from .files import VOCABULARY_FILE as VOCABULARY_FILE
from .schema import unknown
from .settings import Settings
from .yamlfile import YamlDocument, read_yaml

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
    "routes",
)
"""Profile fields that hold a list of terms (needs and strengths: the social situation and recovery capital;
population: groups a page may be written for; transitions: leaving jail, hospital or residential care;
routes: how a substance is taken — injecting, smoking ...)."""
SINGLE_FIELDS = ("stage", "support_style")
"""Profile fields that hold one term."""
TERM_FIELDS = LIST_FIELDS + SINGLE_FIELDS
RISK = "risk"
"""Rule key for clinical risk. Its terms are worked out from the profile's `risk:` block and the
PHQ-9's item 9 (profiles.RISK_TERMS); the vocabulary gives them labels."""
HELPS_WITH = "helps_with"
"""What coping modules answer (cravings, stress, sleep ...): a module's `helps_with:` names these
terms, and a term's `words:` find it in a person's triggers and warning signs."""
VOCABULARY_FIELDS = (*TERM_FIELDS, RISK, HELPS_WITH)
"""Every field the vocabulary file may declare besides `measures`."""
BORROWED_FIELDS = {"prescribed": "substances"}
"""Profile list fields that take another field's terms: `prescribed` lists the substances a person
takes only as prescribed, as directed (so rules can tell that from other use)."""
MEASURES = "measures"
"""The block that declares instruments (PHQ-9, GAD-7 ...) whose scores profiles record over time."""
_TERM = re.compile(r"^[a-z][a-z0-9_]*$")
_MEASURE_KEYS = ("range", "better", "bands", "source", "codes", "unit")
UNITS = ("score", "days")
"""What a measure's numbers are: a score on an instrument, or a count of days."""


@dataclass(frozen=True)
class Band:
    """A named stretch of a measure's scores, e.g. PHQ-9 "mild" from 5 to 9."""

    id: str
    low: int
    """Lowest score in the band."""
    high: int
    """Highest score in the band (inclusive)."""
    labels: Mapping[str, str]
    """language -> label."""


@dataclass(frozen=True)
class Measure:
    """A standard instrument: its range, which way is better, and its bands."""

    id: str
    labels: Mapping[str, str]
    """language -> name, e.g. "Depression check (PHQ-9)"."""
    low: int
    high: int
    better: str
    """"lower" or "higher"."""
    bands: tuple[Band, ...]
    """Ordered from the lowest scores up; together they cover low..high exactly."""
    source: str
    """Where the cut-offs come from."""
    codes: tuple[str, ...] = ()
    """Codes in other systems (e.g. LOINC:44261-6) for importing records."""
    unit: str = "score"
    """"score", or "days" when the number counts days (the guide then says "days", not "score")."""

    def band_of(self, score: int) -> Band | None:
        """The band that holds `score`, or None outside the range."""
        for band in self.bands:
            if band.low <= score <= band.high:
                return band
        return None


@dataclass(frozen=True)
class Vocabulary:
    """Allowed terms per profile field, each with a label per language."""

    fields: Mapping[str, Mapping[str, Mapping[str, str]]]
    """field -> term -> language -> label."""
    path: str = ""
    """The file as shown in messages (for the glossary's warnings on labels)."""
    lines: Mapping[tuple[str, ...], int] = dataclasses.field(default_factory=dict)
    """Line of each field and term in the file."""
    measures: Mapping[str, Measure] = dataclasses.field(default_factory=dict)
    """Instruments whose scores profiles may record, by id."""
    words: Mapping[str, Mapping[str, tuple[str, ...]]] = dataclasses.field(default_factory=dict)
    """helps_with term -> language -> words that find it in a person's triggers and warning signs."""
    codes: Mapping[tuple[str, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """(field, term) -> codes from the record system, e.g. ("substances", "opioids") -> ("ICD-10-CM:F11.*",)."""

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
    codes: dict[tuple[str, str], tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    measures: dict[str, Measure] = {}
    words: dict[str, dict[str, tuple[str, ...]]] = {}
    for field, terms in document.data.items():
        line = document.line((field,))
        if field == MEASURES:
            measures = _load_measures(terms, document, where, settings, problems)
        elif field not in VOCABULARY_FIELDS:
            expected = ", ".join(VOCABULARY_FIELDS)
            problems.add(
                where,
                line,
                f"{unknown('field', field, VOCABULARY_FIELDS)}: a field that takes terms is one of: {expected}",
            )
        elif not isinstance(terms, dict) or not terms:
            problems.add(where, line, f"{field}: expected a mapping of terms to labels")
        else:
            fields[field] = _read_terms(field, terms, document, where, settings, seen, codes, words, problems)
    problems.raise_errors()
    lines = {tuple(str(k) for k in key): line for key, line in document.lines.items()}
    codes.update({(MEASURES, m.id): m.codes for m in measures.values() if m.codes})
    return Vocabulary(fields=fields, path=where, lines=lines, measures=measures, codes=codes, words=words)


def _read_terms(
    field: str,
    terms: dict[str, Any],
    document: YamlDocument,
    where: str,
    settings: Settings,
    seen: dict[str, str],
    codes: dict[tuple[str, str], tuple[str, ...]],
    words: dict[str, dict[str, tuple[str, ...]]],
    problems: Problems,
) -> dict[str, dict[str, str]]:
    """The terms of one field with their labels (and record-system codes, or for helps_with the
    words that find a term in a person's triggers); terms are unique across fields."""
    result: dict[str, dict[str, str]] = {}
    for term, labels in terms.items():
        line = document.line((field, term))
        if field == HELPS_WITH and isinstance(labels, dict) and "words" in labels:
            labels = dict(labels)
            found = _read_words(labels.pop("words"), settings)
            if found is None:
                problems.add(
                    where,
                    document.line((field, term, "words")),
                    f"{field}.{term}.words: expected lists of words per language, like {{en: [sleep, tired]}}",
                )
            else:
                words[term] = found
        if field == RISK and term not in RISK_TERMS:
            problems.add(
                where,
                line,
                f"{field}: {unknown('term', term, RISK_TERMS)} (guidegen works out these terms: {', '.join(RISK_TERMS)})",
            )
            continue
        if isinstance(labels, dict) and "codes" in labels:
            labels = dict(labels)
            term_codes, code_problems = parse_codes(labels.pop("codes"), document, where, (field, term, "codes"))
            problems.extend(code_problems)
            if term_codes:
                codes[(field, term)] = term_codes
        if not _TERM.match(term):
            problems.add(where, line, f"{field}: a term is lowercase letters, digits and _")
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


RISK_TERMS = (
    "suicide_risk",
    "suicide_screen_positive",
    "suicidal_thoughts",
    "past_attempt",
    "firearm_access",
    "recent_overdose",
)
"""The risk terms worked out from a profile (profiles.Profile.risk_terms)."""


def _read_words(value: object, settings: Settings) -> dict[str, tuple[str, ...]] | None:
    if not isinstance(value, dict) or not all(
        isinstance(lang, str) and isinstance(items, list) and all(isinstance(w, str) and w.strip() for w in items)
        for lang, items in value.items()
    ):
        return None
    return {
        lang: tuple(w.strip().lower() for w in items) for lang, items in value.items() if lang in settings.languages
    }


def _load_measures(
    data: object, document: YamlDocument, where: str, settings: Settings, problems: Problems
) -> dict[str, Measure]:
    """The `measures:` block: each instrument with labels, range, better direction, bands, source."""
    if not isinstance(data, dict):
        problems.append(Problem(where, document.line((MEASURES,)), "measures: expected a mapping of measure ids"))
        return {}
    measures = {}
    for measure_id, spec in data.items():
        found = len(problems)
        measure = _load_measure(str(measure_id), spec, document, where, settings, problems)
        if measure is not None and len(problems) == found:
            measures[measure.id] = measure
    return measures


def _load_measure(
    measure_id: str, spec: object, document: YamlDocument, where: str, settings: Settings, problems: Problems
) -> Measure | None:
    at = (MEASURES, measure_id)

    def fail(key: tuple[str, ...], message: str) -> None:
        problems.append(Problem(where, document.line((*at, *key)), f"measures.{measure_id}{message}"))

    if not _TERM.match(measure_id):
        fail((), ": a measure id is lowercase letters, digits and _")
        return None
    if not isinstance(spec, dict):
        fail((), ": expected a mapping with labels, range, better, bands and source")
        return None
    for key in spec:
        if key not in _MEASURE_KEYS and key not in settings.languages:
            fail((key,), f".{key}: unknown key (expected a label per language, {', '.join(_MEASURE_KEYS)})")
    labels = _labels(spec, settings, lambda m: fail((), ": " + m))
    span = spec.get("range")
    if not (isinstance(span, list) and len(span) == 2 and all(type(v) is int for v in span) and span[0] < span[1]):
        fail(("range",), ".range: expected [lowest, highest] whole numbers, e.g. [0, 27]")
        span = None
    better = spec.get("better")
    if better not in ("lower", "higher"):
        fail(("better",), ".better: expected lower or higher")
    source = spec.get("source")
    if not isinstance(source, str) or not source.strip():
        fail(("source",), ".source: expected the publication the cut-offs come from, with its year")
    codes = spec.get("codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
        fail(("codes",), '.codes: expected a list of codes like "LOINC:44261-6"')
        codes = []
    unit = spec.get("unit", "score")
    if unit not in UNITS:
        fail(("unit",), ".unit: expected score or days")
    bands = _bands(spec.get("bands"), span, document, where, at, settings, problems)
    if span is None or labels is None:
        return None
    return Measure(
        measure_id, labels, span[0], span[1], str(better), bands, str(source).strip(), tuple(codes), str(unit)
    )


def _labels(spec: dict[str, object], settings: Settings, fail: Callable[[str], None]) -> dict[str, str] | None:
    labels = {lang: spec[lang] for lang in settings.languages if lang in spec}
    missing = [lang for lang in settings.languages if lang not in labels]
    if missing:
        fail(f"no label for {', '.join(missing)} (every language in guidegen.yaml needs one)")
        return None
    if not all(isinstance(v, str) and v.strip() for v in labels.values()):
        fail("a label must be text")
        return None
    return {lang: str(v).strip() for lang, v in labels.items()}


def _bands(
    data: object,
    span: list[int] | None,
    document: YamlDocument,
    where: str,
    at: tuple[str, str],
    settings: Settings,
    problems: Problems,
) -> tuple[Band, ...]:
    """Bands in order, each from..to; together they must cover the range with no gap or overlap."""
    name = f"measures.{at[1]}.bands"
    if not isinstance(data, dict) or not data:
        problems.append(Problem(where, document.line((*at, "bands")), f"{name}: expected a mapping of bands"))
        return ()
    bands: list[Band] = []
    expected = span[0] if span else None
    for band_id, spec in data.items():
        band_problems: list[str] = []
        band = _load_band(str(band_id), spec, expected, settings, band_problems.append)
        line = document.line((*at, "bands", band_id))
        problems.extend(Problem(where, line, f"{name}.{band_id}: {message}") for message in band_problems)
        if band is None:
            continue
        expected = band.high + 1
        if not band_problems:
            bands.append(band)
    if span is not None and expected is not None and bands and expected - 1 != span[1]:
        problems.append(
            Problem(
                where,
                document.line((*at, "bands")),
                f"{name}: the last band ends at {expected - 1}, expected the end of the range ({span[1]})",
            )
        )
    return tuple(bands)


def _load_band(
    band_id: str, spec: object, expected: int | None, settings: Settings, fail: Callable[[str], None]
) -> Band | None:
    """One band; `expected` is where it must start (right after the band before it)."""
    if not _TERM.match(band_id):
        fail("a band id is lowercase letters, digits and _")
        return None
    if not isinstance(spec, dict):
        fail("expected {from: 0, to: 4, en: ..., es: ...}")
        return None
    low, high = spec.get("from"), spec.get("to")
    if type(low) is not int or type(high) is not int or low > high:
        fail("expected whole numbers from: and to:, with from no larger than to")
        return None
    extra = [k for k in spec if k not in ("from", "to") and k not in settings.languages]
    if extra:
        fail(f"unknown key {extra[0]} (expected from, to and a label per language)")
    labels = _labels(spec, settings, fail)
    if expected is not None and low != expected:
        fail(f"starts at {low}, expected {expected}: bands go in order and leave no gap or overlap")
    return Band(band_id, low, high, labels or {})
