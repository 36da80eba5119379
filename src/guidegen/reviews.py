"""Whose review is due: each profile's next review date against today, soonest first.

For staff: ids only, never names. Today is the real date (not SOURCE_DATE_EPOCH, which pins
the date printed in guides): reviews are about what is due now.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .errors import Problem
from .project.due import ReviewDue, due_reviews, pick, today
from .project.profiles import load_profiles
from .project.settings import load_settings
from .project.vocabulary import load_vocabulary

__all__ = ["ReviewDue", "describe_due", "due_reviews", "pick", "project_reviews", "today"]


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
