"""The parts of a profile: goals, supporters, the care team, the safety plan, reviews, scores and
clinical risk (the `Profile` itself is in profiles.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .schema import Day, Flag, Frozen, Text, Whole

Term = Annotated[str, Field(strict=True)]


class Goal(Frozen):
    """Something the person wants to reach, optionally by a date."""

    text: Text
    """The goal in the person's words."""
    by: Day | None = None
    """When they hope to reach it."""
    done: Day | None = None
    """When they reached it (shown under "My progress")."""


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


class Score(Frozen):
    """One score on a measure, on the day it was taken."""

    date: Day
    """When the check was done."""
    score: Whole
    """The total score, within the measure's range."""
    items: dict[Annotated[int, Field(ge=1, le=99)], Whole] | None = None
    """Item scores where an item matters on its own, e.g. PHQ-9 item 9 (thoughts of self-harm): {9: 1}."""


class SuicideScreen(Frozen):
    """The result of a suicide-risk screen (e.g. ASQ, C-SSRS screener)."""

    result: Literal["negative", "positive", "not_done"]
    """negative | positive | not_done."""
    date: Day | None = None
    """When it was done."""


class Risk(Frozen):
    """Clinical risk: drives the safety pages a person gets first, and Start here."""

    suicide_screen: SuicideScreen | None = None
    """The latest suicide-risk screen."""
    past_attempt: Flag = False
    """A suicide attempt in the past."""
    firearm_access: Flag = False
    """Firearms at home or within reach (lethal-means counselling)."""
    recent_overdose: Day | None = None
    """The date of a recent overdose."""


RECENT_OVERDOSE_DAYS = 365
"""An overdose this recent is a recent overdose: the risk of another is highest in the year after
one. Older, `check` reminds staff to update the date or remove it; the import writes none older."""


SUICIDE_ITEMS = {"phq9": 9}
"""Measure items whose score of 1 or more means thoughts of self-harm (PHQ-9 item 9)."""


class Review(Frozen):
    """When the plan was and will next be re-evaluated."""

    next: Day | None = None
    """The next review date, shown on the cover."""
    history: tuple[ReviewEntry, ...] = ()
    """Past reviews, oldest first."""
