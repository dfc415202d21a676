"""Storage: migrations, idempotent cases, append-only audit log, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.domain import Action, CaseStatus, Decision, Post, ReviewRecord, Severity
from bot.storage import CaseRepo, Database, GuildRepo, PostRepo, ReviewRepo, StateRepo
from bot.storage.migrations import MIGRATIONS

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def post(pid: str, author: str = "100", content: str = "hello", when: datetime = T0) -> Post:
    return Post(id=pid, channel_id="10", author_id=author, content=content, created_at=when, guild_id="1")


async def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "g.db")
    assert await db.schema_version() == MIGRATIONS[-1][0]
    await db.close()
    db = await Database.open(tmp_path / "g.db")  # reopening applies nothing twice
    async with db.conn.execute("SELECT COUNT(*) FROM schema_version") as cur:
        assert (await cur.fetchone())[0] == len(MIGRATIONS)
    async with db.conn.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with db.conn.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    await db.close()


_OPENER = """
import asyncio, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from bot.storage import Database
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
async def main():
    db = await Database.open(sys.argv[1])
    await db.close()
asyncio.run(main())
"""


def test_processes_opening_a_new_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    """Four processes open one new database at the same moment: none fails, each migration is applied once."""
    import sqlite3
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[2])
    for attempt in range(3):  # three fresh databases: the race window is small, so give it several chances
        path, go = tmp_path / f"race{attempt}.db", tmp_path / f"go{attempt}"
        procs = [subprocess.Popen([sys.executable, "-c", _OPENER, str(path), str(go), root],
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        go.touch()
        errors = [err for p in procs if (err := p.communicate(timeout=60)[1]) and p.returncode != 0]
        assert errors == []
        with sqlite3.connect(path) as conn:
            versions = [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == [number for number, _ in MIGRATIONS]


async def test_record_flag_groups_and_never_duplicates() -> None:
    db = await Database.open(":memory:")
    posts, cases = PostRepo(db), CaseRepo(db)
    kw = {"guild_id": "1", "detector": "coordination", "score": 0.9, "severity": Severity.HIGH,
          "evidence": {}, "model_versions": {"coordination": "1"}}
    async with db.transaction():
        for p in (post("a", "u1"), post("b", "u2")):
            await posts.save(p)
        first = await cases.record_flag(group_key="campaign:x", post=post("a", "u1"), **kw)
        second = await cases.record_flag(group_key="campaign:x", post=post("b", "u2"), **kw)
        again = await cases.record_flag(group_key="campaign:x", post=post("a", "u1"), **kw)
    assert first is not None and first.outcome == "opened"
    assert second is not None and (second.case_id, second.outcome) == (first.case_id, "grew")
    assert again is None
    case = await cases.get(first.case_id)
    assert case is not None and case.post_ids == ("a", "b") and case.author_ids == ("u1", "u2")
    assert await cases.count(guild_id="1") == 1
    # a closed case is not grown: the next flag opens a fresh case
    await cases.set_status(first.case_id, CaseStatus.DISMISSED)
    async with db.transaction():
        await posts.save(post("c", "u3"))
        third = await cases.record_flag(group_key="campaign:x", post=post("c", "u3"), **kw)
    assert third is not None and third.outcome == "opened" and third.case_id != first.case_id
    await db.close()


async def test_audit_log_is_append_only_and_reviews_round_trip() -> None:
    db = await Database.open(":memory:")
    reviews, cases, posts = ReviewRepo(db), CaseRepo(db), PostRepo(db)
    async with db.transaction():
        await posts.save(post("a"))
        recorded = await cases.record_flag(
            guild_id="1", detector="toxicity", group_key="post:a", post=post("a"), score=0.9,
            severity=Severity.HIGH, evidence={"summary": "insult"}, model_versions={})
        assert recorded is not None
        case_id = recorded.case_id
        await reviews.add(ReviewRecord(case_id, "mod1", Decision.CONFIRM, Action.DELETE, "rude", T0))
        await reviews.audit("1", "mod1", "case.confirm", case_id, action="delete")
    (rev,) = await reviews.for_case(case_id)
    assert rev.decision is Decision.CONFIRM and rev.action is Action.DELETE and rev.moderator_id == "mod1"
    rows = await reviews.audit_rows(case_id)
    assert rows[0]["actor_id"] == "mod1" and rows[0]["action"] == "case.confirm"
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await db.conn.execute("DELETE FROM audit_log")
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await db.conn.execute("UPDATE audit_log SET actor_id = 'x'")
    await db.close()


async def test_retention_forgets_text_but_keeps_hash() -> None:
    db = await Database.open(":memory:")
    repo = PostRepo(db)
    async with db.transaction():
        await repo.save(post("old", content="secret", when=T0 - timedelta(days=40)))
        await repo.save(post("new", content="recent", when=T0))
    assert await repo.purge_content(T0 - timedelta(days=30)) == 1
    async with db.conn.execute("SELECT id, content, content_hash FROM posts ORDER BY id") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows[0][0] == "new" and rows[0][1] == "recent"
    assert rows[1][0] == "old" and rows[1][1] is None and len(rows[1][2]) == 64
    await db.close()


async def test_guild_policy_and_detector_state() -> None:
    db = await Database.open(":memory:")
    guilds, state = GuildRepo(db), StateRepo(db)
    await guilds.watch("1", "10")
    await guilds.set_threshold("1", "toxicity", 0.8)
    await guilds.update("1", alert_channel_id="99")
    config = await guilds.get("1")
    assert config.watched == {"10"} and config.alert_channel_id == "99"
    assert config.policy({"toxicity": 0.5, "ai_generated": 0.7}).thresholds == {"toxicity": 0.8, "ai_generated": 0.7}
    with pytest.raises(ValueError, match="unknown guild settings"):
        await guilds.update("1", evil="x")
    await state.save("ai_generated", {"1:100": {"n": 3}})
    assert await state.load("ai_generated", ["1:100", "1:101"]) == {"1:100": {"n": 3}}
    await db.close()


async def test_unopenable_database_gives_a_clear_error(tmp_path: Path) -> None:
    from bot.storage import StorageError

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot open database"):
        await Database.open(blocker / "g.db")


async def test_retention_removes_message_text_from_every_table_that_holds_it() -> None:
    """Post text, the excerpt a case quotes and decoded hidden text in evidence all go; ids and scores stay."""
    from bot.domain import MESSAGE_TEXT_KEYS, Verdict

    db = await Database.open(":memory:")
    posts, cases = PostRepo(db), CaseRepo(db)
    old, new = post("old", content="SECRET old text", when=T0 - timedelta(days=40)), post("new", content="fresh")
    async with db.transaction():
        for p in (old, new):
            await posts.save(p)
            evidence = {"prompt_injection": {"summary": "hidden instructions",
                                             "hidden_text": [f"SECRET decoded {p.id}"], "signals": ["base64"]}}
            await posts.save_verdict(Verdict(post_id=p.id, guild_id="1", scores={"prompt_injection": 0.9},
                                             flags=("prompt_injection",), evidence=evidence, model_versions={},
                                             scored_at=p.created_at))
            await cases.record_flag(guild_id="1", detector="prompt_injection", group_key=f"post:{p.id}", post=p,
                                    score=0.9, severity=Severity.HIGH, model_versions={},
                                    evidence={"excerpt": f"SECRET {p.id}", "author_id": p.author_id,
                                              "hidden_text": ["SECRET"], "summary": "hidden instructions"})
    async with db.transaction():
        assert await posts.purge_content(T0 - timedelta(days=30)) == 1
    dump = []
    for table in ("posts", "verdicts", "cases", "case_posts", "reviews", "audit_log", "detector_state"):
        async with db.conn.execute(f"SELECT * FROM {table}") as cur:
            dump += [(table, tuple(r)) for r in await cur.fetchall()]
    text = str(dump)
    assert "SECRET old" not in text and "SECRET decoded old" not in text  # the old post's text is nowhere
    assert "SECRET new" in text and "SECRET decoded new" in text  # the recent post keeps everything
    old_verdict = await posts.verdict("old")
    assert old_verdict is not None and old_verdict.scores == {"prompt_injection": 0.9}
    assert old_verdict.evidence["prompt_injection"] == {"summary": "hidden instructions", "signals": ["base64"]}
    old_case, new_case = await cases.get(1), await cases.get(2)
    assert old_case is not None and old_case.post_ids == ("old",) and new_case is not None
    assert not set(old_case.evidence) & set(MESSAGE_TEXT_KEYS) and old_case.evidence["author_id"] == "100"
    assert new_case.evidence["excerpt"] == "SECRET new"
    await db.close()


async def test_a_migration_that_lands_later_with_a_lower_number_still_runs(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.storage.db as dbmod

    db = await Database.open(tmp_path / "g.db")
    await db.close()
    numbers = {n for n, _ in MIGRATIONS}
    late = min(set(range(1, max(numbers) + 2)) - numbers)  # below the highest while the numbering has a gap
    monkeypatch.setattr(dbmod, "MIGRATIONS", sorted([*MIGRATIONS, (late, "CREATE TABLE late_one (x INTEGER);")]))
    db = await Database.open(tmp_path / "g.db")
    async with db.conn.execute("SELECT name FROM sqlite_master WHERE name = 'late_one'") as cur:
        assert await cur.fetchone() is not None
    await db.close()
