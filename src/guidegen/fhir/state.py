"""What the last FHIR import wrote, per profile, as hashes: `.guidegen/import.json` (never published).

A re-import compares each imported field of a profile with the hash of what the import last
wrote there: a field staff changed since is theirs and is kept ("kept your edit"). The file also
keeps hashes of the person's name and birth date as the record gave them, so a record of another
person under the same record number is refused, and the file the record came from (its path as
given on the command line). Never a value: hashes are salted per project, so two projects' hashes
of one name differ and no table of common names undoes them.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..project.digests import digest
from ..project.profiles import ID_PATTERN
from ..publish.state import ProjectState
from ..publish.statefile import StateKind

IMPORT_FILE = "import.json"
IMPORT_STATE = StateKind(IMPORT_FILE, lambda data: isinstance(data, dict))
"""Read through the one reader of state files (bounded, never through a link, kept aside when damaged)."""
FORMAT = 1
_HASH = re.compile(r"^[0-9a-f]{32}$")
_FIELD = re.compile(r"^[a-z_]{1,40}(?:\.[a-z0-9_]{1,64})?$")


@dataclass
class ProfileImport:
    """What the last import wrote into one profile."""

    fields: dict[str, str] = field(default_factory=dict)
    """Imported field (measures.<id> per measure) -> hash of what the import wrote there."""
    identity: dict[str, str] = field(default_factory=dict)
    """name, birth_date -> hash of the record's value."""
    source: str = ""
    """The day of that import (never the file: a record file's name may hold the person's name)."""


@dataclass
class ImportState:
    """Every imported profile's hashes, and the project's salt."""

    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    profiles: dict[str, ProfileImport] = field(default_factory=dict)

    def hash(self, *parts: Any) -> str:
        """A salted hash of plain data (field values, a name, a birth date)."""
        return digest(self.salt, *(json.dumps(part, sort_keys=True, default=str) for part in parts))

    def to_bytes(self) -> bytes:
        data = {
            "format": FORMAT,
            "salt": self.salt,
            "profiles": {
                pid: {"fields": dict(sorted(p.fields.items())), "identity": p.identity, "source": p.source}
                for pid, p in sorted(self.profiles.items())
            },
        }
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def load_import_state(project: Path) -> tuple[ImportState, list[Problem]]:
    """The last imports' hashes; a missing file starts afresh, a damaged one is kept aside as
    import.json.damaged (with a warning): every field then counts as unedited."""
    state = ProjectState(project)
    data = state.files.read(IMPORT_STATE)
    if data is None:
        return ImportState(), state.warnings
    if data.get("format") != FORMAT or not _is_salt(data.get("salt")):
        state.warn(IMPORT_FILE, "not a state file of this guidegen: ignored (every field counts as unedited)")
        return ImportState(), state.warnings
    found = ImportState(salt=data["salt"])
    entries = data.get("profiles")
    for profile_id, entry in (entries if isinstance(entries, dict) else {}).items():
        loaded = _entry(profile_id, entry)
        if loaded is None:
            state.warn(IMPORT_FILE, "an entry that is not a profile id with hashes: ignored")
        else:
            found.profiles[profile_id] = loaded
    return found, state.warnings


def save_import_state(project: Path, import_state: ImportState) -> None:
    """Write the hashes atomically (0600), beside the project's other state."""
    ProjectState(project).files.write(IMPORT_FILE, import_state.to_bytes())


def _is_salt(value: Any) -> bool:
    return isinstance(value, str) and bool(_HASH.match(value))


def _hashes(value: Any, keys: re.Pattern[str]) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    if all(isinstance(k, str) and keys.match(k) and isinstance(v, str) and _HASH.match(v) for k, v in value.items()):
        return dict(value)
    return None


def _entry(profile_id: Any, entry: Any) -> ProfileImport | None:
    if not isinstance(profile_id, str) or not ID_PATTERN.match(profile_id) or not isinstance(entry, dict):
        return None
    fields = _hashes(entry.get("fields", {}), _FIELD)
    identity = _hashes(entry.get("identity", {}), re.compile(r"^(?:name|birth_date)$"))
    source = entry.get("source", "")
    if fields is None or identity is None or not isinstance(source, str) or len(source) > 4096:
        return None
    return ProfileImport(fields, identity, source)
