"""ISO week helpers, including year boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.reporting.weeks import iso_week_bounds, last_complete_week, normalize_week, shift_week, week_of


@pytest.mark.parametrize(("week", "start"), [
    ("2026-W47", datetime(2026, 11, 16, tzinfo=UTC)),
    ("2026-W01", datetime(2025, 12, 29, tzinfo=UTC)),  # ISO 2026 starts in December 2025
    ("2026-W53", datetime(2026, 12, 28, tzinfo=UTC)),  # 2026 has 53 ISO weeks
])
def test_bounds(week: str, start: datetime) -> None:
    assert iso_week_bounds(week) == (start, start + timedelta(days=7))


@pytest.mark.parametrize(("moment", "week"), [
    (datetime(2026, 11, 16, 0, 0, tzinfo=UTC), "2026-W47"),
    (datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC), "2026-W47"),
    (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48"),
    (datetime(2027, 1, 1, 12, tzinfo=UTC), "2026-W53"),
    (datetime(2026, 11, 23, 1, 0, tzinfo=timezone(timedelta(hours=2))), "2026-W47"),  # 22 Nov 23:00 UTC
    (datetime(2026, 11, 16, 0, 0), "2026-W47"),  # naive means UTC
])
def test_week_of(moment: datetime, week: str) -> None:
    assert week_of(moment) == week


def test_round_trip_and_steps() -> None:
    for week in ("2025-W52", "2026-W01", "2026-W53", "2027-W01"):
        start, end = iso_week_bounds(week)
        assert week_of(start) == week and week_of(end - timedelta(microseconds=1)) == week
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2026-W01", -1) == "2025-W52"
    assert last_complete_week(datetime(2026, 11, 16, 0, 1, tzinfo=UTC)) == "2026-W46"


@pytest.mark.parametrize("bad", ["2026-47", "2026-W7", "2025-W53", "2026-W00", "week 47"])
def test_rejects_bad_weeks(bad: str) -> None:
    with pytest.raises(ValueError):
        normalize_week(bad)
