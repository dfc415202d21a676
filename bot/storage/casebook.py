"""Moderators' notes on cases and a member's case history (SQL in, dataclasses out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Action, CaseNote, CaseStatus, Decision
from bot.storage.db import Database
from bot.storage.repos import _EPOCH, ReviewRepo, _dt, _iso

NOTE_MAX = 1000  # characters kept of one note (a modal allows this much)


@dataclass(frozen=True, slots=True)
class MemberCase:
    """One case a member appears in, as their history lists it."""

    case_id: int
    detector: str
    status: CaseStatus
    score: float
    created_at: datetime
    channel_id: str | None
    first_post_id: str | None
    first_post_channel_id: str | None
    alert_channel_id: str | None
    alert_message_id: str | None
    merged_into: int | None
    decision: Decision | None = None
    action: Action | None = None
    moderator_id: str | None = None
    decided_at: datetime | None = None
    notes: tuple[CaseNote, ...] = ()


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """What the history header says about a member: counts and their first post in watched channels."""

    total: int
    by_status: dict[str, int] = field(default_factory=dict)
    by_detector: dict[str, int] = field(default_factory=dict)
    first_post_at: datetime | None = None
    first_post_channel_id: str | None = None
    first_post_id: str | None = None


class NoteRepo:
    """Moderators' notes on cases; each note is also one line of the audit log."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def add(self, guild_id: str, case_id: int, author_id: str, text: str) -> CaseNote:
        """Store a note (trimmed, at most NOTE_MAX characters) and its audit line; call inside a transaction."""
        clean = text.strip()[:NOTE_MAX]
        if not clean:
            raise ValueError("a note needs some text")
        stamp = self.db.clock()
        cur = await self.db.conn.execute(
            "INSERT INTO case_notes (case_id, guild_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
            (case_id, guild_id, author_id, clean, _iso(stamp)),
        )
        note = CaseNote(case_id, author_id, clean, stamp, int(cur.lastrowid or 0))
        await ReviewRepo(self.db).audit(guild_id, author_id, "note", case_id, note_id=note.id, text=clean)
        return note

    async def for_cases(self, case_ids: Iterable[int]) -> dict[int, list[CaseNote]]:
        """Return the notes of several cases, oldest first."""
        ids = list(case_ids)
        out: dict[int, list[CaseNote]] = {i: [] for i in ids}
        if not ids:
            return out
        async with self.db.conn.execute(
            f"SELECT * FROM case_notes WHERE case_id IN ({','.join('?' * len(ids))}) ORDER BY id", ids
        ) as cur:
            for r in await cur.fetchall():
                out[r["case_id"]].append(CaseNote(r["case_id"], r["author_id"], r["text"],
                                                  _dt(r["created_at"]) or _EPOCH, r["id"]))
        return out

    async def for_case(self, case_id: int) -> list[CaseNote]:
        """Return one case's notes, oldest first."""
        return (await self.for_cases([case_id]))[case_id]


_MEMBER_CASES = """
    SELECT c.id, c.detector, c.status, c.score, c.created_at, c.channel_id, c.alert_channel_id,
           c.alert_message_id, c.merged_into,
           (SELECT cp2.post_id FROM case_posts cp2 JOIN posts p ON p.id = cp2.post_id
             WHERE cp2.case_id = c.id AND cp2.author_id = ? ORDER BY p.created_at LIMIT 1) AS first_post_id
    FROM cases c
    WHERE c.guild_id = ? AND c.status != 'merged'
      AND c.id IN (SELECT case_id FROM case_posts WHERE author_id = ?)
"""


class HistoryRepo:
    """A member's cases across every detector, newest first, with decisions and notes."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def cases(self, guild_id: str, user_id: str, *, limit: int = 5, offset: int = 0) -> list[MemberCase]:
        """Return one page of a member's cases, newest first (merged cases live on in the case that took them)."""
        async with self.db.conn.execute(
            _MEMBER_CASES + " ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (user_id, guild_id, user_id, limit, offset),
        ) as cur:
            rows = await cur.fetchall()
        notes = await NoteRepo(self.db).for_cases(r["id"] for r in rows)
        out = []
        for r in rows:
            review = await ReviewRepo(self.db).latest(r["id"])
            channel = await self._post_channel(r["first_post_id"])
            out.append(MemberCase(
                case_id=r["id"], detector=r["detector"], status=CaseStatus(r["status"]), score=r["score"],
                created_at=_dt(r["created_at"]) or _EPOCH, channel_id=r["channel_id"],
                first_post_id=r["first_post_id"], first_post_channel_id=channel,
                alert_channel_id=r["alert_channel_id"], alert_message_id=r["alert_message_id"],
                merged_into=r["merged_into"], decision=review.decision if review else None,
                action=review.action if review else None, moderator_id=review.moderator_id if review else None,
                decided_at=review.created_at if review else None, notes=tuple(notes[r["id"]]),
            ))
        return out

    async def _post_channel(self, post_id: str | None) -> str | None:
        if post_id is None:
            return None
        async with self.db.conn.execute("SELECT channel_id FROM posts WHERE id = ?", (post_id,)) as cur:
            row = await cur.fetchone()
        return row["channel_id"] if row else None

    async def summary(self, guild_id: str, user_id: str, watched: Iterable[str]) -> MemberSummary:
        """Return a member's case counts and their first stored post in the watched channels."""
        async with self.db.conn.execute(
            """SELECT c.status, c.detector FROM cases c WHERE c.guild_id = ? AND c.status != 'merged'
               AND c.id IN (SELECT case_id FROM case_posts WHERE author_id = ?)""", (guild_id, user_id)
        ) as cur:
            rows = await cur.fetchall()
        chans = sorted(set(watched))
        first = None
        if chans:
            marks = ",".join("?" * len(chans))
            async with self.db.conn.execute(
                f"""SELECT id, channel_id, created_at FROM posts WHERE guild_id = ? AND author_id = ?
                    AND id NOT LIKE 'profile:%' AND (channel_id IN ({marks}) OR parent_id IN ({marks}))
                    ORDER BY created_at LIMIT 1""", (guild_id, user_id, *chans, *chans)
            ) as cur:
                first = await cur.fetchone()
        return MemberSummary(
            total=len(rows), by_status=dict(Counter(r["status"] for r in rows)),
            by_detector=dict(Counter(r["detector"] for r in rows)),
            first_post_at=_dt(first["created_at"]) if first else None,
            first_post_channel_id=first["channel_id"] if first else None, first_post_id=first["id"] if first else None,
        )

    async def earlier(self, guild_id: str, author_ids: Sequence[str], before_case: int) -> dict[str, int]:
        """Return, per author, how many cases they appeared in before case `before_case` (merged ones aside)."""
        out = dict.fromkeys(author_ids, 0)
        ids = list(out)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            async with self.db.conn.execute(
                f"""SELECT cp.author_id, COUNT(DISTINCT c.id) AS n FROM cases c JOIN case_posts cp ON cp.case_id = c.id
                    WHERE c.guild_id = ? AND c.id < ? AND c.status != 'merged'
                    AND cp.author_id IN ({','.join('?' * len(chunk))}) GROUP BY cp.author_id""",
                (guild_id, before_case, *chunk),
            ) as cur:
                out.update({r["author_id"]: int(r["n"]) for r in await cur.fetchall()})
        return out
