"""Writing imported facts into profiles/<id>.yaml, keeping what staff wrote by hand and their comments.

The import owns a few fields: name, language, the coded terms of substances, conditions and
therapies (terms without `codes:` in the vocabulary, like cbt, stay staff's), goals, care_team,
the measures it has scores for, and the date of an overdose in the last year
(risk.recent_overdose, only ever moved later). A field is replaced only when the record holds resources of
the kind that fills it. Everything else in the file, comments included, is kept as it was
(ruamel.yaml round trip). The new text must load as a valid profile before it replaces the old
file, atomically.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ..errors import Problem
from ..project.digests import digest
from ..project.profile_parts import CareTeamMember, Goal
from ..project.profiles import PROFILES_DIR, Profile, load_profile
from ..project.settings import Settings
from ..project.vocabulary import Vocabulary
from ..project.yamlfile import read_yaml

if TYPE_CHECKING:
    from .read import PatientRecord

KEY_ORDER = tuple(Profile.model_fields)
"""Keys in the order a new profile lists them (the order of the Profile model)."""
FILLED_BY = {"substances": "condition", "conditions": "condition", "therapies": "medication"}
"""Term field -> the kind of resource that fills it."""
NEW_PROFILE_HEADER = (
    "Imported from the clinic's record system (guidegen import fhir). A new import replaces name,\n"
    "language, coded terms, goals, care_team, measures and a recent overdose's date; add triggers,\n"
    "coping, people, a safety plan and a message by hand: they are kept. See docs/import.md."
)


def round_trip_yaml() -> YAML:
    """The round-trip reader and writer of profiles: comments, key order and quotes stay (the desk uses it too)."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line of text
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def stage_profile(
    project: Path,
    staging: Path,
    profile_id: str,
    record: PatientRecord,
    settings: Settings,
    vocabulary: Vocabulary,
    edits: Edits | None = None,
) -> tuple[str | None, list[Problem], Edits]:
    """Write the new or updated profile into `staging`, checked; returns new/updated/unchanged, or None and why,
    with the fields it wrote and kept (`edits`: what the last import wrote, see Edits).

    `commit_staged` then moves it into profiles/: a profile file is only ever replaced whole.
    """
    template = edits if edits is not None else Edits(coded=coded_terms(vocabulary))
    path = project / PROFILES_DIR / f"{profile_id}.yaml"
    where = f"{PROFILES_DIR}/{profile_id}.yaml"
    if path.exists():
        document, problems = read_yaml(path, project)
        if document is None:
            return (
                None,
                [*problems, Problem(where, None, "not updated: fix this file first (guidegen check)")],
                template,
            )
        if not isinstance(document.data, dict):
            return None, [Problem(where, 1, "not updated: expected a mapping of keys (fix this file first)")], template
        # Most re-imports change nothing: compare as plain data first, and round-trip only what changed.
        merged, edits = copy.deepcopy(document.data), template.fresh()
        if merge_record(merged, record, settings, vocabulary, new=False, edits=edits) is None and same_data(
            merged, document.data
        ):
            return "unchanged", [], edits
        old_text: str | None = path.read_text(encoding="utf-8")
        yaml = round_trip_yaml()
        data = yaml.load(old_text)
        if not isinstance(data, CommentedMap):
            return None, [Problem(where, 1, "not updated: expected a mapping of keys (fix this file first)")], template
    else:
        old_text = None
        data = CommentedMap([("id", yaml_word(profile_id))])
    edits = template.fresh(new_profile=old_text is None)
    problem = merge_record(data, record, settings, vocabulary, new=old_text is None, edits=edits)
    if problem:
        return None, [Problem(where, None, problem)], edits
    if old_text is None:
        text = new_profile_text(data)
    else:
        buffer = io.StringIO()
        yaml.dump(data, buffer)
        text = buffer.getvalue()
        if text == old_text:
            return "unchanged", [], edits
    status, problems = _stage_text(project, staging, path, text, settings, vocabulary, old_text is None)
    return status, problems, edits


def _stage_text(
    project: Path, staging: Path, path: Path, text: str, settings: Settings, vocabulary: Vocabulary, new: bool
) -> tuple[str | None, list[Problem]]:
    """Write a profile's new text into `staging` if it loads as a valid profile."""
    where = f"{PROFILES_DIR}/{path.name}"
    staged = staging / path.name
    staged.write_text(text, encoding="utf-8")
    loaded, problems = load_profile(staged, project, settings, vocabulary)
    if loaded is None:
        # Our bug, or a vocabulary without these terms: say where, never the values.
        staged.unlink()
        return None, [
            Problem(where, p.line, f"not written: the imported profile would not be valid ({p.message})")
            for p in problems
        ]
    return ("new" if new else "updated"), []


