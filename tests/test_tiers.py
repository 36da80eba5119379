"""Tiers, Start here, risk and one safety plan: the guide is shaped for its person."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen.guide.assemble import make_guide
from guidegen.guide.tiers import matched, struggles_of
from guidegen.project.profile_parts import Risk, Score, SuicideScreen
from guidegen.project.profiles import Profile
from guidegen.web.pages import render_web
from guidegen.web.themecheck import load_checked_project

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example():
    return load_checked_project(REPO)


def guide_for(example, **fields):
    return make_guide(example, Profile(id="t-1", name="Rowan", language="en", **fields))


def test_a_positive_item_9_makes_depression_and_the_safety_plan_safety_for_you(example) -> None:
    person = {"stage": "action", "substances": ("alcohol",)}
    calm = guide_for(example, **person)
    assert "depression" not in calm.tiers
    assert calm.tiers["your-safety-plan"].name == "everyone"
    assert calm.start_here[0].target != "safety-plan"
    scores = {"phq9": (Score.model_validate({"date": "2026-11-01", "score": 12, "items": {9: 1}}),)}
    at_risk = guide_for(example, measures=scores, **person)
    assert at_risk.tiers["depression"].name == "safety"
    assert at_risk.tiers["your-safety-plan"].name == "safety"
    assert at_risk.tiers["depression"].always_printed
    # Start here puts the safety plan first for a person at risk
    assert at_risk.start_here[0].target == "safety-plan"
    assert 3 <= len(at_risk.start_here) <= 5


def test_risk_terms_come_from_the_risk_block_and_the_phq9() -> None:
    plain = Profile(id="t-1", name="R")
    assert plain.risk_terms() == ()
    screen = Profile(id="t-1", name="R", risk=Risk(suicide_screen=SuicideScreen(result="positive")))
    assert set(screen.risk_terms()) == {"suicide_risk", "suicide_screen_positive"}
    negative = Profile(id="t-1", name="R", risk=Risk(suicide_screen=SuicideScreen(result="negative")))
    assert negative.risk_terms() == ()
    guns = Profile(id="t-1", name="R", risk=Risk(firearm_access=True, recent_overdose="2026-10-20"))
    assert set(guns.risk_terms()) == {"firearm_access", "recent_overdose"}


def test_the_persons_medicines_and_groups_are_their_treatment(example) -> None:
    guide = guide_for(example, stage="maintenance", substances=("alcohol",), therapies=("acamprosate",), groups=("aa",))
    assert guide.tiers["alcohol-medications"].name == "treatment"
    assert guide.tiers["twelve-step-groups"].name == "treatment"
    family = guide_for(example, stage="action", substances=("opioids",), therapies=("methadone", "family_therapy"))
    assert family.tiers["methadone"].name == "treatment"
    assert family.tiers["for-supporters"].name == "situation"  # a page for the family, not the treatment
    assert guide.tiers["withdrawal-danger"].name == "safety"
    assert guide.tiers["urge-surfing"].name in ("everyone", "skills")


def test_coping_skills_that_answer_the_persons_triggers_are_skills_for_them(example) -> None:
    guide = guide_for(example, stage="action", triggers=("Staying up late",), warning_signs=("Cravings after work",))
    assert {"sleep", "cravings"} <= set(struggles_of(guide.person, example.vocabulary))
    assert guide.tiers["sleep"].name == "skills"
    assert guide.tiers["urge-surfing"].name == "skills"
    assert guide.tiers["grounding"].name == "everyone"  # worry and stress: neither is named


def test_a_rule_that_only_excludes_names_nothing_about_the_person(example) -> None:
    by_id = {m.id: m for m in example.modules}
    person = Profile(id="t-1", name="R", stage="action", conditions=("anxiety",))
    assert matched(by_id["family-and-friends"].rule, person) == []  # not: precontemplation
    assert matched(by_id["urge-surfing"].rule, person) == []  # everyone
    assert matched(by_id["anxiety"].rule, person) == [("conditions", "anxiety")]


def test_inside_a_section_the_persons_own_pages_come_first(example) -> None:
    guide = guide_for(example, stage="action", substances=("opioids", "alcohol"))
    safety = next(s for s in guide.sections if s.id == "safety")
    ranks = [guide.tiers[m.id].rank for m in safety.modules]
    assert ranks == sorted(ranks)


def test_start_here_is_after_the_cover_and_before_my_plan_with_the_crisis_lines(example) -> None:
    guide = guide_for(example, stage="action", substances=("alcohol",), therapies=("naltrexone",))
    page = render_web(guide, example.settings, example.pages)
    start, plan = page.index('id="start-here"'), page.index('id="my-plan"')
    assert page.index('class="cover"') < start < plan
    part = page[start:plan]
    assert "Start here" in part and "988" in part and 'href="#safety-plan"' in part
    titles = [item.title for item in guide.start_here]
    assert "Medicines for alcohol use disorder" in titles
    assert all(item.why for item in guide.start_here)


def test_spanish_start_here(example) -> None:
    guide = make_guide(example, Profile(id="t-1", name="Rosa", language="es", stage="action", substances=("alcohol",)))
    page = render_web(guide, example.settings, example.pages)
    assert "Empieza aquí" in page


def test_one_safety_plan_with_or_without_a_plan_in_the_profile(example) -> None:
    for plan in (None, {"warning_signs": ["I stop answering texts"], "reason_for_living": "My kids"}):
        extra = {"safety_plan": plan} if plan else {}
        person = Profile.model_validate({"id": "t-1", "name": "R", "language": "en", **extra})
        page = render_web(make_guide(example, person), example.settings, example.pages)
        assert page.count('id="safety-plan"') == 1
        assert 'id="ws-your-safety-plan-1"' not in page  # the module has no worksheet of its own
        assert page.count('name="sp-own-1"') == 1  # room to add more
        if plan:
            assert "I stop answering texts" in page


def test_crisis_lines_fit_the_person_and_never_show_on_the_sealed_page(example) -> None:
    from guidegen.web.pages import render_print, render_sealed

    veteran = guide_for(example, stage="action", population=("veteran",))
    other = guide_for(example, stage="action")
    for guide, shown in ((veteran, True), (other, False)):
        web = render_web(guide, example.settings, example.pages)
        paper = render_print(guide, example.settings, example.pages)
        assert ("Veterans Crisis Line" in web) is shown
        assert ("838255" in paper) is shown
        assert "988" in web and "911" in web
    young = guide_for(example, stage="action", population=("young_person", "lgbtq"))
    assert "Trevor Project" in render_web(young, example.settings, example.pages)
    assert "Trevor Project" not in render_web(
        guide_for(example, stage="action", population=("young_person",)), example.settings, example.pages
    )
    sealed = render_sealed(b"x", example.settings, example.pages, example.theme.strings)
    assert "Veterans" not in sealed and "Trevor" not in sealed and "988" in sealed


def test_a_crisis_line_rule_with_an_unknown_term_names_the_settings_line(tmp_path: Path, run) -> None:
    from conftest import copy_project

    root = copy_project(tmp_path / "p", profiles=("r-0142",))
    settings = root / "guidegen.yaml"
    text = settings.read_text()
    settings.write_text(text.replace("when: {population: [veteran]}", "when: {population: [veterans]}"))
    line = next(i for i, row in enumerate(settings.read_text().splitlines(), 1) if "[veterans]" in row)
    result = run("check", "-C", root)
    assert result.exit_code == 1
    assert f"guidegen.yaml:{line}: population: unknown term" in result.stderr


def test_a_person_at_risk_finds_the_pages_about_their_risk_in_start_here(example) -> None:
    scores = {"phq9": (Score.model_validate({"date": "2026-11-01", "score": 12, "items": {9: 2}}),)}
    guide = guide_for(example, stage="action", substances=("alcohol", "benzodiazepines"), measures=scores)
    targets = [item.target for item in guide.start_here]
    assert targets[0] == "safety-plan"
    assert "m-depression" in targets[:3]
