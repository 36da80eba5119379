"""Whose review is due: each profile's next review date against today, soonest first.

For staff: ids only, never names. Today is the real date (not SOURCE_DATE_EPOCH, which pins
the date printed in guides): reviews are about what is due now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .errors import Problem
from .project.profiles import LoadedProfile, load_profiles
from .project.settings import load_settings
from .project.vocabulary import load_vocabulary


@dataclass(frozen=True)
class ReviewDue:
    """One profile's next review."""

    id: str
    next: date | None
    """None when the profile sets no next review date."""
    days: int | None
    """Days from today until the review; negative when it is overdue."""

    @property
    def overdue(self) -> bool:
        """The review date has passed."""
        return self.days is not None and self.days < 0


def due_reviews(profiles: Iterable[LoadedProfile], today: date) -> list[ReviewDue]:
    """Every profile's next review, soonest (most overdue) first; those without a date last."""
    found = []
    for loaded in profiles:
        next_review = loaded.profile.review.next
        days = (next_review - today).days if next_review else None
        found.append(ReviewDue(loaded.profile.id, next_review, days))
    return sorted(found, key=lambda r: (r.next is None, r.next or date.max, r.id))


def pick(reviews: Iterable[ReviewDue], *, within: int | None = None, overdue: bool = False) -> list[ReviewDue]:
    """Only overdue reviews, or those due within `within` days (overdue included); all when neither."""
    if overdue:
        return [r for r in reviews if r.overdue]
    if within is not None:
        return [r for r in reviews if r.days is not None and r.days <= within]
    return list(reviews)


def project_reviews(root: Path, today: date) -> tuple[list[ReviewDue], list[Problem]]:
    """Reviews of every valid profile in the project, and the problems of those that are not."""
    settings = load_settings(root)
    vocabulary = load_vocabulary(root, settings)
    valid, problems = [], []
    for loaded, found in load_profiles(root, settings, vocabulary):
        problems.extend(found)
        if loaded is not None:
            valid.append(loaded)
    return due_reviews(valid, today), problems


def describe_due(review: ReviewDue) -> str:
    """One line for staff: id, date, and days until or past it."""
    if review.next is None or review.days is None:
        return f"{review.id:<16} {'-':<10}  no next review date: set review.next"
    if review.days < 0:
        when = f"{-review.days} day{'s' if review.days != -1 else ''} overdue"
    elif review.days == 0:
        when = "today"
    else:
        when = f"in {review.days} day{'s' if review.days != 1 else ''}"
    return f"{review.id:<16} {review.next.isoformat()}  {when}"


def today() -> date:
    """The real date today (a function, so tests can replace it)."""
    return date.today()
