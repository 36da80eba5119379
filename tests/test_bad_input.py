"""Bad input: exit 1, a message with file:line, no profile value echoed, nothing wrong written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases import Case, read_cases
from conftest import folder_of


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", read_cases("bad_profiles.txt"), ids=lambda c: c.title)
def test_bad_profile_is_reported_and_others_still_build(case: Case, mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(case.body, encoding="utf-8")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert f"profiles/r-bad.yaml:{case.expect['line']}: " in result.stderr
    assert case.expect["message"] in result.stderr
    assert "SECRET" not in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not folder_of(mini, "r-bad").exists()
    assert (folder_of(mini, "p-001") / "index.html").is_file()
    assert (folder_of(mini, "p-002") / "index.html").is_file()


@pytest.mark.parametrize("case", read_cases("bad_profiles.txt"), ids=lambda c: c.title)
def test_check_reports_the_same_profile_problem(case: Case, mini: Path, run) -> None:
    (mini / "profiles" / "r-bad.yaml").write_text(case.body, encoding="utf-8")
    result = run("check", "-C", mini)
    assert result.exit_code == 1
    assert f"profiles/r-bad.yaml:{case.expect['line']}: " in result.stderr
    assert "SECRET" not in result.output + result.stderr


@pytest.mark.parametrize("case", read_cases("bad_modules.txt"), ids=lambda c: c.title)
def test_bad_module_stops_the_build_before_anything_is_written(case: Case, mini: Path, run) -> None:
    assert run("build", "--no-pdf", "-C", mini).exit_code == 0
    before = snapshot(mini / "site")
    (mini / "content" / "coping" / "bad.md").write_text(case.body, encoding="utf-8")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert f"content/coping/bad.md:{case.expect['line']}: " in result.stderr
    assert case.expect["message"] in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert snapshot(mini / "site") == before
    assert "/etc/passwd" not in "".join(p.read_text(errors="ignore") for p in (mini / "site").rglob("*.html"))


@pytest.mark.parametrize("case", read_cases("bad_modules.txt"), ids=lambda c: c.title)
def test_check_reports_the_same_module_problem(case: Case, mini: Path, run) -> None:
    (mini / "content" / "coping" / "bad.md").write_text(case.body, encoding="utf-8")
    result = run("check", "-C", mini)
    assert result.exit_code == 1
    assert f"content/coping/bad.md:{case.expect['line']}: " in result.stderr


def test_check_reports_every_problem_in_one_run(mini: Path, run) -> None:
    bad = read_cases("bad_profiles.txt")
    (mini / "profiles" / "r-bad.yaml").write_text(bad[0].body, encoding="utf-8")
    (mini / "profiles" / "r-worse.yaml").write_text("id: r-worse\nname: SECRET\nstage: SECRET\n", encoding="utf-8")
    (mini / "content" / "coping" / "bad.md").write_text(read_cases("bad_modules.txt")[4].body, encoding="utf-8")
    result = run("check", "-C", mini)
    assert result.exit_code == 1
    for where in ("profiles/r-bad.yaml:3:", "profiles/r-worse.yaml:3:", "content/coping/bad.md:5:"):
        assert where in result.stderr


def test_bad_settings_stop_everything(mini: Path, run) -> None:
    (mini / "guidegen.yaml").write_text((mini / "guidegen.yaml").read_text() + "paper: tabloid\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert "guidegen.yaml:" in result.stderr
    assert not (mini / "site").exists()


def test_vocabulary_term_without_a_label_for_every_language(mini: Path, run) -> None:
    vocab = mini / "content" / "vocabulary.yaml"
    vocab.write_text(vocab.read_text().replace("  alcohol: {en: Alcohol, es: Alcohol}", "  alcohol: {en: Alcohol}"))
    result = run("check", "-C", mini)
    assert result.exit_code == 1
    assert "content/vocabulary.yaml:" in result.stderr and "no label for es" in result.stderr


def test_two_profiles_with_the_same_id(mini: Path, run) -> None:
    shutil.copy(mini / "profiles" / "p-001.yaml", mini / "profiles" / "p-001.yml")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert "the same id is used by" in result.stderr
