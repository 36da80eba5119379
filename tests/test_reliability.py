"""Nothing lost, nothing leaked (issue 25): plaintext left behind, state files damaged or tampered
with, rotation that must revoke, symbolic links planted in the project, lengths and file times
that tell about a person, leftovers of killed runs, output folders that would publish inputs,
staff files' modes, ids echoed, and theme links on the fast path."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from conftest import folder_of, link_of, page_html
from guidegen.publish.output import file_time
from guidegen.web.seal import BUCKET, NONCE_BYTES

SEALED = re.compile(r'<script type="application/octet-stream" id="sealed-guide">([^<]*)</script>')


def set_access(root: Path, access: str) -> None:
    settings = root / "guidegen.yaml"
    text = re.sub(r"(?m)^web:.*\n", "", settings.read_text())
    settings.write_text(text + f"web: {{access: {access}}}\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# 1. A plaintext guide left in the published folder ---------------------------------------------


@pytest.mark.pdf
def test_a_plain_pdf_from_open_access_is_removed_when_the_site_turns_private(mini: Path, run) -> None:
    set_access(mini, "open")
    assert run("build", "-j", "1", "-C", mini, "p-001").exit_code == 0
    folder = folder_of(mini, "p-001")
    assert (folder / "guide.pdf").is_file()
    set_access(mini, "private")
    assert run("build", "--no-pdf", "-j", "1", "-C", mini).exit_code == 0
    assert not (folder / "guide.pdf").exists(), "a plaintext PDF stayed beside the sealed page"
    assert {p.name for p in folder.iterdir()} == {"index.html", "manifest.webmanifest", "sw.js"}
    staff = mini / "print"
    assert staff.stat().st_mode & 0o777 == 0o700
    assert (staff / "p-001.pdf").stat().st_mode & 0o777 == 0o600


def test_any_file_the_access_mode_would_not_write_is_removed(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    folder = folder_of(mini, "p-001")
    (folder / "guide.pdf").write_bytes(b"%PDF plaintext with a name")
    (folder / "notes").mkdir()
    (folder / "notes" / "x.txt").write_text("left")
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0  # nothing changed: the fast path
    assert {p.name for p in folder.iterdir()} == {"index.html", "manifest.webmanifest", "sw.js"}


def test_a_rotated_links_old_folder_is_removed_whole(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    old = folder_of(mini, "p-001")
    (old / "guide.pdf").write_bytes(b"%PDF plaintext")
    assert run("link", "p-001", "--rotate", "-C", mini).exit_code == 0
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert not old.exists()
    assert "Robin" in page_html(mini, "p-001")


# 3. An unreadable links.json never re-keys everyone ---------------------------------------------


@pytest.mark.parametrize("damage", ["byte", "entry", "deep"])
def test_an_unreadable_links_file_stops_and_is_kept_aside(mini: Path, run, damage: str) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    links = mini / ".guidegen" / "links.json"
    before, old = links.read_bytes(), link_of(mini, "p-001")
    if damage == "byte":
        links.write_bytes(before[:20] + b"\xff" + before[21:])
    elif damage == "entry":
        data = json.loads(before)
        data["links"]["p-002"]["key"] = 7
        links.write_text(json.dumps(data))
    else:
        links.write_text("[" * 200_000 + "]" * 200_000)
    damaged = links.read_bytes()
    for command in (["build", "--no-pdf"], ["link", "p-001"], ["link", "p-001", "--rotate"]):
        result = run(*command, "-C", mini)
        assert result.exit_code == 1, command
        assert "links.json cannot be read" in result.stderr and "Traceback" not in result.output
        assert links.read_bytes() == damaged, "a file that holds keys is never replaced"
    assert (mini / ".guidegen" / "links.json.damaged").read_bytes() == damaged
    assert (mini / "site" / old.slug).is_dir(), "nothing was removed either"
    links.write_bytes(before)
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert link_of(mini, "p-001") == old


# 4. Rotation always revokes ---------------------------------------------------------------------


@pytest.mark.parametrize("lost", ["deleted", "other version"])
def test_rotation_revokes_even_when_the_manifest_is_lost(mini: Path, run, lost: str) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    old = folder_of(mini, "p-001")
    assert run("link", "p-001", "--rotate", "-C", mini).exit_code == 0
    manifest = mini / ".guidegen" / "manifest.json"
    if lost == "deleted":
        manifest.unlink()
    else:
        manifest.write_text(json.dumps({"format": 1, "version": "0.0.1", "guides": {}}))
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert not old.exists()


def test_a_deleted_profiles_guide_goes_even_when_the_manifest_is_lost(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    gone = folder_of(mini, "p-002")
    (mini / ".guidegen" / "manifest.json").unlink()
    (mini / "profiles" / "p-002.yaml").unlink()
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert not gone.exists()
    assert folder_of(mini, "p-001").is_dir()
    assert run("build", "--no-pdf", "-C", mini, "p-001").exit_code == 0, "a build of some ids keeps the others"
    assert folder_of(mini, "p-001").is_dir()


# 5. Symbolic links are never followed for writing or deleting -----------------------------------


def test_a_linked_guide_folder_is_never_written_through(mini: Path, run, tmp_path: Path) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    folder = folder_of(mini, "p-001")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("not yours")
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.symlink_to(outside)
    profile = mini / "profiles" / "p-001.yaml"
    profile.write_text(profile.read_text().replace("Robin", "Robyn"))
    result = run("build", "--no-pdf", "-C", mini)
    assert "Traceback" not in result.output
    assert (outside / "index.html").read_text() == "not yours" and len(list(outside.iterdir())) == 1
    assert not folder.is_symlink() and "Robyn" in page_html(mini, "p-001")


def test_a_linked_state_folder_is_refused(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "state"
    outside.mkdir(mode=0o755)
    (mini / ".guidegen").symlink_to(outside)
    for command in (["build", "--no-pdf"], ["link", "p-001"]):
        result = run(*command, "-C", mini)
        assert result.exit_code == 1 and ".guidegen is a symbolic link" in result.stderr
    assert list(outside.iterdir()) == [] and outside.stat().st_mode & 0o777 == 0o755


def test_the_first_edition_migration_never_deletes_through_a_link(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "victim"
    outside.mkdir()
    (outside / "index.html").write_text("keep me")
    (outside / "guide.pdf").write_text("keep me too")
    site = mini / "site"
    site.mkdir()
    (site / "p-001").symlink_to(outside)
    (site / ".guidegen-manifest.json").write_text(json.dumps({"guides": {"p-001": {}}}))
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert (outside / "index.html").read_text() == "keep me" and (outside / "guide.pdf").is_file()
    assert not (site / "p-001").exists() and not (site / ".guidegen-manifest.json").exists()


def test_a_linked_staff_folder_is_refused(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "print"
    outside.mkdir()
    (mini / "print").symlink_to(outside)
    result = run("build", "--no-pdf", "--index", "-C", mini)
    assert result.exit_code == 1 and "symbolic link" in result.stderr and "Traceback" not in result.output
    assert list(outside.iterdir()) == []


# 6. Tampered state files: warnings, never a traceback -------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("history.json", '{"guides": {"p-001": {"summary": {"modules": [], "goals": 3}, "since": 1}}}'),
        ("history.json", '{"guides": []}'),
        ("history.json", "[" * 200_000 + "]" * 200_000),
        ("manifest.json", None),
        ("manifest.json", '{"a": ' * 200_000 + "1" + "}" * 200_000),
        ("manifest.json", '"just a string"'),
    ],
    ids=["history-types", "history-shape", "history-deep", "manifest-types", "manifest-deep", "manifest-shape"],
)
def test_tampered_state_files_are_warnings_and_kept_aside(mini: Path, run, name: str, text: str | None) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    path = mini / ".guidegen" / name
    if text is None:
        data = json.loads(path.read_text())
        data["guides"] = {"p-001": {"profile": [], "key": {}, "outputs": "index.html", "slug": 3}}
        data["assets"], data["modules"] = {"a": 1}, ["x"]
        text = json.dumps(data)
    path.write_text(text)
    profile = mini / "profiles" / "p-001.yaml"  # a change, so that the build reads every state file
    profile.write_text(profile.read_text().replace("Robin", "Robyn"))
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert f".guidegen/{name}: warning:" in result.stderr
    if (mini / ".guidegen" / f"{name}.damaged").exists():
        assert (mini / ".guidegen" / f"{name}.damaged").read_text() == text
    assert run("build", "--no-pdf", "-C", mini).stdout.startswith("built 0, unchanged 2")


# 9. Lengths and file times tell nothing -----------------------------------------------------------


def test_sealed_lengths_do_not_tell_the_modules_and_file_times_are_from_the_bytes(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    page = folder_of(mini, "p-001") / "index.html"
    first = page.read_text()
    import base64

    sealed = base64.b64decode(SEALED.search(first).group(1))  # type: ignore[union-attr]
    assert (len(sealed) - NONCE_BYTES - 16) % BUCKET == 0
    extra = mini / "content" / "coping" / "zz-extra.md"
    extra.write_text("---\ntitle: One more page\nsummary: A short extra module.\n---\n\n" + "More words. " * 400)
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert "One more page" in page_html(mini, "p-001")
    assert len(page.read_bytes()) == len(first.encode()), "one more module changed the sealed page's length"
    data = page.read_bytes()
    assert page.stat().st_mtime == file_time(data) and page.stat().st_mtime < time.time() - 365 * 86400


# 11. Leftovers of killed runs -------------------------------------------------------------------


def test_leftover_import_staging_and_state_temporaries_are_removed(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    staging = mini / "profiles" / ".import-ab12cd_3"
    staging.mkdir()
    (staging / "mrn-1.yaml").write_text("name: Someone\n")
    temporary = mini / ".guidegen" / ".links.json.1a2b3c4d.tmp"
    temporary.write_text("{}")
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    assert not staging.exists() and not temporary.exists()


# 12. Output folders that would publish inputs ---------------------------------------------------


@pytest.mark.parametrize("output", ["profiles", "content", "content/coping", "templates", ".", ".."])
def test_an_output_folder_holding_inputs_is_refused(mini: Path, run, output: str) -> None:
    settings = mini / "guidegen.yaml"
    settings.write_text(settings.read_text().replace("output: site", f"output: {output}"))
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code in (1, 2) and "may not" in result.stderr  # settings may refuse it first
    assert not list((mini / "profiles").glob("*/index.html"))
    settings.write_text(settings.read_text().replace(f"output: {output}", "output: site"))
    result = run("build", "--no-pdf", "--out", mini / output, "-C", mini)
    assert result.exit_code == 2 and "--out: the output folder may not" in result.stderr


def test_an_output_folder_outside_the_project_is_a_warning(mini: Path, run, tmp_path: Path) -> None:
    result = run("build", "--no-pdf", "--out", tmp_path / "elsewhere", "-C", mini)
    assert result.exit_code == 0 and "--out: warning: the output folder is outside the project" in result.stderr


# 13. Staff files are private ---------------------------------------------------------------------


def test_the_staff_index_is_0600_in_a_0700_folder(mini: Path, run) -> None:
    (mini / "print").mkdir(mode=0o755)
    assert run("build", "--no-pdf", "--index", "-C", mini).exit_code == 0
    assert (mini / "print").stat().st_mode & 0o777 == 0o700
    assert (mini / "print" / "index.html").stat().st_mode & 0o777 == 0o600


# 14. A mistyped id is never echoed ---------------------------------------------------------------


def test_a_name_typed_as_an_id_is_never_echoed(mini: Path, run) -> None:
    for command in (["build", "dana-smith"], ["explain", "dana-smith"], ["link", "dana-smith"]):
        result = run(*command, "-C", mini)
        assert result.exit_code == 2 and "dana" not in result.output and "no profile with that id" in result.output
    result = run("serve", "--profile", "dana-smith", "-C", mini)
    assert result.exit_code == 2 and "dana" not in result.output


def test_a_new_profile_id_with_a_newline_is_refused(mini: Path, run) -> None:
    result = run("new", "profile", "zz\n", "-C", mini)
    assert result.exit_code == 2
    assert sorted(p.name for p in (mini / "profiles").iterdir()) == ["p-001.yaml", "p-002.yaml"]
    assert run("new", "profile", "zz", "-C", mini).exit_code == 0
    assert run("new", "profile", "zz", "-C", mini).exit_code == 2, "an existing profile is never replaced"


# 15. A theme link out of the project, on the fast path --------------------------------------------


def test_a_theme_folder_linked_outside_is_reported_on_the_fast_path(mini: Path, run, tmp_path: Path) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.css").write_text("/* secret */")
    (mini / "templates" / "assets").mkdir(parents=True)
    (mini / "templates" / "assets" / "more").symlink_to(outside)
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1 and "templates/assets/more: this file leads outside the project" in result.stderr


# 8. Environment faults --------------------------------------------------------------------------


def test_init_into_a_missing_parent_is_a_clean_message(run, tmp_path: Path) -> None:
    result = run("init", tmp_path / "missing" / "project")
    assert result.exit_code == 1 and "does not exist" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


def test_a_project_state_on_a_read_only_disk_is_a_clean_message(
    mini: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    before = (mini / ".guidegen" / "links.json").read_bytes()

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(os, "replace", read_only)
    result = run("link", "p-001", "--rotate", "-C", mini)
    assert result.exit_code == 1 and "Read-only file system" in result.stderr and "Traceback" not in result.output
    assert (mini / ".guidegen" / "links.json").read_bytes() == before
    assert not [p for p in (mini / ".guidegen").iterdir() if p.name.endswith(".tmp")]


def test_a_published_folder_that_is_a_link_is_refused(mini: Path, run, tmp_path: Path) -> None:
    outside = tmp_path / "www"
    outside.mkdir()
    (mini / "site").symlink_to(outside)
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1 and "symbolic link" in result.stderr and "Traceback" not in result.output
    assert list(outside.iterdir()) == []
    (mini / "site").unlink()
    result = run("build", "--no-pdf", "--out", outside, "-C", mini)
    assert result.exit_code == 0 and (outside / "robots.txt").is_file(), "the real folder, named outright, is fine"
