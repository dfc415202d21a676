"""Decide when a weekly report is due (pure, with an injected clock) and remember which weeks were sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.reporting.weeks import iso_week_bounds, previous_week, week_of
from bot.storage import Database


def slot_of(week: str, weekday: int, hour: int) -> datetime:
    """Return the moment in `week` when reports go out (weekday 0 = Monday, hour in UTC)."""
    if not 0 <= weekday <= 6 or not 0 <= hour <= 23:
        raise ValueError(f"report time must be weekday 0-6 and hour 0-23, not {weekday}/{hour}")
    start, _ = iso_week_bounds(week)
    return start + timedelta(days=weekday, hours=hour)


def due_week(now: datetime, weekday: int, hour: int, last_sent: str | None) -> str | None:
    """Return the week whose report is due at `now`, or None.

    Once this week's slot has passed, last week's report is due unless it (or a later one) was sent.
    A bot that was down at the slot catches up when it comes back in the same week.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    current = week_of(now)
    if now < slot_of(current, weekday, hour):
        return None
    target = previous_week(current)
    if last_sent is not None and last_sent >= target:  # 'YYYY-Www' strings sort chronologically
        return None
    return target


@dataclass(frozen=True, slots=True)
class ReportTarget:
    """A guild whose moderators configured a report channel."""

    guild_id: str
    channel_id: str
    show_names: bool


async def report_targets(db: Database) -> list[ReportTarget]:
    """Return every guild with a report channel configured."""
    async with db.conn.execute(
        "SELECT guild_id, report_channel_id, show_names FROM guild_settings "
        "WHERE report_channel_id IS NOT NULL ORDER BY guild_id"
    ) as cur:
        rows = await cur.fetchall()
    return [ReportTarget(r["guild_id"], r["report_channel_id"], bool(r["show_names"])) for r in rows]


async def last_sent_week(db: Database, guild_id: str) -> str | None:
    """Return the latest week whose report was sent to a guild."""
    async with db.conn.execute("SELECT MAX(week) FROM report_runs WHERE guild_id = ?", (guild_id,)) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def claim_week(db: Database, guild_id: str, week: str, now: datetime) -> bool:
    """Record a week as sent before sending it; False means it was already claimed (never send twice)."""
    async with db.transaction() as conn:  # its own transaction: never mixed into another task's writes
        cur = await conn.execute(
            "INSERT OR IGNORE INTO report_runs (guild_id, week, sent_at) VALUES (?, ?, ?)",
            (guild_id, week, now.astimezone(UTC).isoformat()),
        )
        return cur.rowcount == 1


async def release_week(db: Database, guild_id: str, week: str) -> None:
    """Forget a claim whose sending failed, so the next check retries it."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM report_runs WHERE guild_id = ? AND week = ?", (guild_id, week))
