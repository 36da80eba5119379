"""Private by design: nothing published names a person; links open guides, rotate, and stay stable."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from conftest import REPO, copy_project, folder_of, link_of, page_html, pdf_of
from guidegen.publish.build import build
from guidegen.publish.state import ProjectState
from guidegen.web.seal import seal, unseal

PROFILES = sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))


def strings_of(value: Any) -> set[str]:
    """Every text in a profile (names, phones, triggers, plan ...)."""
    if isinstance(value, str):
        return {value.strip()}
    if isinstance(value, dict):
        return set().union(*(strings_of(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings_of(v) for v in value)) if value else set()
    return set()


def module_titles() -> set[str]:
    titles = set()
    for path in (REPO / "content").rglob("*.md"):
        front = path.read_text(encoding="utf-8").split("---")[1]
        titles.add(str(yaml.safe_load(front)["title"]))
    return titles


@pytest.mark.pdf
def test_nothing_published_holds_a_profile_value_an_id_or_a_module_title(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    assert build(root, jobs=2).problems == []
    published = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    names = [str(p.relative_to(root / "site")) for p in published]
    assert len([n for n in names if n.endswith("/index.html")]) == len(PROFILES)
    assert len([n for n in names if n.endswith("/guide.pdf.enc")]) == len(PROFILES)
    vocabulary = yaml.safe_load((REPO / "content" / "vocabulary.yaml").read_text(encoding="utf-8"))
    terms = {term for field in vocabulary.values() if isinstance(field, dict) for term in field}
    forbidden: set[str] = set(PROFILES) | {t for t in module_titles() if len(t) > 3}
    for guide_id in PROFILES:
        data = yaml.safe_load((REPO / "profiles" / f"{guide_id}.yaml").read_text(encoding="utf-8"))
        values = strings_of({k: v for k, v in data.items() if k != "language"})
        forbidden |= {s for s in values if len(s) > 3 and s not in terms}
        # Terms (alcohol, action ...) are also plain words, in CSS and scripts: look for them in what a page shows.
        forbidden |= {f">{s}<" for s in values if s in terms}
    for path, data in published.items():
        if path.is_relative_to(root / "site" / "assets") or path.suffix == ".enc":
            continue  # assets: the theme's alone (checked below); .enc: ciphertext (opened below)
        # The sealed guide is ciphertext: random base64 may hold any short word by chance.
        text = re.sub(r'(id="sealed-guide">)[^<]*', r"\1", data.decode("utf-8", errors="replace"))
        for value in forbidden:
            assert value not in text, f"{path.relative_to(root)} holds a value from a profile or a module title"
            assert value not in str(path.relative_to(root)), "a file name holds a value from a profile"
    for guide_id in PROFILES:  # and every guide still opens, with everything in it
        assert "My plan" in page_html(root, guide_id) or "Mi plan" in page_html(root, guide_id)
        sealed = (folder_of(root, guide_id) / "guide.pdf.enc").read_bytes()
        assert unseal(link_of(root, guide_id).key, sealed) == pdf_of(root, guide_id).read_bytes()
    assert not list((root / "site").glob(".*")), "no hidden state file in the published folder"
    other = copy_project(tmp_path / "other", profiles=())
    assert build(other, pdf=False).problems == []
    for path in (root / "site" / "assets").rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (other / path.relative_to(root)).read_bytes(), "assets hold nothing personal"


def test_every_sealed_page_is_the_same_but_for_the_sealed_text(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    assert build(root, pdf=False).problems == []
    pages = {
        re.sub(r'(id="sealed-guide">)[^<]*', r"\1", (folder_of(root, i) / "index.html").read_text()) for i in PROFILES
    }
    assert len(pages) == 1, "the plain part of a page says nothing about whose it is (not even the language)"


def test_state_is_private_valid_and_ignored_when_tampered_with(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142", "r-0201"))
    assert build(root, pdf=False).problems == []
    state = root / ".guidegen"
    assert state.stat().st_mode & 0o777 == 0o700
    assert {p.name for p in state.iterdir()} == {"links.json", "manifest.json", "history.json", "lock", "cache"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in state.iterdir() if p.name != "cache")
    assert (state / "cache").stat().st_mode & 0o777 == 0o700  # checks, compiled modules, fonts: never a profile
    # A crafted manifest that points outside the output folder is ignored, never followed.
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    manifest = (state / "manifest.json").read_text()
    crafted = manifest.replace(f'"slug": "{link_of(root, "r-0142").slug}"', '"slug": "../../victim.txt"')
    crafted = crafted.replace('"r-0201": {', '"../..": {')
    (state / "manifest.json").write_text(crafted)
    (root / "profiles" / "r-0142.yaml").unlink()
    report = build(root, pdf=False)
    assert victim.read_text() == "keep me"
    assert any(".guidegen/manifest.json" in str(p) and "ignored" in p.message for p in report.problems)
    assert all(p.severity == "warning" for p in report.problems)


def test_rotating_a_link_moves_the_guide_and_the_old_link_stops_working(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    assert run("build", "--no-pdf", "-C", root).exit_code == 0
    old = link_of(root, "r-0142")
    printed = run("link", "r-0142", "-C", root)
    assert printed.exit_code == 0
    assert printed.stdout.strip() == f"https://guides.riverside.example.org/{old.slug}/#k={old.key}"
    assert run("build", "--no-pdf", "-C", root).stdout.startswith("built 0, unchanged 1")
    rotated = run("link", "r-0142", "--rotate", "-C", root)
    new = link_of(root, "r-0142")
    assert rotated.stdout.strip() == f"https://guides.riverside.example.org/{new.slug}/#k={new.key}"
    assert new.slug != old.slug and new.key != old.key
    assert run("build", "--no-pdf", "-C", root).stdout.startswith("built 1")
    assert not (root / "site" / old.slug).exists()
    assert "Sam" in page_html(root, "r-0142")
    assert run("link", "nobody", "-C", root).exit_code == 2
    assert run("link", "../x", "-C", root).exit_code == 2


def test_rebuilds_are_byte_identical_and_links_stable(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142", "r-0201"))
    assert build(root, pdf=False).problems == []
    first = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    links = ProjectState(root).links()
    assert build(root, pdf=False, force=True).built == ["r-0142", "r-0201"]
    assert {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()} == first
    assert ProjectState(root).links() == links


def test_the_nonce_comes_from_the_key_and_the_text() -> None:
    key = link_a = ProjectState.__name__ and "A" * 42 + "E"
    one, again, other = seal(key, b"guide one"), seal(key, b"guide one"), seal(key, b"guide two")
    assert one == again and one[:12] != other[:12]
    assert unseal(key, one) == b"guide one" and link_a == key


def test_open_access_publishes_plain_pages_still_under_slugs(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    settings = root / "guidegen.yaml"
    settings.write_text(settings.read_text() + "web: {access: open}\n")
    assert build(root).problems == []
    folder = folder_of(root, "r-0142")
    assert sorted(p.name for p in folder.iterdir()) == ["guide.pdf", "index.html", "manifest.webmanifest", "sw.js"]
    assert (
        "Sam" in (folder / "index.html").read_text() and 'id="sealed-guide"' not in (folder / "index.html").read_text()
    )
    assert not (root / "site" / "r-0142").exists()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("output: .", "may not be inside the published folder"),
        ("output: site\nprint_output: site/print", "print_output"),
    ],
)
def test_staff_files_can_never_be_published(
    tmp_path: Path, run: Callable[..., Result], settings: str, message: str
) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    (root / "guidegen.yaml").write_text((root / "guidegen.yaml").read_text().replace("output: site", settings))
    result = run("build", "--no-pdf", "-C", root)
    assert result.exit_code == 1 and message in result.stderr
    result = run("build", "--no-pdf", "--out", root, "-C", root.parent / "project")
    assert result.exit_code in (1, 2)


def test_a_first_edition_site_is_cleaned_of_id_folders_and_its_manifest(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    old = root / "site" / "r-0142"
    old.mkdir(parents=True)
    (old / "index.html").write_text("<p>Sam</p>")
    (root / "site" / ".guidegen-manifest.json").write_text('{"guides": {"r-0142": {}, "../../etc": {}}}')
    assert build(root, pdf=False).problems == []
    assert not old.exists() and not (root / "site" / ".guidegen-manifest.json").exists()
