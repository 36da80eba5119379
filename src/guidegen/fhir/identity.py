"""Who a record is: one profile per person, keyed by identifier system and value (resource ids
are local to a file); a record whose name or birth date disagrees with the last import is refused."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import Problem
from ..project.profiles import PROFILES_DIR
from .facts import PatientFacts
from .files import Source, _where
from .read import PatientRecord
from .state import ImportState, ProfileImport
from .store import FactStore
from .writer import Edits

_UNSAFE_ID = re.compile(r"[^a-z0-9-]+")


def safe_id(value: str) -> str:
    """A record number as a profile id: lowercase letters, digits and -."""
    return _UNSAFE_ID.sub("-", value.strip().lower()).strip("-")[:64].strip("-")


@dataclass
class _Person:
    """The Patient resources of one profile id: each record number's store keys, and where each Patient is."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    """Record number -> store keys of its Patients (one per file scope)."""
    seen: list[tuple[tuple[int, int], tuple[str | None, str | None]]] = field(default_factory=list)
    """Each Patient resource: (file number, position) and its identity (folded name, birth date)."""
    deceased: bool = False
    """A Patient resource says the person has died."""


def _patients_by_id(
    store: FactStore, sources: Sequence[Source], problems: list[Problem]
) -> tuple[dict[str, _Person], int]:
    """Patients grouped by the profile id their record number makes, and how many cannot be imported."""
    from ..project.profiles import ID_PATTERN

    numbers: dict[str, str | None] = {}
    people: dict[str, _Person] = {}
    for key, fact in store.patients():  # a Patient given twice: the last one counts
        assert isinstance(fact.details, PatientFacts)
        source, at = sources[fact.position[0]], fact.position[1]
        number = fact.details.record_id
        numbers[key] = number
        if not number:
            problems.append(
                source.problem(at, "Patient: no identifier with the system in import.fhir.id_system; not imported")
            )
        elif not ID_PATTERN.match(safe_id(number)):
            numbers[key] = None
            problems.append(source.problem(at, "Patient: the record number makes no usable profile id; not imported"))
        else:
            person = people.setdefault(safe_id(number), _Person())
            person.seen.append((fact.position, fact.details.identity))
            person.deceased = person.deceased or fact.details.deceased
    failed = sum(1 for number in numbers.values() if number is None)
    # One record number is one person, even when several files (Bundles of different visits) hold
    # a Patient for them: their facts are merged, when they agree on who it is. Two record numbers
    # that make one id are a conflict.
    for key, number in numbers.items():
        if number is not None:
            keys = people[safe_id(number)].keys.setdefault(number, [])
            if key not in keys:
                keys.append(key)
    return people, failed


def _disagree(one: tuple[str | None, str | None], other: tuple[str | None, str | None]) -> bool:
    """Two identities (name, birth date) that cannot be one person: a part both give differs."""
    return any(a is not None and b is not None and a != b for a, b in zip(one, other, strict=True))


def _identity_problem(
    profile_id: str, person: _Person, sources: Sequence[Source], import_state: ImportState, exists: bool
) -> str | None:
    """Why the Patients under this id are not one person (files and positions, never a value), or None."""
    (first_at, first), *others = person.seen
    for at, identity in others:
        if _disagree(first, identity):
            return (
                f"not written: the Patients in {_where(sources, first_at)} and {_where(sources, at)} have the same "
                "record number but a different name or birth date: two people under one identifier? "
                "Fix the record numbers in the record system"
            )
    last = import_state.profiles.get(profile_id)
    if not exists or last is None or not last.identity:
        return None
    hashed = (
        None if first[0] is None else import_state.hash(first[0]),
        None if first[1] is None else import_state.hash(first[1]),
    )
    before = (last.identity.get("name"), last.identity.get("birth_date"))
    if _disagree(hashed, before):
        return (
            f"not written: the Patient in {_where(sources, first_at)} has a different name or birth date than "
            f"the one last imported into this profile (imported on {last.source or 'an earlier day'}): another person "
            "under this record number? If it is the same person with a corrected name or birth date, rename this "
            "profile file (to keep it) and import again"
        )
    return None


DECEASED = "the record says this person has died: not imported; retire this profile (guidegen keeps it as it is)"


def _checked_record(
    project: Path,
    profile_id: str,
    person: _Person,
    store: FactStore,
    sources: Sequence[Source],
    import_state: ImportState,
) -> tuple[PatientRecord | None, str | None, int]:
    """One person's record when it can be imported; otherwise why not, and how many patients that is."""
    if len(person.keys) > 1:
        return None, f"not written: {len(person.keys)} different record numbers make this id", len(person.keys)
    exists = (project / PROFILES_DIR / f"{profile_id}.yaml").exists()
    if person.deceased:
        return None, DECEASED if exists else None, 0
    problem = _identity_problem(profile_id, person, sources, import_state, exists)
    (keys,) = person.keys.values()
    if problem:
        return None, problem, len(keys)  # every Patient under this record number (one per file scope)
    record = store.record(keys)
    if record.broken:
        return None, "not written: a resource of this patient is not valid FHIR (see above)", 1
    last = import_state.profiles.get(profile_id)
    record.last = dict(last.fields) if last else {}
    return record, None, 0


def _remember(
    import_state: ImportState, profile_id: str, person: _Person, sources: Sequence[Source], edits: Edits
) -> None:
    """What this import wrote into a profile, and who the record said it was (hashes), for the next import."""
    at, (name, birth) = person.seen[0]
    identity = {k: import_state.hash(v) for k, v in (("name", name), ("birth_date", birth)) if v is not None}
    fields = {**edits.last, **edits.written}  # a field this record did not speak to keeps its last hash
    import_state.profiles[profile_id] = ProfileImport(fields, identity, date.today().isoformat())
