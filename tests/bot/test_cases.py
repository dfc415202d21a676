"""Case storage: migration 4 on a database with data, atomic transitions, campaign merges, notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

import bot.storage.db as db_module
from bot.domain import OPEN_STATUSES, CaseStatus, Post, Severity
from bot.storage import CaseRepo, Database, PostRepo
from bot.storage.casebook import HistoryRepo, NoteRepo
from bot.storage.migrations import MIGRATIONS

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)
FLAG = {"guild_id": "1", "detector": "coordination", "score": 0.9, "severity": Severity.HIGH, "evidence": {},
        "model_versions": {}}


def post(pid: str, author: str) -> Post:
    return Post(id=pid, channel_id="10", author_id=author, content="same text", created_at=T0, guild_id="1")


async def test_migration_4_keeps_existing_cases_and_allows_merged(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    monkeypatch.setattr(db_module, "MIGRATIONS", [m for m in MIGRATIONS if m[0] < 4])
    old = await Database.open(path)
    async with old.transaction():
        await PostRepo(old).save(post("a", "u1"))
        await old.conn.execute(
            """INSERT INTO cases (id, guild_id, detector, group_key, status, severity, score, evidence,
                   model_versions, created_at, updated_at) VALUES (7, '1', 'toxicity', 'post:a', 'confirmed',
                   'high', 0.9, '{}', '{}', ?, ?)""", (T0.isoformat(), T0.isoformat()))
        await old.conn.execute("INSERT INTO case_posts VALUES (7, 'toxicity', 'a', 'u1', ?)", (T0.isoformat(),))
    await old.close()
    monkeypatch.setattr(db_module, "MIGRATIONS", MIGRATIONS)
    db = await Database.open(path)
    case = await CaseRepo(db).get(7)
    assert case is not None and case.status is CaseStatus.CONFIRMED and case.post_ids == ("a",)
    await CaseRepo(db).set_status(7, CaseStatus.MERGED)  # the new status is accepted on this connection
    with pytest.raises(aiosqlite.IntegrityError, match="CHECK"):
        await db.conn.execute("UPDATE cases SET status = 'bogus' WHERE id = 7")
    async with db.conn.execute("PRAGMA integrity_check") as cur:
        assert (await cur.fetchone())[0] == "ok"
    async with db.conn.execute("PRAGMA foreign_key_check") as cur:
        assert await cur.fetchall() == []
    await db.close()


async def test_transition_happens_once() -> None:
    db = await Database.open(":memory:")
    cases = CaseRepo(db)
    async with db.transaction():
        await PostRepo(db).save(post("a", "u1"))
        recorded = await cases.record_flag(group_key="post:a", post=post("a", "u1"), **FLAG)
    assert recorded is not None
    assert await cases.transition(recorded.case_id, CaseStatus.CONFIRMED, from_=OPEN_STATUSES)
    assert not await cases.transition(recorded.case_id, CaseStatus.DISMISSED, from_=OPEN_STATUSES)
    assert (await cases.get(recorded.case_id)).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]
    await db.close()


async def test_a_merged_campaign_without_a_case_of_its_own_re_keys_the_case() -> None:
    db = await Database.open(":memory:")
    cases = CaseRepo(db)
    async with db.transaction():
        for p in (post("a", "u1"), post("b", "u2")):
            await PostRepo(db).save(p)
            await cases.record_flag(group_key="campaign:B", post=p, **FLAG)
        # the detector merged campaign B into A, which had no case yet
        moved = await cases.record_flag(group_key="campaign:A", post=post("a", "u1"), **FLAG)
        again = await cases.record_flag(group_key="campaign:A", post=post("b", "u2"), **FLAG)
    assert moved is not None and moved.outcome == "moved" and moved.absorbed is None
    assert again is None
    (case,) = await cases.list("1")
    assert case.id == moved.case_id and case.cluster_key == "campaign:A" and case.post_ids == ("a", "b")
    await db.close()


async def test_notes_and_history_are_per_guild() -> None:
    db = await Database.open(":memory:")
    async with db.transaction():
        await PostRepo(db).save(post("a", "u1"))
        recorded = await CaseRepo(db).record_flag(group_key="post:a", post=post("a", "u1"), **FLAG)
        assert recorded is not None
        await NoteRepo(db).add("1", recorded.case_id, "mod1", "  looked at it  ")
        with pytest.raises(ValueError, match="needs some text"):
            await NoteRepo(db).add("1", recorded.case_id, "mod1", "   ")
    (note,) = await NoteRepo(db).for_case(recorded.case_id)
    assert note.text == "looked at it" and note.author_id == "mod1"
    (item,) = await HistoryRepo(db).cases("1", "u1")
    assert item.case_id == recorded.case_id and item.notes == (note,)
    assert await HistoryRepo(db).cases("2", "u1") == []
    summary = await HistoryRepo(db).summary("1", "u1", watched=["10"])
    assert summary.total == 1 and summary.first_post_id == "a" and summary.by_detector == {"coordination": 1}
    await db.close()


async def test_the_real_coordination_detector_merging_two_campaigns_leaves_one_case() -> None:
    import numpy as np

    from bot.pipeline import BatchContext, Pipeline
    from bot.service import ScanService
    from models.coordination.detector import CoordinationDetector
    from models.normalize import normalize

    def sock(author: str, text: str, at: datetime, pid: int) -> Post:
        return Post(id=str(pid), channel_id="10", author_id=author, content=text, created_at=at, guild_id="1",
                    author_created_at=at - timedelta(days=3), author_joined_at=at - timedelta(hours=5))

    shared = "vote yes on the proposal before friday, it is long overdue and good for every holder"
    text_a, text_b = f"treasury diversification now: {shared}", f"{shared}; grants council expansion too"
    bridge = f"treasury diversification now: {shared}; grants council expansion too"
    det = CoordinationDetector()
    rng = np.random.default_rng(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron".split()
    start = T0 - timedelta(days=1.5)
    for i in range(216):  # a day and a half of unrelated chatter ends the detector's warm-up
        p = Post(id=str(10_000 + i), channel_id="10", author_id=f"bg{i % 40}", guild_id="1",
                 content=" ".join(rng.choice(words, 8)) + f" {i}", created_at=start + timedelta(minutes=10 * i))
        det.score([p], BatchContext(texts=[normalize(p.content)], embeddings=None))
    det.revisions()
    db = await Database.open(":memory:")
    service = ScanService(Pipeline(None, [det]), db)
    pid = iter(range(50_000, 60_000))
    for i in range(6):
        await service.process([sock(f"a{i}", text_a, T0 + timedelta(seconds=20 * i), next(pid))])
    for i in range(6):
        await service.process([sock(f"b{i}", text_b, T0 + timedelta(minutes=5, seconds=20 * i), next(pid))])
    first, second = await CaseRepo(db).list("1")
    assert (len(first.post_ids), len(second.post_ids)) == (6, 6)
    result = await service.process([sock("m", bridge, T0 + timedelta(minutes=10), next(pid))])
    (survivor,) = await CaseRepo(db).list("1")
    assert survivor.id == first.id and len(survivor.post_ids) == 13 and len(survivor.author_ids) == 13
    gone = await CaseRepo(db).get(second.id)
    assert gone is not None and gone.status is CaseStatus.MERGED and gone.merged_into == first.id
    assert {(u.case_id, u.outcome) for u in result.cases} >= {(first.id, "moved"), (second.id, "merged")}
    await db.close()
