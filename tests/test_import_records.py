"""guidegen import fhir, second edition: real-record cases (issue 31) and identity (issue 25, item 2)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from fhir_records import (
    ICD,
    RXNORM,
    SNOMED,
    care_team,
    coded_observation,
    condition,
    goal,
    medication,
    observation,
    patient,
    write_bundle,
)


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


# -- 2. medicines by meaning ----------------------------------------------------------------------


def recent(days: int = 10) -> str:
    from datetime import date, timedelta

    return (date.today() - timedelta(days=days)).isoformat()


def test_medicines_by_product_dispense_administration_reference_and_contained(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    film = {"coding": [{"system": RXNORM, "code": "1010600", "display": "buprenorphine 2 MG / naloxone 0.5 MG"}]}
    records = [
        patient("a", "MRN-1"),
        medication("a", "1010600"),  # a buprenorphine/naloxone film order (a product, not the ingredient)
        patient("b", "MRN-2"),
        {  # methadone at a treatment program: a dispense, a product code
            "resourceType": "MedicationDispense",
            "status": "completed",
            "subject": {"reference": "Patient/b"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "991147"}]},
            "whenHandedOver": recent(),
        },
        {  # an old dispense is not a medicine taken now
            "resourceType": "MedicationDispense",
            "status": "completed",
            "subject": {"reference": "Patient/b"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1483744"}]},
            "whenHandedOver": recent(400),
        },
        patient("c", "MRN-3"),
        {  # an administration of a Medication named by reference elsewhere in the Bundle
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "subject": {"reference": "Patient/c"},
            "medicationReference": {"reference": "Medication/sublocade"},
            "effectivePeriod": {"start": recent(3), "end": recent(3)},
        },
        {"resourceType": "Medication", "id": "sublocade", "code": {"coding": [{"system": RXNORM, "code": "1996189"}]}},
        patient("d", "MRN-4"),
        {  # a Medication contained in the order
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/d"},
            "contained": [{"resourceType": "Medication", "id": "m1", "code": film}],
            "medicationReference": {"reference": "#m1"},
        },
        {  # naltrexone in an abuse-deterrent opioid is not naltrexone treatment
            "resourceType": "MedicationRequest",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/d"},
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "863845"}]},
        },
    ]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["therapies"] == ["buprenorphine"]
    assert profile(clinic, "mrn-2")["therapies"] == ["methadone"]
    assert profile(clinic, "mrn-3")["therapies"] == ["buprenorphine"]
    assert profile(clinic, "mrn-4")["therapies"] == ["buprenorphine"]
    assert "RxNorm|863845: 1 person" in result.output
    assert "skipped the resources" not in result.output  # a Medication is not an orphan patient


def test_a_medication_reference_is_local_to_its_bundle(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    def visit(pid: str, record: str, code: str) -> list[dict]:
        order = medication(pid, "0")
        del order["medicationCodeableConcept"]
        order["medicationReference"] = {"reference": "Medication/m"}
        drug = {"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": RXNORM, "code": code}]}}
        return [patient(pid, record), order, drug]

    first = write_bundle(tmp_path / "a.json", visit("1", "MRN-1", "1010604"))  # buprenorphine/naloxone
    second = write_bundle(tmp_path / "b.json", visit("2", "MRN-2", "864761"))  # methadone
    imported(run, clinic, first, second)
    assert profile(clinic, "mrn-1")["therapies"] == ["buprenorphine"]
    assert profile(clinic, "mrn-2")["therapies"] == ["methadone"]


# -- 3. staff edits win ---------------------------------------------------------------------------


def test_reimport_keeps_staff_edits_and_prefer_record_takes_the_record(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    def record(extra: list[dict]) -> list[dict]:
        return [
            patient("p", "MRN-1", given="Sam", language="es"),
            condition("p", ICD, "F11.20"),
            condition("p", ICD, "F32.1"),
            medication("p", "1010600"),
            observation("p", "44261-6", 16, "2026-08-01"),
            goal("p", "Walk every morning"),
            care_team("p", [("Alex Kim", "Counselor")]),
            *extra,
        ]

    first = write_bundle(tmp_path / "first.json", record([]))
    imported(run, clinic, first)
    path = clinic / "profiles" / "mrn-1.yaml"
    text = path.read_text()
    edits = {
        'name: "Sam"': 'name: "Sammy"',  # a preferred name
        "language: es": "language: en",  # the language they asked for
        "substances: [opioids]": "substances: [opioids, cannabis]",  # a self-reported substance
        "therapies: [buprenorphine]": "therapies: [buprenorphine, naltrexone]",  # a clinic-started medicine
        '- {text: "Walk every morning"}': '- {text: "Walk every morning"}\n  - {text: "Call my sponsor"}',
        "{date: 2026-08-01, score: 16}": "{date: 2026-08-01, score: 16}, {date: 2026-09-01, score: 11}",  # paper
        'role: "Counselor"': 'role: "Peer coach"',  # a care-team role
    }
    for old, new in edits.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)

    later = write_bundle(tmp_path / "later.json", record([condition("p", ICD, "F41.1")]))  # anxiety now too
    result = imported(run, clinic, later)
    data = profile(clinic, "mrn-1")
    assert data["name"] == "Sammy" and data["language"] == "en"
    assert data["substances"] == ["opioids", "cannabis"]
    assert data["therapies"] == ["buprenorphine", "naltrexone"]
    assert data["goals"] == [{"text": "Walk every morning"}, {"text": "Call my sponsor"}]
    assert [s["score"] for s in data["measures"]["phq9"]] == [16, 11]
    assert data["care_team"] == [{"name": "Alex Kim", "role": "Peer coach"}]
    assert data["conditions"] == ["depression", "anxiety"]  # not edited: the record's
    assert (
        "mrn-1 (updated): mapped 3 conditions, 1 medication, 1 observation, 1 goal; kept your edit: "
        "name, language, substances, therapies, goals, care_team, measures.phq9" in result.output
    )
    state = (clinic / ".guidegen" / "import.json").read_text()
    for value in ("Sam", "Sammy", "Walk every morning", "Alex Kim", "Counselor", "opioids", "1990-02-03"):
        assert value not in state

    again = imported(run, clinic, later)  # still kept, still said
    assert "kept your edit: name, language" in again.output and profile(clinic, "mrn-1")["name"] == "Sammy"

    preferred = run("import", "fhir", later, "--prefer-record", "-C", clinic, "-j", "1")
    assert preferred.exit_code == 0, preferred.output
    data = profile(clinic, "mrn-1")
    assert data["name"] == "Sam" and data["language"] == "es" and data["substances"] == ["opioids"]
    assert data["care_team"] == [{"name": "Alex Kim", "role": "Counselor"}]
    assert "kept your edit" not in preferred.output
    assert "kept your edit" not in imported(run, clinic, later).output  # the record's values are unedited now


# -- 4. one person per profile --------------------------------------------------------------------


def test_two_bundles_with_patient_1_are_two_people(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    """Resource ids are local to a file (issue 25, item 2)."""
    first = write_bundle(tmp_path / "a.json", [patient("1", "MRN-A", given="Ana"), condition("1", ICD, "F10.20")])
    second = write_bundle(tmp_path / "b.json", [patient("1", "MRN-B", given="Ben"), condition("1", ICD, "F11.20")])
    result = imported(run, clinic, first, second)
    assert "imported 2 profiles (2 new" in result.output
    assert profile(clinic, "mrn-a")["name"] == "Ana" and profile(clinic, "mrn-a")["substances"] == ["alcohol"]
    assert profile(clinic, "mrn-b")["name"] == "Ben" and profile(clinic, "mrn-b")["substances"] == ["opioids"]


def test_two_people_under_one_identifier_are_refused(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    first = write_bundle(tmp_path / "visit-a.json", [patient("x", "MRN-7", given="Ana"), condition("x", ICD, "F10.20")])
    other = patient("y", "MRN-7", given="Ben", birthDate="1971-05-06")
    second = write_bundle(tmp_path / "visit-b.json", [other, condition("y", ICD, "F11.20")])
    result = imported(run, clinic, first, second, code=1)
    assert (
        f"profiles/mrn-7.yaml: not written: the Patients in {first} entry[0] and {second} entry[0] have the same "
        "record number but a different name or birth date" in result.output
    )
    assert not (clinic / "profiles" / "mrn-7.yaml").exists()
    assert "2 patients not imported" in result.output
    for value in ("Ana", "Ben", "1971-05-06", "1990-02-03", "Rivera-Private"):
        assert value not in result.output

    # the same person again (another visit) is fine; another person under that number later is refused
    imported(run, clinic, first)
    again = write_bundle(tmp_path / "visit-c.json", [patient("z", "MRN-7", given="Ana"), condition("z", ICD, "F12.20")])
    assert profile(clinic, "mrn-7")["substances"] == ["alcohol"]
    imported(run, clinic, again)
    assert profile(clinic, "mrn-7")["substances"] == ["cannabis"]
    result = imported(run, clinic, second, code=1)
    assert (
        f"profiles/mrn-7.yaml: not written: the Patient in {second} entry[0] has a different name or birth date than "
        f"the one last imported into this profile (imported on {date.today().isoformat()})" in result.output
    )
    assert "visit-c" not in (clinic / ".guidegen" / "import.json").read_text()  # a file name may name a person
    assert profile(clinic, "mrn-7")["substances"] == ["cannabis"]
    assert "Ben" not in result.output and "Ben" not in (clinic / ".guidegen" / "import.json").read_text()


# -- 5. deceased patients -------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
SYNTHEA_SYSTEM = "http://hospital.smarthealthit.org"


@pytest.fixture
def synthea_clinic(clinic: Path) -> Path:
    """The clinic, with Synthea's record numbers as its id system."""
    settings = clinic / "guidegen.yaml"
    settings.write_text(
        settings.read_text().split("import:")[0] + f'import: {{fhir: {{id_system: "{SYNTHEA_SYSTEM}"}}}}\n'
    )
    return clinic


