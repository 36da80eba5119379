"""Profiles (profiles/<id>.yaml): one person each, validated against the schema and vocabulary."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from ..errors import Problem, display_path
from .files import ID_PATTERN as ID_PATTERN
from .files import PROFILE_SUFFIXES as PROFILE_SUFFIXES
from .files import PROFILES_DIR as PROFILES_DIR
from .files import RESERVED_IDS as RESERVED_IDS
from .files import check_id as check_id
from .files import find_profile as find_profile
from .files import id_problem as id_problem
from .files import profile_paths as profile_paths
from .profile_parts import SUICIDE_ITEMS, CareTeamMember, Goal, Review, Risk, SafetyPlan, Score, Supporter, Term
from .schema import Flag, Frozen, Text, validate
from .settings import Settings
from .vocabulary import BORROWED_FIELDS, LIST_FIELDS, SINGLE_FIELDS, Vocabulary
from .yamlfile import YamlDocument, read_yaml


class Profile(Frozen):
    """One person's profile, trusted once loaded."""

    id: Annotated[str, Field(strict=True)]
    """Names the output folder; never the person's name."""
    name: Text
    """The name the guide calls the person."""
    pronouns: Text | None = None
    """e.g. she/her."""
    language: Annotated[str, Field(strict=True)] | None = None
    """One of the site's languages; the first when absent."""
    format: tuple[Term, ...] = ()
    """Print and screen needs (vocabulary: format)."""
    substances: tuple[Term, ...] = ()
    """Vocabulary: substances."""
    prescribed: tuple[Term, ...] = ()
    """Which of `substances` the person takes only as prescribed, as directed (vocabulary: substances)."""
    stage: Term | None = None
    """Stage of change (vocabulary: stage)."""
    conditions: tuple[Term, ...] = ()
    """Co-occurring conditions (vocabulary: conditions)."""
    trauma_informed: Flag = False
    """Use trauma-informed wording and include trauma content."""
    therapies: tuple[Term, ...] = ()
    """Therapies and medications (vocabulary: therapies)."""
    groups: tuple[Term, ...] = ()
    """Mutual-help and peer support (vocabulary: groups)."""
    support_style: Term | None = None
    """Secular, faith-based or any (vocabulary: support_style)."""
    needs: tuple[Term, ...] = ()
    """What the person needs help with: housing, work, money ... (vocabulary: needs)."""
    strengths: tuple[Term, ...] = ()
    """Recovery capital the person brings: people, faith, work, skills ... (vocabulary: strengths)."""
    population: tuple[Term, ...] = ()
    """Groups with pages written for them: young person, older adult ... (vocabulary: population)."""
    transitions: tuple[Term, ...] = ()
    """A move out of jail, hospital or residential care now or soon (vocabulary: transitions)."""
    routes: tuple[Term, ...] = ()
    """How the person takes substances: injecting, smoking ... (vocabulary: routes)."""
    risk: Risk | None = None
    """Clinical risk: suicide screen, past attempt, firearm access, recent overdose."""
    formal: Flag = False
    """Spanish: speak to the person as usted instead of tú."""
    goals: tuple[Goal, ...] = ()
    reasons: tuple[Text, ...] = ()
    triggers: tuple[Text, ...] = ()
    warning_signs: tuple[Text, ...] = ()
    coping: tuple[Text, ...] = ()
    people: tuple[Supporter, ...] = ()
    care_team: tuple[CareTeamMember, ...] = ()
    safety_plan: SafetyPlan | None = None
    review: Review = Review()
    measures: dict[Term, tuple[Score, ...]] = Field(default_factory=dict)
    """Scores over time per measure (vocabulary: measures)."""
    message: Text | None = None
    """A personal note from the care team."""
    print: Literal["essentials", "full"] = "essentials"
    """On paper: the modules that fit the page budget (essentials), or every module (full)."""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        problem = id_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def risk_terms(self) -> tuple[str, ...]:
        """The risk rule terms that hold for this person (vocabulary: risk)."""
        risk = self.risk or Risk()
        thoughts = any(_latest_item(self.measures.get(m, ()), item) >= 1 for m, item in SUICIDE_ITEMS.items())
        screen = risk.suicide_screen is not None and risk.suicide_screen.result == "positive"
        held = {
            "suicide_risk": screen or risk.past_attempt or thoughts,
            "suicide_screen_positive": screen,
            "suicidal_thoughts": thoughts,
            "past_attempt": risk.past_attempt,
            "firearm_access": risk.firearm_access,
            "recent_overdose": risk.recent_overdose is not None,
        }
        return tuple(term for term, holds in held.items() if holds)

    def template_view(self) -> dict[str, Any]:
        """The profile as plain data for module templates (`person`); absent fields are empty."""
        return self.model_dump(mode="python")


