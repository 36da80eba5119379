"""The `when:` rule language: data-driven cases, parse errors, and the words `explain` uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guidegen.errors import Problem, Problems
from guidegen.project.profiles import Profile
from guidegen.project.rules import EVERYONE, RuleSource, describe, holds, parse_rule, why
from guidegen.project.settings import load_settings
from guidegen.project.vocabulary import load_vocabulary

FIXTURES = Path(__file__).parent / "fixtures"
CASES = yaml.safe_load((FIXTURES / "rules.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vocabulary():
    mini = FIXTURES / "mini"
    return load_vocabulary(mini, load_settings(mini))


def parse(rule, vocabulary, problems=None):
    problems = [] if problems is None else problems
    if rule is None:
        return EVERYONE
    found = Problems()
    parsed = parse_rule(rule, ("when",), RuleSource("m.md", lambda key: 7, vocabulary, ("en", "es"), found))
    problems.extend(found)
    return parsed


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_cases(case, vocabulary) -> None:
    problems: list[Problem] = []
    rule = parse(case["rule"], vocabulary, problems)
    assert problems == []
    person = Profile(id="x", name="X", **case["person"])
    assert holds(rule, person) is case["picks"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"substance": ["alcohol"]}, "unknown rule key; did you mean `substances`?"),
        ({"substances": ["alcohool"]}, "substances: unknown term; did you mean `alcohol`?"),
        ({"language": ["fr"]}, "language: unknown term (expected one of: en, es)"),
        ({"prescribed": ["anxiety"]}, "prescribed: unknown term"),
        ({"any": {"substances": ["alcohol"]}}, "any: expected a list of rules"),
        ({"trauma_informed": "yes please"}, "expected true or false"),
        ({"substances": [1]}, "expected a term or a list of terms"),
        ({}, "expected a mapping of rule keys"),
        ({"measures": {"phq10": ["mild"]}}, "'phq10' is not a measure in the vocabulary"),
        ({"measures": {"phq9": ["midl"]}}, "'midl' is not a band of this measure"),
        ({"measures": {"phq9": [3]}}, "expected a band or a list of bands"),
        ({"measures": ["phq9"]}, "expected a mapping of measures to bands"),
    ],
)
def test_rule_errors_name_the_line(rule, message, vocabulary) -> None:
    problems: list[Problem] = []
    parse(rule, vocabulary, problems)
    assert problems and all(p.line == 7 and p.path == "m.md" for p in problems)
    assert message in problems[0].message


def test_describe_and_why_read_like_the_rule(vocabulary) -> None:
    rule = parse(
        {"substances": ["alcohol", "opioids"], "stage": ["action"], "not": {"conditions": ["psychosis"]}}, vocabulary
    )
    assert describe(rule) == "substances: alcohol or opioids, and stage: action, and not (conditions: psychosis)"
    person = Profile(id="x", name="X", substances=("alcohol",), stage="contemplation")
    assert why(rule, person) == "stage: action"


def test_measure_rules_read_in_words_for_explain(vocabulary) -> None:
    rule = parse({"substances": ["alcohol"], "measures": {"phq9": ["moderate", "severe"]}}, vocabulary)
    assert describe(rule) == "substances: alcohol, and latest phq9 score: moderate or severe"
    person = Profile(
        id="x", name="X", substances=("alcohol",), measures={"phq9": ({"date": "2026-10-01", "score": 3},)}
    )
    assert why(rule, person) == "latest phq9 score: moderate or severe"
