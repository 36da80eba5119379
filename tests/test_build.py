"""Building guides: one folder per id, atomic writes, isolation between people, the commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import folder_of, page_html, pdf_of
from guidegen.project.settings import load_settings
from guidegen.project.theme import load_theme
from guidegen.publish import output


def files_of(root: Path, guide_id: str) -> dict[str, bytes]:
    """Every file of one guide: its web folder and its print PDF."""
    files = {p.name: p.read_bytes() for p in sorted(folder_of(root, guide_id).iterdir())}
    if pdf_of(root, guide_id).is_file():
        files["print"] = pdf_of(root, guide_id).read_bytes()
    return files


def text_of(root: Path, guide_id: str) -> str:
    pdf = "".join(page.extract_text() for page in PdfReader(pdf_of(root, guide_id)).pages)
    return page_html(root, guide_id) + pdf


@pytest.mark.pdf
def test_a_then_b_then_a_again_is_identical_and_isolated(mini: Path, run) -> None:
    assert run("build", "-C", mini, "p-001").exit_code == 0
    first = files_of(mini, "p-001")
    assert set(first) == {"index.html", "guide.pdf.enc", "print", "manifest.webmanifest", "sw.js"}
    assert run("build", "-C", mini, "p-002").exit_code == 0
    assert run("build", "-C", mini, "p-001").exit_code == 0
    assert files_of(mini, "p-001") == first
    b_text = text_of(mini, "p-002")
    for unique_to_a in ("Robin", "Alvarez-Quill", "Marisol", "555-0111", "Payday evenings"):
        assert unique_to_a in text_of(mini, "p-001")
        assert unique_to_a not in b_text
    a_text = text_of(mini, "p-001")
    for unique_to_b in ("Teodoro", "Brightwater", "Lucinda", "555-0122"):
        assert unique_to_b not in a_text


@pytest.mark.pdf
def test_pdf_has_name_crisis_line_and_module_titles(mini: Path, run) -> None:
    assert run("build", "-C", mini, "p-002").exit_code == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf_of(mini, "p-002")).pages)
    for expected in ("Teodoro Brightwater", "988", "Bienvenida", "Riding out a craving", "Naloxone saves lives"):
        assert expected in text


def test_output_is_named_by_random_slugs_and_nothing_lists_people(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    slugs = sorted(folder_of(mini, i).name for i in ("p-001", "p-002"))
    assert sorted(p.name for p in (mini / "site").iterdir()) == sorted(["assets", "robots.txt", *slugs])
    assert all(len(slug) == 26 and slug.isalnum() and slug.islower() for slug in slugs)  # 128 bits, base32
    assert (mini / "site" / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert (mini / "site" / "assets" / "guide.css").is_file()
    assert (mini / "site" / "assets" / "fonts" / "AtkinsonHyperlegible-Regular.ttf").is_file()
    mode = (folder_of(mini, "p-001") / "index.html").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044  # readable by a web server, not 0600
    state = mini / ".guidegen"
    assert state.stat().st_mode & 0o777 == 0o700
    files = [p for p in state.iterdir() if p.name != "cache"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    cache = state / "cache"  # work kept between builds: checks, compiled modules, fonts (project/cache.py)
    assert cache.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in cache.iterdir())
    assert b"Robin" not in b"".join(p.read_bytes() for p in [*files, *cache.iterdir()])


def test_a_failed_build_leaves_the_previous_guide_untouched(mini: Path, run, monkeypatch) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    before = files_of(mini, "p-001")
    (mini / "profiles" / "p-001.yaml").write_text("id: p-001\nname: [broken\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert files_of(mini, "p-001") == before


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(mini: Path, run, monkeypatch) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    target = folder_of(mini, "p-001") / "index.html"
    before = target.read_bytes()

    def crash(*args: object, **folders: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        output.Writer(mini).write(target, b"new")
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []


def test_other_guides_are_built_when_one_profile_is_invalid(mini: Path, run) -> None:
    (mini / "profiles" / "p-003.yaml").write_text("id: p-003\nname: Lee\nstage: nowhere\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert "built 2, unchanged 0, failed 1" in result.output
    assert not folder_of(mini, "p-003").exists()


def test_no_html_and_no_pdf_and_unknown_ids_are_usage_errors(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "--no-html", "-C", mini).exit_code == 2
    result = run("build", "--no-pdf", "-C", mini, "p-999")
    assert result.exit_code == 2 and "no profile with that id" in result.stderr and "p-999" not in result.stderr
    assert run("build", "--no-pdf", "-C", mini, "Not_An_Id").exit_code == 2
    assert run("build", "--bogus", "-C", mini).exit_code == 2


def test_out_option(mini: Path, run, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    assert run("build", "--no-pdf", "--out", out, "-C", mini).exit_code == 0
    assert (folder_of(mini, "p-002", out) / "index.html").is_file()
    assert not (mini / "site").exists()


def test_rebuilding_unchanged_inputs_changes_no_file(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    stamp = {p: p.stat().st_mtime_ns for p in (mini / "site").rglob("*") if p.is_file()}
    result = run("build", "--no-pdf", "-C", mini)
    assert "unchanged 2" in result.output
    assert stamp == {p: p.stat().st_mtime_ns for p in (mini / "site").rglob("*") if p.is_file()}


def test_not_a_project(tmp_path: Path, run) -> None:
    result = run("build", "-C", tmp_path)
    assert result.exit_code == 1
    assert "no guidegen.yaml here" in result.stderr


def test_explain_shows_each_module_and_its_rule(mini: Path, run) -> None:
    result = run("explain", "p-001", "-C", mini)
    assert result.exit_code == 0
    assert "+ hello" in result.output and "picked: everyone" in result.output
    assert (
        "+ cravings" in result.output
        and "substances: alcohol or opioids, and stage: action or maintenance" in result.output
    )
    assert "- naloxone" in result.output and "skipped: needs substances: opioids" in result.output
    assert "2 of 3 modules picked for p-001" in result.output
    assert "Robin" not in result.output
    assert run("explain", "nobody", "-C", mini).exit_code == 2


def test_explain_says_when_a_module_is_not_translated(mini: Path, run) -> None:
    result = run("explain", "p-002", "-C", mini)
    assert "+ cravings" in result.output and "not translated" in result.output


def test_init_makes_a_project_that_checks_and_builds(tmp_path: Path, run) -> None:
    target = tmp_path / "clinic"
    result = run("init", target)
    assert result.exit_code == 0
    assert (target / "guidegen.yaml").is_file() and not (target / "templates").exists()
    check = run("check", "-C", target)
    assert check.exit_code == 0, check.stderr
    assert run("build", "--no-pdf", "-C", target).exit_code == 0
    assert list((target / "site").glob("*/index.html"))
    assert (target / ".gitignore").read_text().splitlines()[-3:] == ["/site/", "/print/", "/.guidegen/"]
    assert run("init", target).exit_code == 2


def test_new_profile_makes_a_file_that_check_accepts_once_named(mini: Path, run) -> None:
    assert run("new", "profile", "p-010", "-C", mini).exit_code == 0
    path = mini / "profiles" / "p-010.yaml"
    assert "id: p-010" in path.read_text()
    assert run("check", "-C", mini).exit_code == 1  # name is still empty
    path.write_text(path.read_text().replace('name: ""', "name: Kai"))
    result = run("check", "-C", mini)
    assert not [line for line in result.stderr.splitlines() if "p-010" in line and "warning" not in line]
    assert run("new", "profile", "p-010", "-C", mini).exit_code == 2
    assert run("new", "profile", "Kai Smith", "-C", mini).exit_code == 2


def test_project_templates_override_the_default_theme_file_by_file(mini: Path, run) -> None:
    (mini / "templates").mkdir()
    (mini / "templates" / "_contacts.html").write_text('<section id="contacts"><h2>OUR CONTACTS</h2></section>\n')
    (mini / "templates" / "strings.yaml").write_text('en:\n  my_plan: "Your plan, your way"\n')
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    page = page_html(mini, "p-001")
    assert "OUR CONTACTS" in page and "Your plan, your way" in page
    assert "Crisis" in page or "988" in page  # the rest of the default theme is still there


@pytest.mark.pdf
def test_pdf_refuses_files_outside_the_theme_and_network(mini: Path, run) -> None:
    assert run("build", "-C", mini, "p-001").exit_code == 0
    before = files_of(mini, "p-001")
    (mini / "templates").mkdir()
    print_html = (load_theme(mini, load_settings(mini)).dirs[-1] / "print.html").read_text()
    for url in ("file:///etc/passwd", "../../../../../../etc/hostname", "http://127.0.0.1:9/x.png"):
        (mini / "templates" / "print.html").write_text(
            print_html.replace("</body>", f'<img src="{url}" alt="x"></body>')
        )
        result = run("build", "-C", mini, "p-001")
        assert result.exit_code == 1, url
        assert "refused to load" in result.stderr
        assert str(mini.parent) not in result.stderr  # no folder of this machine in the message
        assert files_of(mini, "p-001") == before


def test_the_web_guide_offers_the_pdf_only_when_there_is_one(mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini, "p-001").exit_code == 0
    assert 'href="guide.pdf"' not in page_html(mini, "p-001")
    (folder_of(mini, "p-001") / "guide.pdf.enc").write_bytes(b"sealed by an earlier build")
    assert run("build", "--no-pdf", "--force", "-C", mini, "p-001").exit_code == 0
    assert 'href="guide.pdf"' in page_html(mini, "p-001")
