"""Who gets the starter library's safety pages: prescribed use taken as directed is not street use."""

from __future__ import annotations

from pathlib import Path

import pytest

from guidegen.project.profiles import Profile
from guidegen.project.rules import select_modules
from guidegen.web.themecheck import load_checked_project

REPO = Path(__file__).resolve().parent.parent

CASES = [
    # (what the person takes, prescribed, module, picked)
    (["stimulants"], [], "overdose-and-naloxone", True),
    (["benzodiazepines"], [], "overdose-and-naloxone", True),
    (["benzodiazepines"], ["benzodiazepines"], "overdose-and-naloxone", False),
    (["alcohol", "benzodiazepines"], ["benzodiazepines"], "overdose-and-naloxone", True),
    (["opioids"], ["opioids"], "overdose-and-naloxone", True),
    (["alcohol"], [], "overdose-and-naloxone", False),
    (["benzodiazepines"], ["benzodiazepines"], "never-use-alone", False),
    (["opioids"], ["opioids"], "never-use-alone", False),
    (["benzodiazepines"], [], "never-use-alone", True),
    (["alcohol", "benzodiazepines"], ["benzodiazepines"], "mixing-substances", True),
    (["alcohol"], [], "mixing-substances", False),
    (["stimulants"], ["stimulants"], "stimulants", False),
    (["benzodiazepines"], ["benzodiazepines"], "benzodiazepines", True),
]


@pytest.fixture(scope="module")
def modules():
    return {module.id: module for module in load_checked_project(REPO).modules}


@pytest.mark.parametrize(("substances", "prescribed", "module_id", "picked"), CASES)
def test_safety_pages_follow_prescribed_use(modules, substances, prescribed, module_id, picked) -> None:
    person = Profile(id="x", name="X", substances=tuple(substances), prescribed=tuple(prescribed))
    chosen = {module.id for module in select_modules(person, list(modules.values()))}
    assert (module_id in chosen) is picked


def test_prescribed_use_is_never_told_not_to_use_alone(modules) -> None:
    from guidegen.check import _rendered_text  # the words a person reads, as `check` renders them

    project = load_checked_project(REPO)
    person = Profile(id="x", name="X", substances=("alcohol", "benzodiazepines"), prescribed=("benzodiazepines",))
    for module in select_modules(person, project.modules):
        for language, phrases in {
            "en": ("use alone", "take it alone"),
            "es": ("consumas a solas", "tomes a solas"),
        }.items():
            text, _ = module.text_for(language)
            reader = person.model_copy(update={"language": language})
            words = (_rendered_text(project, module, text, reader) or "").lower()
            assert not any(phrase in words for phrase in phrases), (module.id, language)
