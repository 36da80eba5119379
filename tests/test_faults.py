"""Every write call failing in turn, as SQLite tests its I/O: build, link, link --rotate, new
profile and init run once to count their write calls, then once per call with that call failing
(disk full, read-only, no permission, in turn). Each run ends with a clean message and exit 1 (or
succeeds when the failing call was only a clean-up), never a traceback, and nothing is lost:
inputs are untouched, links keep their keys, and every published file is the old one or the new
one, whole."""

from __future__ import annotations

import builtins
import errno
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from guidegen.cli import main

CODES = (errno.ENOSPC, errno.EROFS, errno.EACCES)
WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
CALLS = ("write", "replace", "rename", "link", "mkdir", "fsync", "fchmod", "chmod", "utime", "unlink", "rmdir")
"""The `os` calls that change the disk (os.open counts when it opens for writing; so does open())."""
TEMPORARY = (".tmp", ".init-", ".import-")
"""Leftovers of a failed clean-up: the next run removes them (tested in test_reliability.py)."""


class Faults:
    """Counts write calls and makes the one numbered `fail_at` fail."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.count = 0

    def hit(self, what: object) -> None:
        self.count += 1
        if self.count == self.fail_at:
            code = CODES[self.count % len(CODES)]
            raise OSError(code, os.strerror(code), str(what))


@contextmanager
def failing(monkeypatch: pytest.MonkeyPatch, faults: Faults) -> Iterator[None]:
    real = {name: getattr(os, name) for name in (*CALLS, "open")}
    real_open = builtins.open

    def wrap(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            faults.hit(args[0] if args else name)
            return real[name](*args, **kwargs)

        return call

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & WRITING:
            faults.hit(path)
        return int(real["open"](path, flags, *args, **kwargs))

    def open_file(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            faults.hit(file)
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as patch:
        for name in CALLS:
            patch.setattr(os, name, wrap(name))
        patch.setattr(os, "open", os_open)
        patch.setattr(builtins, "open", open_file)
        patch.setattr(io, "open", open_file)  # pathlib writes through io.open
        yield


def tree(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(mark in str(p.relative_to(folder)) for mark in TEMPORARY) and p.name != "lock"
    }


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(main, args)


def check_nothing_lost(before: dict[str, bytes], after: dict[str, bytes], done: dict[str, bytes], where: str) -> None:
    """Every file is as it was or as the unfailing run left it; none that both keep is missing."""
    for name, data in after.items():
        if name == ".guidegen/import.json":  # salted per project run: the same facts, other bytes
            assert json.loads(data)["profiles"].keys() <= json.loads(done[name])["profiles"].keys(), where
            continue
        assert data in (before.get(name), done.get(name)), f"{where}: {name} is neither old nor new"
    for name in before.keys() & done.keys():
        assert name in after, f"{where}: {name} was lost"


def run_in_turn(
    monkeypatch: pytest.MonkeyPatch, start: Path, work: Path, args: Callable[[Path], list[str]], deterministic: bool
) -> int:
    """Run the command once unfailing, then once per write call with that call failing."""
    counting = Faults()
    shutil.copytree(start, work, symlinks=True)
    with failing(monkeypatch, counting):
        reference = invoke(args(work))
    assert reference.exit_code == 0, reference.output
    done = tree(work)
    before = tree(start)
    for fail_at in range(1, counting.count + 1):
        shutil.rmtree(work)
        shutil.copytree(start, work, symlinks=True)
        with failing(monkeypatch, Faults(fail_at)):
            result = invoke(args(work))
        where = f"call {fail_at} of {counting.count}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (where, result.exception)
        assert result.exit_code in (0, 1), (where, result.output)
        if result.exit_code == 1:
            said = ("error", "cannot", "disk is", "no permission")
            assert any(w in result.output for w in said) and "Traceback" not in result.output, (where, result.output)
        after = tree(work)
        for name, data in before.items():
            if name.startswith(("profiles/", "content/", "guidegen.yaml", ".guidegen/links.json")):
                assert after.get(name) == data or (name.endswith("links.json") and not deterministic), (where, name)
        if deterministic:
            check_nothing_lost(before, after, done, where)
        links = after.get(".guidegen/links.json")
        if links is not None:  # whole: the old keys, or every id with a new whole entry
            entries = json.loads(links)["links"]
            old = json.loads(before.get(".guidegen/links.json", b'{"links": {}}'))["links"]
            assert set(old) <= set(entries) and all(e["slug"] and e["key"] for e in entries.values()), where
    return counting.count


@pytest.fixture
def built(tmp_path: Path, mini: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The mini project built once (HTML only), with one profile changed since."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    assert invoke(["build", "--no-pdf", "-j", "1", "--index", "-C", str(mini)]).exit_code == 0
    profile = mini / "profiles" / "p-001.yaml"
    profile.write_text(profile.read_text().replace("Robin", "Robyn"))
    return mini


def test_build_with_every_write_failing_in_turn(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = run_in_turn(
        monkeypatch, built, tmp_path / "work", lambda p: ["build", "--no-pdf", "-j", "1", "--index", "-C", str(p)], True
    )
    assert calls > 10


def test_a_first_build_with_every_write_failing_in_turn(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mini / "profiles" / "p-002.yaml").unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    run_in_turn(monkeypatch, mini, tmp_path / "work", lambda p: ["build", "--no-pdf", "-j", "1", "-C", str(p)], False)


@pytest.mark.parametrize("rotate", [False, True], ids=["link", "rotate"])
def test_link_with_every_write_failing_in_turn(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rotate: bool
) -> None:
    def args(p: Path) -> list[str]:
        return ["link", "p-001", *(["--rotate"] if rotate else []), "-C", str(p)]

    run_in_turn(monkeypatch, built, tmp_path / "work", args, not rotate)


def test_new_profile_with_every_write_failing_in_turn(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_in_turn(monkeypatch, built, tmp_path / "work", lambda p: ["new", "profile", "p-009", "-C", str(p)], True)


def test_init_with_every_write_failing_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = tmp_path / "start"
    start.mkdir()
    calls = run_in_turn(monkeypatch, start, tmp_path / "work", lambda p: ["init", str(p / "project")], True)
    assert calls > 5


def test_import_fhir_with_every_write_failing_in_turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import copy_project
    from fhir_records import ICD, condition, patient, write_bundle

    root = copy_project(tmp_path / "start", profiles=("r-0142",))
    settings = root / "guidegen.yaml"
    if "id_system" not in settings.read_text():
        settings.write_text(
            settings.read_text() + 'import: {fhir: {id_system: "https://riverside.example.org/fhir/record-number"}}\n'
        )
    records = write_bundle(
        tmp_path / "bundle.json", [patient("p1", "MRN-0001", given="Sam"), condition("p1", ICD, "F11.20")]
    )
    calls = run_in_turn(
        monkeypatch,
        root,
        tmp_path / "work",
        lambda p: ["import", "fhir", str(records), "--jobs", "1", "-C", str(p)],
        True,
    )
    assert calls > 3
