"""Progress over time: measures in the vocabulary, scores in profiles, bands, and "My progress"."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import FIXTURES
from guidegen.errors import InvalidInput
from guidegen.project.settings import load_settings
from guidegen.project.vocabulary import load_vocabulary
from guidegen.web.themecheck import load_checked_project

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
        (("better: lower", "better: lower\n    unit: hours"), "phq9.unit: expected score or days"),
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


# "My progress" in the guide ----------------------------------------------------------------


@pytest.fixture(scope="module")
def example():

    return load_checked_project(REPO)


def guide_of(project, guide_id: str, **changes):
    """The guide of an example person, with profile fields changed."""
    from guidegen.guide.assemble import make_guide
    from guidegen.project.profiles import LoadedProfile, load_profile

    loaded, problems = load_profile(REPO / "profiles" / f"{guide_id}.yaml", REPO, project.settings, project.vocabulary)
    assert loaded is not None, problems
    if changes:
        loaded = LoadedProfile(loaded.profile.model_copy(update=changes), loaded.path, loaded.where)
    return make_guide(project, loaded.profile)


def web_page(project, guide) -> str:
    from guidegen.web.pages import render_web

    return render_web(guide, project.settings, project.pages)


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_progress_sentence_table_and_chart_say_the_same(example) -> None:
    guide = guide_of(example, "r-0142")
    [gad7] = [m for m in guide.progress.measures if m.id == "gad7"]
    assert gad7.sentence == (
        "Anxiety check (GAD-7): your score went from 14 (moderate) to 8 (mild) since August 2026. "
        "A lower score is better."
    )
    assert [(r.day.isoformat(), r.score, r.band) for r in gad7.rows] == [
        ("2026-08-04", 14, "Moderate"),
        ("2026-10-01", 11, "Moderate"),
        ("2026-11-20", 8, "Mild"),
    ]
    texts = svg_texts(str(gad7.chart))
    for score in ("14", "11", "8"):
        assert score in texts  # each point is labelled with its score
    for band in ("Minimal", "Mild", "Moderate", "Severe"):
        assert band in texts
    assert {"Aug 4", "Oct 1", "Nov 20"} <= set(texts)
    assert "Lower is better" in texts

    page = section(web_page(example, guide), "my-progress")
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"score\">(\d+)</td><td>(.*?)</td></tr>", page)
    assert ("August 4, 2026", "14", "Moderate") in rows and ("November 20, 2026", "8", "Mild") in rows
    assert 'aria-labelledby="progress-gad7-sentence"' in page and 'id="progress-gad7-sentence"' in page
    assert "No drinking on weeknights" in page.split("Goals I reached")[1]  # the reached goal


def test_the_chart_is_drawn_in_current_color_with_text_as_text_and_unique_ids(example) -> None:
    guide = guide_of(example, "r-0142")
    page = web_page(example, guide)
    charts = re.findall(r'<svg [^>]*class="progress-chart".*?</svg>', page, re.S)
    assert len(charts) == 3
    for svg in charts:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("width") is None and root.get("viewBox")
        assert "currentColor" in svg and "#010203" not in svg
        assert "<metadata" not in svg and "<style" not in svg and "<?xml" not in svg
        assert svg_texts(svg) and "Atkinson Hyperlegible" in svg
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "ids in the page must be unique"
    for svg in charts:
        refs = set(re.findall(r'href="#([^"]+)"|url\(#([^)]+)\)', svg))
        for ref in {a or b for a, b in refs}:
            assert f'id="{ref}"' in svg


def test_the_better_direction_and_higher_is_better_measures(example) -> None:
    guide = guide_of(example, "r-0142")
    [days] = [m for m in guide.progress.measures if m.id == "days_without_use"]
    assert days.better == "More days are better" and days.unit == "days"  # a count of days, not a score
    assert days.sentence == (
        "Days without use (last 30 days): 8 days in August 2026, 24 days on November 20, 2026. More days are better."
    )
    assert "Days: more is better" in svg_texts(str(days.chart))
    page = section(web_page(example, guide), "my-progress")
    days_table = page.split('id="progress-days_without_use"')[1].split("</table>")[0]
    assert '<th scope="col">Days</th>' in days_table and "Score" not in days_table


def test_reached_goals_have_a_tick_and_say_reached(example) -> None:
    page = web_page(example, guide_of(example, "r-0142"))
    plan = section(page, "my-plan")
    reached = re.search(r'<li class="goal-reached">No drinking on weeknights (.*?)</li>', plan)
    assert reached and '<svg class="tick" aria-hidden="true"' in reached.group(1) and "Reached" in reached.group(1)
    assert "(by December 31, 2026)" not in reached.group(1)
    open_goal = re.search(r"<li>Sleep seven hours most nights(.*?)</li>", plan)
    assert open_goal and "tick" not in open_goal.group(1)  # a goal not reached has no mark
    progress = section(page, "my-progress").split("Goals I reached")[1]
    assert re.search(r'<li class="goal-reached"><svg class="tick"[^>]*>.*?</svg> No drinking on weeknights', progress)
    spanish = section(web_page(example, guide_of(example, "r-0142", language="es")), "my-plan")
    assert "Logrado" in spanish


def test_score_tables_never_break_a_word() -> None:
    css = (REPO / "src" / "guidegen" / "default_theme" / "assets" / "guide.css").read_text()
    rule = re.search(r"\.scores th, \.scores td \{([^}]*)\}", css)
    assert rule and "overflow-wrap: normal" in rule.group(1) and "hyphens: manual" in rule.group(1)


def test_one_score_gives_a_sentence_and_a_table_but_no_chart(example) -> None:
    guide = guide_of(example, "r-0427")
    [days] = guide.progress.measures
    assert days.chart is None and len(days.rows) == 1
    assert days.sentence == ("Days without use (last 30 days): 4 days on November 5, 2026. More days are better.")
    assert "<svg" not in section(web_page(example, guide), "my-progress")


def test_no_scores_and_no_reached_goals_means_no_progress_part(example) -> None:
    guide = guide_of(example, "r-0142", measures={}, goals=())
    assert not guide.progress
    page = web_page(example, guide)
    assert 'id="my-progress"' not in page and 'href="#my-progress"' not in page


def test_progress_in_spanish(example) -> None:
    guide = guide_of(example, "r-0201")
    [phq9, days] = guide.progress.measures
    assert phq9.sentence == (
        "Revisión de depresión (PHQ-9): tu puntaje pasó de 17 (moderadamente grave) a 10 (moderada) "
        "desde septiembre de 2026. Un puntaje más bajo es mejor."
    )
    assert phq9.rows[0].band == "Moderadamente grave"
    assert "sept" in " ".join(svg_texts(str(phq9.chart)))
    page = section(web_page(example, guide), "my-progress")
    assert "Mi progreso" in page and "22 de septiembre de 2026" in page and "Metas que logré" in page


def test_large_print_draws_larger_text(example) -> None:
    regular = guide_of(example, "r-0142").progress.measures[0]
    large = guide_of(example, "r-0142", format=("large_print",)).progress.measures[0]
    size = re.compile(r'font-size="([0-9.]+)px"')

    def view_width(svg: str) -> float:
        return float(ET.fromstring(svg).get("viewBox", "").split()[2])

    def relative(svg: str) -> float:
        return max(float(s) for s in size.findall(svg)) / view_width(svg)

    assert relative(str(large.chart)) > relative(str(regular.chart)) * 1.2


def test_the_chart_has_the_same_bytes_in_every_process() -> None:
    code = (
        "from datetime import date; from pathlib import Path;"
        "from guidegen.project.settings import load_settings; from guidegen.project.vocabulary import load_vocabulary;"
        "from guidegen.guide.progress import chart_svg;"
        "v = load_vocabulary(Path('.'), load_settings(Path('.')));"
        "m = v.measures['phq9'];"
        "print(chart_svg(m, ((date(2026, 8, 1), 16), (date(2026, 10, 1), 9)), tuple(b.labels['en'] for b in m.bands),"
        " 'en', 'Lower is better'), end='')"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "PYTHONHASHSEED": "random"}
    runs = [
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and runs[0].startswith(b"<svg ")
    from guidegen.guide.progress import chart_svg

    measure = load_vocabulary(REPO, load_settings(REPO)).measures["phq9"]
    here = chart_svg(measure, ((date(2026, 8, 1), 16), (date(2026, 10, 1), 9)),
                     tuple(b.labels["en"] for b in measure.bands), "en", "Lower is better")  # fmt: skip
    assert here.encode() == runs[0]


def test_summary_of_bands_edges_in_lower_first() -> None:
    from guidegen.guide.progress import lower_first

    assert lower_first("Moderately severe") == "moderately severe"
    assert lower_first("PHQ-9") == "PHQ-9" and lower_first("10 to 19 days") == "10 to 19 days"


@pytest.mark.pdf
def test_the_print_guide_shows_progress_as_text_and_vector(example, tmp_path: Path, caplog) -> None:
    import pdfplumber

    from guidegen.project.profiles import load_profile
    from guidegen.publish.job import render_guide

    loaded, _ = load_profile(REPO / "profiles" / "r-0315.yaml", REPO, example.settings, example.vocabulary)
    assert loaded is not None  # large print: the chart is drawn larger
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_guide(example, loaded, ("guide.pdf",))[0]["print"]
    assert caplog.text == "", "the chart must not make WeasyPrint warn"
    (tmp_path / "guide.pdf").write_bytes(pdf)
    with pdfplumber.open(tmp_path / "guide.pdf") as document:
        text = "\f".join(page.extract_text() or "" for page in document.pages[:10])
    flat = " ".join(text.split())
    assert "My progress" in flat
    assert "your score went from 5 (risky drinking) to 0 (low risk) since January 2026" in flat
    pages = [" ".join(p.split()) for p in text.split("\f")]
    start = next(i for i, p in enumerate(pages) if "These are the checks" in p)
    assert "Alcohol check (AUDIT-C)" in pages[start], "the heading is not left alone on its page"
    assert "High risk" in pages[start]  # a band name only the chart shows: drawn as text
    assert "One year sober" in flat.split("Goals I reached")[1]


def test_every_score_in_range_has_exactly_one_band(vocabulary) -> None:
    for measure in vocabulary.measures.values():
        for score in range(measure.low, measure.high + 1):
            assert sum(band.low <= score <= band.high for band in measure.bands) == 1, (measure.id, score)


_ANY_YAML = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["en", "es", "range", "better", "bands", "source", "codes", "from", "to", "phq9", "mild", "x"]), inner, max_size=6),
    max_leaves=20,
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(block=_ANY_YAML)
def test_any_measures_block_gives_problems_not_a_crash(mini: Path, block) -> None:
    import yaml

    vocab = mini / "content" / "vocabulary.yaml"
    text = (FIXTURES / "mini" / "content" / "vocabulary.yaml").read_text()
    head = text[: text.index("measures:\n")]
    vocab.write_text(head + yaml.safe_dump({"measures": block}, allow_unicode=True))
    try:
        loaded = load_vocabulary(mini, load_settings(mini))
    except InvalidInput as error:
        assert all(p.path == "content/vocabulary.yaml" for p in error.problems)
    else:
        for measure in loaded.measures.values():
            assert measure.bands[0].low == measure.low and measure.bands[-1].high == measure.high


def test_explain_says_which_measure_band_picked_a_module(mini: Path, run) -> None:
    module = mini / "content" / "coping" / "low-mood.md"
    module.write_text(
        "---\ntitle: Low mood\nsummary: When your mood is low.\nwhen:\n  measures: {phq9: [moderate, severe]}\n---\nText.\n"
    )
    profile = mini / "profiles" / "p-001.yaml"
    profile.write_text(
        profile.read_text() + "measures:\n  phq9: [{date: 2026-09-01, score: 4}, {date: 2026-10-01, score: 12}]\n"
    )
    result = run("explain", "p-001", "-C", mini)
    assert result.exit_code == 0
    assert "+ low-mood" in result.stdout and "picked: latest phq9 score: moderate or severe" in result.stdout
    profile.write_text(profile.read_text().replace("score: 12}", "score: 9}"))
    result = run("explain", "p-001", "-C", mini)
    assert "- low-mood" in result.stdout and "skipped: needs latest phq9 score: moderate or severe" in result.stdout


def test_a_theme_sentence_with_unknown_or_broken_placeholders_never_crashes() -> None:
    from guidegen.guide.progress import fill

    assert fill("{measure} went to {last} ({scroe})", {"measure": "PHQ-9", "last": "9"}) == "PHQ-9 went to 9 ({scroe})"
    assert fill("broken {measure", {"measure": "x"}) == "broken {measure"
    assert fill("{0} {measure.x}", {"measure": "x"}) == "{0} {measure.x}"
