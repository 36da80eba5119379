"""Profiles from the clinic's record system: FHIR R4 JSON, a Bundle or NDJSON from a bulk export.

The pipeline: read resources one at a time (NDJSON line by line) -> validate each with the
`fhir.resources` models and keep only the few facts a profile needs (worker processes) -> let
the facts wait per patient on disk until every file is read (FactStore) -> merge each patient's
facts into profiles/<id>.yaml, keeping what staff wrote by hand (profile_writer.py). Memory
stays flat however big the export. Messages name the file and the position (NDJSON line or
Bundle entry) and never a value from a record.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import pickle
import re
import shutil
import sqlite3
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from .errors import InvalidInput, Problem, display_path
from .profiles import PROFILES_DIR
from .schema import key_text
from .settings import SETTINGS_FILE, load_settings
from .vocabulary import CODE_SYSTEMS, Vocabulary, load_vocabulary

CONDITION_FIELDS = ("substances", "conditions")
"""Profile fields that active Conditions fill."""
MEDICATION_FIELDS = ("therapies",)
"""Profile fields that active MedicationRequests and MedicationStatements fill."""
MEASURE_FIELD = "measures"
"""The vocabulary block of measures that final Observations fill (when the vocabulary has one)."""

ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})
REFUTED_CONDITION = frozenset({"entered-in-error", "refuted"})
ACTIVE_MEDICATION = frozenset({"active"})
FINAL_OBSERVATION = frozenset({"final", "amended", "corrected"})
OPEN_GOAL = frozenset({"planned", "accepted", "active", "completed"})
ACTIVE_CARE_TEAM = frozenset({"active"})
READ_TYPES = frozenset(
    {"Patient", "Condition", "MedicationRequest", "MedicationStatement", "Observation", "Goal", "CareTeam"}
)
"""Resource types the import reads; resources of other types are skipped without being read."""
_SHORT_SYSTEM = {uri: name for name, uri in CODE_SYSTEMS.items()}
_UNSAFE_ID = re.compile(r"[^a-z0-9-]+")
_CODE_LIKE = re.compile(r"[A-Za-z0-9.:/_#-]{1,80}")
CHUNK = 256
"""Resources handed to a worker at a time."""
PROFILES_PER_TASK = 32
"""Profiles a worker stages at a time."""
COMMIT_BATCH = 512
"""Staged profiles moved into profiles/ after one sync."""
COUNTED = ("condition", "medication", "observation", "goal")
"""What the report counts per profile."""
T = TypeVar("T")


# -- codes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeIndex:
    """Which vocabulary terms a coded record entry stands for."""

    exact: Mapping[tuple[str, str], tuple[tuple[str, str], ...]]
    """(system URI, code) -> ((field, term), ...)."""
    prefixes: tuple[tuple[str, str, str, str], ...]
    """(system URI, code prefix, field, term) for ICD-10-CM codes with a trailing *."""

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
        return cls({k: tuple(v) for k, v in exact.items()}, tuple(prefixes))

    def terms(self, system: str | None, code: str | None, fields: Sequence[str]) -> list[tuple[str, str]]:
        """The (field, term) pairs among `fields` that this code means."""
        if not system or not code:
            return []
        plain = _plain(system, code)
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
class Fact:
    """What one resource says, small enough to keep for thousands of patients."""

    kind: str
    """patient, condition, medication, observation, goal, careteam, skipped or broken."""
    patient: str | None
    """The patient it belongs to: Patient/<id>, or a Bundle's urn:uuid: full URL."""
    position: tuple[int, int]
    """(file number, line in NDJSON or entry index in a Bundle)."""
    active: bool = False
    """It counts (an active condition, a final observation ...)."""
    terms: tuple[tuple[str, str], ...] = ()
    unmapped: tuple[str, ...] = ()
    details: PatientFacts | GoalFacts | Score | tuple[tuple[str, str | None], ...] | None = None
    error: str | None = None
    resource_type: str = ""


_STATE: dict[str, Any] = {}


def _start_worker(state: dict[str, Any]) -> None:
    _STATE.update(state)


