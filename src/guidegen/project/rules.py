"""The `when:` rule language, and choosing the modules that fit a person.

Rules are parsed once, at load time, and checked against the vocabulary there; choosing is a pure
function of a profile and the modules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import Problems
from .profiles import Profile
from .schema import unknown
from .vocabulary import BORROWED_FIELDS, HELPS_WITH, LIST_FIELDS, RISK, Vocabulary

RULE_KEYWORDS = ("not", "any", "all")


@dataclass(frozen=True)
class Match:
    """A profile field holds one of these terms (for a list field: shares at least one)."""

    key: str
    terms: tuple[str | bool, ...]


@dataclass(frozen=True)
class AllOf:
    """Every rule holds (keys side by side in a mapping)."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one rule holds."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    """The rule does not hold."""

    rule: Rule


@dataclass(frozen=True)
class LatestBand:
    """The latest score on a measure falls in one of these bands."""

    measure: str
    bands: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    """The score range of each band (from the vocabulary), so a rule needs no vocabulary to decide."""


Rule = Match | AllOf | AnyOf | Not | LatestBand
EVERYONE: Rule = AllOf(())


def rule_keys(vocabulary: Vocabulary) -> tuple[str, ...]:
    """Keys a rule may test: the vocabulary's fields, fields that borrow their terms, trauma_informed and language."""
    borrowed = (field for field, source in BORROWED_FIELDS.items() if source in vocabulary.fields)
    measures = ("measures",) if vocabulary.measures else ()
    fields = (field for field in vocabulary.fields if field != HELPS_WITH)
    return (*fields, *borrowed, "trauma_informed", "language", *measures)


LineOf = Callable[[tuple[str | int, ...]], int | None]


@dataclass(frozen=True)
class RuleSource:
    """Where a rule is read from, for problems that name file and line."""

    where: str
    line_of: LineOf
    vocabulary: Vocabulary
    languages: Sequence[str]
    problems: Problems

    def fail(self, at: tuple[str | int, ...], message: str) -> Rule:
        """Record a problem at `at`; the rule stands for everyone so parsing goes on."""
        self.problems.add(self.where, self.line_of(at), message)
        return EVERYONE


def parse_rule(data: Any, key: tuple[str | int, ...], source: RuleSource) -> Rule:
    """Parse a `when:` value; record a problem (file:line) for every unknown key or term."""
    if not isinstance(data, dict) or not data:
        return source.fail(key, "when: expected a mapping of rule keys, e.g. {substances: [alcohol]}")
    rules = [_parse_entry(name, value, (*key, name), source) for name, value in data.items()]
    return rules[0] if len(rules) == 1 else AllOf(tuple(rules))


def _parse_entry(name: str, value: Any, at: tuple[str | int, ...], source: RuleSource) -> Rule:
    if name == "not":
        return Not(parse_rule(value, at, source))
    if name in ("any", "all"):
        if not isinstance(value, list) or not value:
            return source.fail(at, f"{name}: expected a list of rules")
        parts = tuple(parse_rule(item, (*at, i), source) for i, item in enumerate(value))
        return AnyOf(parts) if name == "any" else AllOf(parts)
    if name == "trauma_informed":
        if not isinstance(value, bool):
            return source.fail(at, "trauma_informed: expected true or false")
        return Match(name, (value,))
    if name == "measures" and source.vocabulary.measures:
        bands = _parse_measures(value, at, source)
        return bands[0] if len(bands) == 1 else AllOf(tuple(bands))
    if name == "language" or name in rule_keys(source.vocabulary):
        return _parse_terms(name, value, at, source)
    known = rule_keys(source.vocabulary) + RULE_KEYWORDS
    return source.fail(at, f"{unknown('rule key', name, known)} (expected one of: {', '.join(known)})")


def _parse_terms(name: str, value: Any, at: tuple[str | int, ...], source: RuleSource) -> Rule:
    allowed = tuple(source.languages) if name == "language" else source.vocabulary.terms(name)
    terms = value if isinstance(value, list) else [value]
    if not terms or not all(isinstance(t, str) for t in terms):
        return source.fail(at, f"{name}: expected a term or a list of terms")
    for index, term in enumerate(terms):
        if term not in allowed:
            source.fail(
                (*at, index) if isinstance(value, list) else at,
                f"{name}: {unknown('term', term, allowed)} (expected one of: {', '.join(allowed)})",
            )
    return Match(name, tuple(terms))


