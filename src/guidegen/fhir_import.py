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
import dataclasses
import gzip
import json
import multiprocessing
import pickle
import re
import shutil
import sqlite3
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .errors import InvalidInput, Problem, display_path
from .fhir_read import READ_TYPES, STU3, CodeIndex, Fact, PatientFacts, PatientRecord, patient_key, read_resource
from .fhir_state import ImportState, ProfileImport, load_import_state, save_import_state
from .profile_writer import Edits, coded_terms
from .profiles import PROFILES_DIR
from .settings import SETTINGS_FILE, load_settings
from .vocabulary import load_vocabulary

_UNSAFE_ID = re.compile(r"[^a-z0-9-]+")
CHUNK = 256
"""Resources handed to a worker at a time."""
PROFILES_PER_TASK = 32
"""Profiles a worker stages at a time."""
COMMIT_BATCH = 512
"""Staged profiles moved into profiles/ after one sync."""
COUNTED = ("condition", "medication", "observation", "goal")
"""What the report counts per profile."""
T = TypeVar("T")


_STATE: dict[str, Any] = {}


def _start_worker(state: dict[str, Any]) -> None:
    _STATE.update(state)


def read_chunk(chunk: Sequence[tuple[tuple[int, int], str | dict[str, Any]]]) -> list[Fact]:
    """Validate and read a chunk of resources (in a worker process, or here when --jobs 1)."""
    return [read_resource(raw, position, _STATE["index"], _STATE["id_system"]) for position, raw in chunk]


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
    suffixes = [suffix.lower() for suffix in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in (".ndjson", ".jsonl"):
        return True
    try:
        with _open_text(path, "replace") as handle:
            first = handle.readline()
    except (OSError, EOFError):
        return False  # reported when read as a Bundle
    try:
        resource = json.loads(first)
    except ValueError:
        return False
    return isinstance(resource, dict) and resource.get("resourceType") != "Bundle"


def _chunks(
    sources: Sequence[Source], problems: list[Problem], files: _FileContext
) -> Iterator[list[tuple[tuple[int, int], str | dict[str, Any]]]]:
    """Resources to read, a chunk at a time; NDJSON line by line, so memory stays flat."""
    chunk: list[tuple[tuple[int, int], str | dict[str, Any]]] = []
    for number, source in enumerate(sources):
        files.scopes[number] = f"folder:{source.path.parent}"  # an export: ids are unique across its files
        if source.ndjson:
            for line_number, line in _ndjson_lines(source, problems):
                if _skipped_type(line):
                    files.skipped += 1
                    continue
                chunk.append(((number, line_number), line))
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
            continue
        entries = _bundle_entries(source, problems)
        files.aliases[number] = _entry_aliases(entries)
        if not (entries and entries[0][0] == -1):
            files.scopes[number] = f"bundle:{number}"  # ids in a Bundle are its own
        for entry_index, entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
            if isinstance(resource_type, str) and resource_type not in READ_TYPES:
                files.skipped += 1
                continue
            chunk.append(((number, entry_index), resource if resource is not None else entry))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


_LEADING_TYPE = re.compile(r'\s*\{\s*"resourceType"\s*:\s*"([A-Za-z]+)"')


def _skipped_type(line: str) -> bool:
    """A line whose resource (its resourceType written first, as exports do) is of a type the import does not read:
    it is counted without being parsed or sent to a worker."""
    match = _LEADING_TYPE.match(line)
    return match is not None and match.group(1) not in READ_TYPES


def _ndjson_lines(source: Source, problems: list[Problem]) -> Iterator[tuple[int, str]]:
    """The non-blank lines of an NDJSON file with their numbers; a damaged gzip file stops with an error."""
    line_number = 0
    try:
        with _open_text(source.path, "replace") as lines:
            for line_number, line in enumerate(lines, 1):
                if line.strip():
                    yield line_number, line
    except (OSError, EOFError):
        problems.append(Problem(source.where, line_number + 1, "this file cannot be read from here on (damaged gzip?)"))


def _open_text(path: Path, errors: str = "strict") -> TextIO:
    """A record file as text: UTF-8 with or without a byte-order mark, gzip-compressed when it ends in .gz."""
    if path.suffix.lower() == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors=errors)
    return path.open(encoding="utf-8-sig", errors=errors)


