"""guidegen import fhir, second edition: real-record cases (issue 31) and identity (issue 25, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from fhir_records import (
    ICD,
    SNOMED,
    coded_observation,
    condition,
    patient,
    write_bundle,
)


@pytest.fixture
def clinic(project: Path) -> Path:
    """The example project, without its example profiles."""
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    return project


def profile(project: Path, profile_id: str) -> dict:
    return yaml.safe_load((project / "profiles" / f"{profile_id}.yaml").read_text())


def imported(run: Callable[..., Result], clinic: Path, *files: Path, code: int = 0) -> Result:
    result = run("import", "fhir", *files, "-C", clinic, "-j", "1")
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


# -- 1. pregnancy ---------------------------------------------------------------------------------


def test_a_pregnant_patient_gets_pregnancy(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    """Synthea's "Normal pregnancy" (a SNOMED descendant of Pregnancy) and the US Core pregnancy status."""
    records = [
        patient("a", "MRN-1"),
        condition("a", SNOMED, "72892002"),  # Normal pregnancy, active
        patient("b", "MRN-2"),
        coded_observation("b", "82810-3", SNOMED, "77386006", "2026-10-01T09:00:00Z"),  # Pregnant
        condition("b", ICD, "F11.20"),
        patient("c", "MRN-3"),
        coded_observation("c", "82810-3", SNOMED, "77386006", "2026-03-01"),
        coded_observation("c", "82810-3", SNOMED, "60001007", "2026-11-01"),  # Not pregnant, later
        patient("d", "MRN-4"),
        condition("d", SNOMED, "72892002", clinical="resolved"),
    ]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["conditions"] == ["pregnancy"]
    assert profile(clinic, "mrn-2")["conditions"] == ["pregnancy"]
    assert profile(clinic, "mrn-2")["substances"] == ["opioids"]
    assert "conditions" not in profile(clinic, "mrn-3")
    assert profile(clinic, "mrn-4").get("conditions", []) == []
    assert "Private status text" not in result.output
    assert "SNOMED|60001007" not in result.output  # a status value is not an unmapped code