def test_a_deceased_patient_is_skipped(synthea_clinic: Path, run: Callable[..., Result]) -> None:
    """Synthea's Alejandro has a deceasedDateTime: no guide; a profile made before is reported to retire."""
    profile_id = "a9fcc685-c7a2-4474-bf25-26c8fe4b48f9"
    result = imported(run, synthea_clinic, FIXTURES / "synthea-deceased.json")
    assert not (synthea_clinic / "profiles" / f"{profile_id}.yaml").exists()
    assert "1 deceased patient not imported" in result.output

    path = synthea_clinic / "profiles" / f"{profile_id}.yaml"
    path.write_text(f'id: {profile_id}\nname: "Alejandro"\n')
    result = imported(run, synthea_clinic, FIXTURES / "synthea-deceased.json")
    assert f"profiles/{profile_id}.yaml: warning: the record says this person has died" in result.output
    assert "retire this profile" in result.output
    assert path.read_text() == f'id: {profile_id}\nname: "Alejandro"\n'
    assert "Alejandro" not in result.output


def test_deceased_boolean(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = [patient("a", "MRN-1", deceasedBoolean=True), patient("b", "MRN-2", deceasedBoolean=False)]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert not (clinic / "profiles" / "mrn-1.yaml").exists() and (clinic / "profiles" / "mrn-2.yaml").exists()
    assert "imported 1 profile (1 new, 0 updated, 0 unchanged); 1 deceased patient not imported" in result.output


# -- 6. a bad value drops the value, not the patient ----------------------------------------------


def test_a_phq9_of_300_keeps_the_patient(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = [
        patient("a", "MRN-1"),
        condition("a", ICD, "F11.20"),
        observation("a", "44261-6", 300, "2026-09-01"),
        observation("a", "44261-6", 12, "2026-10-01"),
    ]
    path = write_bundle(tmp_path / "b.json", records)
    result = imported(run, clinic, path)
    data = profile(clinic, "mrn-1")
    assert data["substances"] == ["opioids"]
    assert data["measures"] == {"phq9": [{"date": date(2026, 10, 1), "score": 12}]}
    assert (
        f"{path}: warning: entry[2]: Observation: a phq9 score outside 0 to 27: this score is left out" in result.output
    )
    assert "300" not in result.output.replace(str(tmp_path), "")


# -- 7. SNOMED descendants, smoking, overdose -----------------------------------------------------


def test_descendants_by_the_declared_table(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = [
        patient("a", "MRN-1"),
        condition("a", SNOMED, "268621008"),  # recurrent major depressive episodes
        condition("a", SNOMED, "83225003"),  # bipolar II
        patient("b", "MRN-2"),
        condition("b", SNOMED, "15193003"),  # severe recurrent major depression (QI-Core)
        medication("b", "198031"),  # a nicotine patch
        patient("c", "MRN-3"),
        condition("c", SNOMED, "1153575004"),  # persistent depressive disorder
        medication("c", "835726"),  # acamprosate 333 MG
    ]
    imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["conditions"] == ["depression", "bipolar"]
    assert profile(clinic, "mrn-2")["conditions"] == ["depression"]
    assert profile(clinic, "mrn-2")["substances"] == ["nicotine"]
    assert profile(clinic, "mrn-3")["conditions"] == ["depression"]
    assert profile(clinic, "mrn-3")["therapies"] == ["acamprosate"]


def test_daily_smoking_and_overdose_in_synthea_records(synthea_clinic: Path, run: Callable[..., Result]) -> None:
    """Angelita's latest smoking status is "Current every day smoker"; Barrett had a drug overdose
    in 2009: long ago, so it is reported and not written as a recent one."""
    result = imported(run, synthea_clinic, FIXTURES / "synthea-smoker.json", FIXTURES / "synthea-overdose.json")
    assert profile(synthea_clinic, "fefe278e-73bb-4b7d-93ef-b01bd9269b78")["substances"] == ["nicotine"]
    barrett = profile(synthea_clinic, "54ca27a3-d4c3-4786-b527-592da10f2503")
    assert "risk" not in barrett
    assert "overdoses in the records (SNOMED|55680006 drug overdose):" in result.output
    assert "  longer ago or undated, not written: 1 person" in result.output
    assert "SNOMED|55680006: 1 person" not in result.output  # not among the unmapped codes


def overdose(pid: str, onset: str | None, **status: str) -> dict:
    resource = condition(pid, SNOMED, "55680006", **status)
    if onset:
        resource["onsetDateTime"] = onset
    return resource


def test_an_overdose_in_the_last_year_is_the_profiles_recent_overdose(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    """Resolved or not, an overdose of the last 365 days gives its date (the latest one); an older,
    undated, refuted or future one gives nothing; the report counts people, never dates."""
    from datetime import timedelta

    future = (date.today() + timedelta(days=20)).isoformat()
    records = [
        patient("a", "MRN-1"),
        overdose("a", recent(200) + "T03:30:00+00:00", clinical="resolved"),
        overdose("a", recent(40)),
        overdose("a", recent(900)),
        patient("b", "MRN-2"),
        overdose("b", recent(400)),
        overdose("b", None),
        overdose("b", future),
        patient("c", "MRN-3"),
        overdose("c", recent(5), verification="entered-in-error"),
        condition("c", ICD, "F11.20"),
    ]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["risk"] == {"recent_overdose": date.fromisoformat(recent(40))}
    assert "risk" not in profile(clinic, "mrn-2")
    assert "risk" not in profile(clinic, "mrn-3") and profile(clinic, "mrn-3")["substances"] == ["opioids"]
    assert "in the last 365 days, its date in risk.recent_overdose: 1 person" in result.output
    assert "longer ago or undated, not written: 1 person" in result.output
    assert recent(40) not in result.output and "Private" not in result.output
    text = (clinic / "profiles" / "mrn-1.yaml").read_text()
    assert f"risk:\n  recent_overdose: {recent(40)}\n" in text and "a recent overdose's date" in text


def test_an_import_moves_a_recent_overdose_later_but_keeps_what_staff_wrote(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    """The import never moves staff's date earlier, never removes it, and keeps their correction."""
    first = write_bundle(tmp_path / "1.json", [patient("a", "MRN-1"), overdose("a", recent(100))])
    imported(run, clinic, first)
    path = clinic / "profiles" / "mrn-1.yaml"
    assert profile(clinic, "mrn-1")["risk"] == {"recent_overdose": date.fromisoformat(recent(100))}
    # staff add the suicide screen and a later overdose they heard of; the record has only the old one
    text = path.read_text().replace(
        f"risk:\n  recent_overdose: {recent(100)}",
        f"risk: {{suicide_screen: {{result: negative}}, recent_overdose: {recent(10)}}}  # told by phone",
    )
    path.write_text(text)
    imported(run, clinic, first)
    assert profile(clinic, "mrn-1")["risk"] == {
        "suicide_screen": {"result": "negative"},
        "recent_overdose": date.fromisoformat(recent(10)),
    }
    assert "# told by phone" in path.read_text()
    # a later overdose in the record moves the date on, and staff's other risk facts stay
    later = write_bundle(
        tmp_path / "2.json", [patient("a", "MRN-1"), overdose("a", recent(100)), overdose("a", recent(2))]
    )
    imported(run, clinic, later)
    assert profile(clinic, "mrn-1")["risk"] == {
        "suicide_screen": {"result": "negative"},
        "recent_overdose": date.fromisoformat(recent(2)),
    }
    # staff remove it (a mistake in the record): the next import of the same record keeps it removed
    path.write_text(path.read_text().replace(f", recent_overdose: {recent(2)}", ""))
    result = imported(run, clinic, later)
    assert profile(clinic, "mrn-1")["risk"] == {"suicide_screen": {"result": "negative"}}
    assert "kept your edit: risk.recent_overdose" in result.output
    # and when staff remove the whole `risk:` line, none comes back (not even an empty one)
    path.write_text(re.sub(r"\nrisk: .*\n", "\n", path.read_text()))
    imported(run, clinic, later)
    assert "risk" not in profile(clinic, "mrn-1")


# -- 8. the person's own goals, people on the care team -------------------------------------------


def test_lab_targets_are_not_goals_and_organisations_are_not_the_care_team(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    a1c = goal("a", "Hemoglobin A1c total in Blood < 7.0")
    a1c["target"] = [
        {"measure": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}, "detailQuantity": {"value": 7}}
    ]
    pressure = goal("a", "Blood pressure below 140/90")
    pressure["target"] = [{"detailRange": {"high": {"value": 140}}}]
    team = {
        "resourceType": "CareTeam",
        "status": "active",
        "subject": {"reference": "urn:uuid:p-a"},
        "participant": [
            {
                "role": [
                    {
                        "coding": [
                            {"system": SNOMED, "code": "223366009", "display": "healthcare professional (occupation)"}
                        ]
                    }
                ],
                "member": {"reference": "urn:uuid:dr-1", "display": "Dr. Lee"},
            },
            {"member": {"reference": "urn:uuid:org-1", "display": "Riverside Hospital"}},
            {"member": {"reference": "Organization/org-2", "display": "Hillside Clinic"}},
        ],
    }
    person = patient("a", "MRN-1")
    entries = [
        {"fullUrl": "urn:uuid:p-a", "resource": person},
        {"resource": goal("a", "Walk every morning")},
        {"resource": a1c},
        {"resource": pressure},
        {"resource": team},
        {"fullUrl": "urn:uuid:dr-1", "resource": {"resourceType": "Practitioner", "id": "dr-1"}},
        {"fullUrl": "urn:uuid:org-1", "resource": {"resourceType": "Organization", "id": "org-1"}},
    ]
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    imported(run, clinic, path)
    data = profile(clinic, "mrn-1")
    assert data["goals"] == [{"text": "Walk every morning"}]
    assert data["care_team"] == [{"name": "Dr. Lee", "role": "Healthcare professional"}]


# -- 9. nothing dropped silently ------------------------------------------------------------------


def test_string_scores_periods_languages_and_the_order_of_unmapped_codes(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    as_text = observation("a", "44261-6", 0, "2026-01-01")
    del as_text["valueInteger"], as_text["effectiveDateTime"]
    as_text["valueString"] = " 14 "
    as_text["effectivePeriod"] = {"start": "2026-09-01T09:00:00Z", "end": "2026-09-02T10:00:00Z"}
    vital = observation("a", "8302-2", 170, "2026-09-01")  # body height
    vital["category"] = [{"coding": [{"code": "vital-signs"}]}]
    lab = observation("b", "718-7", 13, "2026-09-01")  # hemoglobin
    lab["category"] = [{"coding": [{"code": "laboratory"}]}]
    screen = observation("b", "75624-7", 3, "2026-09-01")  # a questionnaire total (AUDIT)
    screen["category"] = [{"coding": [{"code": "survey"}]}]
    records = [
        patient("a", "MRN-1", language="fr"),
        as_text,
        vital,
        condition("a", SNOMED, "38341003"),  # hypertension: far from the vocabulary
        condition("a", SNOMED, "444814009"),
        patient("b", "MRN-2", language="pt-BR"),
        lab,
        screen,
        condition("b", ICD, "F19.20"),  # other drugs: near (F)
        condition("b", SNOMED, "38341003"),
    ]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["measures"] == {"phq9": [{"date": date(2026, 9, 2), "score": 14}]}
    lines = result.output.splitlines()
    listed = lines[
        lines.index("codes that no vocabulary term maps (add them to a term's codes: in content/vocabulary.yaml):") :
    ]
    assert listed[1:6] == [
        "  ICD-10-CM|F19.20: 1 person",
        "  LOINC|75624-7: 1 person",
        "  further from the vocabulary's terms:",
        "  SNOMED|38341003: 2 people",
        "  SNOMED|444814009: 1 person",
    ]
    assert "LOINC|8302-2" not in result.output and "LOINC|718-7" not in result.output
    assert "not listed: codes of Observations the guides do not use (1 laboratory, 1 vital signs)" in result.output
    assert (
        "preferred languages that are not in guidegen.yaml's languages (their guides use the first):" in result.output
    )
    assert "  fr: 1 person" in result.output and "  pt: 1 person" in result.output


# -- 10. byte-order marks, gzip, STU3 -------------------------------------------------------------


def test_a_bom_and_gzip_are_read(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    import gzip

    bundle = tmp_path / "bom.json"
    bundle.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps({"resourceType": "Bundle", "entry": [{"resource": patient("a", "MRN-1")}]}).encode()
    )
    lines = "".join(json.dumps(r) + "\n" for r in [patient("b", "MRN-2"), condition("b", ICD, "F10.20")])
    export = tmp_path / "Patient.ndjson.gz"
    export.write_bytes(gzip.compress(("\ufeff" + lines).encode()))
    imported(run, clinic, bundle, export)
    assert profile(clinic, "mrn-1")["name"] == "Sam"
    assert profile(clinic, "mrn-2")["substances"] == ["alcohol"]

    damaged = tmp_path / "Condition.ndjson.gz"
    damaged.write_bytes(gzip.compress(lines.encode())[:-12])
    result = imported(run, clinic, damaged, code=1)
    assert "cannot be read from here on (damaged gzip?)" in result.output


def test_an_stu3_file_is_one_error(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = [patient("a", "MRN-1"), patient("b", "MRN-2")]  # b has nothing STU3-only: not imported either
    for code in ("F10.20", "F11.20", "F12.20"):
        old = condition("a", ICD, code)
        old["clinicalStatus"], old["verificationStatus"] = "active", "confirmed"  # STU3: codes
        records.append(old)
    path = write_bundle(tmp_path / "stu3.json", records)
    result = imported(run, clinic, path, code=1)
    errors = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert len(errors) == 1, errors  # three STU3 Conditions, one error
    assert errors[0].startswith(f"{path}: entry[2]: Condition: not valid FHIR R4 (clinicalStatus")
    assert errors[0].endswith(
        "this looks like FHIR STU3: export FHIR R4 from the record system (further STU3 resources of this file "
        "are not listed) (Condition.clinicalStatus)"
    )
    assert sorted(p.name for p in (clinic / "profiles").glob("*.yaml")) == ["mrn-2.yaml"]  # b's resources are R4


def test_an_edit_stays_kept_through_an_import_that_does_not_speak_to_the_field(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    with_goal = write_bundle(tmp_path / "a.json", [patient("p", "MRN-1"), goal("p", "Walk every morning")])
    imported(run, clinic, with_goal)
    path = clinic / "profiles" / "mrn-1.yaml"
    path.write_text(path.read_text().replace('"Walk every morning"', '"Walk every evening"'))
    imported(run, clinic, write_bundle(tmp_path / "b.json", [patient("p", "MRN-1")]))  # no Goals this time
    result = imported(run, clinic, with_goal)
    assert profile(clinic, "mrn-1")["goals"] == [{"text": "Walk every evening"}]
    assert "kept your edit: goals" in result.output


# -- real QI-Core test patients --------------------------------------------------------------------


def test_qicore_records_buprenorphine_film_and_recurrent_depression(
    synthea_clinic: Path, run: Callable[..., Result]
) -> None:
    """A real buprenorphine/naloxone film order (RxNorm 1010600) and a recurrent depression code (15193003)."""
    imported(run, synthea_clinic, *sorted((FIXTURES / "qicore-depression").glob("*.json")))
    assert profile(synthea_clinic, "999999995")["conditions"] == ["depression"]

    settings = synthea_clinic / "guidegen.yaml"
    settings.write_text(settings.read_text().replace(SYNTHEA_SYSTEM, "https://bonnie-fhir.healthit.gov/"))
    imported(run, synthea_clinic, *sorted((FIXTURES / "qicore-buprenorphine").glob("*.json")))
    assert profile(synthea_clinic, "63232f15414ba67d4e1d1c29")["therapies"] == ["buprenorphine"]


def test_a_damaged_import_state_is_kept_aside(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = write_bundle(tmp_path / "a.json", [patient("p", "MRN-1")])
    imported(run, clinic, records)
    state = clinic / ".guidegen" / "import.json"
    state.write_bytes(state.read_bytes()[:-9] + b"\xff")
    result = imported(run, clinic, records)
    assert ".guidegen/import.json: warning: this state file cannot be read" in result.output
    assert "kept as import.json.damaged" in result.output
    assert (clinic / ".guidegen" / "import.json.damaged").exists() and state.exists()


# -- 11. observations no measure reads are counted, not validated -------------------------------------


def test_a_lab_value_no_measure_reads_does_not_stop_the_patient(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    lab = observation("a", "718-7", 13, "2026-09-01", quantity=True)
    lab["valueQuantity"]["value"] = "not detected"  # not valid FHIR, but nothing of it reaches a profile
    lab["category"] = [{"coding": [{"code": "laboratory"}]}]
    score = observation("a", "44261-6", 9, "2026-09-01", quantity=True)
    records = [patient("a", "MRN-1"), condition("a", ICD, "F11.20"), lab, score]
    result = imported(run, clinic, write_bundle(tmp_path / "b.json", records))
    assert profile(clinic, "mrn-1")["substances"] == ["opioids"]
    assert "(1 laboratory)" in result.output and "not detected" not in result.output

    score["valueQuantity"]["value"] = "not detected"  # a score the import reads is still validated
    result = imported(run, clinic, write_bundle(tmp_path / "c.json", records), code=1)
    assert "entry[3]: Observation: not valid FHIR R4 (valueQuantity.value" in result.output
