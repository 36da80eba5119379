"""JSON Schemas (draft-07, with an `$id`) of a project's files, for completion and checking in editors.

Made from the same pydantic models that validate the files, with this project's vocabulary
terms and languages as enums, so an editor flags `substances: [alcohl]` as the loader would.
Draft-07 because the common YAML extension of VS Code supports it (not 2020-12): pydantic's
output is rewritten for it (`$defs` -> `definitions`, a `$ref` with siblings under `allOf`).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .codes import CODE_FORMS, CODE_SYSTEMS
from .content import FrontMatter
from .profiles import ID_PATTERN, Profile
from .settings import Settings, load_settings
from .vocabulary import (
    BORROWED_FIELDS,
    HELPS_WITH,
    LIST_FIELDS,
    RISK,
    SINGLE_FIELDS,
    TERM_FIELDS,
    Vocabulary,
    load_vocabulary,
)

DRAFT = "http://json-schema.org/draft-07/schema#"
KINDS = ("profile", "module", "settings", "vocabulary")
SCHEMA_ID = "urn:guidegen:schema:{kind}"
"""Each schema's `$id`: stable, and not a web address (the enums are this project's, nothing is published)."""
PROFILE_KEYS = {
    "goals": "Goals in the person's words: text, and optionally by (a date to reach it) and done (the date reached).",
    "reasons": "The person's own reasons for change, in their words.",
    "triggers": "Situations, feelings, people or places that make use more likely.",
    "warning_signs": "Signs that a crisis or a return to use may be coming.",
    "coping": "What helps the person cope, in their words.",
    "people": "People who support the person, and how to reach them.",
    "care_team": "Professionals on the person's care team: name, role, phone.",
    "safety_plan": "The person's safety plan.",
    "review": "When this profile is next reviewed, and the reviews done.",
}
"""Descriptions of the profile keys whose model attribute has none (shown as hover help in editors)."""


def schema_json(project: Path, kind: str) -> str:
    """The schema of one kind of file, as indented JSON text."""
    schema = _draft07(make_schema(project, kind))
    return json.dumps({"$id": SCHEMA_ID.format(kind=kind), **schema}, indent=2, ensure_ascii=False, sort_keys=False)


def _draft07(schema: Any) -> Any:
    """pydantic's JSON Schema (2020-12 keywords) as draft-07: `$defs` -> `definitions`, and a `$ref` with
    siblings (a description) moved under `allOf`, since draft-07 ignores a `$ref`'s siblings."""
    if isinstance(schema, list):
        return [_draft07(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {("definitions" if key == "$defs" else key): _draft07(value) for key, value in schema.items()}
    if isinstance(found.get("$ref"), str):
        found["$ref"] = found["$ref"].replace("#/$defs/", "#/definitions/")
        if len(found) > 1:
            found["allOf"] = [*found.get("allOf", []), {"$ref": found.pop("$ref")}]
    if isinstance(found.get("prefixItems"), list):
        closed = found.get("items") is False
        found["items"] = found.pop("prefixItems")
        if closed:
            found["additionalItems"] = False
    return found


def make_schema(project: Path, kind: str) -> dict[str, Any]:
    """The schema of `kind` (profile, module, settings, vocabulary) for the project at `project`."""
    if kind == "settings":
        return _document(Settings.model_json_schema(by_alias=True), "guidegen.yaml")
    settings = load_settings(project)
    if kind == "vocabulary":
        return vocabulary_schema(settings)
    vocabulary = load_vocabulary(project, settings)
    if kind == "profile":
        return profile_schema(settings, vocabulary)
    if kind == "module":
        return module_schema(settings, vocabulary)
    raise ValueError(f"unknown kind {kind!r}")


def _document(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": DRAFT, "title": title, **{k: v for k, v in schema.items() if k != "title"}}


def _terms(vocabulary: Vocabulary, field: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(vocabulary.terms(field))}


def profile_schema(settings: Settings, vocabulary: Vocabulary) -> dict[str, Any]:
    """profiles/<id>.yaml: the Profile model with terms and languages as enums."""
    schema = Profile.model_json_schema()
    properties = schema["properties"]
    for field in (*LIST_FIELDS, *BORROWED_FIELDS):
        if field in properties:
            properties[field] = {
                **_strip_type(properties[field]),
                "type": "array",
                "items": _terms(vocabulary, field),
                "uniqueItems": True,
            }
    for field in SINGLE_FIELDS:
        if field in properties:
            properties[field] = {
                **_strip_type(properties[field]),
                "anyOf": [_terms(vocabulary, field), {"type": "null"}],
            }
    language = {"type": "string", "enum": list(settings.languages)}
    properties["language"] = {**_strip_type(properties["language"]), "anyOf": [language, {"type": "null"}]}
    properties["id"]["pattern"] = ID_PATTERN.pattern
    if "measures" in properties and vocabulary.measures:
        properties["measures"] = _measures(properties["measures"], vocabulary)
    for key, description in PROFILE_KEYS.items():
        if key in properties and not properties[key].get("description"):
            properties[key]["description"] = description
    _dates_as_text(schema)
    return _document(schema, "guidegen profile")


def _measures(prop: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """`measures:` with the vocabulary's measures by name, each score within its range."""
    by_measure = {}
    for measure in vocabulary.measures.values():
        score = {
            "type": "object",
            "properties": {
                "date": {"type": "string", "format": "date", "description": "The day of the score."},
                "score": {"type": "number", "minimum": measure.low, "maximum": measure.high},
                "items": {
                    "type": "object",
                    "description": "Item scores where an item matters on its own, e.g. PHQ-9 item 9: {9: 1}.",
                    "propertyNames": {"pattern": "^[1-9][0-9]?$"},
                    "additionalProperties": {"type": "integer", "minimum": 0},
                },
            },
            "required": ["date", "score"],
            "additionalProperties": False,
        }
        name = next(iter(measure.labels.values()), "")
        label = f"{name}: " if name else ""
        by_measure[measure.id] = {
            "type": "array",
            "items": score,
            "description": f"{label}scores {measure.low} to {measure.high}, one per day.",
        }
    return {**_strip_type(prop), "type": "object", "properties": by_measure, "additionalProperties": False}


def _strip_type(prop: dict[str, Any]) -> dict[str, Any]:
    """Keep a property's description and default, drop the shape that is replaced."""
    return {k: v for k, v in prop.items() if k in ("description", "default", "title")}


def _dates_as_text(schema: Any) -> None:
    """YAML dates are dates to the loader but strings to an editor's JSON view: accept both forms."""
    if isinstance(schema, dict):
        if schema.get("format") == "date" and schema.get("type") == "string":
            schema["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
        for value in schema.values():
            _dates_as_text(value)
    elif isinstance(schema, list):
        for value in schema:
            _dates_as_text(value)


def rule_schema(settings: Settings, vocabulary: Vocabulary) -> dict[str, Any]:
    """A `when:` rule: keys are vocabulary fields, language, trauma_informed, not, any, all."""
    ref = {"$ref": "#/$defs/rule"}
    properties: dict[str, Any] = {
        "not": ref,
        "any": {"type": "array", "items": ref, "minItems": 1},
        "all": {"type": "array", "items": ref, "minItems": 1},
        "trauma_informed": {"type": "boolean"},
        "language": _term_or_terms({"type": "string", "enum": list(settings.languages)}),
    }
    for field in vocabulary.fields:
        if field != HELPS_WITH:
            properties[field] = _term_or_terms(_terms(vocabulary, field))
    for field, source in BORROWED_FIELDS.items():
        if source in vocabulary.fields:
            properties[field] = _term_or_terms(_terms(vocabulary, source))
    if vocabulary.measures:
        properties["measures"] = {
            "type": "object",
            "properties": {
                measure.id: _term_or_terms({"type": "string", "enum": [band.id for band in measure.bands]})
                for measure in vocabulary.measures.values()
            },
            "additionalProperties": False,
            "minProperties": 1,
        }
    return {"type": "object", "properties": properties, "additionalProperties": False, "minProperties": 1}


def _term_or_terms(term: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [term, {"type": "array", "items": term, "minItems": 1}]}


def module_schema(settings: Settings, vocabulary: Vocabulary) -> dict[str, Any]:
    """A module's front matter, with `when:` as the rule language over this vocabulary."""
    schema = FrontMatter.model_json_schema()
    schema.setdefault("$defs", {})["rule"] = rule_schema(settings, vocabulary)
    schema["properties"]["when"] = {"$ref": "#/$defs/rule"}
    _dates_as_text(schema)
    return _document(schema, "guidegen module front matter")


def vocabulary_schema(settings: Settings) -> dict[str, Any]:
    """content/vocabulary.yaml: fields of terms, each with a label per language and optional codes."""
    code = {
        "type": "string",
        "anyOf": [
            {"pattern": f"^{system}:(?:{form.pattern.replace('^', '').replace('$', '')})$"}
            for system, form in CODE_FORMS.items()
        ],
        "description": "SYSTEM:CODE, systems: " + ", ".join(CODE_SYSTEMS),
    }
    labels = {lang: {"type": "string", "minLength": 1} for lang in settings.languages}
    term = {
        "type": "object",
        "properties": {**labels, "codes": {"type": "array", "items": code, "minItems": 1, "uniqueItems": True}},
        "required": list(settings.languages),
        "additionalProperties": {"type": "string", "minLength": 1},  # a label in another language
    }
    field = {
        "type": "object",
        "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
        "additionalProperties": term,
        "minProperties": 1,
    }
    words = {"type": "array", "items": {"type": "string", "minLength": 1}}
    found_by = {
        "type": "object",
        "description": "Words that find this term in a person's triggers and warning signs, per language.",
        "additionalProperties": words,
    }
    helped = {**term, "properties": {**labels, "words": found_by}}
    helps_with = {**copy.deepcopy(field), "additionalProperties": helped}
    band = {
        "type": "object",
        "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, **labels},
        "required": ["from", "to", *settings.languages],
    }
    measure = {
        "type": "object",
        "properties": {
            **labels,
            "range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            "better": {"enum": ["lower", "higher"]},
            "bands": {"type": "object", "additionalProperties": band, "minProperties": 1},
            "source": {"type": "string", "minLength": 1},
            "codes": {"type": "array", "items": code},
            "unit": {"enum": ["score", "days"]},
        },
        "required": ["range", "better", "bands", "source", *settings.languages],
        "additionalProperties": False,
    }
    measures = {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"}, "additionalProperties": measure}
    return {
        "$schema": DRAFT,
        "title": "guidegen vocabulary",
        "type": "object",
        "properties": {
            **{name: copy.deepcopy(field) for name in (*TERM_FIELDS, RISK)},
            HELPS_WITH: helps_with,
            "measures": measures,
        },
        "additionalProperties": False,
    }