def _latest_item(scores: Sequence[Score], item: int) -> int:
    """The latest score's item score (0 when it has none)."""
    if not scores:
        return 0
    latest = max(scores, key=lambda s: s.date)
    return (latest.items or {}).get(item, 0)


@dataclass(frozen=True)
class LoadedProfile:
    """A valid profile and the file it came from."""

    profile: Profile
    path: Path
    """The YAML file."""
    where: str
    """The file as shown in messages."""


def load_profile(
    path: Path, root: Path, settings: Settings, vocabulary: Vocabulary
) -> tuple[LoadedProfile | None, list[Problem]]:
    """Read and validate one profile; problems never quote its values."""
    where = display_path(path, root)
    document, problems = read_yaml(path, root)
    if document is None:
        return None, problems
    profile, problems = validate(Profile, document, where)
    if profile is None:
        return None, problems
    problems = _check_terms(profile, document, where, settings, vocabulary)
    if profile.id != path.stem:
        problems.append(Problem(where, document.line(("id",)), "id: must match the file name (profiles/<id>.yaml)"))
    if problems:
        return None, problems
    if profile.language is None:
        profile = profile.model_copy(update={"language": settings.default_language})
    return LoadedProfile(profile, path, where), []


def _check_terms(
    profile: Profile, document: YamlDocument, where: str, settings: Settings, vocabulary: Vocabulary
) -> list[Problem]:
    problems = []
    for field in (*LIST_FIELDS, *BORROWED_FIELDS):
        allowed = vocabulary.terms(field)
        for index, term in enumerate(getattr(profile, field)):
            if term not in allowed:
                problems.append(
                    Problem(
                        where,
                        document.line((field, index)),
                        f"{field}[{index}]: not a term in the vocabulary (expected one of: {', '.join(allowed) or 'none declared'})",
                    )
                )
        if len(set(getattr(profile, field))) != len(getattr(profile, field)):
            problems.append(Problem(where, document.line((field,)), f"{field}: a term is listed twice"))
    for index, term in enumerate(profile.prescribed):
        if term in vocabulary.terms("prescribed") and term not in profile.substances:
            problems.append(
                Problem(
                    where,
                    document.line(("prescribed", index)),
                    f"prescribed[{index}]: list this term under substances too (prescribed says which substances are taken only as prescribed)",
                )
            )
    for field in SINGLE_FIELDS:
        term = getattr(profile, field)
        allowed = vocabulary.terms(field)
        if term is not None and term not in allowed:
            problems.append(
                Problem(
                    where,
                    document.line((field,)),
                    f"{field}: not a term in the vocabulary (expected one of: {', '.join(allowed) or 'none declared'})",
                )
            )
    problems.extend(_check_measures(profile, document, where, vocabulary))
    if profile.language is not None and profile.language not in settings.languages:
        problems.append(
            Problem(
                where,
                document.line(("language",)),
                f"language: expected one of the site's languages ({', '.join(settings.languages)})",
            )
        )
    return problems


def _check_measures(profile: Profile, document: YamlDocument, where: str, vocabulary: Vocabulary) -> list[Problem]:
    """Each measure is declared, each score within its range, each date once."""
    problems = []
    for measure_id, scores in profile.measures.items():
        measure = vocabulary.measures.get(measure_id)
        if measure is None:
            allowed = ", ".join(vocabulary.measures) or "none declared"
            problems.append(
                Problem(
                    where,
                    document.line(("measures", measure_id)),
                    f"measures: a measure that is not in the vocabulary (expected one of: {allowed})",
                )
            )
            continue
        seen: set[object] = set()
        for index, entry in enumerate(scores):
            at = ("measures", measure_id, index)
            if not measure.low <= entry.score <= measure.high:
                problems.append(
                    Problem(
                        where,
                        document.line((*at, "score")),
                        f"measures.{measure_id}[{index}].score: outside the range {measure.low} to {measure.high}",
                    )
                )
            if entry.date in seen:
                problems.append(
                    Problem(
                        where,
                        document.line((*at, "date")),
                        f"measures.{measure_id}[{index}].date: the same date appears twice; keep one score per day",
                    )
                )
            seen.add(entry.date)
    return problems


def load_profiles(
    root: Path, settings: Settings, vocabulary: Vocabulary, ids: Sequence[str] = ()
) -> Iterator[tuple[LoadedProfile | None, list[Problem]]]:
    """Stream profiles one at a time (memory stays flat for thousands of them)."""
    wanted = set(ids)
    for path in profile_paths(root):
        if wanted and path.stem not in wanted:
            continue
        yield load_profile(path, root, settings, vocabulary)
