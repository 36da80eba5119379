"""One FHIR R4 resource -> the few facts a profile needs, through the vocabulary's codes.

Each resource is validated with the `fhir.resources` models (R4B), then read: an active
Condition gives substances and conditions, an active medication gives therapies, a final
Observation a measure's score, a Goal a goal, a CareTeam its members, a Patient the record
number, the given name and the preferred language. Nothing else is read (no family name,
address, note or narrative). These functions run in worker processes (fhir_import.py).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from .fhir_codes import COVERED_BY, RECOGNISED_UNUSED, STATUS_OBSERVATIONS
from .schema import key_text
from .vocabulary import CODE_SYSTEMS, Vocabulary

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


# -- codes ------------------------------------------------------------------------------------


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


# -- facts: what one resource says about one patient ------------------------------------------


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
    details: PatientFacts | GoalFacts | Score | Status | tuple[tuple[str, str | None], ...] | None = None
    error: str | None = None
    resource_type: str = ""
    reference: str | None = None
    """A Medication: its own Medication/<id>; a medicine given by reference: the Medication it names."""
    warning: str | None = None
    """A value left out of an otherwise good resource (never the value itself)."""
    unused: tuple[str, ...] = ()
    """Codes guidegen recognises for a field profiles do not have yet (fhir_codes.RECOGNISED_UNUSED)."""
    counted: tuple[str, ...] = ()
    """Unmapped codes of vital signs and labs ("laboratory LOINC|718-7"): counted in the report, not listed."""
    near: bool = False
    """Its unmapped codes are near the vocabulary's neighbourhood (a questionnaire): listed first."""


def read_resource(raw: str | dict[str, Any], position: tuple[int, int], index: CodeIndex, id_system: str) -> Fact:
    """One resource (JSON text or parsed) -> the facts a profile needs, or why it is broken."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return Fact("broken", None, position, error="this line is not JSON")
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
    except (ValueError, TypeError, AttributeError):
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
        what = "value not allowed here" if item["type"] == "value_error" else item["msg"]
        parts.append(f"{key_text(loc) or 'resource'}: {what}")
    more = len(error.errors()) - len(parts)
    return "not valid FHIR R4 (" + "; ".join(parts) + (f"; {more} more" if more > 0 else "") + ")"


def _codings(concept: Any) -> list[tuple[str | None, str | None]]:
    if concept is None:
        return []
    return [(coding.system, coding.code) for coding in (concept.coding or [])]


def _codes_of(concept: Any) -> set[str | None]:
    return {code for _, code in _codings(concept)}


def _map(concept: Any, index: CodeIndex, fields: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Terms that a coded concept means, and its codes when none maps."""
    codings = _codings(concept)
    terms: list[tuple[str, str]] = []
    for system, code in codings:
        for pair in index.terms(system, code, fields):
            if pair not in terms:
                terms.append(pair)
    unmapped = () if terms else tuple(code_label(s, c) for s, c in codings if c)
    return tuple(terms), unmapped


def _read_patient(
    resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, id_system: str
) -> Fact:
    record_id = next(
        (i.value for i in (resource.identifier or []) if i.system == id_system and i.value),
        None,
    )
    names = [n for n in (resource.name or []) if n.given]
    names.sort(key=lambda n: {"usual": 0, "official": 1}.get(n.use or "", 2))
    given = names[0].given[0].strip() if names and names[0].given[0] else None
    birth = str(resource.birthDate) if resource.birthDate else None
    deceased = resource.deceasedBoolean is True or resource.deceasedDateTime is not None
    details = PatientFacts(
        record_id, given or None, _preferred_language(resource), (_full_name(resource), birth), deceased
    )
    return Fact("patient", owner, position, details=details, resource_type="Patient")


def _full_name(resource: Any) -> str | None:
    """The official name (or the first), folded: who the record says this is."""
    names = sorted(resource.name or [], key=lambda n: 0 if n.use == "official" else 1)
    for name in names:
        parts = [*(name.given or []), name.family or ""]
        folded = " ".join(" ".join(parts).casefold().split())
        if folded:
            return folded
    return None


def _preferred_language(resource: Any) -> str | None:
    """The preferred language (or the only one given), as a primary subtag: es-MX -> es."""
    communication = resource.communication or []
    chosen = [c for c in communication if c.preferred] or (communication if len(communication) == 1 else [])
    for item in chosen:
        for _system, code in _codings(item.language):
            if code:
                return code.split("-")[0].split("_")[0].lower()
    return None


