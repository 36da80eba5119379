"""Guide jobs on a Dask cluster (`guidegen build --cluster ADDRESS`); the only module that imports
dask and distributed, and only when a build asks for a cluster.

The client (this computer) loads and checks the project, decides which guides changed and writes
every file; the workers only render. The project's shared inputs (settings, content, theme) go to
the workers once, as bytes (`ProjectSnapshot`, scattered to every worker); each worker loads its
own copy once and refuses to render when that copy is not the client's (another guidegen version,
theme or font). Each guide then goes out as one task keyed by position (`guide-<n>-<build>`,
never an id or a name), longest PDF first, a bounded number in flight; a worker that dies has its
task run again elsewhere. What comes back is bytes, written here through `write_one`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import ipaddress
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GuidegenError, UsageError
from ..project.content import CONTENT_DIR
from ..project.digests import digest
from ..project.load import Project, load_project
from ..project.settings import SETTINGS_FILE
from ..project.theme import TEMPLATES_DIR, default_theme_dir
from ..project.userfiles import MAX_ASSET_BYTES
from .job import (
    PDF_FILE,
    BuildPlan,
    GuideResult,
    GuideWork,
    Rendered,
    guide_writer,
    pdf_cost,
    prepare_one,
    render_one,
    write_one,
)

LOCAL = re.compile(r"^local:([1-9][0-9]{0,2})$")
"""`local:N`: a cluster of N worker processes on this computer, for trying it out and for tests."""
REMOTE = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")
RETRIES = 3
"""How many times a guide whose render raised is tried again (a lost worker does not count)."""
IN_FLIGHT = 2
"""Tasks in flight per worker thread: enough to keep every worker busy, few enough that the
client holds only a window of profiles and rendered files."""


class ClusterError(GuidegenError):
    """The cluster could not be reached, went away, or does not run this guidegen (exit status 1)."""


class WorkerMismatch(Exception):
    """A worker's copy of the project is not the client's: another guidegen, theme or font."""


def check_address(address: str, insecure: bool, jobs: int | None = None) -> None:
    """A usage error for an address that is not `local:N`, `tls://host:port` or `tcp://host:port`,
    for an unencrypted `tcp://` scheduler on another computer without `--insecure`, and for
    `--jobs` beside it (the cluster's workers decide how many guides run at once)."""
    if jobs is not None:
        raise UsageError("--jobs and --cluster together: the cluster's workers decide how many guides run at once")
    if LOCAL.match(address):
        return
    found = REMOTE.match(address)
    if found is None:
        raise UsageError("--cluster takes tls://HOST:PORT, tcp://HOST:PORT or local:N (N worker processes)")
    scheme, host = found.group(1), found.group(2).strip("[]")
    if scheme == "tcp" and not insecure and not _loopback(host):
        raise UsageError(
            "tcp:// sends profiles (health data) over the network unencrypted: use tls:// "
            "(see docs/cluster.md), or --insecure on a network you trust"
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ProjectSnapshot:
    """The project's shared inputs as bytes, and what a worker needs to render like the client."""

    files: Mapping[str, bytes]
    """guidegen.yaml, content/ and the project's own templates/, by relative path."""
    fingerprint: str
    """Hash of the loaded project's shared inputs and module texts: a worker's copy must match."""
    outputs: tuple[str, ...]
    private: bool
    source_date_epoch: str | None
    """The client's SOURCE_DATE_EPOCH: the cover date is the client's, not the worker's."""


def take_snapshot(plan: BuildPlan) -> ProjectSnapshot:
    """The shared inputs of the plan's project, read once on the client."""
    root = plan.project.root
    folders = [root / CONTENT_DIR]
    templates = root / TEMPLATES_DIR
    if templates.is_dir() and templates.resolve() != default_theme_dir().resolve():
        folders.append(templates)
    files = {SETTINGS_FILE: (root / SETTINGS_FILE).read_bytes()}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.stat().st_size <= MAX_ASSET_BYTES:
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return ProjectSnapshot(files, fingerprint(plan.project), plan.outputs, plan.places.private, epoch)


def fingerprint(project: Project) -> str:
    """What must be the same on client and worker for the same bytes to come out."""
    modules = (
        f"{mid}={place}:{sorted(texts.items())}" for mid, (place, texts) in sorted(project.module_hashes.items())
    )
    return digest(project.shared, *modules)


KEPT_PROJECTS = 4
_projects: dict[str, tuple[Project, Path]] = {}
"""On a worker: the projects of the last snapshots it was sent (by fingerprint), and their
folders. A worker that outlives a build keeps them for the next build of the same project."""


_loading = threading.Lock()
"""A worker with several threads loads each project once."""


def project_on_worker(snapshot: ProjectSnapshot) -> Project:
    """The worker's copy of the project, loaded once from the snapshot into a private folder
    (the theme's assets are read from there while guides are laid out)."""
    with _loading:
        return _load_on_worker(snapshot)


def _load_on_worker(snapshot: ProjectSnapshot) -> Project:
    if snapshot.fingerprint in _projects:
        return _projects[snapshot.fingerprint][0]
    while len(_projects) >= KEPT_PROJECTS:  # the oldest goes: builds of other projects may share the worker
        _, old = _projects.pop(next(iter(_projects)))
        shutil.rmtree(old, ignore_errors=True)
        gc.unfreeze()  # the collector may free it now; the projects kept are frozen again below
    folder = Path(tempfile.mkdtemp(prefix="guidegen-project-"))
    atexit.register(shutil.rmtree, folder, True)
    for relative, data in snapshot.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    project = load_project(folder)
    if fingerprint(project) != snapshot.fingerprint:
        shutil.rmtree(folder, ignore_errors=True)
        raise WorkerMismatch("a worker's guidegen, default theme or fonts differ from this computer's")
    _projects[snapshot.fingerprint] = (project, folder)
    # As a forked worker of `--jobs` does: the loaded project (and Dask's own objects) are left out
    # of the collector's full passes, which otherwise walk them again and again during every guide.
    gc.collect()
    gc.freeze()
    return project


def render_task(snapshot: ProjectSnapshot, work: GuideWork) -> Rendered | GuideResult:
    """What a worker runs for one guide: render it in memory; nothing is written."""
    project = project_on_worker(snapshot)
    if snapshot.source_date_epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = snapshot.source_date_epoch
    return render_one(project, snapshot.outputs, snapshot.private, work)


@contextlib.contextmanager
def connect(address: str, plan: BuildPlan) -> Iterator[Callable[[Sequence[Path]], Iterator[tuple[int, GuideResult]]]]:
    """Reach the cluster (or start a local one) and send it the project; a cluster that cannot
    be reached is a ClusterError before anything is written."""
    import dask
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        local = LOCAL.match(address)
        try:
            if local:
                # The workers' sampling profiler walks WeasyPrint's deep stacks every 10 ms: a few
                # per cent of every guide, for a dashboard nobody opens (docs/cluster.md).
                stack.enter_context(dask.config.set({"distributed.worker.profile.enabled": False}))
                cluster = LocalCluster(
                    n_workers=int(local.group(1)), threads_per_worker=1, processes=True, dashboard_address=None
                )
                stack.enter_context(cluster)
                client = stack.enter_context(Client(cluster))
            else:
                client = stack.enter_context(Client(address))
            shared = client.scatter(take_snapshot(plan), broadcast=True, hash=False)
        except (OSError, TypeError) as error:  # TypeError: tls:// without certificates in Dask's configuration
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({error}); nothing was written") from None
        yield lambda paths: _results(client, shared, plan, paths)


def _results(client: Any, shared: Any, plan: BuildPlan, paths: Sequence[Path]) -> Iterator[tuple[int, GuideResult]]:
    """Prepare each guide here, render it on the cluster, write it here; results as they come,
    by position among the paths. With PDFs the longest go first, so no worker is left with a long
    one at the end while the others wait."""
    from distributed import as_completed

    costs = [pdf_cost(plan, path) for path in paths] if PDF_FILE in plan.outputs else [0] * len(paths)
    order = iter(sorted(range(len(paths)), key=lambda i: -costs[i]))
    build = uuid.uuid4().hex[:12]
    running: dict[str, tuple[int, GuideWork]] = {}
    done, window, sent = as_completed(), 0, 0
    while True:
        if sent >= window:  # a window's worth sent: ask again how big the cluster is (it may grow)
            window, sent = IN_FLIGHT * max(1, _threads(client)), 0
        for position in order:
            work = prepare_one(plan, paths[position])
            if isinstance(work, GuideResult):
                yield position, work
                continue
            future = client.submit(render_task, shared, work, key=f"guide-{position}-{build}", retries=RETRIES)
            running[future.key] = (position, work)
            done.add(future)
            sent += 1
            if len(running) >= window:
                break
        if not running:
            return
        future = next(done)
        position, work = running.pop(future.key)
        rendered = _outcome(future)
        if isinstance(rendered, GuideResult):
            yield position, rendered
        else:
            yield position, write_one(plan, work, rendered, guide_writer(plan))


def _threads(client: Any) -> int:
    """Worker threads in the cluster now."""
    try:
        return sum(client.nthreads().values())
    except OSError as error:
        raise ClusterError(f"lost the Dask scheduler ({type(error).__name__}); the state was not advanced") from None


def _outcome(future: Any) -> Rendered | GuideResult:
    """A task's result; a cluster that failed it is a ClusterError, never a profile's value."""
    from distributed import KilledWorker

    try:
        result: Rendered | GuideResult = future.result()
    except WorkerMismatch as error:
        raise ClusterError(f"{error}: install the same guidegen on the workers") from None
    except KilledWorker:
        raise ClusterError("workers kept dying while rendering one guide; the state was not advanced") from None
    except (OSError, TimeoutError, _cancelled()) as error:
        reason = type(error).__name__
        raise ClusterError(f"lost the Dask scheduler ({reason}); the state was not advanced") from None
    return result


def _cancelled() -> type[BaseException]:
    from distributed.client import FutureCancelledError

    return FutureCancelledError
