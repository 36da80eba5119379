"""Profiles (profiles/<id>.yaml): one person each, validated against the schema and vocabulary."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from .errors import Problem, display_path
from .schema import Day, Flag, Frozen, Text, kind_of, validate
from .settings import Settings
from .vocabulary import LIST_FIELDS, SINGLE_FIELDS, Vocabulary
from .yamlfile import YamlDocument, read_yaml

PROFILES_DIR = "profiles"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
RESERVED_IDS = frozenset({"assets", "index", "robots", "sitemap", "favicon", "manifest", "guidegen", "preview"})
"""Ids that name, or could one day name, guidegen's own files in the output folder."""


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a profile id, or None (the message never repeats the value)."""
    if not ID_PATTERN.match(value):
        return "an id is 1 to 64 lowercase letters, digits and -, starting with a letter or digit"
    if value in RESERVED_IDS:
        return f"this id is reserved for guidegen's own files ({', '.join(sorted(RESERVED_IDS))}): choose another"
    return None


Term = Annotated[str, Field(strict=True)]


class Goal(Frozen):
    """Something the person wants to reach, optionally by a date."""

    text: Text
    """The goal in the person's words."""
    by: Day | None = None
    """When they hope to reach it."""


class Supporter(Frozen):
    """Someone in the person's life who supports their recovery."""

    name: Text
    """What the person calls them."""
    relation: Text | None = None
    """Sister, friend, sponsor ..."""
    phone: Text | None = None
    """A number to call."""


class CareTeamMember(Frozen):
    """A professional on the person's care team."""

    name: Text
    """Their name."""
    role: Text | None = None
    """Counselor, prescriber, case manager ..."""
    phone: Text | None = None
    """A number to call."""


class SafetyContact(Frozen):
    """A person or service in the safety plan, with a number to call."""

    name: Text
    """Who (or which service)."""
    phone: Text | None = None
    """The number to call."""


SafetyItem = Text | SafetyContact


class SafetyPlan(Frozen):
    """A Stanley-Brown safety plan in the person's own words."""

    warning_signs: tuple[Text, ...] = ()
    """Step 1: signs that a crisis may be coming."""
    coping: tuple[Text, ...] = ()
    """Step 2: things I can do on my own to take my mind off problems."""
    distractions: tuple[SafetyItem, ...] = ()
    """Step 3: people and places that take my mind off things."""
    help: tuple[SafetyItem, ...] = ()
    """Step 4: people I can ask for help."""
    professionals: tuple[SafetyItem, ...] = ()
    """Step 5: clinicians, crisis lines, the nearest emergency department."""
    safe_environment: tuple[Text, ...] = ()
    """Step 6: making my surroundings safer."""
    reason_for_living: Text | None = None
    """The one thing most important to me and worth living for."""


class ReviewEntry(Frozen):
    """One past review of the plan."""

    date: Day
    """When it happened."""
    note: Text | None = None
    """What changed."""


class Review(Frozen):
    """When the plan was and will next be re-evaluated."""

    next: Day | None = None
    """The next review date, shown on the cover."""
    history: tuple[ReviewEntry, ...] = ()
    """Past reviews, oldest first."""


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
    goals: tuple[Goal, ...] = ()
    reasons: tuple[Text, ...] = ()
    triggers: tuple[Text, ...] = ()
    warning_signs: tuple[Text, ...] = ()
    coping: tuple[Text, ...] = ()
    people: tuple[Supporter, ...] = ()
    care_team: tuple[CareTeamMember, ...] = ()
    safety_plan: SafetyPlan | None = None
    review: Review = Review()
    message: Text | None = None
    """A personal note from the care team."""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        problem = id_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    def template_view(self) -> dict[str, Any]:
        """The profile as plain data for module templates (`person`); absent fields are empty."""
        return self.model_dump(mode="python")


@dataclass(frozen=True)
class LoadedProfile:
    """A valid profile and the file it came from."""

    profile: Profile
    path: Path
    """The YAML file."""
    where: str
    """The file as shown in messages."""


def profile_paths(project: Path) -> list[Path]:
    """Every profile file, in a stable order.

    Anything named *.yaml or *.yml is listed, even a folder, a pipe or a link out of the
    project: loading it then reports the problem instead of skipping it in silence."""
    folder = project / PROFILES_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def load_profile(
    path: Path, project: Path, settings: Settings, vocabulary: Vocabulary
) -> tuple[LoadedProfile | None, list[Problem]]:
    """Read and validate one profile; problems never quote its values."""
    where = display_path(path, project)
    document, problems = read_yaml(path, project)
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
    for field in LIST_FIELDS:
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
    if profile.language is not None and profile.language not in settings.languages:
        problems.append(
            Problem(
                where,
                document.line(("language",)),
                f"language: expected one of the site's languages ({', '.join(settings.languages)})",
            )
        )
    return problems


def load_profiles(
    project: Path, settings: Settings, vocabulary: Vocabulary, ids: Sequence[str] = ()
) -> Iterator[tuple[LoadedProfile | None, list[Problem]]]:
    """Stream profiles one at a time (memory stays flat for thousands of them)."""
    wanted = set(ids)
    for path in profile_paths(project):
        if wanted and path.stem not in wanted:
            continue
        yield load_profile(path, project, settings, vocabulary)


def describe_kind(value: Any) -> str:
    """Kind of a value, for messages that must not show it."""
    return kind_of(value)
