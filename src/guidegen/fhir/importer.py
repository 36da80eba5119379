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
import multiprocessing
import shutil
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InvalidInput, Problem
from ..project.profiles import PROFILES_DIR
from ..project.settings import SETTINGS_FILE, load_settings
from ..project.vocabulary import load_vocabulary
from .facts import CodeIndex, Fact
from .files import Source, _chunks, _FileContext, _report_broken, _sources
from .identity import _checked_record, _patients_by_id, _remember
from .read import PatientRecord, read_resource
from .report import Imported, ImportReport, _CodeTally, _most_first
from .state import ImportState, load_import_state, save_import_state
from .store import FactStore
from .writer import Edits, coded_terms

PROFILES_PER_TASK = 32
"""Profiles a worker stages at a time."""
COMMIT_BATCH = 512
"""Staged profiles moved into profiles/ after one sync."""
T = TypeVar("T")


_STATE: dict[str, Any] = {}


def _start_worker(state: dict[str, Any]) -> None:
    _STATE.update(state)


def read_chunk(chunk: Sequence[tuple[tuple[int, int], str | dict[str, Any]]]) -> list[Fact]:
    """Validate and read a chunk of resources (in a worker process, or here when --jobs 1)."""
    return [read_resource(raw, position, _STATE["index"], _STATE["id_system"]) for position, raw in chunk]


# -- reading files -------------------------------------------------------------------------------


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


def stage_chunk(chunk: Sequence[tuple[str, PatientRecord]]) -> list[tuple[str, str | None, list[Problem], Edits]]:
    """Stage a chunk of profiles (in a worker process, or here when --jobs 1)."""
    from .writer import stage_profile

    state = _STATE
    staged = []
    for profile_id, record in chunk:
        edits = Edits(record.last, state["salt"], state["prefer_record"], state["coded"])
        status, problems, used = stage_profile(
            state["project"], state["staging"], profile_id, record, state["settings"], state["vocabulary"], edits
        )
        staged.append((profile_id, status, problems, used))
    return staged


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
    from .writer import commit_staged

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
    overdoses: Counter[str] = Counter()
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
        if record.overdoses:
            overdoses["recent" if record.recent_overdose(date.today()) else "older"] += 1
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
        (overdoses["recent"], overdoses["older"]),
        sum(1 for code, _ in unmapped if codes.is_near(code)),
        tuple(sorted((category, len(found)) for category, found in codes.counted.items())),
        _most_first(codes.languages),
    )