def _read_condition(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    active = bool(_codes_of(resource.clinicalStatus) & ACTIVE_CONDITION) and not (
        _codes_of(resource.verificationStatus) & REFUTED_CONDITION
    )
    terms, unmapped = _map(resource.code, index, CONDITION_FIELDS) if active else ((), ())
    unused = tuple(
        f"{code_label(system, code)} ({RECOGNISED_UNUSED[(system or '', code or '')]})"
        for system, code in _codings(resource.code)
        if active and (system or "", code or "") in RECOGNISED_UNUSED
    )
    if unused:
        unmapped = tuple(label for label in unmapped if not any(u.startswith(label + " ") for u in unused))
    return Fact("condition", owner, position, active, terms, unmapped, resource_type="Condition", unused=unused)


def _read_medication(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    kind = type(resource).__name__
    if not _medication_is_current(resource):
        return Fact("medication", owner, position, resource_type=kind)
    concept = resource.medicationCodeableConcept
    reference = resource.medicationReference.reference if resource.medicationReference else None
    if concept is None and reference and reference.startswith("#"):
        concept = next(
            (
                item.code
                for item in (resource.contained or [])
                if type(item).__name__ == "Medication" and item.id == reference[1:]
            ),
            None,
        )
        reference = None
    if concept is None and reference:  # a Medication elsewhere in the file or export: resolved when gathered
        return Fact("medication", owner, position, True, reference=reference.strip(), resource_type=kind)
    terms, unmapped = _map(concept, index, MEDICATION_FIELDS)
    return Fact("medication", owner, position, True, terms, unmapped, resource_type=kind)


def _medication_is_current(resource: Any) -> bool:
    """An active order or statement; a dispense or administration in the last RECENT_DAYS days."""
    kind = type(resource).__name__
    if kind in ("MedicationRequest", "MedicationStatement"):
        return resource.status in ACTIVE_MEDICATION
    if resource.status not in GIVEN_MEDICATION:
        return False
    if kind == "MedicationDispense":
        moment = resource.whenHandedOver or resource.whenPrepared
    else:
        period = resource.effectivePeriod
        moment = resource.effectiveDateTime or (period and (period.end or period.start))
    day = _day(moment)
    return day is not None and (date.today() - day).days <= RECENT_DAYS


def _read_drug(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    """A Medication resource: what its code means, for the orders that refer to it."""
    terms, unmapped = _map(resource.code, index, MEDICATION_FIELDS)
    reference = f"Medication/{resource.id}" if resource.id else None
    return Fact("drug", None, position, True, terms, unmapped, reference=reference, resource_type="Medication")


def _read_observation(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    if resource.status not in FINAL_OBSERVATION:
        return Fact("observation", owner, position, resource_type="Observation")
    status_fields = next(
        (
            fields
            for system, code in _codings(resource.code)
            if (fields := STATUS_OBSERVATIONS.get((system or "", code or "")))
        ),
        None,
    )
    if status_fields is not None:
        return _read_status(resource, owner, position, index, status_fields)
    terms, unmapped = _map(resource.code, index, (MEASURE_FIELD,))
    if not terms:
        return _unmapped_observation(resource, owner, position, unmapped)
    value = _score_value(resource)
    moment = _effective(resource)
    day = _day(moment)
    if value is None or day is None:
        return Fact("observation", owner, position, resource_type="Observation")
    measure = terms[0][1]
    low, high = index.ranges.get(measure, (value, value))
    if not low <= value <= high:
        warning = f"a {measure} score outside {low} to {high}: this score is left out (the patient is imported)"
        return Fact("observation", owner, position, warning=warning, resource_type="Observation")
    details = Score(measure, day, str(moment), value)
    return Fact("observation", owner, position, True, terms[:1], details=details, resource_type="Observation")


def _unmapped_observation(
    resource: Any, owner: str | None, position: tuple[int, int], unmapped: tuple[str, ...]
) -> Fact:
    """A validated Observation no measure maps."""
    codes = {code for concept in (resource.category or []) for code in _codes_of(concept) if code}
    return _observation_codes(owner, position, unmapped, codes)


def _observation_codes(
    owner: str | None, position: tuple[int, int], unmapped: tuple[str, ...], categories: set[str]
) -> Fact:
    """Vital signs and labs are only counted; questionnaires (survey) come first in the report."""
    counted = next((c for c in COUNTED_CATEGORIES if c in categories), None)
    if counted is not None:
        labelled = tuple(f"{counted} {label}" for label in unmapped)
        return Fact("observation", owner, position, counted=labelled, resource_type="Observation")
    near = "survey" in categories
    return Fact("observation", owner, position, unmapped=unmapped, near=near, resource_type="Observation")


def _score_value(resource: Any) -> int | float | None:
    """A score from valueInteger, valueQuantity.value, or a valueString that is a whole number ("12")."""
    value = resource.valueInteger
    if value is None and resource.valueQuantity is not None:
        value = resource.valueQuantity.value
    if value is None and isinstance(resource.valueString, str) and _WHOLE.fullmatch(resource.valueString.strip()):
        value = int(resource.valueString.strip())
    if value is None:
        return None
    return int(value) if Decimal(value) == int(value) else float(value)


def _effective(resource: Any) -> Any:
    """When an Observation was made: effectiveDateTime, the end (or start) of effectivePeriod, or effectiveInstant."""
    period = resource.effectivePeriod
    return resource.effectiveDateTime or (period and (period.end or period.start)) or resource.effectiveInstant


def _read_status(
    resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, fields: Sequence[str]
) -> Fact:
    """A status Observation (pregnancy status ...): the terms its coded value means, kept with its time."""
    moment = _effective(resource)
    if moment is None:
        return Fact("observation", owner, position, resource_type="Observation")
    terms, _ = _map(resource.valueCodeableConcept, index, fields)
    code = next((c for _s, c in _codings(resource.code) if c), "")
    details = Status(code, str(moment), terms)
    return Fact("observation", owner, position, True, details=details, resource_type="Observation")


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _read_goal(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    if _is_clinical_target(resource):  # "Hemoglobin A1c < 7.0" is the clinician's target, not the person's goal
        return Fact("target", owner, position, resource_type="Goal")
    text = (resource.description.text or "").strip() if resource.description else ""
    if resource.lifecycleStatus not in OPEN_GOAL or not text:
        return Fact("goal", owner, position, resource_type="Goal")
    by = next((_day(t.dueDate) for t in (resource.target or []) if t.dueDate), None)
    achieved = "achieved" in _codes_of(resource.achievementStatus)
    done = _day(resource.statusDate) if achieved else None
    return Fact("goal", owner, position, True, details=GoalFacts(text, by, done), resource_type="Goal")


def _is_clinical_target(resource: Any) -> bool:
    """A Goal that is a measurement to reach (a lab value, a blood pressure): a target with a measure or a
    quantity, or a description coded in LOINC."""
    for target in resource.target or []:
        if target.measure is not None or any(
            getattr(target, name) is not None for name in ("detailQuantity", "detailRange", "detailRatio")
        ):
            return True
    return any(system == LOINC_URI for system, _ in _codings(resource.description))


def _read_care_team(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    if resource.status is not None and resource.status not in ACTIVE_CARE_TEAM:
        return Fact("careteam", owner, position, resource_type="CareTeam")
    members: list[tuple[str, str | None]] = []
    for participant in resource.participant or []:
        member = participant.member
        if member is None or not (member.display or "").strip():
            continue
        reference = member.reference or ""
        kind = member.type or (reference.split("/")[-2] if reference.count("/") >= 1 else "")
        if kind in NOT_CARE_TEAM or reference == owner:
            continue  # the person themself, their family, and organisations are not the care team
        members.append((member.display.strip(), _role(participant)))
    return Fact("careteam", owner, position, bool(members), details=tuple(members), resource_type="CareTeam")


def _role(participant: Any) -> str | None:
    """A participant's role as a person reads it: the text, or a display without its SNOMED tag ("(occupation)")."""
    for concept in participant.role or []:
        text = (concept.text or "").strip() or next(
            (c.display.strip() for c in (concept.coding or []) if c.display and c.display.strip()), ""
        )
        text = _SEMANTIC_TAG.sub("", text).strip()
        return text[:1].upper() + text[1:] if text else None
    return None


_READERS: dict[str, Callable[[Any, str | None, tuple[int, int], CodeIndex, str], Fact]] = {
    "Patient": _read_patient,
    "Condition": _read_condition,
    "MedicationRequest": _read_medication,
    "MedicationStatement": _read_medication,
    "MedicationDispense": _read_medication,
    "MedicationAdministration": _read_medication,
    "Medication": _read_drug,
    "Observation": _read_observation,
    "Goal": _read_goal,
    "CareTeam": _read_care_team,
}


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
    unused: set[str] = field(default_factory=set)
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
        details = fact.details
        if isinstance(details, Score):
            series = self.scores.setdefault(details.measure, {})
            known = series.get(details.day)
            if known is None or known.moment <= details.moment:
                series[details.day] = details
        elif isinstance(details, Status):
            known_status = self.statuses.get(details.kind)
            if known_status is None or _instant(known_status.moment) <= _instant(details.moment):
                self.statuses[details.kind] = details
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
        self.unused.update(fact.unused)
        self.counted.update(fact.counted)
        if fact.near:
            self.near.update(fact.unmapped)

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
