"""The desk's form and save without a browser: the form covers the profile schema, an unchanged
form gives back the same file byte for byte, a save never overwrites a file changed since it was
opened, problems land on their field, and neither the audit log nor a bug's log line holds a value."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, UploadFile

from conftest import REPO, copy_project
from guidegen.desk.audit import audit
from guidegen.desk.form import PersonForm, form_values, not_shown, person_form, place_problem, read_submitted
from guidegen.desk.save import field_defaults, file_version, profile_text, save_profile
from guidegen.desk.server import NoValues
from guidegen.project.profiles import load_profile
from guidegen.project.settings import load_settings
from guidegen.project.vocabulary import load_vocabulary
from guidegen.project.yamlfile import read_yaml

PROFILES = sorted(p.stem for p in (REPO / "profiles").glob("*.yaml"))


@pytest.fixture(scope="module")
def loaded() -> tuple[Any, Any, PersonForm]:
    settings = load_settings(REPO)
    vocabulary = load_vocabulary(REPO, settings)
    return settings, vocabulary, person_form(settings, vocabulary, "en")


def as_posted(form: PersonForm, values: dict[str, Any]) -> FormData:
    """What a browser sends for a form showing `values` (selects send their first option when empty)."""
    items: list[tuple[str, str | UploadFile]] = []
    for field in form.all():
        value = values[field.name]
        if field.kind in ("rows", "contacts"):
            items += [(f"{field.name}-{i}-{k}", v) for i, row in enumerate(value) for k, v in row.items()]
            items += [(f"{field.name}-{len(value)}-{c.name}", "") for c in field.columns]  # the empty row
        elif field.kind == "checkboxes":
            items += [(field.name, v) for v in value]
        elif field.kind == "flag":
            items += [(field.name, "yes")] if value else []
        elif field.kind == "select":
            items.append((field.name, value or field.choices[0].value))
        else:
            items.append((field.name, value))
    return FormData(items)


def test_the_form_shows_every_profile_field_but_the_id_and_the_review_history(loaded: Any) -> None:
    settings, vocabulary, form = loaded
    assert not_shown(form) == ["review.history", "id"]
    for language in ("en", "es"):
        for field in person_form(settings, vocabulary, language).all():
            assert field.label and field.help, field.key
    terms = {f.key: [c.value for c in f.choices] for f in form.all() if f.kind == "checkboxes"}
    assert terms["substances"] == list(vocabulary.terms("substances"))


@pytest.mark.parametrize("profile_id", PROFILES)
def test_an_unchanged_form_gives_back_the_same_file(loaded: Any, profile_id: str) -> None:
    settings, _, form = loaded
    path = REPO / "profiles" / f"{profile_id}.yaml"
    document, _ = read_yaml(path, REPO)
    assert document is not None
    submitted = read_submitted(form, as_posted(form, form_values(form, document.data)))
    text = path.read_text()
    assert profile_text(text, profile_id, submitted.values, field_defaults(settings)) == text


def test_a_save_never_overwrites_a_file_changed_since_it_was_opened(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    settings = load_settings(root)
    vocabulary = load_vocabulary(root, settings)
    path = root / "profiles" / "r-0142.yaml"
    opened = file_version(path)
    path.write_text(path.read_text() + "# changed elsewhere\n")
    changed = path.read_bytes()
    assert save_profile(root, "r-0142", {"pronouns": "they/them"}, opened, settings, vocabulary).status == "changed"
    assert path.read_bytes() == changed
    saved = save_profile(root, "r-0142", {"pronouns": "they/them"}, file_version(path), settings, vocabulary)
    assert saved.status == "saved"
    assert 'pronouns: "they/them"' in path.read_text() and path.read_text().endswith("# changed elsewhere\n")
    bad = save_profile(root, "r-0142", {"stage": "nowhere"}, saved.version, settings, vocabulary)
    assert bad.status == "invalid" and bad.problems[0].message.startswith("stage: not a term")
    assert file_version(path) == saved.version
    assert not list((root / ".guidegen" / "desk").iterdir())  # nothing staged is left behind


def test_a_problem_lands_on_its_field_row_and_column(loaded: Any) -> None:
    _, _, form = loaded
    known = {f.name for f in form.all()} | {"goals-0-by", "measures-2-score", "safety_plan-help-1-name"}
    aliases = {"measures.phq9[0].score": "measures-2-score", "safety_plan.help[0].name": "safety_plan-help-1-name"}
    assert place_problem("goals[0].by: expected a date like 2026-12-31, got text", aliases, known) == (
        "goals-0-by",
        "expected a date like 2026-12-31, got text",
    )
    assert place_problem("measures.phq9[0].score: outside the range 0 to 27", aliases, known)[0] == "measures-2-score"
    assert place_problem("safety_plan.help[0].name: missing", aliases, known)[0] == "safety_plan-help-1-name"
    assert place_problem("substances[3]: not a term in the vocabulary", aliases, known)[0] == "substances"
    assert place_problem("expected a mapping of keys, got a list", aliases, known)[0] == "form"


def test_the_audit_log_takes_known_actions_and_ids_only(tmp_path: Path) -> None:
    audit(tmp_path, "saved", "r-0142")
    audit(tmp_path, "printed", "r-0142")
    for action, value in (("saved", "Sam Rivera"), ("wrote a note", "r-0142")):
        with pytest.raises(ValueError):
            audit(tmp_path, action, value)
    log = tmp_path / ".guidegen" / "audit.log"
    lines = log.read_text().splitlines()
    assert [line.split("\t")[2:] for line in lines] == [["saved", "r-0142"], ["printed", "r-0142"]]
    assert oct(log.stat().st_mode & 0o777) == "0o600"


def test_a_bugs_log_line_says_where_and_never_what() -> None:
    try:
        raise ValueError("Sam Rivera 555-0123")
    except ValueError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI app", (), sys.exc_info()
        )
    assert NoValues().filter(record)
    line = logging.Formatter().format(record)
    assert "Sam" not in line and "555" not in line
    assert re.search(r"ValueError at test_desk_form\.py:\d+", line)


@pytest.mark.parametrize("started", ["from a terminal", "with Ctrl+C ignored"])
def test_ctrl_c_stops_the_desk_cleanly(tmp_path: Path, started: str) -> None:
    """Ctrl+C as soon as the address is shown stops the desk, also when it was started with
    SIGINT ignored (from a script or in the background, as a shell without job control does)."""
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "guidegen.cli", "desk", "-C", str(root), "--port", "0", "--no-browser"]

    def ignore_ctrl_c() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=ignore_ctrl_c if started == "with Ctrl+C ignored" else None,
    )
    assert process.stdout is not None
    assert "http://127.0.0.1:" in process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out
    assert not list((root / ".guidegen").glob("manifest-*.json"))


def test_empty_rows_are_dropped_and_problems_point_at_the_rows_shown_again(loaded: Any) -> None:
    _, _, form = loaded
    values = form_values(form, {"name": "Robin"})
    posted = as_posted(form, values)
    items = [(k, v) for k, v in posted.multi_items() if not k.startswith("goals-")]
    items += [("goals-0-text", ""), ("goals-0-by", ""), ("goals-1-text", "Walk"), ("goals-1-by", "soon")]
    submitted = read_submitted(form, FormData(items))
    assert submitted.values["goals"] == [{"text": "Walk", "by": "soon"}]
    assert submitted.shown["goals"] == [{"text": "Walk", "by": "soon"}]
    assert submitted.aliases["goals[0].by"] == "goals-0-by"


def test_what_the_form_does_not_show_of_a_score_stays_and_a_cleared_part_is_removed() -> None:
    text = (REPO / "profiles" / "r-0533.yaml").read_text()
    assert "items: {9: 1}" in text and "risk: {suicide_screen:" in text
    day = date.fromisoformat
    scores = {
        "phq9": [{"date": day("2026-11-03"), "score": 15}, {"date": day("2026-12-01"), "score": 13}],
        "auditc": [{"date": day("2026-11-03"), "score": 8}, {"date": day("2026-12-01"), "score": 6}],
    }
    changed = profile_text(text, "r-0533", {"measures": scores})
    assert changed is not None and "{date: 2026-12-01, score: 13, items: {9: 1}}" in changed
    cleared = profile_text(text, "r-0533", {"risk.suicide_screen.result": None, "risk.suicide_screen.date": None})
    assert cleared is not None and "risk: {past_attempt: true}" in cleared


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    typed=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "pronouns",
                "goals-0-text",
                "goals-0-by",
                "measures-0-measure",
                "measures-0-date",
                "measures-0-score",
                "review-next",
                "safety_plan-help-0-phone",
                "reasons",
                "message",
                "stage",
                "substances",
            ]
        ),
        TEXT,
        max_size=6,
    )
)
def test_whatever_is_typed_a_save_writes_a_valid_profile_or_nothing(tmp_path: Path, typed: dict[str, str]) -> None:
    root = tmp_path / "project"
    if not root.exists():
        copy_project(root, profiles=("r-0142",))
    settings_ = load_settings(root)
    vocabulary = load_vocabulary(root, settings_)
    form = person_form(settings_, vocabulary, "en")
    path = root / "profiles" / "r-0142.yaml"
    document, _ = read_yaml(path, root)
    assert document is not None
    posted = {**dict(as_posted(form, form_values(form, document.data)).multi_items()), **typed}
    submitted = read_submitted(form, FormData(list(posted.items())))
    before = path.read_bytes()
    saved = save_profile(root, "r-0142", submitted.values, file_version(path), settings_, vocabulary)
    if saved.status == "saved":
        loaded, problems = load_profile(path, root, settings_, vocabulary)
        assert loaded is not None, problems
    else:
        assert saved.status in ("invalid", "unchanged")
        assert path.read_bytes() == before
        for problem in saved.problems:
            for value in typed.values():
                if len(value) > 3 and not value.isascii():  # not a word the message itself could hold
                    assert value not in problem.message


def test_a_failed_rename_leaves_the_profile_and_no_staged_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project(tmp_path / "project", profiles=("r-0142",))
    settings_ = load_settings(root)
    vocabulary = load_vocabulary(root, settings_)
    path = root / "profiles" / "r-0142.yaml"
    before = path.read_bytes()

    def fail(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("guidegen.desk.save.os.replace", fail)
    with pytest.raises(OSError):
        save_profile(root, "r-0142", {"pronouns": "they/them"}, file_version(path), settings_, vocabulary)
    assert path.read_bytes() == before
    assert not list((root / ".guidegen" / "desk").iterdir())
