"""Which modules go on paper: the ranking, the page model and the height estimates (no PDF here;
tests/test_budget.py checks real printed guides)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest

from guidegen.guide.assemble import make_guide
from guidegen.paper import choose as paper
from guidegen.paper import metrics as paper_metrics
from guidegen.paper import parts as paper_parts
from guidegen.paper.choose import Candidates, Skeleton, choose_printed, pages_needed, rank_modules
from guidegen.project.load import valid_profiles as iter_guides
from guidegen.web.themecheck import load_checked_project


@pytest.fixture(scope="module")
def example(request: pytest.FixtureRequest):
    return load_checked_project(Path(request.config.rootpath))


def person(project, guide_id: str):
    return next(iter(iter_guides(project, [guide_id])))


def test_ranking_is_tier_then_priority_then_guide_order(example) -> None:
    loaded = person(example, "r-0142")
    guide = make_guide(example, loaded.profile)
    shown = [m for m in example.modules if any(m.id == g.id for s in guide.sections for g in s.modules)]
    ranked = rank_modules(guide, shown)
    keys = [(guide.tiers[m.id].rank, not guide.tiers[m.id].names_risk, m.priority, shown.index(m)) for m in ranked]
    assert keys == sorted(keys)
    ids = [m.id for m in ranked]
    # Sam drinks: the withdrawal page is safety for her; she takes naltrexone: her medicine's page is
    # her treatment; both before her anxiety page (her situation) and any page for everyone
    assert guide.tiers["withdrawal-danger"].name == "safety"
    assert guide.tiers["alcohol-medications"].name == "treatment"
    assert guide.tiers["anxiety"].name == "situation"
    assert ids.index("withdrawal-danger") < ids.index("alcohol-medications") < ids.index("anxiety")
    assert ids.index("anxiety") < ids.index("how-to-use")


def test_starter_library_priorities() -> None:
    project = load_checked_project(Path(__file__).resolve().parent.parent)
    priority = {m.id: m.priority for m in project.modules}
    for essential in (
        "overdose-and-naloxone",
        "withdrawal-danger",
        "pregnancy",
        "buprenorphine",
        "methadone",
        "naltrexone-opioids",
    ):
        assert priority[essential] == 1, essential
    assert priority["urge-surfing"] == 2 and priority["stage-action"] == 2
    # the plan itself is always on paper (My safety plan); the page about it is essential for a
    # person at risk, through its tier (relevant_when)
    assert priority["your-safety-plan"] == 2
    assert priority["how-to-use"] == 3
    for module in project.modules:  # the translation keeps the original's priority
        for text in module.texts.values():
            assert text.front_matter.priority == module.priority, text.where


SKELETON = Skeleton(page_height=200.0, before=2, after=3, recto=True, contents=50.0, more=30.0, more_items={})


def candidates(heights: dict[str, float], essential: Collection[str] = frozenset(), section: str = "s") -> Candidates:
    return Candidates(
        ranked=tuple(heights),
        essential=frozenset(essential),
        section=dict.fromkeys(heights, section),
        heights=heights,
        entries=dict.fromkeys(heights, 5.0),
        section_title=20.0,
        section_entry=7.0,
    )


def test_page_model_counts_sections_from_a_new_page_and_the_blank_before_the_safety_plan() -> None:
    one = candidates({"a": 100.0})
    # cover and plan (2) + contents (1) + the section (1): the safety plan falls on page 5, a
    # right-hand page; then the plan, its blank back and the back page (3); no "More" page
    assert pages_needed({"a"}, one, SKELETON) == 7
    two = candidates({"a": 100.0, "b": 100.0})
    assert pages_needed({"a"}, two, SKELETON) == 8  # + the "More in your web guide" page
    # the section takes 2 pages (186 of 200 mm are counted): 5 pages before the safety plan,
    # so a blank left-hand page comes first
    assert pages_needed({"a", "b"}, two, SKELETON) == 9


def test_choice_keeps_essentials_and_fills_in_rank_order_skipping_what_does_not_fit() -> None:
    modules = candidates({"big-essential": 900.0, "long": 700.0, "short": 100.0, "shorter": 50.0}, {"big-essential"})
    chosen = choose_printed(modules, SKELETON, 14)
    assert chosen == {"big-essential", "short", "shorter"}  # "long" is skipped, the shorter ones still fit
    assert pages_needed(chosen, modules, SKELETON) == 14
    assert choose_printed(modules, SKELETON, 6) == {"big-essential"}  # over budget: essentials all the same


def test_estimated_heights_are_near_the_laid_out_ones_for_plain_text() -> None:
    metrics = paper_metrics.print_metrics((), "letter")
    words = "Take a slow breath and notice what your body feels right now. " * 40
    lines = paper_metrics.text_lines(words, 12, metrics.width, metrics)
    assert 24 <= lines <= 30  # 2,480 characters, about 90 a line at 12 pt on letter paper
    large = paper_metrics.print_metrics(("large_print",), "letter")
    assert paper_metrics.text_lines(words, 17, large.width, large) > lines


def test_a_page_budget_below_the_parts_always_printed_is_refused(tmp_path: Path, run) -> None:
    import shutil

    from cases import FIXTURES

    mini = Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))
    settings = mini / "guidegen.yaml"
    lines = settings.read_text().count("\n")
    settings.write_text(settings.read_text() + "print: {pages: 4}\n")
    result = run("build", "--no-pdf", "-C", mini)
    assert result.exit_code == 1
    assert f"guidegen.yaml:{lines + 1}: print.pages: Input should be greater than or equal to 8" in result.stderr
    assert not (mini / "site").exists()


def test_after_an_overshoot_the_lowest_ranked_modules_go_first_and_essentials_stay() -> None:
    modules = candidates({"essential": 300.0, "second": 150.0, "third": 150.0, "fourth": 150.0}, {"essential"})
    printed = frozenset(modules.ranked)
    assert pages_needed(printed, modules, SKELETON) == 11
    # the layout came out 1 page longer than the estimate said: aim 1 page lower. Leaving out
    # "fourth" alone does not do it (the blank before the safety plan and the More page come back)
    assert paper.drop_to_fit(printed, modules, SKELETON, 11, 1) == {"essential", "second"}
    assert paper.drop_to_fit({"essential"}, modules, SKELETON, 4, 0) == {"essential"}


def test_more_modules_are_added_after_those_already_chosen_in_rank_order() -> None:
    """After a first layout left pages unused: the modules already printed stay, and the next
    in rank that fit are added."""
    modules = candidates({"first": 150.0, "second": 700.0, "third": 100.0, "fourth": 100.0})
    assert choose_printed(modules, SKELETON, 11, start={"second"}) == {"second"}  # 12 pages with "second" alone
    assert choose_printed(modules, SKELETON, 12, start={"second"}) == {"second", "first"}
    assert choose_printed(modules, SKELETON, 14, start={"second"}) == {"second", "first", "third", "fourth"}


def test_the_parts_always_printed_are_estimated_from_their_html() -> None:
    """The estimate of the pages before the modules, the safety plan and its blank back, the
    contacts page, and the lines of the "More in your web guide" list (two columns)."""
    m = paper_metrics.print_metrics((), "letter")
    items = "".join(f'<li id="more-m-m{n}">Module number {n}</li>' for n in range(40))
    long_plan = "".join(f"<li>Reason {n}</li>" for n in range(60))
    html = f"""<section class="cover"><h1>Guide</h1></section>
    <aside class="crisis-box crisis-box-first"><h2 id="first-crisis-title">Help right now</h2><p>Call.</p></aside>
    <nav id="toc"><h2>Contents</h2><ol><li class="toc-part"><a href="#my-plan">My plan</a></li></ol></nav>
    <section id="my-plan" class="plan"><h2 id="my-plan-title">My plan</h2><ul class="plan-list">{long_plan}</ul></section>
    <section id="safety-plan" class="safety-plan"><div class="sp-card"><div class="sp-head"><h2>My safety plan</h2></div></div></section>
    <div class="back-page"><section id="contacts" class="contacts"><h2>Contacts</h2><p>Clinic</p></section></div>
    <section id="more-web" class="more-web"><h2>More</h2><ul class="more-list">{items}</ul></section>"""
    parts = paper_parts.estimate_parts(html, m)
    skeleton = paper.estimated_skeleton(parts, m)
    # 60 list lines of 6.35 mm (plus 1 mm each) take two pages: cover + 2
    assert parts.front == (2,) and skeleton.before == 3
    assert skeleton.recto and skeleton.after == 3 and parts.safety_plan_fits
    assert len(skeleton.more_items) == 40
    assert sum(skeleton.more_items.values()) == pytest.approx(40 * (12 * 1.5 * paper_metrics.PT + 1.0) / 2)
    assert 20.0 < parts.contents < 60.0


def _page_faults_of(call) -> int:
    import resource

    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    call()
    return resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before


def _at_depth(depth: int, call) -> None:
    if depth:
        _at_depth(depth - 1, call)
    else:
        call()


def _up_and_down(times: int = 2000) -> None:
    """What WeasyPrint's layout does: a few calls deeper and back, many times over."""

    def deeper(n: int) -> int:
        return deeper(n - 1) + 1 if n else 0

    for _ in range(times):
        deeper(4)


@pytest.mark.skipif(not hasattr(__import__("resource"), "RUSAGE_THREAD"), reason="page faults per thread: Linux")
def test_a_layout_in_one_chunk_of_the_data_stack_does_not_map_memory_at_every_call() -> None:
    """paper/stack.py: from whatever depth it is called, a deep call's frames stay in one chunk,
    so going up and down does not map and unmap memory (16 KiB and its page faults) each time."""
    from guidegen.paper.stack import in_one_chunk

    offsets = range(0, 160, 2)  # one chunk edge lies somewhere in any 100 frames of this size
    inside = [_page_faults_of(lambda d=d: _at_depth(d, lambda: in_one_chunk(_up_and_down))) for d in offsets]
    assert max(inside) < 200, inside
    import sys

    if sys.version_info < (3, 13):  # the churn itself, where CPython has it (gh-142183): 2,000 mappings
        plain = [_page_faults_of(lambda d=d: _at_depth(d, _up_and_down)) for d in offsets]
        assert max(plain) >= 2000, plain
