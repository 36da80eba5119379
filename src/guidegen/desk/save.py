"""Saving a person's form into profiles/<id>.yaml: only the fields the form shows change, the
rest of the file (comments, key order, fields the form does not show) stays as it was. The new
text is loaded through the same loader as `guidegen check` before it replaces the file, under
the build lock, atomically; a file changed on disk since the form was opened is left alone."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from ..errors import Problem
from ..fhir.writer import new_profile_text, put_key, round_trip_yaml, same_data, yaml_word
from ..project.profiles import PROFILES_DIR, Profile, load_profile
from ..project.settings import Settings
from ..project.vocabulary import BORROWED_FIELDS, LIST_FIELDS, SINGLE_FIELDS, Vocabulary
from ..publish.state import ProjectState
from ..publish.statefile import STATE_DIR

STAGING_DIR = "desk"
"""Inside .guidegen/: where a saved form waits while the loader checks it."""
HEADER = "Made with guidegen desk. Every key is explained in docs/profiles.md."
LIST_TERMS = frozenset({*LIST_FIELDS, *BORROWED_FIELDS})
WORDS = frozenset({*LIST_FIELDS, *BORROWED_FIELDS, *SINGLE_FIELDS, "language", "print", "result"})
"""Fields whose values are terms or codes, written as plain words."""


@dataclass
class Saved:
    """What a save did: written, unchanged, refused (changed on disk, exists) or invalid (problems)."""

    status: str
    problems: list[Problem] = field(default_factory=list)
    version: str = ""
    """The digest of the file as it now is (what the form carries for the next save)."""


def file_version(path: Path) -> str:
    """The digest of a profile file as it is on disk; empty when there is none."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def profile_file(root: Path, profile_id: str) -> Path:
    """The file of a profile id (an existing .yml is kept; a new profile is .yaml)."""
    for suffix in (".yaml", ".yml"):
        path = root / PROFILES_DIR / f"{profile_id}{suffix}"
        if path.is_file():
            return path
    return root / PROFILES_DIR / f"{profile_id}.yaml"


def save_profile(
    root: Path,
    profile_id: str,
    values: Mapping[str, Any],
    opened_version: str,
    settings: Settings,
    vocabulary: Vocabulary,
) -> Saved:
    """Write `values` (field key -> value, None removes) into the profile, if it is still what was opened."""
    path = profile_file(root, profile_id)
    with ProjectState(root).locked():
        if file_version(path) != opened_version:
            return Saved("exists" if not opened_version else "changed", version=file_version(path))
        old_text = path.read_text(encoding="utf-8") if opened_version else None
        text = profile_text(old_text, profile_id, values, field_defaults(settings))
        if text is None:
            return Saved("invalid", [Problem(str(path.name), 1, "expected a mapping of keys (fix this file first)")])
        if text == old_text:
            return Saved("unchanged", version=opened_version)
        problems = _write_checked(root, path, text, settings, vocabulary)
        if problems:
            return Saved("invalid", problems, version=opened_version)
        return Saved("saved", version=file_version(path))


def field_defaults(settings: Settings) -> dict[str, Any]:
    """What an absent key means; a select shows it, and sent back unchanged it adds no key."""
    defaults: dict[str, Any] = {
        name: info.default for name, info in Profile.model_fields.items() if isinstance(info.default, str)
    }
    defaults["language"] = settings.default_language
    return defaults


