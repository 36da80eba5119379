"""Whose review is due: each profile's next review date against today, soonest (most overdue) first.

Today is the real date (not SOURCE_DATE_EPOCH, which pins the date printed in guides): reviews
are about what is due now. Used by `guidegen reviews` and the desk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .profiles import LoadedProfile


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


def today() -> date:
    """The real date today (a function, so tests can replace it)."""
    return date.today()
