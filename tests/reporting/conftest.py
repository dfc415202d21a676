"""A seeded database whose weekly numbers were worked out by hand (see test_data.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.domain import Post, Verdict
from bot.storage import Database, PostRepo

G = "g1"
NEW = datetime(2026, 11, 10, tzinfo=UTC)  # 200, 201, 202: accounts made days before the campaign
ACCOUNTS = {
    "100": ("alice", datetime(2024, 1, 1, tzinfo=UTC)),
    "101": ("bob", datetime(2023, 5, 1, tzinfo=UTC)),
    "200": ("sock1", NEW),
    "201": ("sock2", NEW),
    "202": ("sock3", NEW),
    "300": ("carol", datetime(2026, 9, 1, tzinfo=UTC)),
}
LONG = "@everyone vote YES on prop 12 now, " + "the treasury plan is great and fair " * 10
# id: (time, author, channel, thread, flags with scores, content); flags None = never scored
POSTS: dict[str, tuple[datetime, str, str, str | None, dict[str, float] | None, str]] = {
    # week 2026-W46
    "r1": (datetime(2026, 11, 3, 10, tzinfo=UTC), "101", "c2", None, {"toxicity": 0.9}, "w45 rude"),
    "q1": (datetime(2026, 11, 10, 10, tzinfo=UTC), "100", "c1", None, {}, "fine"),
    "q2": (datetime(2026, 11, 11, 10, tzinfo=UTC), "101", "c2", None, {"toxicity": 0.9}, "rude"),
    "q3": (datetime(2026, 11, 12, 10, tzinfo=UTC), "200", "c1", None, {}, "hello"),
    "q4": (datetime(2026, 11, 13, 10, tzinfo=UTC), "201", "c1", "t1", {"coordination": 0.8}, "vote yes"),
    "q5": (datetime(2026, 11, 14, 10, tzinfo=UTC), "202", "c1", "t1", {"coordination": 0.8}, "vote yes!"),
    # week 2026-W47
    "p1": (datetime(2026, 11, 16, 10, tzinfo=UTC), "100", "c1", None, {}, "SECRET-UNFLAGGED opinion"),
    "p2": (datetime(2026, 11, 16, 11, tzinfo=UTC), "200", "c1", "t1", {"coordination": 0.9}, LONG),
    "p3": (datetime(2026, 11, 16, 11, 5, tzinfo=UTC), "201", "c1", "t1", {"coordination": 0.85}, "yes on 12"),
    "p4": (datetime(2026, 11, 16, 11, 10, tzinfo=UTC), "202", "c1", "t1",
           {"coordination": 0.8, "ai_generated": 0.95}, "As a long-time member, I fully support proposal 12."),
    "p5": (datetime(2026, 11, 17, 9, tzinfo=UTC), "101", "c2", None, {"toxicity": 0.97}, "you idiots"),
    "p6": (datetime(2026, 11, 18, 12, tzinfo=UTC), "300", "c2", None, {"ai_generated": 0.7}, "In conclusion, A"),
    "p7": (datetime(2026, 11, 18, 13, tzinfo=UTC), "300", "c2", None, {"ai_generated": 0.75}, "In conclusion, B"),
    "p8": (datetime(2026, 11, 19, 8, tzinfo=UTC), "100", "c1", None, {}, "another SECRET-UNFLAGGED"),
    "p9": (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), "101", "c2", None, {"toxicity": 0.6}, "rude again"),
    "p10": (datetime(2026, 11, 20, 10, tzinfo=UTC), "200", "c2", None, None, "not scored yet"),
    # week 2026-W48: outside the report
    "p11": (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "100", "c2", None, {"toxicity": 0.99}, "next week"),
}


def h(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a time in November 2026 (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# id: (detector, group_key, status, opened at, posts, first review (decision, time) or None)
CASES: dict[int, tuple[str, str, str, datetime, tuple[str, ...], tuple[str, datetime] | None]] = {
    1: ("coordination", "campaign:k1", "confirmed", h(16, 11, 15), ("p2", "p3", "p4"), ("confirm", h(16, 13, 15))),
    2: ("ai_generated", "author:202", "dismissed", h(16, 11, 10), ("p4",), ("dismiss", h(17, 11, 10))),
    3: ("toxicity", "post:p5", "confirmed", h(17, 9), ("p5",), ("confirm", h(17, 10))),
    4: ("ai_generated", "author:300", "open", h(18, 12), ("p6", "p7"), None),
    5: ("toxicity", "post:p9", "escalated", h(22, 23, 59), ("p9",), ("escalate", h(23, 5, 59))),
    6: ("toxicity", "post:q2", "dismissed", h(11, 10), ("q2",), ("dismiss", h(11, 12))),
    7: ("toxicity", "post:r1", "confirmed", h(3, 10), ("r1",), ("confirm", h(3, 11))),
    8: ("coordination", "campaign:k0", "dismissed", h(14, 10), ("q4", "q5"), ("dismiss", h(15, 10))),
    9: ("toxicity", "post:p11", "open", h(23, 0), ("p11",), None),
}


async def seed(db: Database) -> None:
    """Store the posts, verdicts, cases and reviews above (and one post of another guild)."""
    repo = PostRepo(db)
    for post_id, (when, author, channel, thread, flags, text) in POSTS.items():
        name, created = ACCOUNTS[author]
        await repo.save(Post(id=post_id, guild_id=G, channel_id=channel, thread_id=thread, author_id=author,
                             author_name=name, author_created_at=created, content=text, created_at=when))
        if flags is not None:
            await repo.save_verdict(Verdict(post_id=post_id, guild_id=G, scores={"toxicity": 0.01, **flags},
                                            flags=tuple(flags), evidence={}, model_versions={}, scored_at=when))
    await repo.save(Post(id="x1", guild_id="g2", channel_id="c9", author_id="900", content="other guild",
                         created_at=h(17, 10)))
    await repo.save_verdict(Verdict(post_id="x1", guild_id="g2", scores={"toxicity": 0.99}, flags=("toxicity",),
                                    evidence={}, model_versions={}))
    for case_id, (detector, key, status, opened, post_ids, review) in CASES.items():
        await db.conn.execute(
            """INSERT INTO cases (id, guild_id, detector, group_key, status, severity, score, evidence,
                   model_versions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'high', 0.9, '{}', '{}', ?, ?)""",
            (case_id, G, detector, key, status, opened.isoformat(), opened.isoformat()))
        for post_id in post_ids:
            await db.conn.execute(
                "INSERT INTO case_posts (case_id, detector, post_id, author_id, added_at) VALUES (?, ?, ?, ?, ?)",
                (case_id, detector, post_id, POSTS[post_id][1], opened.isoformat()))
        if review:
            await db.conn.execute(
                "INSERT INTO reviews (case_id, moderator_id, decision, action, note, created_at) "
                "VALUES (?, 'mod1', ?, 'none', ?, ?)", (case_id, review[0], json.dumps(None), review[1].isoformat()))


@pytest.fixture
async def seeded() -> AsyncIterator[Database]:
    """Yield an in-memory database holding the seed."""
    db = await Database.open(":memory:")
    await seed(db)
    try:
        yield db
    finally:
        await db.close()
