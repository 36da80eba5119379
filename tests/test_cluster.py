"""guidegen build --cluster: guide jobs on a Dask cluster of two worker processes on this computer.

The client writes every file and keeps the state; the output is byte for byte that of `--jobs 2`;
a worker killed mid-build costs nothing; an unreachable scheduler writes nothing; the scheduler
never sees an id or a name.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import dask
import distributed
import pytest
import yaml
from click.testing import Result
from distributed.diagnostics.plugin import SchedulerPlugin

from conftest import EXAMPLE_DATE, copy_project
from guidegen.errors import GuidegenError
from guidegen.publish.build import build
from guidegen.publish.cluster import WorkerMismatch, fingerprint, project_on_worker, take_snapshot
from guidegen.publish.job import BuildPlan, Places
from guidegen.publish.state import Manifest, ProjectState
from guidegen.web.themecheck import load_checked_project

KEY = re.compile(r"^guide-[0-9]+-[0-9a-f]{12}$")
"""A guide task's key: its position and the build's random token, nothing else."""


@pytest.fixture(autouse=True)
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same cover date in both builds (and on the workers, which take the client's)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_DATE)


def twins(tmp_path: Path, profiles: tuple[str, ...] | None = None) -> tuple[Path, Path]:
    """Two copies of the example project with the same links (slugs and keys), so that two builds
    of them can be compared byte for byte."""
    first = copy_project(tmp_path / "jobs", profiles=profiles)
    state = ProjectState(first)
    with state.locked():
        state.links_for(p.stem for p in (first / "profiles").glob("*.yaml"))
    second = copy_project(tmp_path / "cluster", profiles=profiles)
    shutil.copytree(first / ".guidegen", second / ".guidegen")
    return first, second


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder by its relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def same_output(first: Path, second: Path) -> None:
    for folder in ("site", "print"):
        assert tree(first / folder) == tree(second / folder), folder
    manifest = "manifest.json"
    assert (first / ".guidegen" / manifest).read_bytes() == (second / ".guidegen" / manifest).read_bytes()


def test_cluster_build_is_byte_identical_to_jobs_2_and_incremental(tmp_path: Path, run: Callable[..., Result]) -> None:
    first, second = twins(tmp_path)
    local = run("build", "--no-pdf", "--jobs", "2", "-C", first)
    on_cluster = run("build", "--no-pdf", "--cluster", "local:2", "-C", second)
    assert local.exit_code == on_cluster.exit_code == 0, on_cluster.output
    assert "built 14, unchanged 0" in on_cluster.output
    same_output(first, second)
    for root in (first, second):  # one changed profile: only its guide goes to the cluster
        profile = root / "profiles" / "r-0142.yaml"
        profile.write_text(profile.read_text(encoding="utf-8").replace("Friday nights", "Paydays"), encoding="utf-8")
    local = run("build", "--no-pdf", "--jobs", "2", "-C", first)
    on_cluster = run("build", "--no-pdf", "--cluster", "local:2", "-C", second)
    assert "built 1, unchanged 13" in local.output and "built 1, unchanged 13" in on_cluster.output
    same_output(first, second)


@pytest.mark.pdf
def test_cluster_pdfs_are_byte_identical_to_jobs_2(tmp_path: Path, run: Callable[..., Result]) -> None:
    first, second = twins(tmp_path, profiles=("r-0142", "r-0315", "r-0901"))
    assert run("build", "--jobs", "2", "-C", first).exit_code == 0
    on_cluster = run("build", "--cluster", "local:2", "-C", second)
    assert on_cluster.exit_code == 0, on_cluster.output
    assert len(list((second / "print").glob("*.pdf"))) == 3
    same_output(first, second)


class KillOnceAndWatch(SchedulerPlugin):
    """A scheduler plugin: records every task key it sees and, once the first guide is back,
    kills the worker that is given the next guide (SIGKILL: no goodbye to the scheduler)."""

    name = "kill-once-and-watch"

    def __init__(self, scheduler: Any) -> None:
        super().__init__()
        self.scheduler = scheduler
        self.keys: set[str] = set()
        self.processing: dict[str, int] = {}
        self.finished = 0
        self.killed: str | None = None

    def transition(self, key: Any, start: Any, finish: Any, *args: Any, stimulus_id: str, **kwargs: Any) -> None:
        self.keys.add(str(key))
        if not str(key).startswith("guide-"):
            return
        if finish == "memory":
            self.finished += 1
        if finish != "processing":
            return
        self.processing[str(key)] = self.processing.get(str(key), 0) + 1
        if self.finished and self.killed is None:
            worker = self.scheduler.tasks[key].processing_on
            self.killed = str(key)
            os.kill(worker.pid, signal.SIGKILL)


@pytest.fixture
def cluster() -> Iterator[tuple[Any, KillOnceAndWatch]]:
    """Two worker processes with one thread each, and the plugin on their scheduler."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        plugin = KillOnceAndWatch(local.scheduler)
        local.scheduler.add_plugin(plugin)
        yield local, plugin


