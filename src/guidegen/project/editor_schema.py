"""JSON Schemas (draft 2020-12) of a project's files, for completion and checking in editors.

Made from the same pydantic models that validate the files, with this project's vocabulary
terms and languages as enums, so an editor flags `substances: [alcohl]` as the loader would.
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
    LIST_FIELDS,
    SINGLE_FIELDS,
    TERM_FIELDS,
    Vocabulary,
    load_vocabulary,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("profile", "module", "settings", "vocabulary")


def schema_json(project: Path, kind: str) -> str:
    """The schema of one kind of file, as indented JSON text."""
    return json.dumps(make_schema(project, kind), indent=2, ensure_ascii=False, sort_keys=False)


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
    _dates_as_text(schema)
    return _document(schema, "guidegen profile")


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
        },
        "required": ["range", "better", "bands", "source", *settings.languages],
        "additionalProperties": False,
    }
    measures = {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"}, "additionalProperties": measure}
    return {
        "$schema": DRAFT,
        "title": "guidegen vocabulary",
        "type": "object",
        "properties": {**{name: copy.deepcopy(field) for name in TERM_FIELDS}, "measures": measures},
        "additionalProperties": False,
    }
