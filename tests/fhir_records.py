"""Small FHIR R4 resources for import tests, made by hand (fictional people only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ID_SYSTEM = "https://riverside.example.org/fhir/record-number"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"


def patient(
    pid: str, record: str | None, given: str = "Sam", language: str | None = "es", **extra: Any
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:other", "value": "X-1"}],
        "name": [{"use": "official", "family": "Rivera-Private", "given": [given, "Middle"]}],
        "address": [{"line": ["12 Secret Street"], "city": "Springfield"}],
        "telecom": [{"system": "phone", "value": "555-0123"}],
        "birthDate": "1990-02-03",
    }
    if record is not None:
        resource["identifier"].append({"system": ID_SYSTEM, "value": record})
    if language:
        resource["communication"] = [
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en-US"}]}},
            {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]}, "preferred": True},
        ]
    resource.update(extra)
    return resource


def condition(
    pid: str, system: str, code: str, clinical: str = "active", verification: str | None = "confirmed"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]
        },
        "code": {"coding": [{"system": system, "code": code}], "text": "Private diagnosis text"},
        "note": [{"text": "Private clinical note"}],
    }
    if verification:
        resource["verificationStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]
        }
    return resource


def medication(pid: str, rxnorm: str, status: str = "active", kind: str = "MedicationRequest") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": kind,
        "status": status,
        "subject": {"reference": f"Patient/{pid}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm}]},
    }
    if kind == "MedicationRequest":
        resource["intent"] = "order"
    return resource


def observation(
    pid: str, loinc: str, score: float | int, when: str, status: str = "final", quantity: bool = False
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": status,
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "effectiveDateTime": when,
    }
    if quantity:
        resource["valueQuantity"] = {"value": score, "unit": "{score}"}
    else:
        resource["valueInteger"] = score
    return resource


def goal(
    pid: str, text: str, due: str | None = None, status: str = "active", achieved_on: str | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Goal",
        "lifecycleStatus": status,
        "description": {"text": text},
        "subject": {"reference": f"Patient/{pid}"},
    }
    if due:
        resource["target"] = [{"dueDate": due}]
    if achieved_on:
        resource["achievementStatus"] = {"coding": [{"code": "achieved"}]}
        resource["statusDate"] = achieved_on
    return resource


def care_team(pid: str, members: list[tuple[str, str | None]], status: str = "active") -> dict[str, Any]:
    return {
        "resourceType": "CareTeam",
        "status": status,
        "subject": {"reference": f"Patient/{pid}"},
        "participant": [
            {
                "member": {"reference": f"Practitioner/{i}", "display": name},
                **({"role": [{"text": role}]} if role else {}),
            }
            for i, (name, role) in enumerate(members)
        ]
        + [{"member": {"reference": f"Patient/{pid}", "display": "The person themself"}}],
    }


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def write_bundle(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(bundle(resources), indent=1), encoding="utf-8")
    return path


def write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return path


def coded_observation(pid: str, loinc: str, system: str, code: str, when: str, status: str = "final") -> dict[str, Any]:
    """An Observation whose value is a code (pregnancy status, smoking status)."""
    return {
        "resourceType": "Observation",
        "status": status,
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": system, "code": code}], "text": "Private status text"},
    }
