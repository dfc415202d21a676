"""A clock the tests move by hand, so the suite behaves the same on any date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # "now" of every harness test unless a test moves it


class FakeClock:
    """Return a fixed time until a test sets or advances it."""

    def __init__(self, now: datetime = T0) -> None:
        """Start at `now` (aware)."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current fake time."""
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a timedelta's keyword arguments and return the new time."""
        self.now += timedelta(**delta)
        return self.now
