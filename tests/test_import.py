"""guidegen import fhir: every mapping, the edge cases, re-import, errors, and synthetic records."""

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
    ID_SYSTEM,
    SNOMED,
    care_team,
    condition,
    goal,
    medication,
    observation,
    patient,
    write_bundle,
    write_ndjson,
)
from guidegen.fhir.identity import safe_id
from guidegen.fhir.importer import import_fhir
from guidegen.fhir.read import CodeIndex, PatientRecord, read_resource
from guidegen.fhir.writer import merge_record, new_profile_text, round_trip_yaml
from guidegen.project.profiles import load_profile
from guidegen.project.settings import load_settings
from guidegen.project.vocabulary import Vocabulary, load_vocabulary

PRIVATE = (
    "Rivera-Private",
    "Middle",
    "Secret Street",
    "555-0123",
    "1990-02-03",
    "Private diagnosis",
    "Private clinical note",
)
"""Values in the records that must never reach a profile, a message or the report."""


def full_record() -> list[dict]:
    """One person with every kind of resource, including those the import must leave out."""
    return [
        patient("p1", "MRN-0001", given="Sam", language="es"),
        condition("p1", ICD, "F11.20"),  # opioids, by prefix
        condition("p1", SNOMED, "21897009"),  # anxiety, exact SNOMED
        condition("p1", ICD, "F3210", clinical="recurrence"),  # depression, code without its dot
        condition("p1", ICD, "F10.20", clinical="resolved"),
        condition("p1", ICD, "F12.20", clinical="inactive"),
        condition("p1", ICD, "F17.210", clinical="remission"),
        condition("p1", ICD, "F31.9", verification="refuted"),
        condition("p1", ICD, "F19.20"),  # other psychoactive substance: no term
        medication("p1", "1819"),  # buprenorphine
        medication("p1", "6813", kind="MedicationStatement"),  # methadone
        medication("p1", "7243", status="stopped"),
        medication("p1", "3554", status="completed"),
        medication("p1", "313782"),  # acetaminophen: no term
        observation("p1", "2951-2", 140, "2026-08-01"),  # a lab value: not a measure
        goal("p1", "Walk every morning", due="2026-11-30", achieved_on="2026-11-20"),
        goal("p1", "Sleep seven hours", due="2027-02-01"),
        goal("p1", "An old goal", status="cancelled"),
        care_team("p1", [("Alex Kim", "Counselor"), ("Dr. Lee", None)]),
    ]


def profile(project: Path, profile_id: str) -> dict:
    return yaml.safe_load((project / "profiles" / f"{profile_id}.yaml").read_text())


def assert_valid(project: Path, profile_id: str) -> None:
    """The profile loads as `guidegen check` and `build` load it."""
    settings = load_settings(project)
    path = project / "profiles" / f"{profile_id}.yaml"
    loaded, problems = load_profile(path, project, settings, load_vocabulary(project, settings))
    assert loaded is not None, problems


def assert_private_values_absent(*texts: str) -> None:
    for text in texts:
        for value in PRIVATE:
            assert value not in text