def commit_staged(project: Path, staging: Path, profile_ids: Iterable[str]) -> None:
    """Move staged profiles into profiles/: their bytes reach the disk first (one sync), then each is renamed."""
    ids = list(profile_ids)
    if not ids:
        return
    if hasattr(os, "sync"):
        os.sync()  # one flush for a whole batch instead of an fsync per file (about 5 ms each)
    else:  # pragma: no cover - Windows
        for profile_id in ids:
            with (staging / f"{profile_id}.yaml").open("rb+") as handle:
                os.fsync(handle.fileno())
    for profile_id in ids:
        os.replace(staging / f"{profile_id}.yaml", project / PROFILES_DIR / f"{profile_id}.yaml")


def new_profile_text(data: CommentedMap, header: str = NEW_PROFILE_HEADER) -> str:
    """A new profile's YAML, laid out as the round-trip writer lays it out (and about 50 times faster)."""
    lines = ["# " + line for line in header.split("\n")]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_flow(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append(f"{key}:")
            lines += [f"  - {_flow(item)}" for item in value]
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, DoubleQuotedScalarString):
        return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and not _plain_word(value):
        return json.dumps(value, ensure_ascii=False)  # an id like 0142 must stay text
    return str(value)  # terms, ids, language codes and numbers: plain words


_AMBIGUOUS = frozenset({"yes", "no", "on", "off", "y", "n", "true", "false", "null"})


def _plain_word(text: str) -> bool:
    """Text that YAML reads back as the same text without quotes."""
    return bool(re.fullmatch(r"[a-z][a-z0-9_-]*", text)) and text not in _AMBIGUOUS


def yaml_word(text: str) -> str:
    """A term or code for the round-trip writer: quoted when YAML would read it as something else."""
    return text if _plain_word(text) else DoubleQuotedScalarString(text)


