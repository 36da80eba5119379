"""Benchmark `guidegen import fhir` on Synthea-like people (about 300 resources each). On demand:

    .venv/bin/python bench/synthea_bench.py                    # 100 people, --jobs 2
    .venv/bin/python bench/synthea_bench.py --people 1000 --jobs 2

Real exports hold every encounter, claim, procedure, immunisation and lab value of a person: the
four Synthea patients in ../shared/fhir-examples/synthea (smart-on-fhir/generated-sample-data,
Apache-2.0) have 213 to 471 resources each, most of types the import does not read. This script
copies them into as many people as asked (every UUID made unique per copy) and writes them as a
bulk export (NDJSON, one file per resource type, references as Type/id), then imports it into a
fresh copy of the example project and prints resources per second (all resources, read or
skipped), for the first import and for a re-import.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO.parent / "shared" / "fhir-examples" / "synthea"
ID_SYSTEM = "http://hospital.smarthealthit.org"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _numbered(match: re.Match[str], n: int) -> str:
    return f"{match.group(0)}-{n}"


def _resolved(match: re.Match[str], urls: dict[str, str]) -> str:
    return json.dumps(urls.get(match.group(1), match.group(1)))


def export(folder: Path, people: int, examples: Path) -> int:
    """Write `people` copies of the example patients as a bulk export; returns the number of resources."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(examples.glob("*.json"))]
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, TextIO] = {}
    count = 0
    for n in range(people):
        text = _UUID.sub(functools.partial(_numbered, n=n), texts[n % len(texts)])
        bundle = json.loads(text)
        urls = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
        for entry in bundle["entry"]:
            line = json.dumps(entry["resource"], separators=(",", ":"))
            line = re.sub(r'"(urn:uuid:[^"]+)"', functools.partial(_resolved, urls=urls), line)
            kind = entry["resource"]["resourceType"]
            handle = files.get(kind) or files.setdefault(kind, (folder / f"{kind}.ndjson").open("w", encoding="utf-8"))
            handle.write(line + "\n")
            count += 1
    for handle in files.values():
        handle.close()
    return count


def project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    settings = (REPO / "guidegen.yaml").read_text(encoding="utf-8").split("import:")[0]
    (folder / "guidegen.yaml").write_text(settings + f'import: {{fhir: {{id_system: "{ID_SYSTEM}"}}}}\n')
    shutil.copytree(REPO / "content", folder / "content")
    (folder / "profiles").mkdir()
    return folder


def timed_import(root: Path, files: list[Path], jobs: int) -> tuple[float, float]:
    """Wall time, and CPU time of the importer and its workers (a shared machine slows the first, not the second)."""
    start, cpu = time.perf_counter(), _children_cpu()
    command = [sys.executable, "-m", "guidegen.cli", "import", "fhir", *map(str, files)]
    done = subprocess.run([*command, "-C", str(root), "-j", str(jobs)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if "Traceback" in done.stderr:
        raise SystemExit(done.stderr)
    return elapsed, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--examples", type=Path, default=EXAMPLES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        resources = export(folder / "export", args.people, args.examples)
        files = sorted((folder / "export").glob("*.ndjson"))
        root = project(folder / "project")
        print(f"{args.people} people, {resources} resources ({resources / args.people:.0f} each), --jobs {args.jobs}")
        for name in ("first import", "re-import"):
            wall, cpu = timed_import(root, files, args.jobs)
            print(
                f"{name}: {wall:.1f} s, {resources / wall:,.0f} resources/s; "
                f"CPU {cpu:.1f} s, {resources / cpu:,.0f} resources per CPU-second"
            )


if __name__ == "__main__":
    main()
