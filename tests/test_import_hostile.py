"""Records built to break the import (reliability item 7): deep nesting, a contained resource of a
type FHIR does not have, an unknown element whose name is a value. A clear message, no traceback,
nothing quoted; other patients still imported."""

from __future__ import annotations

import json
from pathlib import Path

SYSTEM = "https://riverside.example.org/fhir/record-number"


def patient(pid: str, mrn: str) -> dict:
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": SYSTEM, "value": mrn}],
        "name": [{"given": ["Zelda"]}],
    }


def test_a_bundle_nested_100000_deep_is_an_error_not_a_traceback(clinic: Path, tmp_path: Path, run) -> None:
    deep = tmp_path / "deep.json"
    nested = "[" * 100_000 + "]" * 100_000
    deep.write_text(
        '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","extension":'
        + nested
        + "}}]}"
    )
    line = tmp_path / "deep.ndjson"
    line.write_text(json.dumps(patient("2", "MRN-2")) + "\n" + '{"resourceType":"Condition","x":' + nested + "}\n")
    result = run("import", "fhir", str(deep), str(line), "-C", clinic)
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "deep.json: this file nests deeper than any FHIR record" in result.output
    assert "deep.ndjson:2: " in result.output and "nests deeper" in result.output


def test_an_unknown_contained_type_and_an_unknown_element_never_quote_the_record(
    clinic: Path, tmp_path: Path, run
) -> None:
    secret = "ZELDA-SECRET"
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": patient("1", "MRN-1")},
            {
                "resource": {
                    "resourceType": "MedicationRequest",
                    "id": "m",
                    "status": "active",
                    "intent": "order",
                    "subject": {"reference": "Patient/1"},
                    "contained": [{"resourceType": secret, "id": "x"}],
                    "medicationReference": {"reference": "#x"},
                }
            },
            {"resource": {"resourceType": "Condition", "id": "c", "subject": {"reference": "Patient/1"}, secret: 1}},
            {"resource": patient("2", "MRN-2")},
        ],
    }
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    result = run("import", "fhir", str(path), "-C", clinic)
    assert secret not in result.output and "Traceback" not in result.output
    assert "entry[1]: MedicationRequest: not valid FHIR R4" in result.output
    assert "entry[2]: Condition: not valid FHIR R4 (resource: an element FHIR R4 does not have)" in result.output
    assert (clinic / "profiles" / "mrn-2.yaml").is_file() and not (clinic / "profiles" / "mrn-1.yaml").exists()