def _parse_measures(value: Any, at: tuple[str | int, ...], source: RuleSource) -> list[Rule]:
    """`measures: {phq9: [moderate, severe]}`: the latest score's band on each measure named."""
    if not isinstance(value, dict) or not value:
        return [source.fail(at, "measures: expected a mapping of measures to bands, e.g. {phq9: [moderate, severe]}")]
    rules: list[Rule] = []
    for measure_id, bands in value.items():
        where = (*at, measure_id)
        measure = source.vocabulary.measures.get(measure_id)
        if measure is None:
            known_measures = ", ".join(source.vocabulary.measures)
            rules.append(
                source.fail(
                    where,
                    f"measures: '{measure_id}' is not a measure in the vocabulary (expected one of: {known_measures})",
                )
            )
            continue
        names = bands if isinstance(bands, list) else [bands]
        if not names or not all(isinstance(b, str) for b in names):
            rules.append(source.fail(where, f"measures.{measure_id}: expected a band or a list of bands"))
            continue
        known = {band.id: band for band in measure.bands}
        for index, band in enumerate(names):
            if band not in known:
                source.fail(
                    (*where, index) if isinstance(bands, list) else where,
                    f"measures.{measure_id}: '{band}' is not a band of this measure (expected one of: {', '.join(known)})",
                )
        found = [known[b] for b in names if b in known]
        rules.append(LatestBand(measure_id, tuple(names), tuple((b.low, b.high) for b in found)))
    return rules


def latest_score(profile: Profile, measure: str) -> int | None:
    """The most recent score on `measure`, or None when there is none."""
    scores = profile.measures.get(measure, ())
    return max(scores, key=lambda s: s.date).score if scores else None


def _values(profile: Profile, key: str) -> tuple[str | bool, ...]:
    if key == RISK:
        return profile.risk_terms()
    value = getattr(profile, key)
    if key in LIST_FIELDS or key in BORROWED_FIELDS:
        return tuple(value)
    return () if value is None else (value,)


def holds(rule: Rule, profile: Profile) -> bool:
    """Whether `rule` picks `profile`."""
    if isinstance(rule, Match):
        return any(v in rule.terms for v in _values(profile, rule.key))
    if isinstance(rule, LatestBand):
        score = latest_score(profile, rule.measure)
        return score is not None and any(low <= score <= high for low, high in rule.spans)
    if isinstance(rule, AllOf):
        return all(holds(r, profile) for r in rule.rules)
    if isinstance(rule, AnyOf):
        return any(holds(r, profile) for r in rule.rules)
    return not holds(rule.rule, profile)


def describe(rule: Rule) -> str:
    """The rule in words, e.g. 'substances: alcohol or opioids, and not (conditions: psychosis)'."""
    if isinstance(rule, Match):
        if rule.key == "trauma_informed":
            return "trauma_informed" if rule.terms[0] else "not trauma_informed"
        return f"{rule.key}: {' or '.join(str(t) for t in rule.terms)}"
    if isinstance(rule, LatestBand):
        return f"latest {rule.measure} score: {' or '.join(rule.bands)}"
    if isinstance(rule, AllOf):
        if not rule.rules:
            return "everyone"
        return ", and ".join(_grouped(r) for r in rule.rules)
    if isinstance(rule, AnyOf):
        return "any of (" + "; ".join(describe(r) for r in rule.rules) + ")"
    return f"not ({describe(rule.rule)})"


def _grouped(rule: Rule) -> str:
    text = describe(rule)
    return f"({text})" if isinstance(rule, AllOf) and len(rule.rules) > 1 else text


def why(rule: Rule, profile: Profile) -> str:
    """The part of the rule that decided: the failing clause when skipped, the rule when picked."""
    if holds(rule, profile):
        return describe(rule)
    if isinstance(rule, AllOf):
        for part in rule.rules:
            if not holds(part, profile):
                return why(part, profile)
    return describe(rule)


class Ruled(Protocol):
    """Anything chosen by a rule (a module)."""

    @property
    def rule(self) -> Rule: ...


R = TypeVar("R", bound=Ruled)


def select_modules(profile: Profile, modules: Sequence[R]) -> list[R]:
    """The modules whose rule picks this person, in the order given."""
    return [module for module in modules if holds(module.rule, profile)]
