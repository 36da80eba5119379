"""Any resource a record system could send: reading it gives facts or a positioned error, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_records import ID_SYSTEM
from guidegen.fhir.read import READ_TYPES, CodeIndex, Fact, read_resource
from guidegen.project.vocabulary import Vocabulary

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SYSTEMS = st.sampled_from(
    ["http://hl7.org/fhir/sid/icd-10-cm", "http://snomed.info/sct", "http://loinc.org", "urn:local", "", None]
)
CODES = st.one_of(
    st.sampled_from(["F11.20", "F1120", "75544000", "44261-6", "1819", "active", "achieved"]), st.text(max_size=8)
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
CODING = st.fixed_dictionaries({}, optional={"system": SYSTEMS, "code": CODES, "display": st.text(max_size=8)})
CONCEPT = st.fixed_dictionaries({}, optional={"coding": st.lists(CODING, max_size=3), "text": st.text(max_size=8)})
REFERENCE = st.fixed_dictionaries(
    {},
    optional={
        "reference": st.sampled_from(["Patient/1", "urn:uuid:x", "Group/2", "", "Patient/"]),
        "display": st.text(max_size=8),
    },
)
DATE = st.sampled_from(["2026-08-01", "2026-08-01T10:00:00Z", "2026-08", "2026", "not a date", ""])
FIELDS: dict[str, Any] = {
    "id": st.sampled_from(["1", "a-b", "bad id!"]),
    "subject": REFERENCE,
    "patient": REFERENCE,
    "status": st.sampled_from(["active", "final", "stopped", "amended", "", "unknown"]),
    "intent": st.just("order"),
    "clinicalStatus": CONCEPT,
    "verificationStatus": CONCEPT,
    "code": CONCEPT,
    "medicationCodeableConcept": CONCEPT,
    "effectiveDateTime": DATE,
    "valueInteger": st.integers(-5, 40),
    "valueQuantity": st.fixed_dictionaries(
        {}, optional={"value": st.one_of(st.integers(0, 30), st.floats(0, 30), st.text(max_size=3))}
    ),
    "lifecycleStatus": st.sampled_from(["active", "completed", "cancelled"]),
    "achievementStatus": CONCEPT,
    "statusDate": DATE,
    "description": CONCEPT,
    "target": st.lists(st.fixed_dictionaries({}, optional={"dueDate": DATE}), max_size=2),
    "participant": st.lists(
        st.fixed_dictionaries({}, optional={"member": REFERENCE, "role": st.lists(CONCEPT, max_size=2)}), max_size=3
    ),
    "identifier": st.lists(
        st.fixed_dictionaries(
            {}, optional={"system": st.sampled_from([ID_SYSTEM, "urn:x"]), "value": st.text(max_size=8)}
        ),
        max_size=2,
    ),
    "name": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "use": st.sampled_from(["usual", "official", "old"]),
                "given": st.lists(st.text(max_size=6), max_size=2),
            },
        ),
        max_size=2,
    ),
    "communication": st.lists(
        st.fixed_dictionaries({"language": CONCEPT}, optional={"preferred": st.booleans()}), max_size=2
    ),
    "extra": JSON,
    # second edition: values, periods, statuses, medicines by reference, deceased, STU3 elements
    "valueString": st.sampled_from(["12", " 7 ", "300", "twelve", ""]),
    "valueCodeableConcept": CONCEPT,
    "effectivePeriod": st.fixed_dictionaries({}, optional={"start": DATE, "end": DATE}),
    "category": st.lists(CONCEPT, max_size=2),
    "medicationReference": REFERENCE.map(lambda r: {**r, "reference": "#m1"} if r.get("reference") == "" else r),
    "contained": st.lists(
        st.fixed_dictionaries({"resourceType": st.sampled_from(["Medication", "Organization"]), "id": st.just("m1")}),
        max_size=1,
    ),
    "whenHandedOver": DATE,
    "deceasedBoolean": st.booleans(),
    "deceasedDateTime": DATE,
    "birthDate": DATE,
    "taken": st.sampled_from(["y", "n"]),
}
RESOURCES = st.builds(
    lambda kind, fields: {"resourceType": kind, **fields},
    st.sampled_from(sorted(READ_TYPES)),
    st.fixed_dictionaries({}, optional=FIELDS),
)
INDEX = CodeIndex.from_vocabulary(
    Vocabulary(
        fields={},
        path="v",
        lines={},
        codes={
            ("substances", "opioids"): ("ICD-10-CM:F11.*", "SNOMED:75544000"),
            ("measures", "phq9"): ("LOINC:44261-6",),
            ("therapies", "buprenorphine"): ("RxNorm:1819",),
            ("conditions", "pregnancy"): ("SNOMED:77386006",),
        },
    )
)


@settings(max_examples=150, deadline=None)
@given(RESOURCES)
def test_any_resource_gives_facts_or_an_error(resource: dict[str, Any]) -> None:
    fact = read_resource(resource, (0, 1), INDEX, ID_SYSTEM)
    assert isinstance(fact, Fact)
    assert (fact.kind == "broken") == (fact.error is not None)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.text(max_size=40), JSON.map(lambda v: __import__("json").dumps(v))))
def test_any_line_gives_facts_or_an_error(line: str) -> None:
    assert isinstance(read_resource(line, (0, 1), INDEX, ID_SYSTEM), Fact)


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(
        JSON.map(lambda v: __import__("json").dumps(v)), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
    )
)
def test_any_import_state_file_loads_or_starts_afresh(text: str) -> None:
    """.guidegen/import.json as anyone could leave it: hashes or a fresh start, never a crash."""
    import tempfile
    from pathlib import Path

    from guidegen.fhir.state import ImportState, load_import_state

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / ".guidegen").mkdir()
        (Path(folder) / ".guidegen" / "import.json").write_text(text, encoding="latin-1")
        state, problems = load_import_state(Path(folder))
        assert isinstance(state, ImportState)
        assert all(p.severity == "warning" for p in problems)
