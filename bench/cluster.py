"""Benchmark `guidegen build --cluster local:2` against `--jobs 2` on this computer. On demand:

    .venv/bin/python bench/cluster.py              # 20 guides with PDFs, each command run twice
    .venv/bin/python bench/cluster.py --guides 200 --rounds 1

Both commands run as staff run them (a new process, `--no-html --force`), in the order jobs,
cluster, cluster, jobs for each two rounds, so a machine that gets busier or quieter during the
run weighs on both alike. Every person is different (bench.py's synthetic project). It prints the
ratio of wall times (goal <= 1.15), the CPU seconds each printed guide took (the processes' own
CPU time, which another user's load does not inflate much), guides per hour per worker core, and
the machine's load average before and after. Then the render alone, guide by guide, in this
process and in a Dask worker: what a guide costs on a cluster once its workers are up.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import REPO, line, make_project  # noqa: E402


def command(root: Path, out: Path, *how: str) -> tuple[float, float]:
    """`guidegen build --no-html --force` with `how` (--jobs 2 or --cluster local:2): wall seconds
    and the CPU seconds of the command and every process it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "guidegen.cli",
            "build",
            "--no-html",
            "--force",
            "-C",
            str(root),
            "--out",
            str(out),
            *how,
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "SOURCE_DATE_EPOCH": "1795000000"},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed_render(snapshot: Any, work: Any) -> float:
    """CPU seconds of one guide's render (in a Dask worker, or in this process)."""
    from guidegen.publish.cluster import project_on_worker
    from guidegen.publish.job import render_one

    project = project_on_worker(snapshot)
    started = time.thread_time()
    render_one(project, snapshot.outputs, snapshot.private, work)
    return time.thread_time() - started


SAMPLE = 24
"""About how many guides the render-alone comparison times (each twice: here and in a worker)."""


def render_cost(root: Path) -> tuple[float, float]:
    """CPU seconds of a guide's render with PDF, on average over a sample of the guides: in this process's main thread, and
    in the one thread of a Dask worker process (a warm-up render first in each); a measure the
    other users of a shared machine do not inflate much, unlike wall time."""
    import dask
    import distributed

    from guidegen.publish.cluster import take_snapshot
    from guidegen.publish.job import BuildPlan, GuideWork, Places, prepare_one
    from guidegen.publish.state import Manifest, ProjectState
    from guidegen.web.themecheck import load_checked_project

    project = load_checked_project(root)
    paths = sorted((root / "profiles").glob("*.yaml"))
    state = ProjectState(root)
    with state.locked():
        links = state.links_for(p.stem for p in paths)
    places = Places(root / "unused-site", root / "unused-print", True)
    plan = BuildPlan(project, places, Manifest(), links, ("guide.pdf",), True, False, {})
    works = [w for w in (prepare_one(plan, p) for p in paths) if isinstance(w, GuideWork)]
    works = works[:: max(1, len(works) // SAMPLE)]  # every nth guide: the ratio, not a second whole build
    snapshot = take_snapshot(plan)
    timed_render(snapshot, works[0])
    here = sum(timed_render(snapshot, w) for w in works) / len(works)
    settings = {"distributed.worker.profile.enabled": False}
    with (
        dask.config.set(settings),
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        shared = client.scatter(snapshot, broadcast=True)
        client.submit(timed_render, shared, works[0], pure=False).result()
        there = sum(client.submit(timed_render, shared, w, pure=False).result() for w in works) / len(works)
    return here, there


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guides", type=int, default=20, help="people in the synthetic project (default 20)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each command (default 2)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="guidegen-bench-cluster-") as folder:
        work = Path(folder)
        root = make_project(work / "project", args.guides, 30)
        times: dict[str, list[tuple[float, float]]] = {"jobs": [], "cluster": []}
        how = {"jobs": ("--jobs", "2"), "cluster": ("--cluster", "local:2")}
        for round_ in range(args.rounds):
            order = ("jobs", "cluster") if round_ % 2 == 0 else ("cluster", "jobs")
            for name in order:
                times[name].append(command(root, work / f"out-{name}-{round_}", *how[name]))
        same = all(
            (work / "out-jobs-0" / p.relative_to(work / "out-cluster-0")).read_bytes() == p.read_bytes()
            for p in (work / "out-cluster-0").rglob("*")
            if p.is_file()
        )
        here, there = render_cost(root)
    load_after = os.getloadavg()
    jobs_wall = sum(w for w, _ in times["jobs"])
    cluster_wall = sum(w for w, _ in times["cluster"])
    guides = args.guides * args.rounds
    print(f"{args.guides} guides with PDFs, {args.rounds} rounds, 2 worker processes on {os.cpu_count()} CPUs")
    line(
        "--cluster local:2 / --jobs 2 (the whole command)",
        f"{cluster_wall / jobs_wall:.2f} ({cluster_wall / args.rounds:.1f} s, {jobs_wall / args.rounds:.1f} s)",
        "<= 1.15",
    )
    line("site/ of both byte-identical", "yes" if same else "NO", "yes")
    for name in ("jobs", "cluster"):
        cpu = sum(c for _, c in times[name]) / guides
        line(f"CPU seconds per printed guide, --{name}", f"{cpu:.2f} s", "2-4 s")
    line(
        "render CPU per guide: in a Dask worker / in-process", f"{there / here:.2f} ({there:.2f} s, {here:.2f} s)", "~1"
    )
    line("guides per hour per worker core (--cluster local:2)", f"{guides / cluster_wall * 3600 / 2:.0f}", "")
    line("load average (1 min) before / after", f"{load_before[0]:.1f} / {load_after[0]:.1f}", "")


if __name__ == "__main__":
    main()
