"""Reading record files: a Bundle or NDJSON (gzip or not, with or without a byte-order mark)
into chunks of resources for the worker processes, each with its file and position."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..errors import InvalidInput, Problem, display_path
from .facts import READ_TYPES, Fact
from .read import STU3, patient_key

CHUNK = 256
"""Resources handed to a worker at a time."""


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
    except (ValueError, RecursionError):
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
    except RecursionError:
        problems.append(Problem(source.where, None, "this file nests deeper than any FHIR record: not read"))
        return []
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            problems.append(Problem(source.where, None, "Bundle.entry: expected a list"))
            return []
        return list(enumerate(entries))
    return [(-1, {"resource": data})]  # a single resource


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


def _where(sources: Sequence[Source], at: tuple[int, int]) -> str:
    source = sources[at[0]]
    if source.ndjson:
        return f"{source.where}:{at[1]}"
    return source.where if at[1] < 0 else f"{source.where} entry[{at[1]}]"
