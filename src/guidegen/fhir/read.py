"""One FHIR R4 resource -> the few facts a profile needs, through the vocabulary's codes.

Each resource is validated with the `fhir.resources` models (R4B), then read: an active
Condition gives substances and conditions, an active medication gives therapies, a final
Observation a measure's score, a Goal a goal, a CareTeam its members, a Patient the record
number, the given name and the preferred language. Nothing else is read (no family name,
address, note or narrative). These functions run in worker processes (fhir_import.py).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from ..project.schema import key_text
from .facts import (
    FINAL_OBSERVATION,
    READ_TYPES,
    RECENT_OVERDOSE_DAYS,
    CodeIndex,
    Fact,
    GoalFacts,
    Overdose,
    PatientFacts,
    Score,
    Status,
    _raw_codes,
    _raw_codings,
    code_label,
)
from .resources import _READERS, _observation_codes

# -- codes ------------------------------------------------------------------------------------


# -- facts: what one resource says about one patient ------------------------------------------


def read_resource(raw: str | dict[str, Any], position: tuple[int, int], index: CodeIndex, id_system: str) -> Fact:
    """One resource (JSON text or parsed) -> the facts a profile needs, or why it is broken."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return Fact("broken", None, position, error="this line is not JSON")
        except RecursionError:
            return Fact("broken", None, position, error="this line nests deeper than any FHIR resource")
    if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
        return Fact("broken", None, position, error="expected a FHIR resource (a JSON object with a resourceType)")
    resource_type = raw["resourceType"]
    owner = _raw_owner(raw)
    if resource_type not in READ_TYPES:
        return Fact("skipped", owner, position, resource_type=resource_type)
    if resource_type == "Observation" and not index.reads_observation(raw):
        return _raw_observation(raw, owner, position)  # nothing of it reaches a profile: counted, not validated
    from fhir.resources.R4B import get_fhir_model_class

    try:
        resource = get_fhir_model_class(resource_type).model_validate(raw)
    except ValidationError as error:
        stu3 = _stu3_element(raw)
        problem = _fhir_problem(error) + (f"; {STU3} ({stu3})" if stu3 else "")
        return Fact("broken", owner, position, error=problem, resource_type=resource_type)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        # KeyError: a contained resource of a type FHIR R4 does not have; never its text (it quotes the type)
        return Fact("broken", owner, position, error="not valid FHIR R4", resource_type=resource_type)
    reader = _READERS[resource_type]
    return reader(resource, owner, position, index, id_system)


STU3 = "this looks like FHIR STU3: export FHIR R4 from the record system (further STU3 resources of this file are not listed)"
"""Added to the error of a resource that has an element only STU3 has (fhir_import.py lists one per file)."""
_STU3_MARKERS = {
    "Condition": ("clinicalStatus", "verificationStatus"),  # codes in STU3, CodeableConcepts in R4
    "MedicationStatement": ("taken",),
    "Goal": ("status",),  # lifecycleStatus in R4
    "Patient": ("animal",),
    "Observation": ("context",),  # encounter in R4
    "MedicationRequest": ("context",),
    "CareTeam": ("context",),
}


def _stu3_element(raw: dict[str, Any]) -> str | None:
    """An element that only an STU3 resource has (resource.element), or None."""
    for name in _STU3_MARKERS.get(raw["resourceType"], ()):
        value = raw.get(name)
        if value is not None and (name not in ("clinicalStatus", "verificationStatus") or isinstance(value, str)):
            return f"{raw['resourceType']}.{name}"
    return None


def _raw_observation(raw: dict[str, Any], owner: str | None, position: tuple[int, int]) -> Fact:
    """An Observation no measure or status reads: its codes for the report, without validating it."""
    if raw.get("status") not in FINAL_OBSERVATION:
        return Fact("observation", owner, position, resource_type="Observation")
    unmapped = tuple(code_label(system, code) for system, code in _raw_codings(raw.get("code")) or [])
    categories = raw.get("category")
    codes = {code for concept in categories for code in _raw_codes(concept)} if isinstance(categories, list) else set()
    return _observation_codes(owner, position, unmapped, codes)


def _raw_owner(raw: dict[str, Any]) -> str | None:
    """Whose resource this is, read before validation so a broken one can still be pinned on its patient."""
    if raw.get("resourceType") == "Patient":
        return f"Patient/{raw['id']}" if isinstance(raw.get("id"), str) else None
    for key in ("subject", "patient"):
        reference = raw.get(key)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            return patient_key(reference["reference"])
    return None


