"""Each resource type the import reads, validated, to the facts a profile needs: an active
Condition gives substances and conditions, a current medication gives therapies, a final
Observation a score or a status, a Goal addressed to the person a goal, a CareTeam its people,
a Patient the record number, the given name and the preferred language. Nothing else."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .codes import OVERDOSE, STATUS_OBSERVATIONS
from .facts import (
    _SEMANTIC_TAG,
    _WHOLE,
    ACTIVE_CARE_TEAM,
    ACTIVE_CONDITION,
    ACTIVE_MEDICATION,
    CONDITION_FIELDS,
    COUNTED_CATEGORIES,
    FINAL_OBSERVATION,
    GIVEN_MEDICATION,
    LOINC_URI,
    MEASURE_FIELD,
    MEDICATION_FIELDS,
    NOT_CARE_TEAM,
    OPEN_GOAL,
    RECENT_DAYS,
    REFUTED_CONDITION,
    CodeIndex,
    Fact,
    GoalFacts,
    Overdose,
    PatientFacts,
    Score,
    Status,
    code_label,
)


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
    confirmed = not (_codes_of(resource.verificationStatus) & REFUTED_CONDITION)
    active = bool(_codes_of(resource.clinicalStatus) & ACTIVE_CONDITION) and confirmed
    if confirmed and any((system or "", code or "") in OVERDOSE for system, code in _codings(resource.code)):
        # An event more than a state: resolved or not, what counts is when it happened.
        return Fact(
            "condition", owner, position, True, details=Overdose(_condition_day(resource)), resource_type="Condition"
        )
    terms, unmapped = _map(resource.code, index, CONDITION_FIELDS) if active else ((), ())
    return Fact("condition", owner, position, active, terms, unmapped, resource_type="Condition")


def _condition_day(resource: Any) -> date | None:
    """When a condition began: its onset (a moment, or a period's start), else when it was recorded."""
    onset = resource.onsetDateTime or (resource.onsetPeriod and resource.onsetPeriod.start)
    return _day(onset) or _day(resource.recordedDate)


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
