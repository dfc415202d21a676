"""ISO week arithmetic in UTC: parse, bound, step and name the weeks reports cover."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _parse(week: str) -> tuple[int, int]:
    """Split '2026-W47' into (2026, 47), rejecting weeks the year does not have."""
    match = _WEEK.match(week.strip())
    if match is None:
        raise ValueError(f"not an ISO week like 2026-W47: {week!r}")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise ValueError(f"{year} has no ISO week {number}") from exc
    return year, number


def iso_week_bounds(week: str) -> tuple[datetime, datetime]:
    """Return [Monday 00:00 UTC, next Monday 00:00 UTC) of an ISO week such as '2026-W47'."""
    year, number = _parse(week)
    monday = date.fromisocalendar(year, number, 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7)


def week_of(dt: datetime) -> str:
    """Return the ISO week ('2026-W47') a moment falls in, in UTC (naive times are taken as UTC)."""
    moment = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    year, number, _ = moment.isocalendar()
    return f"{year:04d}-W{number:02d}"


def shift_week(week: str, weeks: int) -> str:
    """Return the ISO week `weeks` after (negative: before) the given one."""
    start, _ = iso_week_bounds(week)
    return week_of(start + timedelta(weeks=weeks))


def previous_week(week: str) -> str:
    """Return the ISO week before the given one."""
    return shift_week(week, -1)


def last_complete_week(now: datetime) -> str:
    """Return the most recent ISO week that has fully ended at `now`."""
    return previous_week(week_of(now))


def normalize_week(week: str) -> str:
    """Return a validated week string (raises ValueError with a readable message)."""
    year, number = _parse(week)
    return f"{year:04d}-W{number:02d}"
