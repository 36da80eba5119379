"""The import's report: per profile id what was added, kept and skipped; unmapped codes near the
vocabulary first; never a value from a record."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import Problem
from .facts import RECENT_OVERDOSE_DAYS
from .read import PatientRecord


@dataclass(frozen=True)
class Imported:
    """One profile written or left as it was."""

    id: str
    status: str
    """new, updated or unchanged."""
    counts: tuple[int, int, int, int]
    """Resources mapped to terms, in COUNTED order: conditions, medications, observations, goals."""
    kept: tuple[str, ...] = ()
    """Imported fields that staff changed since the last import, kept as they are."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did, without a single value from the records."""

    imported: tuple[Imported, ...]
    problems: tuple[Problem, ...]
    unmapped: tuple[tuple[str, int], ...]
    """Codes that no vocabulary term maps, and how many people have them; most common first."""
    failed: int
    """Patients not imported because of an error."""
    skipped: int
    """Resources of types the import does not read."""
    orphans: int
    """Patients named by resources whose Patient resource is not in the files (skipped)."""
    deceased: int = 0
    """Patients not imported because the record says they have died."""
    overdoses: tuple[int, int] = (0, 0)
    """People whose record has an overdose: one in the last year (its date written to
    risk.recent_overdose), and only older or undated ones (nothing written)."""
    near: int = 0
    """How many of `unmapped` (listed first) are near a vocabulary term's neighbourhood."""
    counted: tuple[tuple[str, int], ...] = ()
    """Observation category (vital-signs, laboratory) -> how many different unmapped codes it had."""
    languages: tuple[tuple[str, int], ...] = ()
    """Preferred languages not among the site's languages, and how many people have them."""


def _most_first(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


NEAR_PREFIXES = (
    "ICD-10-CM|F",
    "ICD-10-CM|O",
    "ICD-10-CM|Z3",
    "ICD-10-CM|T40",
    "ICD-10-CM|T42",
    "ICD-10-CM|Z71",
    "RxNorm|",
)
"""Unmapped codes near the vocabulary's neighbourhood: mental and behavioural disorders, pregnancy,
poisoning by drugs, counselling, and every medicine."""


_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass
class _CodeTally:
    """What the report says about codes beyond the unmapped list."""

    near: set[str] = field(default_factory=set)
    counted: dict[str, set[str]] = field(default_factory=dict)
    languages: Counter[str] = field(default_factory=Counter)

    def add(self, record: PatientRecord, site_languages: Sequence[str]) -> None:
        self.near.update(record.near)
        for labelled in record.counted:
            category, _, label = labelled.partition(" ")
            self.counted.setdefault(category, set()).add(label)
        language = record.facts.language if record.facts else None
        if language and language not in site_languages:
            self.languages[language if _LANGUAGE.fullmatch(language) else "(not a language code)"] += 1

    def is_near(self, label: str) -> bool:
        return label in self.near or label.startswith(NEAR_PREFIXES)


def report_lines(report: ImportReport) -> Iterator[tuple[str, bool]]:
    """The report as lines for the terminal, each with whether it goes to stderr; ids and codes, never values."""
    for problem in report.problems:
        yield str(problem), True
    for item in report.imported:
        counts = ", ".join(f"{n} {_plural(kind, n)}" for kind, n in zip(COUNTED, item.counts, strict=True))
        kept = f"; kept your edit: {', '.join(item.kept)}" if item.kept else ""
        yield f"{item.id} ({item.status}): mapped {counts}{kept}", False
    yield from _code_lines(report)
    recent, older = report.overdoses
    if recent or older:
        yield "overdoses in the records (SNOMED|55680006 drug overdose):", False
        if recent:
            yield (
                f"  in the last {RECENT_OVERDOSE_DAYS} days, its date in risk.recent_overdose: {recent} {_people(recent)}",
                False,
            )
        if older:
            yield f"  longer ago or undated, not written: {older} {_people(older)}", False
    statuses = Counter(item.status for item in report.imported)
    summary = (
        f"imported {len(report.imported)} profile{'s' if len(report.imported) != 1 else ''} "
        f"({statuses['new']} new, {statuses['updated']} updated, {statuses['unchanged']} unchanged)"
    )
    if report.failed:
        summary += f"; {report.failed} patient{'s' if report.failed != 1 else ''} not imported"
    if report.deceased:
        summary += f"; {report.deceased} deceased patient{'s' if report.deceased != 1 else ''} not imported"
    if report.orphans:
        summary += f"; skipped the resources of {report.orphans} patient{'s' if report.orphans != 1 else ''} with no Patient resource"
    if report.skipped:
        summary += f"; {report.skipped} resources of other types not read"
    yield summary, False


def _code_lines(report: ImportReport) -> Iterator[tuple[str, bool]]:
    """The codes no term maps (those near the vocabulary first), vital signs and labs counted, other languages."""
    if report.unmapped:
        yield "codes that no vocabulary term maps (add them to a term's codes: in content/vocabulary.yaml):", False
        for number, (code, people) in enumerate(report.unmapped):
            if number == report.near and report.near:
                yield "  further from the vocabulary's terms:", False
            yield f"  {code}: {people} {_people(people)}", False
    if report.counted:
        counted = ", ".join(f"{n} {category.replace('-', ' ')}" for category, n in report.counted)
        yield f"not listed: codes of Observations the guides do not use ({counted})", False
    if report.languages:
        yield "preferred languages that are not in guidegen.yaml's languages (their guides use the first):", False
        for language, people in report.languages:
            yield f"  {language}: {people} {_people(people)}", False


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _plural(kind: str, count: int) -> str:
    return kind if count == 1 else kind + "s"


COUNTED = ("condition", "medication", "observation", "goal")
"""What the report counts per profile."""
