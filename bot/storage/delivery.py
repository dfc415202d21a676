"""The alert outbox (cases whose alert has not reached the moderators yet) and the bot's own small state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.storage.db import Database
from bot.storage.repos import _dt, _iso

WAITING = "waiting for the first attempt"


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """One case that should have an alert and has none, with what happened so far."""

    case_id: int
    guild_id: str
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    """How many alerts of a guild are pending, and why (reason -> count), for `/govmod status`."""

    pending: int
    reasons: tuple[tuple[str, int], ...] = ()
    oldest: datetime | None = None


_PENDING_SQL = """
    SELECT c.id, c.guild_id, c.created_at, o.attempts, o.last_error, o.next_attempt_at
    FROM cases c LEFT JOIN alert_outbox o ON o.case_id = c.id
    WHERE c.alert_message_id IS NULL AND c.status IN ('open', 'escalated') AND c.created_at >= ?
"""


class OutboxRepo:
    """Cases without an alert (open or escalated, younger than `max_age`) and their delivery attempts."""

    def __init__(self, db: Database, *, max_age: timedelta = timedelta(days=7), clock: Clock | None = None) -> None:
        """Bind to a database (and its clock unless given one); older cases are left to `/govmod review`."""
        self.db = db
        self.max_age = max_age
        self.clock: Clock = clock or db.clock

    def _since(self) -> str | None:
        return _iso(self.clock() - self.max_age)

    async def due(self, limit: int = 10) -> list[PendingAlert]:
        """Return pending alerts whose next attempt is due, oldest case first."""
        sql = _PENDING_SQL + " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) ORDER BY c.id LIMIT ?"
        async with self.db.conn.execute(sql, (self._since(), _iso(self.clock()), limit)) as cur:
            rows = await cur.fetchall()
        return [_pending(r) for r in rows]

    async def pending(self, guild_id: str | None = None) -> list[PendingAlert]:
        """Return every pending alert (of one guild, if given), oldest case first."""
        sql, args = _PENDING_SQL, [self._since()]
        if guild_id is not None:
            sql += " AND c.guild_id = ?"
            args.append(guild_id)
        async with self.db.conn.execute(sql + " ORDER BY c.id", args) as cur:
            return [_pending(r) for r in await cur.fetchall()]

    async def summary(self, guild_id: str) -> OutboxSummary:
        """Count a guild's pending alerts by reason."""
        items = await self.pending(guild_id)
        reasons: dict[str, int] = {}
        for item in items:
            reasons[item.last_error or WAITING] = reasons.get(item.last_error or WAITING, 0) + 1
        ordered = tuple(sorted(reasons.items(), key=lambda kv: -kv[1]))
        return OutboxSummary(len(items), ordered, min((i.created_at for i in items), default=None))

    async def backing_off(self, case_id: int) -> bool:
        """Return True if a case's alert failed and its next attempt is not due yet."""
        async with self.db.conn.execute(
            "SELECT next_attempt_at FROM alert_outbox WHERE case_id = ?", (case_id,)
        ) as cur:
            row = await cur.fetchone()
        return bool(row and row[0] and row[0] > (_iso(self.clock()) or ""))

    async def attempts(self, case_id: int) -> int:
        """Return how many attempts to post a case's alert failed so far."""
        async with self.db.conn.execute("SELECT attempts FROM alert_outbox WHERE case_id = ?", (case_id,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def failed(self, case_id: int, reason: str, retry_in: timedelta) -> None:
        """Record a failed (or impossible) attempt and when to try again."""
        stamp = self.clock()
        await self.db.conn.execute(
            """INSERT INTO alert_outbox (case_id, attempts, last_error, last_attempt_at, next_attempt_at)
               VALUES (?, 1, ?, ?, ?)
               ON CONFLICT (case_id) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error,
                   last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at""",
            (case_id, reason, _iso(stamp), _iso(stamp + retry_in)),
        )

    async def delivered(self, case_id: int) -> None:
        """Forget the attempts of a case whose alert was posted."""
        await self.db.conn.execute("DELETE FROM alert_outbox WHERE case_id = ?", (case_id,))

    async def retry_now(self, guild_id: str | None = None) -> int:
        """Make every pending alert (of one guild) due at once, e.g. after a permission was fixed."""
        sql = "UPDATE alert_outbox SET next_attempt_at = NULL"
        args: tuple[str, ...] = ()
        if guild_id is not None:
            sql += " WHERE case_id IN (SELECT id FROM cases WHERE guild_id = ?)"
            args = (guild_id,)
        cur = await self.db.conn.execute(sql, args)
        return cur.rowcount


def _pending(row: Any) -> PendingAlert:
    return PendingAlert(
        case_id=int(row["id"]), guild_id=row["guild_id"],
        created_at=_dt(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
        attempts=int(row["attempts"] or 0), last_error=row["last_error"],
        next_attempt_at=_dt(row["next_attempt_at"]),
    )


class BotStateRepo:
    """Small key/value facts the bot keeps about itself across restarts."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def get(self, key: str) -> str | None:
        """Return a stored value, or None."""
        async with self.db.conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def set(self, key: str, value: str) -> None:
        """Store a value (one statement: atomic without a transaction)."""
        await self.db.conn.execute(
            "INSERT OR REPLACE INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)",
            (key, value, _iso(self.db.clock())),
        )


class ResumeRepo:
    """Where scoring stopped, per channel or thread: re-fetching starts after the newest stored post."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def newest_per_channel(self, guild_id: str) -> dict[str, int]:
        """Return channel or thread id -> the newest stored (scored) message id there."""
        async with self.db.conn.execute(
            """SELECT channel_id, MAX(CAST(id AS INTEGER)) AS newest FROM posts
               WHERE guild_id = ? AND id GLOB '[0-9]*' GROUP BY channel_id""", (guild_id,)
        ) as cur:
            return {r["channel_id"]: int(r["newest"]) for r in await cur.fetchall() if r["newest"]}
