"""The `when:` rule language, and choosing the modules that fit a person.

Rules are parsed once, at load time, and checked against the vocabulary there; choosing is a pure
function of a profile and the modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import Problem
from .schema import unknown
from .vocabulary import LIST_FIELDS, SINGLE_FIELDS, Vocabulary

if TYPE_CHECKING:
    from .content import Module
    from .profiles import Profile

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


Rule = Match | AllOf | AnyOf | Not
EVERYONE: Rule = AllOf(())


def rule_keys(vocabulary: Vocabulary) -> tuple[str, ...]:
    """Keys a rule may test: the vocabulary's fields, trauma_informed and language."""
    return (*vocabulary.fields, "trauma_informed", "language")


def parse_rule(
    data: Any,
    key: tuple[str | int, ...],
    line_of: Any,
    where: str,
    vocabulary: Vocabulary,
    languages: Sequence[str],
    problems: list[Problem],
) -> Rule:
    """Parse a `when:` value; append a problem (file:line) for every unknown key or term."""

    def fail(at: tuple[str | int, ...], message: str) -> Rule:
        problems.append(Problem(where, line_of(at), message))
        return EVERYONE

    if not isinstance(data, dict) or not data:
        return fail(key, "when: expected a mapping of rule keys, e.g. {substances: [alcohol]}")
    rules: list[Rule] = []
    for name, value in data.items():
        at = (*key, name)
        if name == "not":
            rules.append(Not(parse_rule(value, at, line_of, where, vocabulary, languages, problems)))
        elif name in ("any", "all"):
            if not isinstance(value, list) or not value:
                rules.append(fail(at, f"{name}: expected a list of rules"))
                continue
            parts = tuple(
                parse_rule(item, (*at, i), line_of, where, vocabulary, languages, problems)
                for i, item in enumerate(value)
            )
            rules.append(AnyOf(parts) if name == "any" else AllOf(parts))
        elif name == "trauma_informed":
            if not isinstance(value, bool):
                rules.append(fail(at, "trauma_informed: expected true or false"))
            else:
                rules.append(Match(name, (value,)))
        elif name == "language" or name in vocabulary.fields:
            allowed = tuple(languages) if name == "language" else vocabulary.terms(name)
            terms = value if isinstance(value, list) else [value]
            if not terms or not all(isinstance(t, str) for t in terms):
                rules.append(fail(at, f"{name}: expected a term or a list of terms"))
                continue
            for index, term in enumerate(terms):
                if term not in allowed:
                    fail(
                        (*at, index) if isinstance(value, list) else at,
                        f"{name}: {unknown('term', term, allowed)} (expected one of: {', '.join(allowed)})",
                    )
            rules.append(Match(name, tuple(terms)))
        else:
            rules.append(
                fail(
                    at,
                    f"{unknown('rule key', name, rule_keys(vocabulary) + RULE_KEYWORDS)} (expected one of: {', '.join(rule_keys(vocabulary) + RULE_KEYWORDS)})",
                )
            )
    return rules[0] if len(rules) == 1 else AllOf(tuple(rules))


def _values(profile: Profile, key: str) -> tuple[str | bool, ...]:
    value = getattr(profile, key)
    if key in LIST_FIELDS:
        return tuple(value)
    return () if value is None else (value,)


def holds(rule: Rule, profile: Profile) -> bool:
    """Whether `rule` picks `profile`."""
    if isinstance(rule, Match):
        return any(v in rule.terms for v in _values(profile, rule.key))
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


def select_modules(profile: Profile, modules: Sequence[Module]) -> list[Module]:
    """The modules whose rule picks this person, in the order given."""
    return [module for module in modules if holds(module.rule, profile)]


def matched_keys(rule: Rule) -> Mapping[str, tuple[str | bool, ...]]:
    """Every key a rule tests and the terms it names (for `check`)."""
    found: dict[str, tuple[str | bool, ...]] = {}

    def walk(r: Rule) -> None:
        if isinstance(r, Match):
            found[r.key] = found.get(r.key, ()) + r.terms
        elif isinstance(r, (AllOf, AnyOf)):
            for part in r.rules:
                walk(part)
        else:
            walk(r.rule)

    walk(rule)
    return found


__all__ = [
    "EVERYONE",
    "AllOf",
    "AnyOf",
    "Match",
    "Not",
    "Rule",
    "SINGLE_FIELDS",
    "describe",
    "holds",
    "parse_rule",
    "select_modules",
    "why",
]