def profile_text(
    old_text: str | None, profile_id: str, values: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> str | None:
    """The profile's new text; None when the old file is not a mapping of keys."""
    if old_text is None:
        data = CommentedMap([("id", yaml_word(profile_id))])
        apply_values(data, values, defaults or {})
        return new_profile_text(data, HEADER)
    yaml = round_trip_yaml()
    data = yaml.load(old_text)
    if not isinstance(data, CommentedMap):
        return None
    apply_values(data, values, defaults or {})
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def _write_checked(root: Path, path: Path, text: str, settings: Settings, vocabulary: Vocabulary) -> list[Problem]:
    """Stage the text, load it as `check` would, and only then move it into place."""
    staging = root / STATE_DIR / STAGING_DIR
    staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = staging / path.name
    with staged.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        loaded, problems = load_profile(staged, root, settings, vocabulary)
        if loaded is None:
            return problems
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, path)
        _sync_folder(path.parent)
        return []
    finally:
        staged.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def apply_values(data: CommentedMap, values: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Change only what the form changed: a field equal as data keeps its text and comments.

    A dotted key (risk.suicide_screen.result) is set inside its parts, made when a value needs
    them; a part left empty by the form is removed (an empty part would not load)."""
    for key, value in values.items():
        if key not in data and key in defaults and defaults[key] == value:
            continue
        *parts, last = key.split(".")
        chain = [data]
        for part in parts:
            inner = chain[-1].get(part)
            if not isinstance(inner, CommentedMap):
                if _empty(value):
                    break
                inner = CommentedMap()
                if len(chain) > 1:
                    inner.fa.set_flow_style()
                _put(chain[-1], part, inner, top=len(chain) == 1)
            chain.append(inner)
        else:
            _set(chain[-1], last, value, top=not parts)
            for part, parent in zip(reversed(parts), reversed(chain[:-1]), strict=True):
                if parent.get(part) == {}:
                    del parent[part]


def _put(data: CommentedMap, key: str, value: Any, *, top: bool) -> None:
    if top:
        put_key(data, key, value)
    else:
        data[key] = value


def _empty(value: Any) -> bool:
    return value is None or value is False or value == [] or value == {}


def _set(data: CommentedMap, key: str, value: Any, *, top: bool) -> None:
    if key in LIST_TERMS and isinstance(data.get(key), list) and isinstance(value, list):
        old = [str(t) for t in data[key]]
        value = [t for t in old if t in value] + [t for t in value if t not in old]  # staff's order stays
    if key in data and (same_data(data[key], value) or _same_text(data[key], value)):
        return
    if _empty(value) and key not in data:
        return
    if value is None or (_empty(value) and key == "measures"):
        del data[key]
        return
    if key == "measures" and isinstance(data.get(key), CommentedMap):
        _set_measures(data[key], value)
        return
    _put(data, key, _as_yaml(key, value), top=top)


def _same_text(old: Any, new: Any) -> bool:
    """A text area gives back a block of text without its last line break: the same text."""
    return isinstance(old, str) and isinstance(new, str) and old.rstrip() == new.rstrip()


def _set_measures(old: CommentedMap, measures: Mapping[str, list[Any]]) -> None:
    """Each measure's scores in place: an unchanged measure keeps its line and comment, and what
    the form does not show of a score (its items) stays with the score of the same day."""
    for measure in [m for m in old if m not in measures]:
        del old[measure]
    for measure, scores in measures.items():
        before = {str(e.get("date")): e for e in old.get(measure) or () if isinstance(e, Mapping)}
        kept = [{**{k: v for k, v in before.get(str(e.get("date")), {}).items() if k not in e}, **e} for e in scores]
        kept = [{k: e[k] for k in (*before.get(str(e.get("date")), {}), *e) if k in e} for e in kept]
        if measure not in old or not same_data(old[measure], kept):
            old[measure] = _as_yaml("scores", kept)


def _as_yaml(key: str, value: Any) -> Any:
    """Form data as the round-trip writer lays a profile out: terms as words, texts quoted, rows
    as flow maps, each measure's scores on one line."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        if key in WORDS:
            return yaml_word(value)
        return LiteralScalarString(value + "\n") if "\n" in value else DoubleQuotedScalarString(value)
    if key == "measures" and isinstance(value, Mapping):
        return CommentedMap((measure, _as_yaml("scores", scores)) for measure, scores in value.items())
    if isinstance(value, Mapping):
        mapping = CommentedMap((k, _as_yaml(k, v)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(_as_yaml(key, v) for v in value)
        if key == "scores" or not any(isinstance(v, Mapping) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value
