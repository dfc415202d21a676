"""Repositories: SQL in, dataclasses out. Callers group writes with `Database.transaction()`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.clock import stored_time
from bot.domain import (
    OPEN_STATUSES,
    Action,
    ActionRecord,
    ActionResult,
    Case,
    CaseStatus,
    Decision,
    MemberJoin,
    Post,
    Reaction,
    ReviewRecord,
    Severity,
    Verdict,
)
from bot.storage.db import Database
from bot.storage.retention import purge_message_text


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


_dt = stored_time


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # stands in for a time a damaged row lacks


def content_hash(text: str) -> str:
    """Return the SHA-256 of a post's text (kept after the text itself expires)."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


class PostRepo:
    """Posts, their verdicts, reactions and joins."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def save(self, post: Post) -> None:
        """Insert or update a post (an edit replaces the stored text)."""
        await self.db.conn.execute(
            """INSERT INTO posts (id, guild_id, channel_id, thread_id, parent_id, author_id, author_name,
                   author_created_at, author_joined_at, created_at, edited_at, content, content_hash,
                   content_len, truncated)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET content = excluded.content, content_hash = excluded.content_hash,
                   content_len = excluded.content_len, edited_at = excluded.edited_at,
                   truncated = excluded.truncated""",
            (post.id, post.guild_id, post.channel_id, post.thread_id, post.parent_id, post.author_id,
             post.author_name, _iso(post.author_created_at), _iso(post.author_joined_at), _iso(post.created_at),
             _iso(post.edited_at), post.content, content_hash(post.content), len(post.content),
             int(post.truncated)),
        )

    async def save_verdict(self, verdict: Verdict) -> None:
        """Insert or replace the verdict of a post (re-scoring replaces it)."""
        await self.db.conn.execute(
            """INSERT OR REPLACE INTO verdicts (post_id, guild_id, scores, flags, evidence, model_versions,
                   cluster, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (verdict.post_id, verdict.guild_id, json.dumps(verdict.scores), json.dumps(list(verdict.flags)),
             json.dumps(verdict.evidence, default=str), json.dumps(verdict.model_versions), verdict.cluster,
             _iso(verdict.scored_at)),
        )

    async def get(self, post_id: str) -> Post | None:
        """Return a stored post (content None once expired)."""
        async with self.db.conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Post(
            id=row["id"], guild_id=row["guild_id"], channel_id=row["channel_id"], author_id=row["author_id"],
            content=row["content"] or "", created_at=_dt(row["created_at"]) or _EPOCH,
            author_name=row["author_name"], author_created_at=_dt(row["author_created_at"]),
            author_joined_at=_dt(row["author_joined_at"]), thread_id=row["thread_id"],
            parent_id=row["parent_id"], edited_at=_dt(row["edited_at"]), truncated=bool(row["truncated"]),
        )

    async def verdict(self, post_id: str) -> Verdict | None:
        """Return the stored verdict of a post."""
        async with self.db.conn.execute("SELECT * FROM verdicts WHERE post_id = ?", (post_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Verdict(
            post_id=row["post_id"], guild_id=row["guild_id"], scores=json.loads(row["scores"]),
            flags=tuple(json.loads(row["flags"])), evidence=json.loads(row["evidence"]),
            model_versions=json.loads(row["model_versions"]), cluster=row["cluster"],
            scored_at=_dt(row["scored_at"]) or _EPOCH,
        )

    async def save_reaction(self, reaction: Reaction) -> None:
        """Record a reaction (idempotent)."""
        await self.db.conn.execute(
            "INSERT OR IGNORE INTO reactions VALUES (?, ?, ?, ?, ?)",
            (reaction.guild_id, reaction.message_id, reaction.user_id, reaction.emoji, _iso(reaction.created_at)),
        )

    async def save_join(self, join: MemberJoin) -> None:
        """Record a member join (idempotent)."""
        await self.db.conn.execute(
            "INSERT OR IGNORE INTO member_joins VALUES (?, ?, ?, ?)",
            (join.guild_id, join.user_id, _iso(join.created_at), _iso(join.account_created_at)),
        )

    async def purge_content(self, before: datetime) -> int:
        """Forget all stored message text of posts older than `before` (see `bot.storage.retention`)."""
        return await purge_message_text(self.db, before)


def _case(row: Any, post_ids: Sequence[str], author_ids: Sequence[str]) -> Case:
    return Case(
        id=row["id"], guild_id=row["guild_id"], detector=row["detector"], status=CaseStatus(row["status"]),
        severity=Severity(row["severity"]), score=row["score"], post_ids=tuple(post_ids),
        author_ids=tuple(dict.fromkeys(author_ids)), channel_id=row["channel_id"],
        evidence=json.loads(row["evidence"]), model_versions=json.loads(row["model_versions"]),
        created_at=_dt(row["created_at"]) or _EPOCH, updated_at=_dt(row["updated_at"]) or _EPOCH,
        cluster_key=row["group_key"], alert_channel_id=row["alert_channel_id"],
        alert_message_id=row["alert_message_id"], merged_into=row["merged_into"],
        follows_case_id=row["follows_case_id"],
    )


_OPEN = tuple(s.value for s in OPEN_STATUSES)


def _campaigns(*keys: str) -> bool:
    return all(k.startswith("campaign:") for k in keys)


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording one flag did to the cases: which case took the post, and any case it absorbed."""

    case_id: int
    outcome: str  # "opened" | "grew" | "moved" (a campaign merge: posts judged before changed case)
    absorbed: int | None = None  # a case closed as merged into `case_id`
    follows: int | None = None  # the dismissed case a new case follows (an edit that scores higher)


def severity_for(score: float, threshold: float) -> Severity:
    """Grade a flag by how far its score is above the threshold."""
    margin = (score - threshold) / max(1e-6, 1.0 - threshold)
    return Severity.HIGH if margin >= 0.6 else Severity.MEDIUM if margin >= 0.25 else Severity.LOW


class CaseRepo:
    """Cases and the posts in them."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def record_flag(
        self, *, guild_id: str, detector: str, group_key: str, post: Post, score: float,
        severity: Severity, evidence: dict[str, Any], model_versions: dict[str, str],
    ) -> Recorded | None:
        """Attach a flagged post to its open case (or a new one); return what happened, or None.

        None means nothing changed: this version of the post is already in a case for this detector
        (rescanning never duplicates), or the case that holds it was decided and the new version does
        not score higher than the dismissed one. A campaign whose posts now carry another campaign's
        key was merged by the detector: its case is merged into (or re-keyed as) that campaign's case.
        """
        version = _iso(post.edited_at) or ""
        held = await self._memberships(detector, post.id)
        follows: int | None = None
        if held:
            latest = held[0]
            if latest["status"] in _OPEN:
                if latest["group_key"] != group_key and _campaigns(latest["group_key"], group_key):
                    return await self._merge(int(latest["case_id"]), guild_id, detector, group_key, score,
                                             severity, evidence, post.id)
                return None
            if any(row["post_edited_at"] == version for row in held):
                return None
            judged = latest["cp_score"] if latest["cp_score"] is not None else latest["case_score"]
            if latest["status"] != CaseStatus.DISMISSED.value or not version or score <= judged:
                return None
            follows = int(latest["case_id"])  # an edit after a dismissal that scores higher: a new case
        case_id, outcome = await self._attach_to(guild_id, detector, group_key, post, score, severity, evidence,
                                                 model_versions, follows)
        await self.db.conn.execute(
            """INSERT INTO case_posts (case_id, detector, post_id, author_id, added_at, post_edited_at, score)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (case_id, detector, post.id, post.author_id, _iso(self.db.clock()), version, score),
        )
        return Recorded(case_id, outcome, follows=follows)

    async def _memberships(self, detector: str, post_id: str) -> list[Any]:
        """Return the cases holding a post for a detector, newest case first."""
        async with self.db.conn.execute(
            """SELECT cp.case_id, cp.post_edited_at, cp.score AS cp_score, c.status, c.group_key,
                      c.score AS case_score
               FROM case_posts cp JOIN cases c ON c.id = cp.case_id
               WHERE cp.detector = ? AND cp.post_id = ? ORDER BY cp.case_id DESC""",
            (detector, post_id),
        ) as cur:
            return list(await cur.fetchall())

    async def _open_case(self, guild_id: str, detector: str, group_key: str) -> Any:
        async with self.db.conn.execute(
            """SELECT id, score, status FROM cases WHERE guild_id = ? AND detector = ? AND group_key = ?
               AND status IN ('open', 'escalated') ORDER BY id DESC LIMIT 1""",
            (guild_id, detector, group_key),
        ) as cur:
            return await cur.fetchone()

    async def _attach_to(self, guild_id: str, detector: str, group_key: str, post: Post, score: float,
                         severity: Severity, evidence: dict[str, Any], model_versions: dict[str, str],
                         follows: int | None) -> tuple[int, str]:
        """Return (case id, 'opened'|'grew') of the open case that takes the post, creating it if needed."""
        row = await self._open_case(guild_id, detector, group_key)
        stamp = _iso(self.db.clock())
        if row is None:
            cur = await self.db.conn.execute(
                """INSERT INTO cases (guild_id, detector, group_key, status, severity, score, channel_id,
                       evidence, model_versions, created_at, updated_at, follows_case_id)
                   VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?)""",
                (guild_id, detector, group_key, severity.value, score, post.thread_id or post.channel_id,
                 json.dumps(evidence, default=str), json.dumps(model_versions), stamp, stamp, follows),
            )
            return int(cur.lastrowid or 0), "opened"
        await self._grow(int(row["id"]), score, severity, evidence)
        return int(row["id"]), "grew"

    async def _grow(self, case_id: int, score: float, severity: Severity, evidence: dict[str, Any]) -> None:
        await self.db.conn.execute(
            """UPDATE cases SET score = MAX(score, ?), evidence = ?, updated_at = ?,
                   severity = CASE WHEN ? > score THEN ? ELSE severity END WHERE id = ?""",
            (score, json.dumps(evidence, default=str), _iso(self.db.clock()), score, severity.value, case_id),
        )

    async def _merge(self, absorbed: int, guild_id: str, detector: str, group_key: str, score: float,
                     severity: Severity, evidence: dict[str, Any], post_id: str) -> Recorded:
        """Fold the open case of a campaign the detector merged into the surviving campaign's case."""
        target = await self._open_case(guild_id, detector, group_key)
        if target is None:  # the surviving campaign had no case yet: this case becomes its case
            await self.db.conn.execute("UPDATE cases SET group_key = ? WHERE id = ?", (group_key, absorbed))
            await self._grow(absorbed, score, severity, evidence)
            return Recorded(absorbed, "moved")
        into = int(target["id"])
        conn = self.db.conn
        await conn.execute("UPDATE OR IGNORE case_posts SET case_id = ? WHERE case_id = ?", (into, absorbed))
        await conn.execute("DELETE FROM case_posts WHERE case_id = ?", (absorbed,))
        async with conn.execute("SELECT status, score, severity FROM cases WHERE id = ?", (absorbed,)) as cur:
            gone = await cur.fetchone()
        await self._grow(into, max(score, float(gone["score"])), severity, evidence)
        if gone["status"] == CaseStatus.ESCALATED.value:  # an escalation survives the merge
            await conn.execute("UPDATE cases SET status = 'escalated' WHERE id = ? AND status = 'open'", (into,))
        await conn.execute("UPDATE cases SET status = 'merged', merged_into = ?, updated_at = ? WHERE id = ?",
                           (into, _iso(self.db.clock()), absorbed))
        await ReviewRepo(self.db).audit(guild_id, "govmod", "merged", absorbed, into=into, post_id=post_id,
                                        previous_status=gone["status"])
        return Recorded(into, "moved", absorbed=absorbed)

    async def get(self, case_id: int) -> Case | None:
        """Return one case with its posts and authors."""
        async with self.db.conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self.db.conn.execute(
            "SELECT post_id, author_id FROM case_posts WHERE case_id = ? ORDER BY added_at, post_id", (case_id,)
        ) as cur:
            members = await cur.fetchall()
        return _case(row, [m["post_id"] for m in members], [m["author_id"] for m in members])

    async def list(
        self, guild_id: str | None = None, statuses: Iterable[CaseStatus] = (CaseStatus.OPEN,),
        limit: int = 25, offset: int = 0,
    ) -> list[Case]:
        """Return cases oldest first, filtered by guild and status."""
        wanted = [s.value for s in statuses]
        sql = f"SELECT id FROM cases WHERE status IN ({','.join('?' * len(wanted))})"
        args: list[Any] = list(wanted)
        if guild_id is not None:
            sql += " AND guild_id = ?"
            args.append(guild_id)
        sql += " ORDER BY created_at, id LIMIT ? OFFSET ?"
        args += [limit, offset]
        async with self.db.conn.execute(sql, args) as cur:
            ids = [r[0] for r in await cur.fetchall()]
        return [c for c in [await self.get(i) for i in ids] if c is not None]

    async def count(self, guild_id: str | None = None, status: CaseStatus | None = None,
                    since: datetime | None = None) -> int:
        """Count cases, optionally by guild, status and creation time."""
        sql, args = "SELECT COUNT(*) FROM cases WHERE 1=1", []
        for clause, value in (("guild_id = ?", guild_id), ("status = ?", status and status.value),
                              ("created_at >= ?", _iso(since))):
            if value is not None:
                sql += f" AND {clause}"
                args.append(value)
        async with self.db.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def set_status(self, case_id: int, status: CaseStatus) -> None:
        """Change a case's status unconditionally (tests and tools; decisions use `transition`)."""
        await self.db.conn.execute(
            "UPDATE cases SET status = ?, updated_at = ? WHERE id = ?", (status.value, _iso(self.db.clock()), case_id)
        )

    async def transition(self, case_id: int, status: CaseStatus, *, from_: Iterable[CaseStatus]) -> bool:
        """Move a case to `status` only if it is still in one of `from_`; return whether this call did it.

        The check and the write are one statement, so of two moderators deciding at once exactly one wins.
        """
        allowed = [s.value for s in from_]
        cur = await self.db.conn.execute(
            f"UPDATE cases SET status = ?, updated_at = ? WHERE id = ? AND status IN ({','.join('?' * len(allowed))})",
            (status.value, _iso(self.db.clock()), case_id, *allowed),
        )
        return cur.rowcount == 1

    async def set_alert(self, case_id: int, channel_id: str, message_id: str) -> None:
        """Remember the alert message of a case so growth edits it instead of posting again."""
        await self.db.conn.execute(
            "UPDATE cases SET alert_channel_id = ?, alert_message_id = ? WHERE id = ?",
            (channel_id, message_id, case_id),
        )


class ReviewRepo:
    """Moderator decisions and the append-only audit log."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def add(self, review: ReviewRecord) -> int:
        """Store a decision; return its id."""
        cur = await self.db.conn.execute(
            "INSERT INTO reviews (case_id, moderator_id, decision, action, note, created_at) VALUES (?,?,?,?,?,?)",
            (review.case_id, review.moderator_id, review.decision.value, review.action.value, review.note,
             _iso(review.created_at)),
        )
        return int(cur.lastrowid or 0)

    async def for_case(self, case_id: int) -> list[ReviewRecord]:
        """Return the decisions on a case, oldest first."""
        async with self.db.conn.execute(
            "SELECT * FROM reviews WHERE case_id = ? ORDER BY id", (case_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [
            ReviewRecord(case_id=r["case_id"], moderator_id=r["moderator_id"], decision=Decision(r["decision"]),
                   action=Action(r["action"]), note=r["note"], created_at=_dt(r["created_at"]) or _EPOCH, id=r["id"])
            for r in rows
        ]

    async def latest(self, case_id: int) -> ReviewRecord | None:
        """Return the newest decision on a case (who closed it, and when), if any."""
        found = await self.for_case(case_id)
        return found[-1] if found else None

    async def set_note(self, review_id: int, note: str) -> None:
        """Replace the summary kept with a decision (what its actions did, written after acting)."""
        await self.db.conn.execute("UPDATE reviews SET note = ? WHERE id = ?", (note, review_id))

    async def add_actions(self, review_id: int, case_id: int, records: Sequence[ActionRecord]) -> None:
        """Store what each action of a decision did, one row per message or member."""
        stamp = _iso(self.db.clock())
        await self.db.conn.executemany(
            """INSERT INTO review_actions (review_id, case_id, target_kind, target_id, result, detail, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [(review_id, case_id, r.target_kind, r.target_id, r.result.value, r.detail, stamp) for r in records],
        )

    async def actions(self, review_id: int) -> list[ActionRecord]:
        """Return the stored results of a decision's actions, in the order they ran."""
        async with self.db.conn.execute(
            "SELECT * FROM review_actions WHERE review_id = ? ORDER BY id", (review_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [ActionRecord(r["target_kind"], r["target_id"], ActionResult(r["result"]), r["detail"]) for r in rows]

    async def audit(self, guild_id: str, actor_id: str, event: str, case_id: int | None = None,
                    **detail: Any) -> None:
        """Append one line to the audit log (`event` such as 'case.confirm'; detail as keywords)."""
        await self.db.conn.execute(
            "INSERT INTO audit_log (guild_id, actor_id, action, case_id, detail, created_at) VALUES (?,?,?,?,?,?)",
            (guild_id, actor_id, event, case_id, json.dumps(detail, default=str), _iso(self.db.clock())),
        )

    async def audit_rows(self, case_id: int | None = None) -> list[dict[str, Any]]:
        """Return audit rows (all, or for one case) as plain dicts for display."""
        sql = "SELECT * FROM audit_log" + (" WHERE case_id = ?" if case_id is not None else "") + " ORDER BY id"
        async with self.db.conn.execute(sql, (case_id,) if case_id is not None else ()) as cur:
            return [dict(r) for r in await cur.fetchall()]
