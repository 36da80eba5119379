"""The build's own promises under stress: one build at a time, nothing half-written when the disk
fails, leftovers of a killed build cleaned up, and ids from the command line checked."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import folder_of, page_html
from guidegen.publish import output
from guidegen.publish.build import build
from guidegen.publish.state import ProjectState


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_second_build_waits_for_the_first(mini: Path) -> None:
    assert build(mini, pdf=False).problems == []
    waited: list[bool] = []
    state = ProjectState(mini)
    with state.locked():
        second = threading.Thread(target=lambda: build(mini, pdf=False, on_wait=lambda: waited.append(True)))
        second.start()
        time.sleep(0.5)
        assert second.is_alive(), "the second build waits while the first holds the project"
    second.join(timeout=30)
    assert waited == [True] and not second.is_alive()


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EROFS, errno.EACCES], ids=["disk full", "read-only", "no permission"]
)
def test_a_failing_disk_is_a_clear_message_and_leaves_the_guide_whole(
    mini: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    before = snapshot(mini / "site")
    profile = mini / "profiles" / "p-001.yaml"
    profile.write_text(profile.read_text().replace("Robin", "Robyn"))
    real_replace = os.replace

    def failing_replace(source: str, target: str, **folders: int) -> None:
        if str(target).endswith("index.html"):
            raise OSError(code, os.strerror(code))
        real_replace(source, target, **folders)

    monkeypatch.setattr(output.os, "replace", failing_replace)
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert os.strerror(code) in result.stderr and "Traceback" not in result.stderr
    assert "Robyn" not in result.stderr and "Robin" not in result.stderr
    assert snapshot(mini / "site") == before, "the old guide is still whole, and no temporary file is left"


def test_leftover_temporary_files_of_a_killed_build_are_removed(mini: Path) -> None:
    assert build(mini, pdf=False).problems == []
    folder = folder_of(mini, "p-001")
    leftover = folder / ".index.html.abcd1234.tmp"
    leftover.write_text("a full copy of someone's guide")
    assert build(mini, pdf=False).unchanged == ["p-001", "p-002"]
    assert not leftover.exists()


def test_a_guide_whose_files_cannot_all_be_written_keeps_the_old_ones(mini: Path) -> None:
    assert build(mini, pdf=False).problems == []
    before = page_html(mini, "p-001")
    index = folder_of(mini, "p-001") / "index.html"
    index.unlink()
    index.mkdir()  # a folder where the guide file should be
    profile = mini / "profiles" / "p-001.yaml"
    profile.write_text(profile.read_text().replace("Robin", "Robyn"))
    report = build(mini, pdf=False)
    assert report.failed == 1 and any("index.html" in p.message for p in report.problems)
    assert before  # the other guide was still built
    assert report.built == ["p-002"] or "p-002" in report.unchanged


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "p-001\nX", "P-001", "a" * 300], ids=["path", "newline", "capitals", "long"]
)
def test_every_command_checks_an_id_from_the_command_line(mini: Path, run: Callable[..., Result], bad: str) -> None:
    for command in (["explain", bad], ["new", "profile", bad], ["link", bad], ["build", bad]):
        result = run(*command, "-C", mini)
        assert result.exit_code == 2, command
        assert "Traceback" not in result.output
    assert not (mini / "profiles" / "p-001\nX.yaml").exists()


def test_a_yml_profile_is_found_by_every_command(mini: Path, run: Callable[..., Result]) -> None:
    (mini / "profiles" / "p-002.yaml").rename(mini / "profiles" / "p-002.yml")
    assert run("explain", "p-002", "-C", mini).exit_code == 0
    assert run("link", "p-002", "-C", mini).exit_code == 0
    assert run("new", "profile", "p-002", "-C", mini).exit_code == 2


def test_a_name_typed_where_an_id_goes_is_never_repeated(mini: Path, run: Callable[..., Result]) -> None:
    for command in (["explain", "Robin Alvarez"], ["build", "Robin Alvarez"], ["new", "profile", "Robin Alvarez"]):
        result = run(*command, "-C", mini)
        assert result.exit_code == 2 and "Robin" not in result.output, command
