"""Plain data of one weekly report: what the SQL found, before any rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from models.registry import Section, in_section

DETECTORS: tuple[str, ...] = tuple(sorted(in_section(Section.MANIPULATION)))  # always shown, even at zero
NEW_ACCOUNT_DAYS = 30  # an account younger than this at the time of a post counts as new
EXCERPT_CHARS = 160  # reports quote at most this much of a flagged post (alerts allow 200)


def ratio(numerator: int, denominator: int) -> float | None:
    """Return numerator/denominator, or None when there is nothing to divide."""
    return numerator / denominator if denominator else None


@dataclass(frozen=True, slots=True)
class Outcomes:
    """How moderators settled a set of cases (status now, for cases first flagged in the week)."""

    confirmed: int = 0
    dismissed: int = 0
    escalated: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        """Return the number of cases."""
        return self.confirmed + self.dismissed + self.escalated + self.open

    @property
    def precision(self) -> float | None:
        """Return confirmed / (confirmed + dismissed), or None before any such decision."""
        return ratio(self.confirmed, self.confirmed + self.dismissed)


@dataclass(frozen=True, slots=True)
class Totals:
    """The headline numbers of one guild-week (also computed for the week before)."""

    week: str
    posts: int = 0  # all posts written in the week, scored or not
    posts_scored: int = 0
    active_accounts: int = 0
    flagged_posts: int = 0
    flagged_accounts: int = 0
    flags: Mapping[str, int] = field(default_factory=dict)  # flagged posts per detector
    cases: int = 0  # cases whose first post falls in the week
    campaigns: int = 0  # coordination campaigns with at least one post in the week
    new_accounts: int = 0
    new_account_posts: int = 0
    outcomes: Outcomes = field(default_factory=Outcomes)


@dataclass(frozen=True, slots=True)
class DayFlags:
    """Flagged posts on one UTC day, per detector."""

    day: date
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class DetectorPrecision:
    """One detector's cases of the week and how moderators judged them."""

    detector: str
    outcomes: Outcomes


@dataclass(frozen=True, slots=True)
class PrecisionPoint:
    """Precision of every detector in one past week (None: nothing decided)."""

    week: str
    precision: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class Campaign:
    """A coordinated campaign (one coordination case) active in the week."""

    case_id: int
    campaign_id: str
    status: str
    score: float
    topic_id: str | None
    topics: int
    accounts: tuple[str, ...]  # labels: ids, or names where moderators allowed them
    account_ages_days: tuple[float, ...]  # known ages at first post, youngest first
    new_accounts: int
    post_times: tuple[datetime, ...]
    excerpt: str

    @property
    def posts(self) -> int:
        """Return the number of posts in the campaign."""
        return len(self.post_times)

    @property
    def first_at(self) -> datetime:
        """Return the time of the campaign's first post."""
        return self.post_times[0]

    @property
    def last_at(self) -> datetime:
        """Return the time of the campaign's last post."""
        return self.post_times[-1]

    @property
    def median_age_days(self) -> float | None:
        """Return the median known account age in days."""
        ages = self.account_ages_days
        if not ages:
            return None
        mid = len(ages) // 2
        return ages[mid] if len(ages) % 2 else (ages[mid - 1] + ages[mid]) / 2


@dataclass(frozen=True, slots=True)
class Topic:
    """A channel or proposal thread and how much flagged activity it drew."""

    topic_id: str
    posts: int
    flagged_posts: int
    flagged_accounts: int
    campaigns: int


@dataclass(frozen=True, slots=True)
class Account:
    """An account with flagged posts this week."""

    author_id: str
    label: str
    posts: int
    flagged_posts: int
    by_detector: Mapping[str, int]
    age_days: float | None


@dataclass(frozen=True, slots=True)
class NewAccount:
    """An account younger than NEW_ACCOUNT_DAYS that posted in governance channels this week."""

    author_id: str
    label: str
    age_days: float
    posts: int
    flagged_posts: int
    topics: int


@dataclass(frozen=True, slots=True)
class Decisions:
    """Moderator decisions on the week's cases and how long they took."""

    outcomes: Outcomes
    decided: int  # cases with at least one review
    median_hours: float | None  # flag (case opened) to first review
    max_hours: float | None
    unreached: int = 0  # cases whose alert was never posted and that no moderator reviewed


@dataclass(frozen=True, slots=True)
class FlaggedPost:
    """One of the week's highest-scoring flagged posts, quoted briefly."""

    post_id: str
    author: str
    topic_id: str
    created_at: datetime
    detectors: tuple[str, ...]
    score: float
    excerpt: str


@dataclass(frozen=True, slots=True)
class WeeklyReport:
    """Everything the renderers need for one guild and one ISO week."""

    guild_id: str
    week: str
    start: datetime
    end: datetime
    show_names: bool
    detectors: tuple[str, ...]
    totals: Totals
    previous: Totals
    daily: tuple[DayFlags, ...]
    precision: tuple[DetectorPrecision, ...]
    history: tuple[PrecisionPoint, ...]  # oldest first, ending with this week
    campaigns: tuple[Campaign, ...]
    topics: tuple[Topic, ...]
    accounts: tuple[Account, ...]
    new_accounts: tuple[NewAccount, ...]
    decisions: Decisions
    examples: tuple[FlaggedPost, ...]
    generated_at: datetime