def patient_key(reference: str, resource_type: str = "Patient") -> str | None:
    """Patient/<id> from a reference (relative, absolute or versioned), or a urn: kept to resolve in its Bundle."""
    reference = reference.split("/_history/")[0].strip()
    if reference.startswith("urn:"):
        return reference
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type and parts[-1]:
        return f"{resource_type}/{parts[-1]}"
    return None


def _fhir_problem(error: ValidationError) -> str:
    """Where the resource breaks the FHIR model; pydantic's message for value errors is left out (it may quote)."""
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:3]:
        loc = tuple(p for p in item["loc"] if p != "root")
        if item["type"] == "extra_forbidden":  # the unknown name came from the record: never repeated
            parts.append(f"{key_text(loc[:-1]) or 'resource'}: an element FHIR R4 does not have")
            continue
        what = "value not allowed here" if item["type"] == "value_error" else item["msg"]
        parts.append(f"{key_text(loc) or 'resource'}: {what}")
    more = len(error.errors()) - len(parts)
    return "not valid FHIR R4 (" + "; ".join(parts) + (f"; {more} more" if more > 0 else "") + ")"


# -- one patient's record, gathered from every file ----------------------------------------------


@dataclass(slots=True)
class PatientRecord:
    """Everything the files say about one patient, kept small."""

    facts: PatientFacts | None = None
    position: tuple[int, int] | None = None
    seen: set[str] = field(default_factory=set)
    """Kinds of resource the record holds for this person (a field is replaced only then)."""
    terms: dict[str, list[str]] = field(default_factory=dict)
    scores: dict[str, dict[date, Score]] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    """The latest status Observation of each kind."""
    goals: list[GoalFacts] = field(default_factory=list)
    care_team: list[tuple[str, str | None]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    unmapped: set[str] = field(default_factory=set)
    overdoses: list[date | None] = field(default_factory=list)
    """When each overdose the record holds happened (None: the record does not say)."""
    counted: set[str] = field(default_factory=set)
    near: set[str] = field(default_factory=set)
    broken: bool = False
    """A resource of this patient is not valid FHIR: nothing is written for them."""
    last: dict[str, str] = field(default_factory=dict)
    """What the last import wrote into their profile, as hashes per field (fhir_state.py)."""

    def add(self, fact: Fact) -> None:
        """Take in one resource's facts."""
        self.seen.add(fact.kind)
        for f, term in fact.terms:
            terms = self.terms.setdefault(f, [])
            if term not in terms:
                terms.append(term)
        if fact.terms:
            self.counts[fact.kind] += 1
        self._add_codes(fact)
        self._add_details(fact.details)

    def _add_details(self, details: Any) -> None:
        """What a resource says beyond its terms: a score, a status, an overdose, a goal, a team."""
        if isinstance(details, Score):
            series = self.scores.setdefault(details.measure, {})
            known = series.get(details.day)
            if known is None or known.moment <= details.moment:
                series[details.day] = details
        elif isinstance(details, Status):
            known_status = self.statuses.get(details.kind)
            if known_status is None or _instant(known_status.moment) <= _instant(details.moment):
                self.statuses[details.kind] = details
        elif isinstance(details, Overdose):
            self.overdoses.append(details.day)
        elif isinstance(details, GoalFacts):
            self.goals.append(details)
            self.counts["goal"] += 1
        elif isinstance(details, tuple):
            for member in details:
                if member not in self.care_team:
                    self.care_team.append(member)

    def _add_codes(self, fact: Fact) -> None:
        """The codes the report lists or counts."""
        self.unmapped.update(fact.unmapped)
        self.counted.update(fact.counted)
        if fact.near:
            self.near.update(fact.unmapped)

    def recent_overdose(self, today: date) -> date | None:
        """The day of the latest overdose in the last RECENT_OVERDOSE_DAYS (one recorded as later
        than today is a mistake in the record and does not count)."""
        recent = [d for d in self.overdoses if d is not None and 0 <= (today - d).days <= RECENT_OVERDOSE_DAYS]
        return max(recent, default=None)

    def field_terms(self, name: str) -> list[str]:
        """The terms of one profile field: from coded resources, then from the latest status Observations."""
        terms = list(self.terms.get(name, []))
        for status in self.statuses.values():
            terms += [term for f, term in status.terms if f == name and term not in terms]
        return terms


def _instant(moment: str) -> str:
    """An effective time comparable as text: times in UTC where they carry an offset."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat()