def _entry_aliases(entries: list[tuple[int, Any]]) -> dict[str | int, str]:
    """A Bundle's full URLs of Patients and Medications -> Patient/<id> (or the URL when there is no id)."""
    aliases: dict[str | int, str] = {}
    for entry_index, entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(url, str):
            continue
        resource_type, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(resource_type, str):
            aliases[url] = f"{resource_type}/{rid}" if isinstance(rid, str) else url
            if resource_type == "Patient":
                aliases[entry_index] = aliases[url]  # a Patient without an id is known by its URL
    for _index, entry in entries:  # care team members named by full URL: what kind of member they are
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == "CareTeam":
            _typed_members(resource, aliases)
    return aliases


def _typed_members(care_team: dict[str, Any], aliases: dict[str | int, str]) -> None:
    """Give each member named by a Bundle's full URL its type (Practitioner, Organization ...), before validation."""
    for participant in care_team.get("participant") or []:
        member = participant.get("member") if isinstance(participant, dict) else None
        if isinstance(member, dict) and isinstance(member.get("reference"), str) and "type" not in member:
            target = aliases.get(member["reference"], "")
            if "/" in target and not target.startswith("urn:"):
                member["type"] = target.split("/")[0]


def _bundle_entries(source: Source, problems: list[Problem]) -> list[tuple[int, Any]]:
    try:
        with _open_text(source.path) as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError, OSError, EOFError) as error:
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
    unused: tuple[tuple[str, int], ...] = ()
    """Codes guidegen recognises for a field profiles do not have yet, and how many people have them."""
    near: int = 0
    """How many of `unmapped` (listed first) are near a vocabulary term's neighbourhood."""
    counted: tuple[tuple[str, int], ...] = ()
    """Observation category (vital-signs, laboratory) -> how many different unmapped codes it had."""
    languages: tuple[tuple[str, int], ...] = ()
    """Preferred languages not among the site's languages, and how many people have them."""


def import_fhir(project: Path, files: Sequence[Path], *, jobs: int = 1, prefer_record: bool = False) -> ImportReport:
    """Import every patient in `files` into profiles/<id>.yaml (see docs/import.md).

    A field staff changed since the last import is kept, unless `prefer_record`."""
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
    import_state, state_problems = load_import_state(project)
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
        "salt": import_state.salt,
        "prefer_record": prefer_record,
        "coded": coded_terms(vocabulary),
    }
    try:
        with _pool(jobs, state) as pool, FactStore(staging / "facts.sqlite") as store:
            problems: list[Problem] = list(state_problems)
            skipped = _gather(sources, pool, jobs, problems, store)
            return _write_all(
                project, staging, store, sources, problems, pool, jobs, skipped, import_state, settings.languages
            )
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
        query = (
            "SELECT COUNT(DISTINCT key) FROM facts"
            " WHERE kind != 'drug' AND key NOT IN (SELECT key FROM facts WHERE kind = 'patient')"
        )
        return int(self.connection.execute(query).fetchone()[0])

    def record(self, keys: Sequence[str]) -> PatientRecord:
        """Everything the files say about one patient (who may have a Patient resource in several files)."""
        record = PatientRecord()
        marks = ", ".join("?" * len(keys))
        query = f"SELECT fact FROM facts WHERE key IN ({marks}) ORDER BY rowid"
        for (blob,) in self.connection.execute(query, tuple(keys)).fetchall():
            fact = pickle.loads(blob)
            if fact.kind == "medication" and fact.reference:
                fact = self._with_drug(fact)
            if fact.kind == "broken":
                record.broken = True
            elif fact.kind == "patient" and isinstance(fact.details, PatientFacts):
                record.facts, record.position = fact.details, fact.position
            else:
                record.add(fact)
        return record

    def _with_drug(self, fact: Fact) -> Fact:
        """A medicine given by reference, with what the Medication it names means (nothing when it is not there)."""
        query = "SELECT fact FROM facts WHERE key = ? AND kind = 'drug' ORDER BY rowid DESC LIMIT 1"
        row = self.connection.execute(query, (fact.reference,)).fetchone()
        if row is None:
            return dataclasses.replace(fact, reference=None)
        drug = pickle.loads(row[0])
        return dataclasses.replace(fact, terms=drug.terms, unmapped=drug.unmapped, reference=None)


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
    files = _FileContext()
    skipped = 0
    stu3_files: set[int] = set()
    for fact in _in_order(pool, read_chunk, _chunks(sources, problems, files), jobs * 4):
        if fact.kind == "skipped":
            skipped += 1
            continue
        key = files.patient_key(fact)
        if fact.kind == "broken":
            _report_broken(fact, sources, problems, stu3_files)
        elif key is None and fact.kind == "patient":
            problems.append(sources[fact.position[0]].problem(fact.position[1], "Patient: it has no id"))
        if fact.warning:
            problem = sources[fact.position[0]].problem(fact.position[1], f"{fact.resource_type}: {fact.warning}")
            problems.append(dataclasses.replace(problem, severity="warning"))
        if fact.kind == "drug" and fact.reference:
            store.add(files.drug_key(fact.position[0], fact.reference), fact)
        elif key is not None:
            store.add(key, files.resolved(fact))
    store.finish()
    return skipped + files.skipped