def test_every_mapping(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    records = write_bundle(tmp_path / "bundle.json", full_record())
    result = run("import", "fhir", records, "-C", clinic, "--jobs", "1")
    assert result.exit_code == 0, result.output
    written = profile(clinic, "mrn-0001")
    assert written["id"] == "mrn-0001"
    assert written["name"] == "Sam"
    assert written["language"] == "es"
    assert written["substances"] == ["opioids"]
    assert written["conditions"] == ["depression", "anxiety"]
    assert written["therapies"] == ["buprenorphine", "methadone"]
    assert written["goals"] == [
        {"text": "Walk every morning", "by": date(2026, 11, 30), "done": date(2026, 11, 20)},
        {"text": "Sleep seven hours", "by": date(2027, 2, 1)},
    ]
    assert written["care_team"] == [{"name": "Alex Kim", "role": "Counselor"}, {"name": "Dr. Lee"}]
    assert "mrn-0001 (new): mapped 3 conditions, 2 medications, 0 observations, 2 goals" in result.output
    assert "ICD-10-CM|F19.20: 1 person" in result.output
    assert "RxNorm|313782: 1 person" in result.output
    assert_private_values_absent(result.output, (clinic / "profiles" / "mrn-0001.yaml").read_text())
    assert "Sam" not in result.output
    check = run("check", "-C", clinic)
    assert check.exit_code == 0, check.output


def test_written_yaml_is_plain_and_strict(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    run("import", "fhir", write_bundle(tmp_path / "b.json", full_record()), "-C", clinic, "-j", "1")
    text = (clinic / "profiles" / "mrn-0001.yaml").read_text()
    assert 'name: "Sam"' in text
    assert "by: 2026-11-30" in text  # dates unquoted
    assert '{text: "Walk every morning"' in text  # text quoted
    assert text.index("id:") < text.index("name:") < text.index("substances:") < text.index("goals:")


def test_new_profiles_are_laid_out_as_the_round_trip_writer_lays_them_out(clinic: Path, tmp_path: Path) -> None:
    """New profiles are written by a fast writer; a re-import (round trip) must find them unchanged."""
    import io

    import_fhir(clinic, [write_bundle(tmp_path / "b.json", full_record())])
    text = (clinic / "profiles" / "mrn-0001.yaml").read_text()
    yaml_rt = round_trip_yaml()
    buffer = io.StringIO()
    yaml_rt.dump(yaml_rt.load(text), buffer)
    assert buffer.getvalue() == text
    data = yaml_rt.load(text)
    data["id"] = "0142"
    data["name"] = 'Ana "Nana" \\ O\'Neil'
    assert yaml.safe_load(new_profile_text(data))["id"] == "0142"
    assert yaml.safe_load(new_profile_text(data))["name"] == 'Ana "Nana" \\ O\'Neil'


def test_two_patients_in_one_ndjson_file_and_missing_language(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    records = [
        patient("a", "MRN-0001", given="Ana", language=None),
        patient("b", "MRN-0002", given="Ben", language="fr"),  # not one of the site's languages
        condition("a", ICD, "F10.20"),
        condition("b", ICD, "F14.20"),
        condition("b", ICD, "F15.10"),
    ]
    result = run("import", "fhir", write_ndjson(tmp_path / "export.ndjson", records), "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    ana, ben = profile(clinic, "mrn-0001"), profile(clinic, "mrn-0002")
    assert ana["substances"] == ["alcohol"] and "language" not in ana
    assert ben["substances"] == ["stimulants"] and "language" not in ben
    assert "imported 2 profiles (2 new, 0 updated, 0 unchanged)" in result.output


def test_resources_spread_over_several_files(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    conditions = write_ndjson(tmp_path / "Condition.ndjson", [condition("a", ICD, "F11.23")])
    patients = write_ndjson(tmp_path / "Patient.ndjson", [patient("a", "MRN-7")])
    result = run("import", "fhir", conditions, patients, "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    assert profile(clinic, "mrn-7")["substances"] == ["opioids"]


def test_several_scores_become_a_measure_series() -> None:
    vocabulary = Vocabulary(fields={}, path="v", lines={}, codes={("measures", "phq9"): ("LOINC:44261-6",)})
    index = CodeIndex.from_vocabulary(vocabulary)
    record = PatientRecord()
    resources = [
        observation("p", "44261-6", 16, "2026-08-01T09:00:00Z"),
        observation("p", "44261-6", 12, "2026-10-01T09:00:00Z", quantity=True),
        observation("p", "44261-6", 9, "2026-10-01T15:00:00Z"),  # later the same day: this one counts
        observation("p", "44261-6", 27, "2026-11-01", status="preliminary"),
        observation("p", "44261-6", 3, "2026-12-01", status="entered-in-error"),
    ]
    for number, resource in enumerate(resources):
        record.add(read_resource(resource, (0, number), index, ID_SYSTEM))
    series = record.scores["phq9"]
    assert [(day, s.score) for day, s in sorted(series.items())] == [(date(2026, 8, 1), 16), (date(2026, 10, 1), 9)]
    assert record.counts["observation"] == 3


def test_measures_are_skipped_when_profiles_have_none(project: Path) -> None:
    """Until the vocabulary has a measures block, scores are read but never written."""
    from ruamel.yaml.comments import CommentedMap

    settings = load_settings(project)
    vocabulary = load_vocabulary(project, settings)
    record = PatientRecord()
    record.scores["phq9"] = {}
    data = CommentedMap([("id", "x"), ("name", "Sam")])
    assert merge_record(data, record, settings, vocabulary, new=False) is None
    from guidegen.project.profiles import Profile

    assert ("measures" in data) == ("measures" in Profile.model_fields)


def test_a_broken_resource_stops_only_its_patient(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    broken = condition("a", ICD, "F11.20")
    broken["clinicalStatus"] = "active"  # a CodeableConcept must be an object
    records = [
        patient("a", "MRN-0001"),
        broken,
        patient("b", "MRN-0002"),
        condition("b", ICD, "F10.20"),
    ]
    lines = "".join(json.dumps(r) + "\n" for r in records) + "{not json\n"
    path = tmp_path / "export.ndjson"
    path.write_text(lines)
    result = run("import", "fhir", path, "-C", clinic, "-j", "1")
    assert result.exit_code == 1
    assert f"{path}:2: Condition: not valid FHIR R4 (clinicalStatus" in result.output
    assert f"{path}:5: this line is not JSON" in result.output
    assert "profiles/mrn-0001.yaml: not written" in result.output
    assert not (clinic / "profiles" / "mrn-0001.yaml").exists()
    assert profile(clinic, "mrn-0002")["substances"] == ["alcohol"]
    assert "1 patient not imported" in result.output


def test_a_broken_bundle_entry_is_named_by_its_index(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    broken = medication("a", "1819")
    broken["unknownElement"] = {"value": "Private clinical note"}
    path = write_bundle(tmp_path / "b.json", [patient("a", "MRN-1"), broken, patient("b", "MRN-2")])
    result = run("import", "fhir", path, "-C", clinic, "-j", "1")
    assert result.exit_code == 1
    assert (
        "entry[1]: MedicationRequest: not valid FHIR R4 (resource: an element FHIR R4 does not have)" in result.output
    )
    assert not (clinic / "profiles" / "mrn-1.yaml").exists()
    assert (clinic / "profiles" / "mrn-2.yaml").exists()
    assert_private_values_absent(result.output)


def test_a_patient_without_the_record_number_is_an_error(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    path = write_ndjson(tmp_path / "p.ndjson", [patient("a", None), patient("b", "MRN-2")])
    result = run("import", "fhir", path, "-C", clinic, "-j", "1")
    assert result.exit_code == 1
    assert f"{path}:1: Patient: no identifier with the system in import.fhir.id_system" in result.output
    assert sorted(p.name for p in (clinic / "profiles").glob("*.yaml")) == ["mrn-2.yaml"]


def test_no_id_system_in_settings_is_a_clear_error(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    settings = clinic / "guidegen.yaml"
    settings.write_text(settings.read_text().split("import:")[0])
    result = run("import", "fhir", write_ndjson(tmp_path / "p.ndjson", [patient("a", "1")]), "-C", clinic)
    assert result.exit_code == 1
    assert "guidegen.yaml: import.fhir.id_system: name the Patient identifier system" in result.output


def test_ids_are_safe_for_file_names() -> None:
    assert safe_id("MRN 00/142") == "mrn-00-142"
    assert safe_id("  Ab_C..9 ") == "ab-c-9"
    assert safe_id("###") == ""


def test_reimport_keeps_what_staff_wrote(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    first = write_bundle(tmp_path / "first.json", full_record())
    assert run("import", "fhir", first, "-C", clinic, "-j", "1").exit_code == 0
    path = clinic / "profiles" / "mrn-0001.yaml"
    text = path.read_text()
    text = text.replace(
        "therapies: [buprenorphine, methadone]", "therapies: [cbt, buprenorphine, methadone]  # CBT since May"
    )
    text = text.replace(
        '{name: "Alex Kim", role: "Counselor"}', '{name: "Alex Kim", role: "Counselor", phone: "555-0199"}'
    )
    text += (
        "# written by staff after the assessment\n"
        'triggers: ["Friday nights"]\n'
        'coping: ["Call my sister"]\n'
        "safety_plan:\n"
        '  reason_for_living: "My kids"\n'
        "review: {next: 2026-12-15}\n"
        "message: |\n"
        "  You asked for help: that is the hardest part.\n"
    )
    path.write_text(text)
    assert_valid(clinic, "mrn-0001")

    later = full_record()
    later[1] = condition("p1", ICD, "F11.20", clinical="remission")  # opioids no longer active
    later.append(condition("p1", ICD, "F10.20"))  # alcohol now
    later.append(medication("p1", "7243"))  # naltrexone started
    result = run("import", "fhir", write_bundle(tmp_path / "later.json", later), "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    assert "mrn-0001 (updated)" in result.output
    updated = path.read_text()
    data = yaml.safe_load(updated)
    assert data["substances"] == ["alcohol"]
    assert data["therapies"] == ["cbt", "buprenorphine", "methadone", "naltrexone"]
    assert data["triggers"] == ["Friday nights"] and data["coping"] == ["Call my sister"]
    assert data["safety_plan"] == {"reason_for_living": "My kids"}
    assert data["review"] == {"next": date(2026, 12, 15)}
    assert data["message"].startswith("You asked for help")
    assert data["care_team"][0] == {"name": "Alex Kim", "role": "Counselor", "phone": "555-0199"}
    assert "# written by staff after the assessment" in updated
    assert_valid(clinic, "mrn-0001")

    again = run("import", "fhir", tmp_path / "later.json", "-C", clinic, "-j", "1")
    assert "mrn-0001 (unchanged)" in again.output
    assert path.read_text() == updated


def test_reimport_leaves_fields_the_record_does_not_hold(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    (clinic / "profiles" / "mrn-9.yaml").write_text(
        'id: mrn-9\nname: "Jo"\nsubstances: [alcohol]\ntherapies: [mi]\ngoals: [{text: "Staff goal"}]\n'
    )
    result = run(
        "import", "fhir", write_ndjson(tmp_path / "p.ndjson", [patient("z", "MRN-9", given="Jo")]), "-C", clinic
    )
    assert result.exit_code == 0, result.output
    data = profile(clinic, "mrn-9")
    assert (
        data["substances"] == ["alcohol"] and data["therapies"] == ["mi"] and data["goals"] == [{"text": "Staff goal"}]
    )
    assert data["language"] == "es"


def test_a_broken_profile_is_not_touched(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    path = clinic / "profiles" / "mrn-9.yaml"
    path.write_text("id: mrn-9\nname: [unclosed\n")
    result = run("import", "fhir", write_ndjson(tmp_path / "p.ndjson", [patient("z", "MRN-9")]), "-C", clinic)
    assert result.exit_code == 1
    assert "profiles/mrn-9.yaml: not updated: fix this file first" in result.output
    assert path.read_text() == "id: mrn-9\nname: [unclosed\n"


def test_worker_processes_give_the_same_profiles(clinic: Path, tmp_path: Path) -> None:
    records = []
    for n in range(300):
        records += [patient(f"p{n}", f"MRN-{n}"), condition(f"p{n}", ICD, "F11.20" if n % 2 else "F10.20")]
    path = write_ndjson(tmp_path / "export.ndjson", records)
    one = import_fhir(clinic, [path], jobs=1)
    texts = {p.name: p.read_text() for p in (clinic / "profiles").glob("*.yaml")}
    for p in (clinic / "profiles").glob("*.yaml"):
        p.unlink()
    two = import_fhir(clinic, [path], jobs=2)
    assert {p.name: p.read_text() for p in (clinic / "profiles").glob("*.yaml")} == texts
    assert [i.id for i in one.imported] == [i.id for i in two.imported] and len(texts) == 300


carebundle = pytest.importorskip("carebundle")


def _synthetic(clinic: Path, tmp_path: Path, count: int, seed: int) -> tuple[list[dict], str]:
    from carebundle import generate_cohort, to_json

    bundles = [json.loads(to_json(b)) for b in generate_cohort(count=count, seed=seed)]
    system = bundles[0]["entry"][0]["resource"]["identifier"][0]["system"]
    settings = clinic / "guidegen.yaml"
    settings.write_text(settings.read_text().split("import:")[0] + f'import: {{fhir: {{id_system: "{system}"}}}}\n')
    return bundles, system


def test_synthetic_records_from_a_generator_library(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    """carebundle's US Core records (as Bundles, and as a bulk export) import without a problem."""
    from carebundle import generate_cohort, to_ndjson

    bundles, _ = _synthetic(clinic, tmp_path, 8, 7)
    paths = [tmp_path / f"b{n}.json" for n in range(len(bundles))]
    for path, data in zip(paths, bundles, strict=True):
        path.write_text(json.dumps(data))
    result = run("import", "fhir", *paths, "-C", clinic, "-j", "2")
    assert result.exit_code == 0, result.output
    assert "imported 8 profiles (8 new" in result.output
    for path in (clinic / "profiles").glob("*.yaml"):
        assert_valid(clinic, path.stem)

    export = tmp_path / "export"
    export.mkdir()
    for resource_type, text in to_ndjson(generate_cohort(count=8, seed=7)).items():
        (export / f"{resource_type}.ndjson").write_text(text)
    result = run("import", "fhir", *sorted(export.iterdir()), "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    assert "imported 8 profiles (0 new, 0 updated, 8 unchanged)" in result.output


def test_synthetic_records_with_defects(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    """Imperfect records (carebundle's defect injection, and values that break the FHIR types):
    every problem names the file and the entry, never a value, and never a traceback."""
    from carebundle import Imperfection, inject_defects

    bundles, _ = _synthetic(clinic, tmp_path, 6, 11)
    imperfection = Imperfection(missing_field=0.3, unparseable_value=0.3, unknown_code_system=0.3, duplicate_entry=0.2)
    for n, data in enumerate(bundles):
        dirty, defects = inject_defects(data, imperfection, seed=n)
        assert defects
        broken = None
        if n % 2:  # a score that is text is not valid FHIR: that person is not imported
            broken = next(i for i, e in enumerate(dirty["entry"]) if "valueQuantity" in e["resource"])
            dirty["entry"][broken]["resource"]["code"] = {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]}
            dirty["entry"][broken]["resource"]["valueQuantity"]["value"] = "not detected"
        path = tmp_path / f"b{n}.json"
        path.write_text(json.dumps(dirty))
        result = run("import", "fhir", path, "-C", clinic, "-j", "1")
        assert "Traceback" not in result.output
        for line in result.output.splitlines():
            if str(path) in line:
                assert re.match(rf"^{re.escape(str(path))}: entry\[\d+\]: \w+: ", line), line
        if broken is not None:
            assert result.exit_code == 1
            assert f"entry[{broken}]: Observation: not valid FHIR R4 (valueQuantity.value" in result.output
            assert "not detected" not in result.output


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ICD10:F11", "unknown code system 'ICD10'"),
        ("F11.*", "expected SYSTEM:CODE text"),
        ("ICD-10-CM:f11.2", "not a well-formed ICD-10-CM code"),
        ("ICD-10-CM:F11.*.*", "not a well-formed ICD-10-CM code"),
        ("SNOMED:75544001", "the SNOMED CT check digit does not match"),
        ("LOINC:44261-5", "the LOINC check digit does not match"),
        ("RxNorm:ab12", "not a well-formed RxNorm code"),
    ],
)
def test_check_rejects_a_malformed_code(project: Path, run: Callable[..., Result], code: str, message: str) -> None:
    vocabulary = project / "content" / "vocabulary.yaml"
    lines = vocabulary.read_text().split("\n")
    number = next(i for i, line in enumerate(lines) if line.startswith("  opioids:"))
    lines[number] = lines[number].replace('codes: ["ICD-10-CM:F11.*"', f'codes: ["{code}"')
    vocabulary.write_text("\n".join(lines))
    result = run("check", "-C", project)
    assert result.exit_code == 1
    assert f"content/vocabulary.yaml:{number + 1}: substances.opioids.codes[0]: {message}" in result.output


def test_codes_must_be_a_list(project: Path, run: Callable[..., Result]) -> None:
    vocabulary = project / "content" / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text().replace('codes: ["RxNorm:1819"]', 'codes: "RxNorm:1819"'))
    result = run("check", "-C", project)
    assert result.exit_code == 1
    assert "therapies.buprenorphine.codes: expected a list" in result.output


def test_code_index_matches_prefixes_and_exact_codes(project: Path) -> None:
    settings = load_settings(project)
    index = CodeIndex.from_vocabulary(load_vocabulary(project, settings))
    fields = ("substances", "conditions")
    assert index.terms(ICD, "F43.10", fields) == [("conditions", "ptsd")]
    assert index.terms(ICD, "F4310", fields) == [("conditions", "ptsd")]
    assert index.terms(ICD, "F43.2", fields) == []
    assert index.terms(ICD, "F23", fields) == [("conditions", "psychosis")]
    assert index.terms(ICD, "F230", fields) == []  # F23 is exact, not a prefix
    assert index.terms(SNOMED, "75544000", fields) == [("substances", "opioids")]
    assert index.terms(SNOMED, "7554400", fields) == []
    assert index.terms(ICD, "F11.20", ("therapies",)) == []


def test_ndjson_named_json_and_a_bundle_on_one_line(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    ndjson = write_ndjson(tmp_path / "export.json", [patient("a", "MRN-1"), condition("a", ICD, "F11.20")])
    one_line = tmp_path / "bundle.json"
    one_line.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": patient("b", "MRN-2")}]}))
    result = run("import", "fhir", ndjson, one_line, "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    assert profile(clinic, "mrn-1")["substances"] == ["opioids"] and profile(clinic, "mrn-2")["name"] == "Sam"


def test_a_file_that_is_not_json(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{\n  "resourceType": "Bundle",\n  oops\n}\n')
    result = run("import", "fhir", path, tmp_path / "missing.ndjson", "-C", clinic)
    assert result.exit_code == 1
    assert "missing.ndjson: no such file" in result.output
    result = run("import", "fhir", path, "-C", clinic)
    assert result.exit_code == 1
    assert f"{path}:3: this file is not JSON" in result.output


def test_one_person_in_several_visit_bundles_is_one_profile(
    clinic: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    """Bundles from two visits name the same person with different urn:uuid URLs and no ids."""

    def visit(url: str, code: str) -> dict:
        person = patient("x", "MRN-5")
        del person["id"]
        found = condition("x", ICD, code)
        found["subject"] = {"reference": url}
        return {"resourceType": "Bundle", "entry": [{"fullUrl": url, "resource": person}, {"resource": found}]}

    first, second = tmp_path / "visit1.json", tmp_path / "visit2.json"
    first.write_text(json.dumps(visit("urn:uuid:1111", "F10.20")))
    second.write_text(json.dumps(visit("urn:uuid:2222", "F11.20")))
    result = run("import", "fhir", first, second, "-C", clinic, "-j", "1")
    assert result.exit_code == 0, result.output
    assert profile(clinic, "mrn-5")["substances"] == ["alcohol", "opioids"]


def test_two_record_numbers_that_make_one_id(clinic: Path, run: Callable[..., Result], tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "p.ndjson", [patient("y", "MRN_7"), patient("z", "mrn-7"), patient("w", "MRN-8")])
    result = run("import", "fhir", path, "-C", clinic, "-j", "1")
    assert result.exit_code == 1
    assert "profiles/mrn-7.yaml: not written: 2 different record numbers make this id" in result.output
    assert sorted(p.name for p in (clinic / "profiles").glob("*.yaml")) == ["mrn-8.yaml"]


def test_text_in_a_code_field_is_never_shown() -> None:
    from guidegen.fhir.read import code_label

    assert code_label(ICD, "F16.20") == "ICD-10-CM|F16.20"
    assert code_label("urn:oid:1.2.3", "E78.5") == "urn:oid:1.2.3|E78.5"
    assert code_label(ICD, "drinks every night since the divorce") == "ICD-10-CM|(not a code)"
    assert code_label("my notes", None) == "(not a code system)|(not a code)"


def test_measures_and_reached_goals_are_written_when_profiles_have_them(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Profiles gain `measures:` and goal `done:` in another change; the writer is ready for both."""
    from types import SimpleNamespace

    from ruamel.yaml.comments import CommentedMap

    import guidegen.fhir.writer as writer

    monkeypatch.setattr(writer, "Profile", SimpleNamespace(model_fields={"measures": None}))
    monkeypatch.setattr(writer, "Goal", SimpleNamespace(model_fields={"done": None}))
    vocabulary = Vocabulary(fields={}, path="v", lines={}, codes={("measures", "phq9"): ("LOINC:44261-6",)})
    index = CodeIndex.from_vocabulary(vocabulary)
    record = PatientRecord()
    for number, resource in enumerate(
        [
            observation("p", "44261-6", 16, "2026-08-01T09:00:00Z"),
            observation("p", "44261-6", 9, "2026-10-01"),
            goal("p", "Walk every morning", due="2026-11-30", achieved_on="2026-11-20"),
        ]
    ):
        record.add(read_resource(resource, (0, number), index, ID_SYSTEM))
    data = CommentedMap([("id", "r-1")])
    assert merge_record(data, record, load_settings(project), vocabulary, new=False) is None
    text = new_profile_text(data)
    assert "measures:\n  phq9: [{date: 2026-08-01, score: 16}, {date: 2026-10-01, score: 9}]\n" in text
    assert 'goals:\n  - {text: "Walk every morning", by: 2026-11-30, done: 2026-11-20}\n' in text
