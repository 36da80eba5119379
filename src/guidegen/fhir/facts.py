"""What the import keeps of a record: facts per resource and per patient, and the index from
record-system codes to vocabulary terms."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..project import profile_parts
from ..project.codes import CODE_SYSTEMS
from ..project.vocabulary import Vocabulary
from .codes import COVERED_BY, STATUS_OBSERVATIONS

CONDITION_FIELDS = ("substances", "conditions")
"""Profile fields that active Conditions fill."""


MEDICATION_FIELDS = ("therapies", "substances")
"""Profile fields that current medicines fill (requests, statements, dispenses, administrations):
therapies, and substances for nicotine replacement."""


MEASURE_FIELD = "measures"
"""The vocabulary block of measures that final Observations fill (when the vocabulary has one)."""


ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})


REFUTED_CONDITION = frozenset({"entered-in-error", "refuted"})


ACTIVE_MEDICATION = frozenset({"active"})


GIVEN_MEDICATION = frozenset({"completed", "in-progress"})
"""A MedicationDispense or MedicationAdministration that happened (or is happening)."""


RECENT_DAYS = 90
"""A dispense or administration this recent means the person takes the medicine now."""


RECENT_OVERDOSE_DAYS = profile_parts.RECENT_OVERDOSE_DAYS
"""An overdose this recent is a recent overdose (risk.recent_overdose)."""


FINAL_OBSERVATION = frozenset({"final", "amended", "corrected"})


OPEN_GOAL = frozenset({"planned", "accepted", "active", "completed"})


ACTIVE_CARE_TEAM = frozenset({"active"})


NOT_CARE_TEAM = frozenset(
    {"Patient", "RelatedPerson", "Organization", "CareTeam", "Group", "HealthcareService", "Location", "Device"}
)
"""Care team members that are not listed: the person, family, and what is not a person."""


_SEMANTIC_TAG = re.compile(r"\s*\((?:occupation|person|qualifier value|social concept|environment)\)$")


LOINC_URI = "http://loinc.org"


COUNTED_CATEGORIES = ("vital-signs", "laboratory")
"""Observation categories whose unmapped codes the report counts instead of listing."""


_WHOLE = re.compile(r"\d{1,4}")


READ_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationDispense",
        "MedicationAdministration",
        "Medication",
        "Observation",
        "Goal",
        "CareTeam",
    }
)
"""Resource types the import reads; resources of other types are skipped without being read."""


_SHORT_SYSTEM = {uri: name for name, uri in CODE_SYSTEMS.items()}


_CODE_LIKE = re.compile(r"[A-Za-z0-9.:/_#-]{1,80}")


@dataclass(frozen=True)
class CodeIndex:
    """Which vocabulary terms a coded record entry stands for."""

    exact: Mapping[tuple[str, str], tuple[tuple[str, str], ...]]
    """(system URI, code) -> ((field, term), ...)."""
    prefixes: tuple[tuple[str, str, str, str], ...]
    """(system URI, code prefix, field, term) for ICD-10-CM codes with a trailing *."""
    ranges: Mapping[str, tuple[int, int]] = dataclasses.field(default_factory=dict)
    """Measure -> its lowest and highest score: a score outside is left out, with a warning."""

    @classmethod
    def from_vocabulary(cls, vocabulary: Vocabulary) -> CodeIndex:
        exact: dict[tuple[str, str], list[tuple[str, str]]] = {}
        prefixes = []
        for (vocabulary_field, term), codes in vocabulary.codes.items():
            for code in codes:
                system, _, value = code.partition(":")
                uri = CODE_SYSTEMS[system]
                if value.endswith("*"):
                    prefixes.append((uri, _plain(uri, value[:-1]), vocabulary_field, term))
                else:
                    exact.setdefault((uri, _plain(uri, value)), []).append((vocabulary_field, term))
        ranges = {m.id: (m.low, m.high) for m in vocabulary.measures.values()}
        return cls({k: tuple(v) for k, v in exact.items()}, tuple(prefixes), ranges)

    def terms(self, system: str | None, code: str | None, fields: Sequence[str]) -> list[tuple[str, str]]:
        """The (field, term) pairs among `fields` that this code means, itself or through the code it falls under."""
        if not system or not code:
            return []
        plain = _plain(system, code)
        found = self._terms(system, plain, fields)
        broader = COVERED_BY.get((system, plain))
        if not found and broader is not None:
            found = self._terms(system, broader, fields)
        return found

    def reads_observation(self, raw: dict[str, Any]) -> bool:
        """Whether an Observation (parsed JSON, not yet validated) may give a score or a status, or cannot be told
        apart without validating it. The others (vital signs, labs ...) reach no profile: only their codes are counted.
        """
        codings = _raw_codings(raw.get("code"))
        if codings is None:
            return True
        return any(
            (system, code) in STATUS_OBSERVATIONS or self._terms(system, _plain(system, code), (MEASURE_FIELD,))
            for system, code in codings
        )

    def _terms(self, system: str, plain: str, fields: Sequence[str]) -> list[tuple[str, str]]:
        found = [pair for pair in self.exact.get((system, plain), ()) if pair[0] in fields]
        found += [
            (f, term)
            for uri, prefix, f, term in self.prefixes
            if uri == system and f in fields and plain.startswith(prefix)
        ]
        return found


def _plain(system: str, code: str) -> str:
    """ICD-10-CM codes are compared without their dot (F11.20 and F1120 are the same code)."""
    code = code.strip()
    return code.replace(".", "").upper() if system == CODE_SYSTEMS["ICD-10-CM"] else code


def code_label(system: str | None, code: str | None) -> str:
    """A code as the report shows it: ICD-10-CM|F16.20 (the system's URI when it has no short name).

    Anything that does not look like a code (free text typed into a code field) is not shown.
    """
    shown = _SHORT_SYSTEM.get(system or "", system or "?")
    shown = shown if _CODE_LIKE.fullmatch(shown) else "(not a code system)"
    return f"{shown}|{code if code and _CODE_LIKE.fullmatch(code) else '(not a code)'}"


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What a Patient resource gives a profile."""

    record_id: str | None
    """The value of the identifier in `import.fhir.id_system`."""
    name: str | None
    """The first given name."""
    language: str | None
    """The preferred language's code (primary subtag, lowercase)."""
    identity: tuple[str | None, str | None] = (None, None)
    """The official name (family and given names, folded) and the birth date: only ever compared, as hashes."""
    deceased: bool = False
    """The record says the person has died (deceasedBoolean true, or a deceasedDateTime)."""


@dataclass(frozen=True, slots=True)
class Overdose:
    """A Condition that records an overdose: when (None when the record does not say)."""

    day: date | None


@dataclass(frozen=True, slots=True)
class GoalFacts:
    """What a Goal resource gives a profile."""

    text: str
    by: date | None
    done: date | None


@dataclass(frozen=True, slots=True)
class Score:
    """One score of a measure."""

    measure: str
    day: date
    moment: str
    """The full effective time, so the latest of two scores on one day wins."""
    score: int | float


@dataclass(frozen=True, slots=True)
class Status:
    """A status Observation's meaning at one time (the latest of each kind counts)."""

    kind: str
    """The Observation's code (82810-3 for pregnancy status)."""
    moment: str
    terms: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """What one resource says, small enough to keep for thousands of patients."""

    kind: str
    """patient, condition, medication, drug (a Medication), observation, goal, careteam, skipped or broken."""
    patient: str | None
    """The patient it belongs to: Patient/<id>, or a Bundle's urn:uuid: full URL."""
    position: tuple[int, int]
    """(file number, line in NDJSON or entry index in a Bundle)."""
    active: bool = False
    """It counts (an active condition, a final observation ...)."""
    terms: tuple[tuple[str, str], ...] = ()
    unmapped: tuple[str, ...] = ()
    details: PatientFacts | GoalFacts | Score | Status | Overdose | tuple[tuple[str, str | None], ...] | None = None
    error: str | None = None
    resource_type: str = ""
    reference: str | None = None
    """A Medication: its own Medication/<id>; a medicine given by reference: the Medication it names."""
    warning: str | None = None
    """A value left out of an otherwise good resource (never the value itself)."""
    counted: tuple[str, ...] = ()
    """Unmapped codes of vital signs and labs ("laboratory LOINC|718-7"): counted in the report, not listed."""
    near: bool = False
    """Its unmapped codes are near the vocabulary's neighbourhood (a questionnaire): listed first."""


def _raw_codings(concept: Any) -> list[tuple[str, str]] | None:
    """(system, code) pairs of a CodeableConcept as parsed JSON; None when it is not shaped like one."""
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding", [])
    if not isinstance(codings, list) or not all(isinstance(c, dict) for c in codings):
        return None
    found: list[tuple[str, str]] = []
    for coding in codings:
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str | None) or not isinstance(code, str | None):
            return None
        if system and code:
            found.append((system, code))
    return found


def _raw_codes(concept: Any) -> set[str]:
    """Every code of a CodeableConcept as parsed JSON, with or without a system."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        return set()
    return {c["code"] for c in codings if isinstance(c, dict) and isinstance(c.get("code"), str)}
