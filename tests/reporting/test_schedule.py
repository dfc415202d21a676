"""The weekly schedule with a controlled clock: once per week per guild, across restarts, never twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.reporting.schedule import (
    claim_week,
    due_week,
    last_sent_week,
    release_week,
    report_targets,
    slot_of,
)
from bot.storage import Database, GuildRepo

MON, HOUR = 0, 9  # Monday 09:00 UTC
W48_SLOT = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday of 2026-W48: the 2026-W47 report goes out


@pytest.mark.parametrize(("now", "last", "due"), [
    (W48_SLOT - timedelta(seconds=1), "2026-W46", None),  # before the slot
    (W48_SLOT, "2026-W46", "2026-W47"),  # at the slot
    (W48_SLOT + timedelta(days=3), "2026-W46", "2026-W47"),  # down at the slot: catch up later that week
    (W48_SLOT + timedelta(minutes=5), "2026-W47", None),  # already sent
    (W48_SLOT, None, "2026-W47"),  # first report ever
    (W48_SLOT + timedelta(days=7), "2026-W47", "2026-W48"),  # the next week
    (datetime(2027, 1, 4, 9, tzinfo=UTC), "2026-W52", "2026-W53"),  # across the year
    (datetime(2026, 11, 23, 10, tzinfo=UTC).astimezone(), "2026-W46", "2026-W47"),  # local tz is converted
])
def test_due_week(now: datetime, last: str | None, due: str | None) -> None:
    assert due_week(now, MON, HOUR, last) == due


def test_other_weekday_and_bad_settings() -> None:
    assert slot_of("2026-W47", 4, 17) == datetime(2026, 11, 20, 17, tzinfo=UTC)
    assert due_week(datetime(2026, 11, 20, 16, 59, tzinfo=UTC), 4, 17, "2026-W45") is None
    assert due_week(datetime(2026, 11, 20, 17, tzinfo=UTC), 4, 17, "2026-W45") == "2026-W46"
    with pytest.raises(ValueError):
        slot_of("2026-W47", 7, 9)


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    """Yield an empty in-memory database."""
    database = await Database.open(":memory:")
    yield database
    await database.close()


async def test_claims_are_stored_and_never_granted_twice(db: Database) -> None:
    assert await last_sent_week(db, "g1") is None
    assert await claim_week(db, "g1", "2026-W47", W48_SLOT)
    assert not await claim_week(db, "g1", "2026-W47", W48_SLOT + timedelta(minutes=5))
    assert await claim_week(db, "g2", "2026-W47", W48_SLOT)  # per guild
    assert await last_sent_week(db, "g1") == "2026-W47"
    await release_week(db, "g1", "2026-W47")
    assert await last_sent_week(db, "g1") is None


async def test_simulated_weeks_send_once_each(db: Database) -> None:
    """Tick every 5 minutes for three weeks (only the database remembers anything): one report per week."""
    sent: list[tuple[str, datetime]] = []
    now = datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    while now < datetime(2026, 12, 9, tzinfo=UTC):
        week = due_week(now, MON, HOUR, await last_sent_week(db, "g1"))
        if week is not None and await claim_week(db, "g1", week, now):
            sent.append((week, now))
        now += timedelta(minutes=5)
    assert sent == [
        ("2026-W46", datetime(2026, 11, 18, 0, 0, tzinfo=UTC)),  # started mid-week after the slot: catch up
        ("2026-W47", datetime(2026, 11, 23, 9, tzinfo=UTC)),
        ("2026-W48", datetime(2026, 11, 30, 9, tzinfo=UTC)),
        ("2026-W49", datetime(2026, 12, 7, 9, tzinfo=UTC)),
    ]


async def test_report_targets(db: Database) -> None:
    await GuildRepo(db).update("g1", report_channel_id="55", show_names=1)
    await GuildRepo(db).update("g2", alert_channel_id="66")
    targets = await report_targets(db)
    assert [(t.guild_id, t.channel_id, t.show_names) for t in targets] == [("g1", "55", True)]