def read_chunk(chunk: Sequence[tuple[tuple[int, int], str | dict[str, Any]]]) -> list[Fact]:
    """Validate and read a chunk of resources (in a worker process, or here when --jobs 1)."""
    return [read_resource(raw, position, _STATE["index"], _STATE["id_system"]) for position, raw in chunk]


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
    from fhir.resources.R4B import get_fhir_model_class

    try:
        resource = get_fhir_model_class(resource_type).model_validate(raw)
    except ValidationError as error:
        return Fact("broken", owner, position, error=_fhir_problem(error), resource_type=resource_type)
    except (ValueError, TypeError, AttributeError):
        return Fact("broken", owner, position, error="not valid FHIR R4", resource_type=resource_type)
    reader = _READERS[resource_type]
    return reader(resource, owner, position, index, id_system)


def _raw_owner(raw: dict[str, Any]) -> str | None:
    """Whose resource this is, read before validation so a broken one can still be pinned on its patient."""
    if raw.get("resourceType") == "Patient":
        return f"Patient/{raw['id']}" if isinstance(raw.get("id"), str) else None
    for key in ("subject", "patient"):
        reference = raw.get(key)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            return patient_key(reference["reference"])
    return None


def patient_key(reference: str) -> str | None:
    """Patient/<id> from a reference (relative, absolute or versioned), or a urn: kept to resolve in its Bundle."""
    reference = reference.split("/_history/")[0].strip()
    if reference.startswith("urn:"):
        return reference
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return f"Patient/{parts[-1]}"
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
    return Fact(
        "patient",
        owner,
        position,
        details=PatientFacts(record_id, given or None, _preferred_language(resource)),
        resource_type="Patient",
    )


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
    return Fact("condition", owner, position, active, terms, unmapped, resource_type="Condition")


