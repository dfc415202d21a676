"""The one place that reads the wall clock: everything else takes a `Clock` and is given one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current UTC time (aware); the default clock of the bot, storage and reports."""
    return datetime.now(UTC)
