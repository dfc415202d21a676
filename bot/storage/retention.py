"""The retention period: forget every stored copy of a post's text once it is older than the period."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.storage.db import Database
from models.types import MESSAGE_TEXT_KEYS


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


async def purge_message_text(db: Database, before: datetime) -> int:
    """Forget all stored message text of posts older than `before`; return how many posts lost their text.

    Text lives in the post itself, in its verdict's evidence (e.g. decoded hidden text) and in the
    evidence of cases whose newest post is older than `before` (the excerpt an alert quotes). Every
    evidence field named in MESSAGE_TEXT_KEYS is removed; hashes, ids, scores and decisions stay.
    """
    cutoff = _iso(before)
    cur = await db.conn.execute(
        "UPDATE posts SET content = NULL WHERE content IS NOT NULL AND created_at < ?", (cutoff,)
    )
    purged = cur.rowcount
    async with db.conn.execute(
        f"""SELECT v.post_id AS id, v.evidence FROM verdicts v JOIN posts p ON p.id = v.post_id
            WHERE p.created_at < ? AND ({_TEXT_FILTER.format(col="v.evidence")})""", (cutoff,)
    ) as rows:
        verdicts = [(r["id"], r["evidence"]) for r in await rows.fetchall()]
    for post_id, evidence in verdicts:
        clean = {name: _without_text(ev) for name, ev in json.loads(evidence).items()}
        await db.conn.execute("UPDATE verdicts SET evidence = ? WHERE post_id = ?",
                              (json.dumps(clean, default=str), post_id))
    async with db.conn.execute(
        f"""SELECT c.id, c.evidence FROM cases c WHERE ({_TEXT_FILTER.format(col="c.evidence")})
            AND (SELECT MAX(p.created_at) FROM case_posts cp JOIN posts p ON p.id = cp.post_id
                 WHERE cp.case_id = c.id) < ?""", (cutoff,)
    ) as rows:
        cases = [(r["id"], r["evidence"]) for r in await rows.fetchall()]
    for case_id, evidence in cases:
        await db.conn.execute("UPDATE cases SET evidence = ? WHERE id = ?",
                              (json.dumps(_without_text(json.loads(evidence)), default=str), case_id))
    return purged


_TEXT_FILTER = " OR ".join(f"{{col}} LIKE '%\"{key}\"%'" for key in MESSAGE_TEXT_KEYS)


def _without_text(evidence: Any) -> Any:
    """Return evidence with every field that quotes message text removed (at any depth)."""
    if isinstance(evidence, dict):
        return {k: _without_text(v) for k, v in evidence.items() if k not in MESSAGE_TEXT_KEYS}
    if isinstance(evidence, list):
        return [_without_text(v) for v in evidence]
    return evidence
