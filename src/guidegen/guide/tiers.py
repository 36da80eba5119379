"""How relevant each module is to this person, decided from what its rule matched for them.

A module's tier is read off the terms of the person's profile that its rule (or its
`relevant_when`) named, not off the module alone:

1. `safety for you`: a page of the safety section about the person's own substances, routes of use
   or medicines, or any page whose rule names their clinical risk;
2. `your treatment`: a page of the therapies section about their medicines and therapies, and the
   pages about their groups;
3. `your situation`: their conditions (pregnancy included), population, transitions, needs, the
   bands of their latest scores, and other pages their substances or therapies name (a page for
   the family of a person in family therapy);
4. `skills for you`: a module whose `helps_with:` answers the person's triggers or warning signs;
5. `for everyone`.

Inside a tier, the editor's `priority` then guide order decide. The paper stage prints priority 1,
"safety for you" and "your treatment" always, then the rest in rank order as the page budget allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..project.content import Module
from ..project.profiles import Profile
from ..project.rules import AllOf, AnyOf, LatestBand, Match, Not, Rule, holds
from ..project.vocabulary import HELPS_WITH, Vocabulary

TIERS = ("safety", "treatment", "situation", "skills", "everyone")
"""Most relevant first."""
TIER_NAMES = {
    "safety": "safety for you",
    "treatment": "your treatment",
    "situation": "your situation",
    "skills": "skills for you",
    "everyone": "for everyone",
}
"""What `explain` calls each tier."""
ALWAYS_PRINTED = frozenset({"safety", "treatment"})
"""Tiers that are on paper whatever the page budget (as priority 1 is): the safety pages about the
person's own use, medicines and risk, and the pages about their own medicines, therapies and
groups. "your situation" comes next, as far as the budget goes."""
SAFETY_SECTION = "safety"
TREATMENT_SECTION = "therapies"
OWN_USE = frozenset({"substances", "prescribed", "routes", "therapies"})
"""Rule keys that, on a safety page, make it about the person's own use or medicines."""
TREATMENT = frozenset({"therapies", "groups"})
SITUATION = frozenset(
    {"conditions", "population", "transitions", "needs", "measures", "substances", "prescribed", "routes", "therapies"}
)


@dataclass(frozen=True)
class Tier:
    """A module's tier for one person, and the profile terms that put it there."""

    name: str
    """One of TIERS."""
    because: tuple[tuple[str, str], ...] = ()
    """(rule key, term) pairs of the person's profile that the rule named; for skills, ("helps_with", term)."""

    @property
    def rank(self) -> int:
        """0 for the most relevant tier."""
        return TIERS.index(self.name)

    @property
    def names_risk(self) -> bool:
        """Whether the person's clinical risk put the module here."""
        return any(key == "risk" for key, _ in self.because)

    @property
    def always_printed(self) -> bool:
        """Whether this tier is on paper whatever the budget."""
        return self.name in ALWAYS_PRINTED

    def describe(self) -> str:
        """The tier in words, with the terms that put the module there: for `explain`."""
        terms = ", ".join(f"{key} {term}" for key, term in self.because)
        return f"{TIER_NAMES[self.name]} ({terms})" if terms else TIER_NAMES[self.name]


def matched(rule: Rule, person: Profile) -> list[tuple[str, str]]:
    """The (key, term) pairs of the person's profile that a rule names, in the branches that hold.

    A `not` names nothing: a rule that picks everyone but some says nothing about this person."""
    if isinstance(rule, Match):
        if rule.key in ("trauma_informed", "language", "stage", "support_style", "format"):
            return []
        terms = person.risk_terms() if rule.key == "risk" else _values(person, rule.key)
        return [(rule.key, term) for term in terms if term in rule.terms]
    if isinstance(rule, LatestBand):
        return [("measures", rule.measure)] if holds(rule, person) else []
    if isinstance(rule, AllOf):
        return [pair for part in rule.rules for pair in matched(part, person)] if holds(rule, person) else []
    if isinstance(rule, AnyOf):
        return [pair for part in rule.rules if holds(part, person) for pair in matched(part, person)]
    assert isinstance(rule, Not)
    return []


def _values(person: Profile, key: str) -> tuple[str, ...]:
    value = getattr(person, key, None)
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple) else (str(value),)


def tier_of(module: Module, person: Profile, struggles: Iterable[str]) -> Tier:
    """The module's tier for this person (see the module docstring)."""
    pairs = matched(module.rule, person)
    if module.relevant is not None:
        pairs += [pair for pair in matched(module.relevant, person) if pair not in pairs]
    keys = {key for key, _ in pairs}
    if "risk" in keys:
        return Tier("safety", tuple(p for p in pairs if p[0] == "risk"))
    if module.section == SAFETY_SECTION and keys & OWN_USE:
        return Tier("safety", tuple(p for p in pairs if p[0] in OWN_USE))
    if "groups" in keys or (module.section == TREATMENT_SECTION and "therapies" in keys):
        return Tier("treatment", tuple(p for p in pairs if p[0] in TREATMENT))
    if keys & SITUATION:
        return Tier("situation", tuple(p for p in pairs if p[0] in SITUATION))
    answered = [term for term in module.helps_with if term in set(struggles)]
    if answered:
        return Tier("skills", tuple((HELPS_WITH, term) for term in answered))
    return Tier("everyone")


def struggles_of(person: Profile, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The helps_with terms that the person's triggers and warning signs name (their own words,
    matched against each term's label and `words:` in the person's language and the default)."""
    texts = [*person.triggers, *person.warning_signs]
    if person.safety_plan is not None:
        texts.extend(person.safety_plan.warning_signs)
    text = " ".join(texts).lower()
    if not text:
        return ()
    found = []
    for term, labels in vocabulary.fields.get(HELPS_WITH, {}).items():
        words = [label.lower() for label in labels.values()]
        for language_words in vocabulary.words.get(term, {}).values():
            words.extend(language_words)
        if any(_finds(word, text) for word in words):
            found.append(term)
    return tuple(found)


def _finds(word: str, text: str) -> bool:
    """Whether `word` starts a word of `text` (`crav` finds "cravings")."""
    return re.search(r"(?<!\w)" + re.escape(word), text) is not None


def ranked(modules: Sequence[Module], tiers: Mapping[str, Tier]) -> list[Module]:
    """Modules, most relevant first: tier (inside "safety for you", the pages about the person's risk
    first), then priority, then guide order."""
    position = {module.id: index for index, module in enumerate(modules)}
    return sorted(modules, key=lambda m: (tiers[m.id].rank, not tiers[m.id].names_risk, m.priority, position[m.id]))


def in_reading_order(modules: Sequence[Module], tiers: Mapping[str, Tier]) -> list[Module]:
    """Modules in guide order with the person's own pages first inside each section: sections
    stay in settings order; inside a section, tier, then `order`."""
    section_rank: dict[str, int] = {}
    for module in modules:
        section_rank.setdefault(module.section, len(section_rank))
    return sorted(modules, key=lambda m: (section_rank[m.section], tiers[m.id].rank, m.order, m.id))
