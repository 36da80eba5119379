"""guidegen schema: JSON Schemas that accept the project's own files and reject a wrong term."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from guidegen.project.content import split_front_matter

jsonschema = pytest.importorskip("jsonschema")


def as_editor_sees(value: Any) -> Any:
    """YAML as a JSON Schema validator in an editor sees it: dates are text."""
    if isinstance(value, dict):
        return {k: as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editor_sees(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def validator(run: Callable[..., Result], project: Path, kind: str) -> Any:
    result = run("schema", kind, "-C", project)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == f"urn:guidegen:schema:{kind}"
    assert "$defs" not in json.dumps(schema)  # draft-07 has definitions
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_example_profiles_are_valid_and_a_wrong_term_is_not(run: Callable[..., Result], repo: Path) -> None:
    check = validator(run, repo, "profile")
    paths = sorted((repo / "profiles").glob("*.yaml"))
    assert paths
    for path in paths:
        data = as_editor_sees(yaml.safe_load(path.read_text()))
        assert not list(check.iter_errors(data)), path.name
    data["substances"] = ["alcohl"]
    errors = list(check.iter_errors(data))
    assert errors and list(errors[0].absolute_path) == ["substances", 0]
    data["substances"], data["stage"] = ["alcohol"], "ready"
    assert list(check.iter_errors(data))
    data["stage"], data["language"] = None, "fr"
    assert list(check.iter_errors(data))
    data["language"], data["favourite_colour"] = "en", "blue"
    assert list(check.iter_errors(data))


def test_terms_come_from_the_projects_vocabulary(run: Callable[..., Result], project: Path) -> None:
    vocabulary = project / "content" / "vocabulary.yaml"
    vocabulary.write_text(
        vocabulary.read_text().replace("  nicotine:", "  gambling: {en: Gambling, es: Juego}\n  nicotine:")
    )
    schema = json.loads(run("schema", "profile", "-C", project).output)
    assert "gambling" in schema["properties"]["substances"]["items"]["enum"]
    assert schema["properties"]["substances"]["description"]  # attribute docstrings: hover help


def test_settings_vocabulary_and_module_schemas_accept_the_project(run: Callable[..., Result], repo: Path) -> None:
    settings = yaml.safe_load((repo / "guidegen.yaml").read_text())
    assert not list(validator(run, repo, "settings").iter_errors(settings))
    vocabulary_check = validator(run, repo, "vocabulary")
    vocabulary = yaml.safe_load((repo / "content" / "vocabulary.yaml").read_text())
    assert not list(vocabulary_check.iter_errors(vocabulary))
    vocabulary["substances"]["opioids"]["codes"].append("ICD10:F11")
    assert list(vocabulary_check.iter_errors(vocabulary))
    module_check = validator(run, repo, "module")
    modules = sorted(p for p in (repo / "content").glob("*/*.md") if p.parent.name != "_shared")
    for path in modules:
        front, _, _ = split_front_matter(path.read_text(), str(path))
        data = as_editor_sees(yaml.safe_load(front))
        assert not list(module_check.iter_errors(data)), path.name
    data["when"] = {"substances": ["alcohl"]}
    assert list(module_check.iter_errors(data))
    data["when"] = {"not": {"any": [{"conditions": "psychosis"}, {"stage": ["action"]}]}}
    assert not list(module_check.iter_errors(data))


def test_unknown_kind_is_a_usage_error(run: Callable[..., Result], repo: Path) -> None:
    assert run("schema", "rules", "-C", repo).exit_code == 2


def test_profile_keys_are_described_and_measures_are_named_with_their_ranges(
    run: Callable[..., Result], repo: Path
) -> None:
    check = validator(run, repo, "profile")
    properties = check.schema["properties"]
    assert [key for key, prop in properties.items() if not prop.get("description")] == []
    phq9 = properties["measures"]["properties"]["phq9"]
    assert phq9["description"].startswith("Depression check (PHQ-9): scores 0 to 27")
    person = {"id": "r-1", "name": "Sam", "measures": {"phq9": [{"date": "2026-10-01", "score": 12}]}}
    assert not list(check.iter_errors(person))
    person["measures"]["phq9"][0]["score"] = 300
    assert list(check.iter_errors(person))
    person["measures"] = {"phq10": []}
    assert list(check.iter_errors(person))
