"""Benchmark `guidegen import fhir` on a bulk export. Run on demand (not part of the tests):

    .venv/bin/python bench/import_bench.py                 # 1,000 and 10,000 patients, --jobs 2
    .venv/bin/python bench/import_bench.py --sizes 2000    # other sizes

It writes a synthetic bulk export (NDJSON, one file per resource type, as `$export` does) with
about ten resources per person: the Patient, conditions (active, resolved and uncoded), a
medication order and a stopped one, PHQ-9 scores and a lab value, a goal, a care team and an
encounter (a type the import does not read). The generator is this script's own: the
carebundle library used by the tests makes about 45 resources per person, mostly lab panels
the import skips. Each size is imported twice into a fresh copy of the example project, on two
cores: first import (every profile new), then a re-import of the same export (every profile
read back through the round-trip writer). It prints time, and peak memory of the importing
process and of its worker processes, and the ratio of peak memory at the largest size to the
smallest: flat memory means a ratio near 1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ID_SYSTEM = "https://riverside.example.org/fhir/record-number"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
GIVEN = ["Sam", "Alex", "Jo", "Dana", "Lee", "Ana", "Ben", "Rosa", "Kai", "Mia"]


def export(folder: Path, patients: int, seed: int = 1) -> int:
    """Write a bulk export of `patients` people into `folder`; returns the number of resources."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        kind: (folder / f"{kind}.ndjson").open("w", encoding="utf-8")
        for kind in ("Patient", "Condition", "MedicationRequest", "Observation", "Goal", "CareTeam", "Encounter")
    }
    count = 0

    def put(resource: dict) -> None:
        nonlocal count
        files[resource["resourceType"]].write(json.dumps(resource, separators=(",", ":")) + "\n")
        count += 1

    for n in range(patients):
        pid = f"pt{n:06d}"
        subject = {"reference": f"Patient/{pid}"}
        put(
            {
                "resourceType": "Patient",
                "id": pid,
                "identifier": [{"system": ID_SYSTEM, "value": f"R-{n:06d}"}],
                "name": [{"family": "Example", "given": [rng.choice(GIVEN)]}],
                "communication": [
                    {"language": {"coding": [{"code": rng.choice(["en", "es", "en-US"])}]}, "preferred": True}
                ],
            }
        )
        status = {"coding": [{"code": "active"}]}
        put(
            {
                "resourceType": "Condition",
                "subject": subject,
                "clinicalStatus": status,
                "code": {"coding": [{"system": ICD, "code": rng.choice(["F10.20", "F11.20", "F12.20", "F14.20"])}]},
            }
        )
        put(
            {
                "resourceType": "Condition",
                "subject": subject,
                "clinicalStatus": status,
                "code": {"coding": [{"system": ICD, "code": rng.choice(["F32.9", "F41.1", "F43.10", "I10"])}]},
            }
        )
        put(
            {
                "resourceType": "Condition",
                "subject": subject,
                "clinicalStatus": {"coding": [{"code": "resolved"}]},
                "code": {"coding": [{"system": ICD, "code": "F17.210"}]},
            }
        )
        put(
            {
                "resourceType": "MedicationRequest",
                "status": "active",
                "intent": "order",
                "subject": subject,
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": rng.choice(["1819", "6813", "7243"])}]
                },
            }
        )
        put(
            {
                "resourceType": "MedicationRequest",
                "status": "stopped",
                "intent": "order",
                "subject": subject,
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "3554"}]},
            }
        )
        for month, score in ((8, rng.randint(10, 27)), (10, rng.randint(0, 20))):
            put(
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": subject,
                    "code": {"coding": [{"system": LOINC, "code": "44261-6"}]},
                    "effectiveDateTime": f"2026-{month:02d}-01T10:00:00Z",
                    "valueInteger": score,
                }
            )
        put(
            {
                "resourceType": "Observation",
                "status": "final",
                "subject": subject,
                "code": {"coding": [{"system": LOINC, "code": "2951-2"}]},
                "effectiveDateTime": "2026-10-01",
                "valueQuantity": {"value": 140, "unit": "mmol/L"},
            }
        )
        put(
            {
                "resourceType": "Goal",
                "lifecycleStatus": "active",
                "subject": subject,
                "description": {"text": "Walk every morning"},
                "target": [{"dueDate": "2026-12-31"}],
            }
        )
        put(
            {
                "resourceType": "CareTeam",
                "status": "active",
                "subject": subject,
                "participant": [
                    {"member": {"reference": "Practitioner/1", "display": "Alex Kim"}, "role": [{"text": "Counselor"}]}
                ],
            }
        )
        put({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}, "subject": subject})
    for handle in files.values():
        handle.close()
    return count


RUNNER = """
import os, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
os.sched_setaffinity(0, {0, 1} & os.sched_getaffinity(0) or os.sched_getaffinity(0))
from guidegen.fhir.importer import import_fhir
project, folder = Path(sys.argv[2]), Path(sys.argv[3])
start = time.perf_counter()
report = import_fhir(project, sorted(folder.glob("*.ndjson")), jobs=2)
seconds = time.perf_counter() - start
me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
print(seconds, me.ru_maxrss / 1024, children.ru_maxrss / 1024, len(report.imported), report.failed, cpu, me.ru_utime + me.ru_stime)
"""


def run_import(project: Path, folder: Path) -> tuple[float, float, float, int, int, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, str(REPO / "src"), str(project), str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    seconds, own, workers, imported, failed, cpu, main_cpu = out
    return float(seconds), float(own), float(workers), int(imported), int(failed), float(cpu), float(main_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    peaks = {}
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        for size in args.sizes:
            folder = root / f"export-{size}"
            resources = export(folder, size)
            megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
            project = root / f"project-{size}"
            project.mkdir()
            shutil.copy(REPO / "guidegen.yaml", project / "guidegen.yaml")
            shutil.copytree(REPO / "content", project / "content")
            for label in ("first import", "re-import"):
                seconds, own, workers, imported, failed, cpu, main_cpu = run_import(project, folder)
                print(
                    f"{size:>6} patients, {resources} resources ({megabytes:.0f} MB), {label:<12}: "
                    f"{seconds:5.1f} s wall, {cpu:5.1f} s CPU in all processes, {main_cpu:4.1f} s of it in the importer "
                    f"(about {max(cpu / 2, main_cpu):4.1f} s on 2 idle cores); "
                    f"peak memory: importer {own:.0f} MB, largest worker {workers:.0f} MB; "
                    f"{imported} profiles, {failed} failed",
                    flush=True,
                )
                peaks[(size, label)] = own
    if len(args.sizes) > 1:
        small, large = min(args.sizes), max(args.sizes)
        ratio = peaks[(large, "first import")] / peaks[(small, "first import")]
        print(f"importer peak memory, {large:,} over {small:,} patients: {ratio:.2f}x (goal: flat, near 1)")
    load = os.getloadavg()[0]
    print(
        f"goal: 10,000 patients under 60 s on 2 cores ({os.cpu_count()} CPUs here, load average {load:.1f} at the end)"
    )


if __name__ == "__main__":
    main()