def test_a_worker_killed_mid_build_costs_no_guide_and_keys_hold_no_ids(
    tmp_path: Path, cluster: tuple[Any, KillOnceAndWatch]
) -> None:
    local, plugin = cluster
    root = copy_project(tmp_path / "project")
    report = build(root, pdf=False, cluster=local.scheduler_address)
    assert report.failed == 0 and len(report.built) == 14
    assert plugin.killed is not None and plugin.processing[plugin.killed] >= 2  # it ran again elsewhere
    links = ProjectState(root).links()
    assert all((root / "site" / link.slug / "index.html").is_file() for link in links.values())
    guides = {k for k in plugin.keys if k.startswith("guide-")}
    assert len(guides) == 14 and all(KEY.match(k) for k in guides)
    people = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (root / "profiles").glob("*.yaml")]
    personal = [p["id"] for p in people] + [p["name"] for p in people] + [link.slug for link in links.values()]
    assert not [k for k in plugin.keys for word in personal if word.lower() in k.lower()]


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = copy_project(tmp_path / "project")
    assert run("build", "--no-pdf", "--jobs", "2", "-C", root).exit_code == 0
    before, state = tree(root / "site"), tree(root / ".guidegen")
    profile = root / "profiles" / "r-0142.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("Friday nights", "Paydays"), encoding="utf-8")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):  # a refused port is refused at once
        result = run("build", "--no-pdf", "--force", "--cluster", "tcp://127.0.0.1:1", "--insecure", "-C", root)
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    assert tree(root / "site") == before and tree(root / ".guidegen") == state


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--cluster", "tcp://scheduler.example.org:8786"), "use tls://"),
        (("--cluster", "tcp://192.0.2.10:8786"), "use tls://"),
        (("--cluster", "scheduler:8786"), "--cluster takes"),
        (("--cluster", "local:0"), "--cluster takes"),
        (("--cluster", "local:2", "--jobs", "2"), "--jobs and --cluster"),
    ],
)
def test_refused_addresses_are_usage_errors(
    tmp_path: Path, run: Callable[..., Result], arguments: tuple[str, ...], message: str
) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    result = run("build", "--no-pdf", *arguments, "-C", root)
    assert result.exit_code == 2 and message in result.output
    assert not (root / "site").exists() and not (root / ".guidegen").exists()


def test_a_scheduler_that_goes_away_mid_build_is_a_clear_error_and_the_state_is_not_advanced(
    tmp_path: Path,
) -> None:
    root = copy_project(tmp_path / "project")
    build(root, pdf=False, jobs=2)
    state = tree(root / ".guidegen")
    profiles = sorted((root / "profiles").glob("*.yaml"))
    for profile in profiles:
        profile.write_text(profile.read_text(encoding="utf-8") + "\n# reviewed again\n", encoding="utf-8")
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)

    def stop_the_scheduler(done: int, total: int) -> None:
        if done == 1:
            local.close()

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "2s"}),
        pytest.raises(GuidegenError, match="lost the Dask scheduler") as raised,
    ):
        build(root, pdf=False, cluster=local.scheduler_address, on_progress=stop_the_scheduler)
    assert raised.value.exit_code == 1
    assert tree(root / ".guidegen") == state  # the next build makes every guide again
    report = build(root, pdf=False, jobs=2)
    assert report.failed == 0 and len(report.built) == len(profiles)


def test_a_worker_loads_the_clients_project_from_the_snapshot_and_refuses_another(tmp_path: Path) -> None:
    """The shared inputs travel as bytes (the project's own templates/ too, never profiles/), and
    a worker whose copy differs from the client's (another guidegen, theme or font) says so."""
    root = copy_project(tmp_path / "project")
    (root / "templates" / "assets").mkdir(parents=True)
    (root / "templates" / "assets" / "clinic.css").write_text("h1 { letter-spacing: 0.01em }\n", encoding="utf-8")
    project = load_checked_project(root)
    places = Places(root / "site", root / "print", True)
    plan = BuildPlan(project, places, Manifest(), {}, ("index.html",), False, False)
    snapshot = take_snapshot(plan)
    assert "templates/assets/clinic.css" in snapshot.files and "guidegen.yaml" in snapshot.files
    assert not [name for name in snapshot.files if name.startswith("profiles/")]
    assert fingerprint(project_on_worker(snapshot)) == fingerprint(project)
    other = replace(snapshot, fingerprint="0" * 32)  # as if this guidegen or its fonts were not the client's
    with pytest.raises(WorkerMismatch):
        project_on_worker(other)
