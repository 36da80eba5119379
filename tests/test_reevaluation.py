"""Re-evaluation: what's new since a person's last guide, whose review is due, overdue warnings."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from guidegen.check import check
from guidegen.guide.assemble import make_guide
from guidegen.guide.whatsnew import changes, describe, module_titles, summarise
from guidegen.project.profiles import LoadedProfile, load_profile
from guidegen.reviews import ReviewDue, describe_due, due_reviews, pick
from guidegen.web.pages import render_print, render_web
from guidegen.web.themecheck import load_checked_project


@pytest.fixture(scope="module")
def example():
    return load_checked_project(REPO)


def loaded_of(project, guide_id: str, **update) -> LoadedProfile:
    loaded, problems = load_profile(
        project.root / "profiles" / f"{guide_id}.yaml", project.root, project.settings, project.vocabulary
    )
    assert loaded is not None, problems
    return LoadedProfile(loaded.profile.model_copy(update=update), loaded.path, loaded.where)


def guide_of(project, guide_id: str, **update):
    return make_guide(project, loaded_of(project, guide_id, **update).profile)


# What's new -----------------------------------------------------------------------------------


def test_a_first_guide_has_nothing_new(example) -> None:
    assert changes(None, summarise(guide_of(example, "r-0142"))) == []


def test_the_same_guide_twice_has_nothing_new(example) -> None:
    guide = guide_of(example, "r-0142")
    assert changes(summarise(guide), summarise(guide_of(example, "r-0142"))) == []


def test_the_summary_holds_ids_and_hashes_only(example) -> None:
    guide = guide_of(example, "r-0142")
    summary = summarise(guide)
    assert "cbt" in summary["modules"]  # module ids are not personal: they name library content
    stored = json.dumps({key: value for key, value in summary.items() if key != "modules"})
    person = guide.person
    for value in (person.name, person.stage, person.review.next.isoformat(), *(g.text for g in person.goals)):
        assert value not in stored


def test_whats_new_after_a_profile_edit(example) -> None:
    before = guide_of(example, "r-0142")
    person = before.person
    goals = (
        person.goals[0],
        person.goals[1].model_copy(update={"done": date(2026, 12, 1)}),
        type(person.goals[0])(text="Cook dinner at home three nights a week"),
    )
    after = guide_of(
        example,
        "r-0142",
        stage="maintenance",
        conditions=("anxiety", "depression"),
        goals=goals,
        review=person.review.model_copy(update={"next": date(2027, 1, 10)}),
    )
    found = changes(summarise(before), summarise(after))
    kinds = [c[0] for c in found]
    assert "module_added" in kinds and "stage_changed" in kinds and "next_review_changed" in kinds
    assert kinds.count("goal_added") == 1 and kinds.count("goal_reached") == 1
    lines = describe(found, after, module_titles(example.modules, "en"))
    texts = {(line.kind, line.text) for line in lines}
    assert ("goal_added", "Cook dinner at home three nights a week") in texts
    assert ("goal_reached", "Sleep seven hours most nights") in texts
    assert ("stage_changed", "Keeping up the changes") in texts
    assert ("module_added", "Depression and recovery") in texts
    assert ("module_added", "Where you are now: keeping up the changes") in texts
    assert ("module_removed", "Where you are now: making changes") in texts
    assert [line.day for line in lines if line.kind == "next_review_changed"] == [date(2027, 1, 10)]

    page = render_web(dataclasses.replace(after, changes=lines), example.settings, example.pages)
    part = page.split('<section id="whats-new"')[1].split("</section>")[0]
    assert "What&#39;s new in your guide" in part or "What's new in your guide" in part
    assert "New goal: Cook dinner at home three nights a week" in part
    assert "Goal reached: Sleep seven hours most nights" in part
    assert "Where you are now: Keeping up the changes" in part
    assert "Your next review: January 10, 2027" in part
    assert 'href="#whats-new"' in page
    for line in lines:
        if line.kind == "module_added":
            assert f'<a href="#m-{line.module}">{line.text}</a>' in part
            heading = page.split(f'id="m-{line.module}-title"')[1].split("</h3>")[0]
            assert '<span class="badge-new">New</span>' in heading
    printed = render_print(dataclasses.replace(after, changes=lines), example.settings, example.pages)
    assert '<section id="whats-new"' in printed and "badge-new" not in printed


def test_whats_new_after_a_module_edit(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    project = load_checked_project(root)
    before = summarise(guide_of(project, "r-0142"))
    module = root / "content" / "coping" / "urge-surfing.md"
    module.write_text(module.read_text().replace("\n---\n", "\n---\nA new first line for everyone.\n\n", 1))
    rule = root / "content" / "coping" / "sleep.md"
    text = rule.read_text()
    assert "\nwhen:" not in text.split("\n---\n")[0]  # everyone gets it: a rule now leaves this person out
    rule.write_text(text.replace("---\n", "---\nwhen: {stage: [precontemplation]}\n", 1))
    spanish = root / "content" / "coping" / "sleep.es.md"
    spanish.write_text(spanish.read_text().replace("---\n", "---\nwhen: {stage: [precontemplation]}\n", 1))
    project = load_checked_project(root)
    after = guide_of(project, "r-0142")
    found = changes(before, summarise(after))
    assert ("module_updated", "urge-surfing") in found
    assert ("module_removed", "sleep") in found
    lines = describe(found, after, module_titles(project.modules, "en"))
    removed = [line.text for line in lines if line.kind == "module_removed"]
    assert removed == [project_title(project, "sleep")]
    page = render_web(dataclasses.replace(after, changes=lines), project.settings, project.pages)
    assert f"No longer in your guide: {removed[0]}" in page.split('id="whats-new"')[1]


def project_title(project, module_id: str) -> str:
    [module] = [m for m in project.modules if m.id == module_id]
    return module.text_for("en")[0].title


def test_whats_new_in_spanish(example) -> None:
    before = guide_of(example, "r-0201")
    after = guide_of(example, "r-0201", stage="preparation")
    lines = describe(changes(summarise(before), summarise(after)), after, module_titles(example.modules, "es"))
    page = render_web(dataclasses.replace(after, changes=lines), example.settings, example.pages)
    part = page.split('<section id="whats-new"')[1]
    assert "Novedades en tu guía" in part and "Dónde estás ahora: Preparándose para cambiar" in part


def test_a_summary_from_another_version_is_not_compared(example) -> None:
    current = summarise(guide_of(example, "r-0142"))
    assert changes({**current, "version": 0, "modules": {}}, current) == []


# Reviews ---------------------------------------------------------------------------------------


def test_reviews_relative_to_a_given_today(example) -> None:
    profiles = [loaded_of(example, i) for i in ("r-0142", "r-0201", "r-0427")]
    undated = loaded_of(example, "r-0315", review=profiles[0].profile.review.model_copy(update={"next": None}))
    due = due_reviews([*profiles, undated], date(2026, 12, 10))
    assert [(r.id, r.days) for r in due] == [("r-0427", -5), ("r-0201", 0), ("r-0142", 5), ("r-0315", None)]
    assert [r.id for r in pick(due, overdue=True)] == ["r-0427"]
    assert [r.id for r in pick(due, within=0)] == ["r-0427", "r-0201"]
    assert [r.id for r in pick(due, within=5)] == ["r-0427", "r-0201", "r-0142"]
    assert [describe_due(r).split(None, 2)[2] for r in due] == [
        "5 days overdue",
        "today",
        "in 5 days",
        "no next review date: set review.next",
    ]
    assert describe_due(ReviewDue("r-1", date(2026, 1, 2), -1)).endswith("1 day overdue")


def test_reviews_command_lists_ids_soonest_first(run, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import guidegen.reviews

    monkeypatch.setattr(guidegen.reviews, "today", lambda: date(2026, 12, 6))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # pins guide dates only, never today for reviews
    result = run("reviews", "-C", project)
    assert result.exit_code == 0
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert ids[:3] == ["r-0427", "r-0201", "r-0869"] and len(ids) == len(list((REPO / "profiles").glob("*.yaml")))
    assert result.stdout.splitlines()[0] == "r-0427           2026-12-05  1 day overdue"
    assert result.stdout.splitlines()[1] == "r-0201           2026-12-10  in 4 days"
    assert "1 overdue" in result.stderr
    overdue = run("reviews", "--overdue", "-C", project)
    assert overdue.exit_code == 0 and overdue.stdout.split() == ["r-0427", "2026-12-05", "1", "day", "overdue"]
    within = run("reviews", "--within", "4", "-C", project)
    assert [line.split()[0] for line in within.stdout.splitlines()] == ["r-0427", "r-0201"]
    names = ("Sam", "Marisol", "Priya", "Luis", "Chris")
    assert not any(name in result.output for name in names)


def test_reviews_command_reports_bad_profiles_by_line_and_still_lists_the_rest(run, project: Path, monkeypatch) -> None:
    import guidegen.reviews

    monkeypatch.setattr(guidegen.reviews, "today", lambda: date(2026, 12, 11))
    (project / "profiles" / "r-bad.yaml").write_text("id: r-bad\nname: SECRET\nstage: SECRET\n")
    result = run("reviews", "-C", project)
    assert result.exit_code == 0
    assert "profiles/r-bad.yaml:3:" in result.stderr and "SECRET" not in result.output + result.stderr
    assert len(result.stdout.splitlines()) == len(list((REPO / "profiles").glob("*.yaml")))


def test_check_reminds_about_overdue_reviews_by_file_and_line(tmp_path: Path) -> None:
    mini = Path(shutil.copytree(REPO / "tests" / "fixtures" / "mini", tmp_path / "mini"))
    report = check(mini, today=date(2026, 12, 2))
    assert not [p for p in report.warnings if "overdue" in p.message]
    overdue = [p for p in report.reminders if "overdue" in p.message]
    assert [(p.path, p.line) for p in overdue] == [("profiles/p-001.yaml", 8)]
    assert overdue[0].message.startswith("review.next: this review is overdue")
    assert "2026" not in overdue[0].message
    assert not [p for p in check(mini, today=date(2026, 12, 1)).reminders if "overdue" in p.message]


def test_an_overdue_review_never_fails_check_strict(project: Path, run) -> None:
    """The calendar moving on is not a content defect: `check --strict` passes with a reminder."""
    profile = project / "profiles" / "r-0142.yaml"
    text = profile.read_text()
    assert "  next: 2026-12-15" in text
    profile.write_text(text.replace("  next: 2026-12-15", "  next: 2001-01-01"))
    result = run("check", "--strict", "-C", project)
    assert result.exit_code == 0, result.stderr
    line = text.splitlines().index("  next: 2026-12-15") + 1
    assert f"profiles/r-0142.yaml:{line}: reminder: review.next: this review is overdue" in result.stderr
    assert "0 errors, 0 warnings, " in result.output and " reminders" in result.output


def test_check_reminds_when_a_recent_overdose_is_over_a_year_old(project: Path) -> None:
    """r-0648's overdose was on 2026-09-30: recent until a year has passed, then a reminder at its
    line (never a warning: check --strict still passes), without the date."""
    profile = project / "profiles" / "r-0648.yaml"
    line = profile.read_text().splitlines().index("risk: {recent_overdose: 2026-09-30}") + 1

    def reminders(today: date) -> list:
        report = check(project, today=today)
        assert not [p for p in report.warnings + report.errors if "recent_overdose" in p.message]
        return [(p.path, p.line) for p in report.reminders if p.message.startswith("risk.recent_overdose")]

    assert reminders(date(2027, 9, 30)) == []
    found = check(project, today=date(2027, 10, 1)).reminders
    assert reminders(date(2027, 10, 1)) == [("profiles/r-0648.yaml", line)]
    assert not any("2026" in p.message for p in found)


def test_without_changes_there_is_no_whats_new_part_and_no_new_mark(example) -> None:
    guide = guide_of(example, "r-0142")
    page = render_web(guide, example.settings, example.pages)
    assert guide.changes == () and 'id="whats-new"' not in page and "badge-new" not in page


def test_a_rebuild_after_an_edit_says_whats_new_and_keeps_saying_it(tmp_path: Path) -> None:
    """The real build: the summary lives in .guidegen/ (ids and hashes only), and the next guide
    lists what changed; a forced rebuild with no change keeps the same list."""
    from conftest import page_html
    from guidegen.publish.build import build

    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    assert build(root, pdf=False).problems == []
    assert 'id="whats-new"' not in page_html(root, "r-0142"), "a first guide has nothing new"
    history = (root / ".guidegen" / "history.json").read_text()
    assert "Sam" not in history and "Walk" not in history and "Arguments" not in history
    profile = root / "profiles" / "r-0142.yaml"
    profile.write_text(profile.read_text().replace("goals:\n", 'goals:\n  - {text: "Cook dinner twice a week"}\n', 1))
    assert build(root, pdf=False).built == ["r-0142"]
    page = page_html(root, "r-0142")
    assert 'id="whats-new"' in page and "Cook dinner twice a week" in page
    assert build(root, pdf=False, force=True).built == ["r-0142"]
    assert "Cook dinner twice a week" in page_html(root, "r-0142").split('id="whats-new"', 1)[1].split("</section>")[0]
