"""Incremental and parallel builds: only what changed is rendered; --jobs never changes the bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import folder_of, pdf_of
from guidegen.publish.build import build

EXTRA = """id: {id}
name: Person {id}
substances: [{substance}]
stage: action
review: {{next: 2026-12-01}}
"""


@pytest.fixture
def mini(mini: Path) -> Path:
    """The small project with three more people."""
    root = mini
    for number, substance in ((3, "opioids"), (4, "cannabis"), (5, "opioids")):
        (root / "profiles" / f"p-00{number}.yaml").write_text(EXTRA.format(id=f"p-00{number}", substance=substance))
    return root


def html_build(root: Path, **options):
    return build(root, pdf=False, **options)


def test_nothing_changed_renders_nothing(mini: Path) -> None:
    assert sorted(html_build(mini).built) == ["p-001", "p-002", "p-003", "p-004", "p-005"]
    again = html_build(mini)
    assert again.built == [] and len(again.unchanged) == 5


def test_editing_one_profile_rerenders_that_guide(mini: Path) -> None:
    html_build(mini)
    path = mini / "profiles" / "p-004.yaml"
    path.write_text(path.read_text().replace("stage: action", "stage: maintenance"))
    assert html_build(mini).built == ["p-004"]


def test_editing_a_module_body_rerenders_exactly_the_guides_that_select_it(mini: Path) -> None:
    html_build(mini)
    module = mini / "content" / "safety" / "naloxone.md"  # picked for opioids: p-002, p-003, p-005
    module.write_text(module.read_text() + "\nAsk your pharmacist about naloxone.\n")
    assert sorted(html_build(mini).built) == ["p-002", "p-003", "p-005"]


def test_editing_a_translation_rerenders_only_its_readers(mini: Path) -> None:
    html_build(mini)
    module = mini / "content" / "welcome" / "hello.es.md"  # only p-002 reads Spanish
    module.write_text(module.read_text() + "\nBienvenido.\n")
    assert html_build(mini).built == ["p-002"]


def test_a_changed_rule_rerenders_only_guides_whose_selection_changed(mini: Path) -> None:
    html_build(mini)
    module = mini / "content" / "safety" / "naloxone.md"
    module.write_text(module.read_text().replace("substances: [opioids]", "substances: [opioids, cannabis]"))
    assert html_build(mini).built == ["p-004"]  # newly selected; the opioid guides are unchanged


def test_a_changed_priority_rerenders_the_guides_that_select_it(mini: Path) -> None:
    """Priority decides what goes on paper (the page budget), so the printed guides change."""
    html_build(mini)
    module = mini / "content" / "safety" / "naloxone.md"
    module.write_text(module.read_text().replace("order: 10\n", "order: 10\npriority: 1\n"))
    assert sorted(html_build(mini).built) == ["p-002", "p-003", "p-005"]


def test_a_new_module_rerenders_the_guides_it_selects(mini: Path) -> None:
    html_build(mini)
    (mini / "content" / "coping" / "new.md").write_text(
        "---\ntitle: New\nsummary: New.\nwhen: {substances: [cannabis]}\nreviewed: 2026-11-01\nsources: [x]\n---\nText.\n"
    )
    assert html_build(mini).built == ["p-004"]


def test_editing_a_template_or_settings_rerenders_all(mini: Path) -> None:
    html_build(mini)
    (mini / "templates").mkdir()
    (mini / "templates" / "strings.yaml").write_text('en:\n  contents: "In this guide"\n')
    assert len(html_build(mini).built) == 5
    settings = mini / "guidegen.yaml"
    settings.write_text(settings.read_text().replace("Test Clinic", "Test Clinic North"))
    assert len(html_build(mini).built) == 5


def test_force_rebuilds_everything(mini: Path) -> None:
    html_build(mini)
    assert len(html_build(mini, force=True).built) == 5


def test_deleted_profile_is_removed_and_nothing_else(mini: Path) -> None:
    html_build(mini)
    (mini / "profiles" / "p-004.yaml").unlink()
    report = html_build(mini)
    assert report.removed == ["p-004"] and report.built == []
    assert not folder_of(mini, "p-004").exists()
    assert (folder_of(mini, "p-003") / "index.html").is_file()
    assert "p-004" not in (mini / ".guidegen" / "manifest.json").read_text()


def test_building_some_ids_removes_nothing(mini: Path) -> None:
    html_build(mini)
    (mini / "profiles" / "p-004.yaml").unlink()
    assert html_build(mini, ids=["p-003"]).removed == []
    assert (folder_of(mini, "p-004") / "index.html").is_file()


def test_a_deleted_output_file_is_rebuilt(mini: Path) -> None:
    html_build(mini)
    (folder_of(mini, "p-003") / "index.html").unlink()
    assert html_build(mini).built == ["p-003"]


def test_an_invalid_profile_keeps_its_previous_guide_and_is_retried(mini: Path) -> None:
    html_build(mini)
    before = (folder_of(mini, "p-003") / "index.html").read_bytes()
    path = mini / "profiles" / "p-003.yaml"
    good = path.read_text()
    path.write_text(good.replace("stage: action", "stage: nowhere"))
    report = html_build(mini)
    assert report.failed == 1 and (folder_of(mini, "p-003") / "index.html").read_bytes() == before
    path.write_text(good)
    assert html_build(mini).built == []  # back to what was built: nothing to render


@pytest.mark.pdf
def test_html_only_then_full_build_renders_only_the_missing_pdfs(mini: Path) -> None:
    html_build(mini, ids=["p-001"])
    report = build(mini, ids=["p-001"])
    assert report.built == ["p-001"] and pdf_of(mini, "p-001").is_file()
    assert build(mini, ids=["p-001"]).built == []


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.pdf
def test_jobs_two_gives_the_same_bytes_as_jobs_one(mini: Path, tmp_path: Path) -> None:
    one = build(mini, out=tmp_path / "one", jobs=1)
    two = build(mini, out=tmp_path / "two", jobs=2)
    assert one.built == two.built == sorted(two.built) and len(two.built) == 5  # reported in profile order
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


@pytest.mark.parametrize("pdf", [False, pytest.param(True, marks=pytest.mark.pdf)], ids=["html", "pdf"])
def test_a_failed_guide_in_the_pool_is_reported_and_does_not_stop_the_others(mini: Path, pdf: bool) -> None:
    (mini / "profiles" / "p-004.yaml").write_text("id: p-004\nname: Person\nconditions: [nowhere]\n")
    module = mini / "content" / "coping" / "cravings.md"  # a runtime error only for people on opioids
    module.write_text(
        module.read_text() + "\n{% if 'opioids' in person.substances %}{{ person.goals[3].text }}{% endif %}\n"
    )
    report = build(mini, jobs=2, pdf=pdf)
    assert report.built == ["p-001"]
    assert (pdf_of(mini, "p-001") if pdf else folder_of(mini, "p-001") / "index.html").is_file()
    failed_files = sorted({p.path for p in report.problems})
    assert failed_files == ["content/coping/cravings.md", "profiles/p-004.yaml"]
    assert all(p.line for p in report.problems)


def test_shared_assets_are_rewritten_only_when_the_theme_changes_or_one_is_missing(mini: Path) -> None:
    html_build(mini)
    css = mini / "site" / "assets" / "guide.css"
    css.write_bytes(b"/* edited by hand */")
    path = mini / "profiles" / "p-004.yaml"
    path.write_text(path.read_text().replace("stage: action", "stage: maintenance"))
    html_build(mini)
    assert css.read_bytes() == b"/* edited by hand */"  # the theme did not change: assets left alone
    css.unlink()
    html_build(mini)
    assert css.read_bytes() != b"/* edited by hand */" and css.is_file()


@pytest.mark.pdf
def test_no_guide_layout_outlives_its_pdf(mini: Path) -> None:
    """A worker renders many guides: nothing of one guide may stay in memory after it is written."""
    import gc

    from weasyprint.layout import LayoutContext

    settings = mini / "guidegen.yaml"
    settings.write_text(settings.read_text() + "base_url: https://guides.example.org/\n")  # a QR code per person
    report = build(mini, jobs=1)
    assert len(report.built) == 5
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, LayoutContext)] == []