def _report_broken(fact: Fact, sources: Sequence[Source], problems: list[Problem], stu3_files: set[int]) -> None:
    """A resource that is not valid FHIR R4, where it is; only the first STU3 resource of a file is listed."""
    source = sources[fact.position[0]]
    if fact.error and STU3 in fact.error:
        if fact.position[0] in stu3_files:
            return
        stu3_files.add(fact.position[0])
    what = f"{fact.resource_type}: " if fact.resource_type else ""
    problems.append(source.problem(fact.position[1], what + (fact.error or "not valid FHIR R4")))


@dataclass
class _FileContext:
    """What references in a file mean: a Bundle's full URLs, and where its resource ids are unique."""

    aliases: dict[int, dict[str | int, str]] = field(default_factory=dict)
    """File number -> a Bundle's full URLs (and Patient entries without an id) -> Patient/<id>, Medication/<id>."""
    scopes: dict[int, str] = field(default_factory=dict)
    """File number -> where its resource ids are unique: the Bundle itself, or the folder of an export."""
    skipped: int = 0
    """Resources of types the import does not read, counted before they reach a worker."""

    def patient_key(self, fact: Fact) -> str | None:
        """Whose fact this is: Patient/<id> in the scope of its file (two Bundles' Patient/1 are two people)."""
        key = fact.patient
        if key is not None and key.startswith("urn:"):
            key = self.aliases.get(fact.position[0], {}).get(key, key)
        elif key is None and fact.resource_type == "Patient":
            key = self.aliases.get(fact.position[0], {}).get(fact.position[1])
        return None if key is None else f"{self.scopes.get(fact.position[0], '')}|{key}"

    def drug_key(self, number: int, reference: str) -> str:
        """The store key of a Medication, named by a reference in file `number`."""
        alias = self.aliases.get(number, {}).get(reference, reference)
        local = patient_key(alias, "Medication") or alias
        return f"drug|{self.scopes.get(number, '')}|{local}"

    def resolved(self, fact: Fact) -> Fact:
        """A medicine given by reference: the reference made a store key (resolved when the record is read)."""
        if fact.kind == "medication" and fact.reference:
            return dataclasses.replace(fact, reference=self.drug_key(fact.position[0], fact.reference))
        return fact


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


