"""`.guidegen/cache/` (project/cache.py): work kept between commands gives the same answers as
work done again, an edited file is checked and compiled again, a damaged entry is only slower,
and a folder that others may write to (or that is not a real folder) is never read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from guidegen.errors import InvalidInput
from guidegen.project.cache import CACHE_DIR, Cache, entry_name
from guidegen.project.profiles import Profile
from guidegen.publish.build import build
from guidegen.text.personalise import personalise
from guidegen.web.themecheck import load_checked_project


def modules_html(root: Path) -> dict[str, str]:
    """Each module's body personalised for one person, from a freshly loaded project."""
    project = load_checked_project(root)
    view = Profile(id="p-001", name="Sam").template_view()
    sections = {section: section for section in project.settings.sections}
    return {
        m.id: personalise(m.original.template, m.original.source, m.original.where, view, sections).markdown
        for m in project.modules
    }


def test_a_second_load_reads_the_cache_and_gets_the_same_project(mini: Path) -> None:
    first = modules_html(mini)
    entries = sorted(p.name for p in (mini / CACHE_DIR).iterdir())
    # Page templates are kept too, unless this process compiled them for an earlier test already.
    assert {name.split("-")[0] for name in entries} >= {"code", "static", "lint", "theme"}
    assert modules_html(mini) == first
    assert sorted(p.name for p in (mini / CACHE_DIR).iterdir()) == entries, "nothing new when nothing changed"


def test_an_edited_module_is_compiled_and_checked_again(mini: Path) -> None:
    modules_html(mini)
    path = mini / "content" / "coping" / "cravings.md"
    path.write_text(path.read_text() + "\nOne more line for {{ person.name }}.\n")
    assert "One more line for " in modules_html(mini)["cravings"]
    path.write_text(path.read_text() + "\n{{ person.nickname }}\n")
    with pytest.raises(InvalidInput, match="nickname"):
        load_checked_project(mini)


def test_damaged_entries_are_done_again(mini: Path) -> None:
    first = modules_html(mini)
    for entry in (mini / CACHE_DIR).iterdir():
        entry.write_bytes(b"\x00not what was kept")
    assert modules_html(mini) == first


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="folder owners are POSIX")
def test_a_cache_that_others_may_write_to_is_never_read(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    name = entry_name("woff2", (b"font",))
    assert cache.data("woff2", (b"font",), lambda: b"made") == b"made"
    assert cache.read(name) == b"made"
    (tmp_path / CACHE_DIR).chmod(0o777)
    assert cache.read(name) is None
    assert cache.data("woff2", (b"font",), lambda: b"made again") == b"made again"
    (tmp_path / CACHE_DIR).chmod(0o700)
    assert cache.read(name) == b"made"


def test_a_linked_cache_or_state_folder_is_never_read(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    Cache(elsewhere).keep(entry_name("x", ()), b"kept")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".guidegen").symlink_to(elsewhere / ".guidegen")
    assert Cache(project).read(entry_name("x", ())) is None


def test_a_build_with_the_cache_deleted_makes_the_same_bytes(mini: Path, tmp_path: Path) -> None:
    assert build(mini, pdf=False).problems == []
    first = {p.relative_to(mini / "site"): p.read_bytes() for p in (mini / "site").rglob("*") if p.is_file()}
    shutil.rmtree(mini / CACHE_DIR)
    assert build(mini, pdf=False, force=True).problems == []
    again = {p.relative_to(mini / "site"): p.read_bytes() for p in (mini / "site").rglob("*") if p.is_file()}
    assert again == first
