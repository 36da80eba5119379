"""Progress over time: measures in the vocabulary, scores in profiles, bands, and "My progress"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cases import FIXTURES
from guidegen.errors import InvalidInput
from guidegen.settings import load_settings
from guidegen.vocabulary import load_vocabulary

REPO = Path(__file__).resolve().parent.parent
PHQ9 = (
    "  phq9:\n"
    "    en: Depression check (PHQ-9)\n"
    "    es: Revisión de depresión (PHQ-9)\n"
    "    range: [0, 27]\n"
    "    better: lower\n"
)


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary(REPO, load_settings(REPO))


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))


EDGES = {
    "phq9": [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
             (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")],
    "gad7": [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
             (15, "severe"), (21, "severe")],
    "auditc": [(0, "low"), (2, "low"), (3, "borderline"), (4, "risky"), (7, "risky"), (8, "high"), (12, "high")],
    "days_without_use": [(0, "few"), (9, "few"), (10, "some"), (19, "some"), (20, "most"), (29, "most"), (30, "all")],
}  # fmt: skip


@pytest.mark.parametrize(("measure", "score", "band"), [(m, s, b) for m, edges in EDGES.items() for s, b in edges])
def test_every_band_edge_of_the_starter_measures(vocabulary, measure: str, score: int, band: str) -> None:
    found = vocabulary.measures[measure].band_of(score)
    assert found is not None and found.id == band


@pytest.mark.parametrize("measure", sorted(EDGES))
def test_scores_outside_the_range_have_no_band(vocabulary, measure: str) -> None:
    declared = vocabulary.measures[measure]
    assert declared.band_of(declared.low - 1) is None and declared.band_of(declared.high + 1) is None
    assert declared.source and declared.better in ("lower", "higher")


def test_codes_are_read(vocabulary) -> None:
    assert vocabulary.measures["phq9"].codes == ("LOINC:44261-6",)
    assert vocabulary.measures["gad7"].codes == ("LOINC:70274-6",)
    assert vocabulary.measures["auditc"].codes == ("LOINC:75626-2",)


@pytest.mark.parametrize(
    ("bands", "line", "message"),
    [
        ("    bands:\n      a: {from: 0, to: 9, en: A, es: A}\n      b: {from: 11, to: 27, en: B, es: B}\n", 9,
         "bands.b: starts at 11, expected 10"),
        ("    bands:\n      a: {from: 0, to: 9, en: A, es: A}\n      b: {from: 9, to: 27, en: B, es: B}\n", 9,
         "bands.b: starts at 9, expected 10"),
        ("    bands:\n      a: {from: 0, to: 9, en: A, es: A}\n      b: {from: 10, to: 26, en: B, es: B}\n", 7,
         "the last band ends at 26, expected the end of the range (27)"),
        ("    bands:\n      a: {from: 1, to: 27, en: A, es: A}\n", 8, "bands.a: starts at 1, expected 0"),
        ("    bands:\n      a: {from: 0, to: 27, en: A}\n", 8, "bands.a: no label for es"),
        ("    bands:\n      a: {from: 9, to: 0, en: A, es: A}\n", 8, "from no larger than to"),
        ("    bands: []\n", 7, "expected a mapping of bands"),
    ],
)  # fmt: skip
def test_bands_must_cover_the_range_exactly(mini: Path, bands: str, line: int, message: str) -> None:
    vocab = mini / "content" / "vocabulary.yaml"
    text = vocab.read_text()
    start = text.index("measures:\n")
    vocab.write_text(text[:start] + "measures:\n" + PHQ9 + "    source: Kroenke 2001\n" + bands)
    with pytest.raises(InvalidInput) as error:
        load_vocabulary(mini, load_settings(mini))
    lines = text[:start].count("\n") + 1
    [problem] = error.value.problems
    assert problem.path == "content/vocabulary.yaml" and problem.line == lines + line  # line: counted from `measures:`
    assert message in problem.message


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("better: lower", "better: less"), "phq9.better: expected lower or higher"),
        (("range: [0, 27]", "range: [27, 0]"), "phq9.range: expected [lowest, highest]"),
        (("    es: Revisión de depresión (PHQ-9)\n", ""), "phq9: no label for es"),
        (("better: lower", "better: lower\n    scale: 3"), "phq9.scale: unknown key"),
        (("    source: Kroenke 2001\n", ""), "phq9.source: expected the publication"),
        (("source: Kroenke 2001", "source: Kroenke 2001\n    codes: LOINC"), "phq9.codes: expected a list"),
    ],
)
def test_measure_declarations_are_checked(mini: Path, replace: tuple[str, str], message: str) -> None:
    vocab = mini / "content" / "vocabulary.yaml"
    text = vocab.read_text()
    start = text.index("measures:\n")
    body = PHQ9 + "    source: Kroenke 2001\n    bands:\n      a: {from: 0, to: 27, en: A, es: A}\n"
    vocab.write_text(text[:start] + "measures:\n" + body.replace(*replace))
    with pytest.raises(InvalidInput) as error:
        load_vocabulary(mini, load_settings(mini))
    assert any(message in p.message and p.line for p in error.value.problems), error.value.problems