def stage_chunk(chunk: Sequence[tuple[str, PatientRecord]]) -> list[tuple[str, str | None, list[Problem], Edits]]:
    """Stage a chunk of profiles (in a worker process, or here when --jobs 1)."""
    from .profile_writer import stage_profile

    state = _STATE
    staged = []
    for profile_id, record in chunk:
        edits = Edits(record.last, state["salt"], state["prefer_record"], state["coded"])
        status, problems, used = stage_profile(
            state["project"], state["staging"], profile_id, record, state["settings"], state["vocabulary"], edits
        )
        staged.append((profile_id, status, problems, used))
    return staged


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
    from .profiles import ID_PATTERN

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
            f"the one last imported into this profile (from {last.source or 'an earlier import'}): another person "
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
    import_state.profiles[profile_id] = ProfileImport(fields, identity, sources[at[0]].where)


def _where(sources: Sequence[Source], at: tuple[int, int]) -> str:
    source = sources[at[0]]
    if source.ndjson:
        return f"{source.where}:{at[1]}"
    return source.where if at[1] < 0 else f"{source.where} entry[{at[1]}]"


def _write_all(
    project: Path,
    staging: Path,
    store: FactStore,
    sources: Sequence[Source],
    problems: list[Problem],
    pool: ProcessPoolExecutor | _Inline,
    jobs: int,
    skipped: int,
    import_state: ImportState,
    languages: Sequence[str],
) -> ImportReport:
    """Check each patient can be imported, then stage and commit their profiles a batch at a time."""
    from .profile_writer import commit_staged

    by_id, failed = _patients_by_id(store, sources, problems)
    deceased = 0
    pending: deque[tuple[str, PatientRecord]] = deque()

    def ready() -> Iterator[list[tuple[str, PatientRecord]]]:
        """Chunks of patients to stage, read from the store as the workers need them."""
        nonlocal failed, deceased
        chunk: list[tuple[str, PatientRecord]] = []
        for profile_id in sorted(by_id):
            record, problem, refused = _checked_record(
                project, profile_id, by_id[profile_id], store, sources, import_state
            )
            if record is None:
                failed += refused
                deceased += by_id[profile_id].deceased
                if refused or problem:
                    where = f"{PROFILES_DIR}/{profile_id}.yaml"
                    problems.append(Problem(where, None, problem or "", "error" if refused else "warning"))
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
    unused_with: Counter[str] = Counter()
    codes = _CodeTally()
    staged: list[str] = []
    for profile_id, status, stage_problems, edits in _in_order(pool, stage_chunk, ready(), jobs * 2):
        record = pending.popleft()[1]
        if status is None:
            failed += 1
            problems.extend(stage_problems)
            continue
        _remember(import_state, profile_id, by_id[profile_id], sources, edits)
        if status != "unchanged":
            staged.append(profile_id)
        if len(staged) >= COMMIT_BATCH:
            commit_staged(project, staging, staged)
            staged = []
        people_with.update(record.unmapped)
        unused_with.update(record.unused)
        codes.add(record, languages)
        counts = (
            record.counts["condition"],
            record.counts["medication"],
            record.counts["observation"],
            record.counts["goal"],
        )
        imported.append(Imported(profile_id, status, counts, tuple(edits.kept)))
    commit_staged(project, staging, staged)
    save_import_state(project, import_state)  # after the profiles: a crash between keeps edits, never loses one
    unmapped = tuple(sorted(people_with.items(), key=lambda item: (not codes.is_near(item[0]), -item[1], item[0])))
    return ImportReport(
        tuple(imported),
        tuple(problems),
        unmapped,
        failed,
        skipped,
        store.orphans(),
        deceased,
        _most_first(unused_with),
        sum(1 for code, _ in unmapped if codes.is_near(code)),
        tuple(sorted((category, len(found)) for category, found in codes.counted.items())),
        _most_first(codes.languages),
    )


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
    if report.unused:
        yield "codes guidegen recognises for a profile field this edition does not have yet (not written):", False
        for code, people in report.unused:
            yield f"  {code}: {people} {_people(people)}", False
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