@dataclass
class Edits:
    """Which imported fields staff changed since the last import: those are kept, unless the record is preferred."""

    last: Mapping[str, str] = field(default_factory=dict)
    """Field -> hash of what the last import wrote there (empty: nothing is known, every field is replaced)."""
    salt: str = ""
    prefer_record: bool = False
    coded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Term field -> its terms with codes (the part of the field the import owns)."""
    written: dict[str, str] = field(default_factory=dict)
    """Field -> hash of what this import leaves there (for the next one)."""
    kept: list[str] = field(default_factory=list)
    """Fields kept as staff edited them."""

    def fresh(self, *, new_profile: bool = False) -> Edits:
        """The same knowledge, for one more merge (a new profile file has no edits to keep)."""
        return Edits({} if new_profile else self.last, self.salt, self.prefer_record, self.coded)

    def hash(self, key: str, value: Any) -> str:
        """The hash of the part of a field the import owns (coded terms; a care team's names and roles)."""
        return digest(self.salt, key, json.dumps(self._owned(key, _plain(value)), sort_keys=True, default=str))

    def _owned(self, key: str, value: Any) -> Any:
        if key in self.coded and isinstance(value, list):
            return [t for t in value if t in self.coded[key]]
        if key == "care_team" and isinstance(value, list):
            return [[m.get("name"), m.get("role")] for m in value if isinstance(m, dict)]
        return value

    def put(self, data: dict[str, Any], key: str, value: Any, *, stored: str | None = None) -> bool:
        """Replace a field unless staff changed it since the last import; False when it is kept."""
        stored = stored or key
        old = data.get(key)
        new_hash = self.hash(stored, value)
        last = self.last.get(stored)
        if last is not None and not self.prefer_record:
            old_hash = self.hash(stored, old)
            if old_hash not in (last, new_hash):
                self.kept.append(stored)
                self.written[stored] = last
                return False
        self.written[stored] = new_hash
        if stored == key:
            put_key(data, key, value)
        return True


def merge_record(
    data: dict[str, Any],
    record: PatientRecord,
    settings: Settings,
    vocabulary: Vocabulary,
    *,
    new: bool,
    edits: Edits | None = None,
) -> str | None:
    """Put the record's facts into a profile's data; a message when it cannot be done."""
    edits = edits if edits is not None else Edits(coded=coded_terms(vocabulary))
    facts = record.facts
    if facts is not None and facts.name:
        edits.put(data, "name", DoubleQuotedScalarString(facts.name))
    elif new:
        return "not written: the Patient has no given name, and a profile needs a name"
    if facts is not None and facts.language in settings.languages:
        edits.put(data, "language", yaml_word(facts.language))
    _merge_terms(data, record, vocabulary, edits)
    if "goal" in record.seen:
        edits.put(data, "goals", _goals(record))
    if "careteam" in record.seen:
        edits.put(data, "care_team", _care_team(data.get("care_team"), record))
    if "measures" in Profile.model_fields and record.scores:
        _merge_measures(data, record, edits)
    _merge_overdose(data, record, edits)
    return None


def _merge_overdose(data: dict[str, Any], record: PatientRecord, edits: Edits) -> None:
    """risk.recent_overdose: the record's latest overdose of the last year, when it is later than the
    date there (a date staff wrote is never moved earlier or removed by an import)."""
    day = record.recent_overdose(date.today())
    risk = data.get("risk")
    if day is None or (risk is not None and not isinstance(risk, dict)):
        return
    if risk is None:
        risk = CommentedMap() if isinstance(data, CommentedMap) else {}
    old = risk.get("recent_overdose")
    if isinstance(old, date) and old >= day:
        day = old
    if edits.put(risk, "recent_overdose", day, stored="risk.recent_overdose"):
        risk["recent_overdose"] = day
    if risk:  # not an empty `risk:` where staff removed the whole of it
        put_key(data, "risk", risk)


def coded_terms(vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """Per term field, the terms that have codes: the import owns those; the others are staff's."""
    coded: dict[str, set[str]] = {}
    for vocabulary_field, term in vocabulary.codes:
        coded.setdefault(vocabulary_field, set()).add(term)
    return {k: frozenset(v) for k, v in coded.items()}


def _merge_measures(data: dict[str, Any], record: PatientRecord, edits: Edits) -> None:
    """Each measure's series from the record, unless staff changed that series since the last import."""
    measures = data.get("measures")
    if not isinstance(measures, dict):
        measures = CommentedMap()
    for measure in sorted(record.scores):
        series = CommentedSeq()
        for day in sorted(record.scores[measure]):
            entry = CommentedMap([("date", day), ("score", record.scores[measure][day].score)])
            entry.fa.set_flow_style()
            series.append(entry)
        series.fa.set_flow_style()
        if edits.put(measures, measure, series, stored=f"measures.{measure}"):
            measures[measure] = series
    put_key(data, "measures", measures)


def _merge_terms(data: dict[str, Any], record: PatientRecord, vocabulary: Vocabulary, edits: Edits) -> None:
    """Coded terms: replaced when the record holds resources of the kind that fills the field."""
    for name, kind in FILLED_BY.items():
        imported = record.field_terms(name)
        if kind in record.seen:
            edits.put(data, name, _terms(data.get(name), imported, name, vocabulary))
        elif imported:  # only a status Observation speaks to this field: add its terms, remove none
            edits.put(data, name, _terms(data.get(name), imported, name, vocabulary, replace=False))


def _terms(old: Any, imported: list[str], field: str, vocabulary: Vocabulary, *, replace: bool = True) -> CommentedSeq:
    """Staff's uncoded terms kept, coded ones replaced by the record's (or kept too); in vocabulary order."""
    coded = {term for (f, term) in vocabulary.codes if f == field} if replace else set()
    kept = [t for t in (old or []) if isinstance(t, str) and t not in coded]
    wanted = set(kept) | set(imported)
    order = vocabulary.terms(field)
    terms = [t for t in order if t in wanted] + [t for t in kept if t not in order]
    seq = CommentedSeq(yaml_word(t) for t in terms)
    seq.fa.set_flow_style()
    return seq


def _goals(record: PatientRecord) -> CommentedSeq:
    goals = CommentedSeq()
    for goal in record.goals:
        entry = CommentedMap([("text", DoubleQuotedScalarString(goal.text))])
        if goal.by:
            entry["by"] = goal.by
        if goal.done and "done" in Goal.model_fields:
            entry["done"] = goal.done
        entry.fa.set_flow_style()
        goals.append(entry)
    return goals


def _care_team(old: Any, record: PatientRecord) -> CommentedSeq:
    """The record's care team; a phone number staff added by hand stays with the same name."""
    phones = {
        m.get("name"): m.get("phone")
        for m in (old or [])
        if isinstance(m, dict) and m.get("phone") and "phone" in CareTeamMember.model_fields
    }
    team = CommentedSeq()
    for name, role in record.care_team:
        entry = CommentedMap([("name", DoubleQuotedScalarString(name))])
        if role:
            entry["role"] = DoubleQuotedScalarString(role)
        if phones.get(name):
            entry["phone"] = phones[name]
        entry.fa.set_flow_style()
        team.append(entry)
    return team


def put_key(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a key, in place when it exists (its comments stay); new keys go where KEY_ORDER puts them."""
    if key in data:
        if same_data(data[key], value):
            return
        data[key] = value
        return
    if not isinstance(data, CommentedMap):
        data[key] = value  # plain data, only compared
        return
    rank = KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER)
    position = 0
    for index, existing in enumerate(data):
        if existing in KEY_ORDER and KEY_ORDER.index(existing) < rank:
            position = index + 1
    data.insert(position, key, value)


def same_data(old: Any, new: Any) -> bool:
    """Equal as data (so an unchanged field keeps its formatting and comments)."""
    return bool(_plain(old) == _plain(new))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