def _read_medication(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    active = resource.status in ACTIVE_MEDICATION
    concept = resource.medicationCodeableConcept
    terms, unmapped = _map(concept, index, MEDICATION_FIELDS) if active else ((), ())
    return Fact("medication", owner, position, active, terms, unmapped, resource_type=type(resource).__name__)


def _read_observation(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    if resource.status not in FINAL_OBSERVATION:
        return Fact("observation", owner, position, resource_type="Observation")
    terms, unmapped = _map(resource.code, index, (MEASURE_FIELD,))
    value = resource.valueInteger
    if value is None and resource.valueQuantity is not None:
        value = resource.valueQuantity.value
    moment = resource.effectiveDateTime
    day = _day(moment)
    if not terms or value is None or day is None:
        return Fact("observation", owner, position, unmapped=unmapped, resource_type="Observation")
    score: int | float = int(value) if Decimal(value) == int(value) else float(value)
    details = Score(terms[0][1], day, str(moment), score)
    return Fact("observation", owner, position, True, terms[:1], details=details, resource_type="Observation")


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
    text = (resource.description.text or "").strip() if resource.description else ""
    if resource.lifecycleStatus not in OPEN_GOAL or not text:
        return Fact("goal", owner, position, resource_type="Goal")
    by = next((_day(t.dueDate) for t in (resource.target or []) if t.dueDate), None)
    achieved = "achieved" in _codes_of(resource.achievementStatus)
    done = _day(resource.statusDate) if achieved else None
    return Fact("goal", owner, position, True, details=GoalFacts(text, by, done), resource_type="Goal")


def _read_care_team(resource: Any, owner: str | None, position: tuple[int, int], index: CodeIndex, _: str) -> Fact:
    if resource.status is not None and resource.status not in ACTIVE_CARE_TEAM:
        return Fact("careteam", owner, position, resource_type="CareTeam")
    members: list[tuple[str, str | None]] = []
    for participant in resource.participant or []:
        member = participant.member
        if member is None or not (member.display or "").strip():
            continue
        reference = member.reference or ""
        if reference.startswith(("Patient/", "RelatedPerson/")) or reference == owner:
            continue  # the person themself and their family are not the care team
        role = None
        for concept in participant.role or []:
            role = (concept.text or "").strip() or next(
                (c.display.strip() for c in (concept.coding or []) if c.display and c.display.strip()), None
            )
            break
        members.append((member.display.strip(), role))
    return Fact("careteam", owner, position, bool(members), details=tuple(members), resource_type="CareTeam")


_READERS: dict[str, Callable[[Any, str | None, tuple[int, int], CodeIndex, str], Fact]] = {
    "Patient": _read_patient,
    "Condition": _read_condition,
    "MedicationRequest": _read_medication,
    "MedicationStatement": _read_medication,
    "Observation": _read_observation,
    "Goal": _read_goal,
    "CareTeam": _read_care_team,
}


# -- reading files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One input file."""

    path: Path
    where: str
    """As shown in messages."""
    ndjson: bool

    def problem(self, position: int | None, message: str) -> Problem:
        """A problem at a line of NDJSON or an entry of a Bundle."""
        if self.ndjson:
            return Problem(self.where, position, message)
        prefix = f"entry[{position}]: " if position is not None and position >= 0 else ""
        return Problem(self.where, None, prefix + message)


def _is_ndjson(path: Path) -> bool:
    """NDJSON by its suffix, or when its first line is a whole resource other than a Bundle."""
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return True
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        resource = json.loads(first)
    except ValueError:
        return False
    return isinstance(resource, dict) and resource.get("resourceType") != "Bundle"


def _chunks(
    sources: Sequence[Source], problems: list[Problem], aliases: dict[int, dict[str | int, str]]
) -> Iterator[list[tuple[tuple[int, int], str | dict[str, Any]]]]:
    """Resources to read, a chunk at a time; NDJSON line by line, so memory stays flat."""
    chunk: list[tuple[tuple[int, int], str | dict[str, Any]]] = []
    for number, source in enumerate(sources):
        if source.ndjson:
            with source.path.open(encoding="utf-8", errors="replace") as lines:
                for line_number, line in enumerate(lines, 1):
                    if line.strip():
                        chunk.append(((number, line_number), line))
                        if len(chunk) >= CHUNK:
                            yield chunk
                            chunk = []
            continue
        entries = _bundle_entries(source, problems)
        aliases[number] = {}
        for entry_index, entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            url = entry.get("fullUrl") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "Patient" and isinstance(url, str):
                rid = resource.get("id")
                aliases[number][url] = f"Patient/{rid}" if isinstance(rid, str) else url
                aliases[number][entry_index] = aliases[number][url]  # a Patient without an id is known by its URL
        for entry_index, entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            chunk.append(((number, entry_index), resource if resource is not None else entry))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _bundle_entries(source: Source, problems: list[Problem]) -> list[tuple[int, Any]]:
    try:
        with source.path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", None)
        problems.append(Problem(source.where, line, "this file is not JSON (expected a FHIR Bundle, or NDJSON)"))
        return []
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            problems.append(Problem(source.where, None, "Bundle.entry: expected a list"))
            return []
        return list(enumerate(entries))
    return [(-1, {"resource": data})]  # a single resource


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
    goals: list[GoalFacts] = field(default_factory=list)
    care_team: list[tuple[str, str | None]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    unmapped: set[str] = field(default_factory=set)
    broken: bool = False
    """A resource of this patient is not valid FHIR: nothing is written for them."""

    def add(self, fact: Fact) -> None:
        """Take in one resource's facts."""
        self.seen.add(fact.kind)
        for f, term in fact.terms:
            terms = self.terms.setdefault(f, [])
            if term not in terms:
                terms.append(term)
        if fact.terms:
            self.counts[fact.kind] += 1
        self.unmapped.update(fact.unmapped)
        details = fact.details
        if isinstance(details, Score):
            series = self.scores.setdefault(details.measure, {})
            known = series.get(details.day)
            if known is None or known.moment <= details.moment:
                series[details.day] = details
        elif isinstance(details, GoalFacts):
            self.goals.append(details)
            self.counts["goal"] += 1
        elif isinstance(details, tuple):
            for member in details:
                if member not in self.care_team:
                    self.care_team.append(member)


@dataclass(frozen=True)
class Imported:
    """One profile written or left as it was."""

    id: str
    status: str
    """new, updated or unchanged."""
    counts: tuple[int, int, int, int]
    """Resources mapped to terms, in COUNTED order: conditions, medications, observations, goals."""


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


def import_fhir(project: Path, files: Sequence[Path], *, jobs: int = 1) -> ImportReport:
    """Import every patient in `files` into profiles/<id>.yaml (see docs/import.md)."""
    settings = load_settings(project)
    vocabulary = load_vocabulary(project, settings)
    id_system = settings.import_.fhir.id_system
    if not id_system:
        raise InvalidInput(
            [
                Problem(
                    SETTINGS_FILE,
                    None,
                    "import.fhir.id_system: name the Patient identifier system that holds your record numbers, "
                    'e.g. import: {fhir: {id_system: "https://clinic.example.org/mrn"}} (see docs/import.md)',
                )
            ]
        )
    sources = _sources(project, files)
    profiles = project / PROFILES_DIR
    profiles.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=profiles))  # beside profiles/: renames stay atomic
    state = {
        "index": CodeIndex.from_vocabulary(vocabulary),
        "id_system": id_system,
        "project": project,
        "settings": settings,
        "vocabulary": vocabulary,
        "staging": staging,
    }
    try:
        with _pool(jobs, state) as pool, FactStore(staging / "facts.sqlite") as store:
            problems: list[Problem] = []
            skipped = _gather(sources, pool, jobs, problems, store)
            return _write_all(project, staging, store, sources, problems, pool, jobs, skipped)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class FactStore:
    """Every patient's facts, on disk until their profile is written, so memory stays flat.

    A bulk export lists resources by type (all Patients, then all Conditions ...), so a person's
    profile can only be written once every file is read. The facts wait in a SQLite file in the
    import's temporary folder beside profiles/ (deleted when the import ends), not in memory.
    """

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.execute("PRAGMA journal_mode = OFF")
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("CREATE TABLE facts (key TEXT NOT NULL, kind TEXT NOT NULL, fact BLOB NOT NULL)")
        self.waiting: list[tuple[str, str, bytes]] = []

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()

    def add(self, key: str, fact: Fact) -> None:
        """Keep one fact of the patient `key`."""
        self.waiting.append((key, fact.kind, pickle.dumps(fact, protocol=pickle.HIGHEST_PROTOCOL)))
        if len(self.waiting) >= 4096:
            self.flush()

    def flush(self) -> None:
        self.connection.executemany("INSERT INTO facts VALUES (?, ?, ?)", self.waiting)
        self.waiting = []

    def finish(self) -> None:
        """Every fact is in: index them by patient."""
        self.flush()
        self.connection.execute("CREATE INDEX facts_by_key ON facts (key)")

    def patients(self) -> Iterator[tuple[str, Fact]]:
        """Each Patient resource's facts, in file order."""
        for key, blob in self.connection.execute("SELECT key, fact FROM facts WHERE kind = 'patient' ORDER BY rowid"):
            yield key, pickle.loads(blob)

    def orphans(self) -> int:
        """Patients that resources name but whose Patient resource is not in the files."""
        query = "SELECT COUNT(DISTINCT key) FROM facts WHERE key NOT IN (SELECT key FROM facts WHERE kind = 'patient')"
        return int(self.connection.execute(query).fetchone()[0])

    def record(self, keys: Sequence[str]) -> PatientRecord:
        """Everything the files say about one patient (who may have a Patient resource in several files)."""
        record = PatientRecord()
        marks = ", ".join("?" * len(keys))
        query = f"SELECT fact FROM facts WHERE key IN ({marks}) ORDER BY rowid"
        for (blob,) in self.connection.execute(query, tuple(keys)):
            fact = pickle.loads(blob)
            if fact.kind == "broken":
                record.broken = True
            elif fact.kind == "patient" and isinstance(fact.details, PatientFacts):
                record.facts, record.position = fact.details, fact.position
            else:
                record.add(fact)
        return record


class _Inline:
    """The executor for --jobs 1: runs each task at once, in this process."""

    def submit(self, task: Callable[..., Any], *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(task(*args))
        return future


@contextlib.contextmanager
def _pool(jobs: int, state: dict[str, Any]) -> Iterator[ProcessPoolExecutor | _Inline]:
    """Worker processes that share the loaded vocabulary and settings (by fork where there is one)."""
    if jobs <= 1:
        _start_worker(state)
        yield _Inline()
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(state,)) as pool:
        yield pool


def _in_order(
    pool: ProcessPoolExecutor | _Inline, task: Callable[..., list[T]], items: Iterable[Any], window: int
) -> Iterator[T]:
    """Results of `task` over `items`, in order, with at most `window` tasks waiting (memory stays flat)."""
    waiting: deque[Future[list[T]]] = deque()
    for item in items:
        waiting.append(pool.submit(task, item))
        if len(waiting) >= window:
            yield from waiting.popleft().result()
    while waiting:
        yield from waiting.popleft().result()


def _gather(
    sources: Sequence[Source], pool: ProcessPoolExecutor | _Inline, jobs: int, problems: list[Problem], store: FactStore
) -> int:
    """Every resource's facts, kept per patient in `store`; returns how many resources were not read."""
    aliases: dict[int, dict[str | int, str]] = {}
    skipped = 0
    for fact in _in_order(pool, read_chunk, _chunks(sources, problems, aliases), jobs * 4):
        key = fact.patient
        if key is not None and key.startswith("urn:"):
            key = aliases.get(fact.position[0], {}).get(key, key)
        elif key is None and fact.resource_type == "Patient":
            key = aliases.get(fact.position[0], {}).get(fact.position[1])
        if fact.kind == "skipped":
            skipped += 1
            continue
        if fact.kind == "broken":
            source = sources[fact.position[0]]
            what = f"{fact.resource_type}: " if fact.resource_type else ""
            problems.append(source.problem(fact.position[1], what + (fact.error or "not valid FHIR R4")))
        elif key is None and fact.kind == "patient":
            problems.append(sources[fact.position[0]].problem(fact.position[1], "Patient: it has no id"))
        if key is not None:
            store.add(key, fact)
    store.finish()
    return skipped


def _sources(project: Path, files: Sequence[Path]) -> list[Source]:
    problems, sources = [], []
    for path in files:
        where = display_path(path, project)
        if not path.is_file():
            problems.append(Problem(where, None, "no such file"))
            continue
        sources.append(Source(path, where, _is_ndjson(path)))
    if problems:
        raise InvalidInput(problems)
    return sources


def stage_chunk(chunk: Sequence[tuple[str, PatientRecord]]) -> list[tuple[str, str | None, list[Problem]]]:
    """Stage a chunk of profiles (in a worker process, or here when --jobs 1)."""
    from .profile_writer import stage_profile

    state = _STATE
    return [
        (
            profile_id,
            *stage_profile(
                state["project"], state["staging"], profile_id, record, state["settings"], state["vocabulary"]
            ),
        )
        for profile_id, record in chunk
    ]


def safe_id(value: str) -> str:
    """A record number as a profile id: lowercase letters, digits and -."""
    return _UNSAFE_ID.sub("-", value.strip().lower()).strip("-")[:64].strip("-")


def _write_all(
    project: Path,
    staging: Path,
    store: FactStore,
    sources: Sequence[Source],
    problems: list[Problem],
    pool: ProcessPoolExecutor | _Inline,
    jobs: int,
    skipped: int,
) -> ImportReport:
    """Check each patient can be imported, then stage and commit their profiles a batch at a time."""
    from .profile_writer import commit_staged
    from .profiles import ID_PATTERN

    numbers: dict[str, str | None] = {}
    for key, fact in store.patients():  # a Patient given twice: the last one counts
        assert isinstance(fact.details, PatientFacts)
        source, at = sources[fact.position[0]], fact.position[1]
        numbers[key] = fact.details.record_id
        if not fact.details.record_id:
            problems.append(
                source.problem(at, "Patient: no identifier with the system in import.fhir.id_system; not imported")
            )
        elif not ID_PATTERN.match(safe_id(fact.details.record_id)):
            numbers[key] = None
            problems.append(source.problem(at, "Patient: the record number makes no usable profile id; not imported"))
    failed = sum(1 for number in numbers.values() if number is None)
    # One record number is one person, even when several files (Bundles of different visits) hold
    # a Patient for them: their facts are merged. Two record numbers that make one id are a conflict.
    by_id: dict[str, dict[str, list[str]]] = {}
    for key, number in numbers.items():
        if number is not None:
            by_id.setdefault(safe_id(number), {}).setdefault(number, []).append(key)
    del numbers
    pending: deque[tuple[str, PatientRecord]] = deque()

    def ready() -> Iterator[list[tuple[str, PatientRecord]]]:
        """Chunks of patients to stage, read from the store as the workers need them."""
        nonlocal failed
        chunk: list[tuple[str, PatientRecord]] = []
        for profile_id in sorted(by_id):
            where = f"{PROFILES_DIR}/{profile_id}.yaml"
            if len(by_id[profile_id]) > 1:
                failed += len(by_id[profile_id])
                problems.append(
                    Problem(where, None, f"not written: {len(by_id[profile_id])} different record numbers make this id")
                )
                continue
            (keys,) = by_id[profile_id].values()
            record = store.record(keys)
            if record.broken:
                failed += 1
                problems.append(
                    Problem(where, None, "not written: a resource of this patient is not valid FHIR (see above)")
                )
                continue
            chunk.append((profile_id, record))
            pending.append((profile_id, record))
            if len(chunk) >= PROFILES_PER_TASK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    imported = []
    people_with: Counter[str] = Counter()
    staged: list[str] = []
    for profile_id, status, stage_problems in _in_order(pool, stage_chunk, ready(), jobs * 2):
        record = pending.popleft()[1]
        if status is None:
            failed += 1
            problems.extend(stage_problems)
            continue
        if status != "unchanged":
            staged.append(profile_id)
        if len(staged) >= COMMIT_BATCH:
            commit_staged(project, staging, staged)
            staged = []
        people_with.update(record.unmapped)
        counts = (
            record.counts["condition"],
            record.counts["medication"],
            record.counts["observation"],
            record.counts["goal"],
        )
        imported.append(Imported(profile_id, status, counts))
    commit_staged(project, staging, staged)
    unmapped = tuple(sorted(people_with.items(), key=lambda item: (-item[1], item[0])))
    return ImportReport(tuple(imported), tuple(problems), unmapped, failed, skipped, store.orphans())


def report_lines(report: ImportReport) -> Iterator[tuple[str, bool]]:
    """The report as lines for the terminal, each with whether it goes to stderr; ids and codes, never values."""
    for problem in report.problems:
        yield str(problem), True
    for item in report.imported:
        counts = ", ".join(f"{n} {_plural(kind, n)}" for kind, n in zip(COUNTED, item.counts, strict=True))
        yield f"{item.id} ({item.status}): mapped {counts}", False
    if report.unmapped:
        yield "codes that no vocabulary term maps (add them to a term's codes: in content/vocabulary.yaml):", False
        for code, people in report.unmapped:
            yield f"  {code}: {people} {'person' if people == 1 else 'people'}", False
    statuses = Counter(item.status for item in report.imported)
    summary = (
        f"imported {len(report.imported)} profile{'s' if len(report.imported) != 1 else ''} "
        f"({statuses['new']} new, {statuses['updated']} updated, {statuses['unchanged']} unchanged)"
    )
    if report.failed:
        summary += f"; {report.failed} patient{'s' if report.failed != 1 else ''} not imported"
    if report.orphans:
        summary += f"; skipped the resources of {report.orphans} patient{'s' if report.orphans != 1 else ''} with no Patient resource"
    if report.skipped:
        summary += f"; {report.skipped} resources of other types not read"
    yield summary, False


def _plural(kind: str, count: int) -> str:
    return kind if count == 1 else kind + "s"
