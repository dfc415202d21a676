"""The one place that reads the wall clock: everything else takes a `Clock` and is given one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 time (a trailing Z allowed) as aware UTC; a naive time is taken as UTC.

    Raises ValueError for text that is not such a time; the one parser of ingest, storage and reports.
    """
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stored_time(value: str | None) -> datetime | None:
    """Parse a time read back from storage (None when it is missing or malformed)."""
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def utc_now() -> datetime:
    """Return the current UTC time (aware); the default clock of the bot, storage and reports."""
    return datetime.now(UTC)
