"""Coordination campaigns are never lost, survive restarts, stay flat under floods, and count edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bot.domain import Post
from bot.pipeline import BatchContext
from models.coordination.detector import CoordinationDetector
from models.normalize import normalize
from tests.models.coordination.helpers import T0, feed, near, post, unit, warm

# ---- campaigns are never lost, survive restarts, floods stay flat, edits count ------------------

CAMPAIGN = "Vote NO on AIP-51, the core team is grabbing the treasury and nobody is watching them."


def ordinary(rng: np.random.Generator, n: int, start: datetime, every: timedelta) -> list[Post]:
    """Return n ordinary posts by 60 established members, each text different."""
    vocab = ("when is the next call about grants I think the forum post explains the budget ok but "
             "who reviews audits anyway thanks for sharing the notes see you all at the town hall").split()
    return [post(f"m{i % 60}", " ".join(rng.choice(vocab, 9)) + f" #{i}", start + every * i,
                 topic=str(rng.choice(["general", "aip-51", "governance"]))) for i in range(n)]


async def _service(path: Any) -> tuple[Any, Any, CoordinationDetector]:
    from bot.pipeline import Pipeline
    from bot.service import ScanService
    from bot.storage import Database

    db = await Database.open(path)
    det = CoordinationDetector()
    return db, ScanService(Pipeline(None, [det]), db), det


async def _campaign_cases(db: Any) -> list[Any]:
    from bot.domain import CaseStatus
    from bot.storage import CaseRepo

    return [c for c in await CaseRepo(db).list(statuses=tuple(CaseStatus), limit=100) if c.detector == "coordination"]


async def test_campaign_keeps_flags_cluster_and_case_after_1000_ordinary_posts(tmp_path: Any) -> None:
    rng = np.random.default_rng(21)
    db, service, _ = await _service(tmp_path / "g.db")
    history = ordinary(rng, 480, T0 - timedelta(days=2), timedelta(minutes=6))
    camp = [post(f"fresh{i}", CAMPAIGN, T0 + timedelta(minutes=5 * i), topic="aip-51", fresh=True) for i in range(5)]
    after = ordinary(rng, 1000, T0 + timedelta(minutes=25), timedelta(minutes=3))
    stream = history + camp + after
    for start in range(0, len(stream), 240):  # scan batches: one batch holds the campaign and 14 h after it
        await service.process(stream[start:start + 240])
    verdicts = [await service.posts.verdict(p.id) for p in camp]
    assert all("coordination" in v.flags for v in verdicts)
    assert {v.cluster for v in verdicts} == {f"camp-0-{camp[0].id}"}
    cases = await _campaign_cases(db)
    assert len(cases) == 1 and set(cases[0].post_ids) == {p.id for p in camp}
    await db.close()


async def test_restart_mid_campaign_keeps_campaign_id_and_its_one_case(tmp_path: Any) -> None:
    rng = np.random.default_rng(22)
    camp = [post(f"fresh{i}", CAMPAIGN, T0 + timedelta(minutes=4 * i), topic="aip-51", fresh=True) for i in range(6)]
    db, service, det = await _service(tmp_path / "g.db")
    await service.process(ordinary(rng, 400, T0 - timedelta(days=2), timedelta(minutes=7)))
    await service.process(camp[:3])
    held = det.memory_stats()
    first = await service.posts.verdict(camp[0].id)
    assert "coordination" in first.flags
    await db.close()

    db, service, det = await _service(tmp_path / "g.db")  # a new detector, pipeline and connection
    await service.process(camp[3:])
    restored = det.memory_stats()  # the window came back, not just the campaign
    assert restored["posts"] >= held["posts"] and restored["members"] == held["members"] + 3
    verdicts = [await service.posts.verdict(p.id) for p in camp]
    assert {v.cluster for v in verdicts} == {first.cluster}
    assert verdicts[-1].evidence["coordination"]["accounts"] == 6
    cases = await _campaign_cases(db)
    assert len(cases) == 1 and set(cases[0].post_ids) == {p.id for p in camp}
    await db.close()


async def test_stored_window_is_bounded_by_the_window(tmp_path: Any) -> None:
    rng = np.random.default_rng(23)
    db, service, det = await _service(tmp_path / "g.db")
    stream = ordinary(rng, 1500, T0 - timedelta(days=3), timedelta(minutes=3))
    for start in range(0, len(stream), 100):
        await service.process(stream[start:start + 100])
    async with db.conn.execute("SELECT COUNT(*) FROM detector_state WHERE detector = 'coordination' "
                               "AND key LIKE '0|e|%'") as cur:
        stored = (await cur.fetchone())[0]
    assert stored == det.memory_stats()["posts"] <= 6 * 20 + 1  # 6 h at 20 posts an hour
    await db.close()


def _flood(det: CoordinationDetector, texts: list[str], batch: int = 100) -> list[int]:
    """Feed one post per text from distinct fresh accounts; return candidate comparisons per batch."""
    per_batch = []
    for start in range(0, len(texts), batch):
        chunk = [post(f"f{start + i}", t, T0 + timedelta(seconds=(start + i) * 0.2), fresh=True)
                 for i, t in enumerate(texts[start:start + batch])]
        before = det.comparisons
        det.score(chunk, BatchContext(texts=[normalize(p.content) for p in chunk], embeddings=None))
        det.revisions()
        per_batch.append(det.comparisons - before)
    return per_batch


def test_identical_flood_of_20000_costs_the_same_per_post() -> None:
    det = CoordinationDetector()
    per_batch = _flood(det, [CAMPAIGN] * 20_000)
    assert per_batch[0] > 0
    assert max(per_batch) <= 2 * per_batch[0]
    stats = det.memory_stats()
    assert stats["campaigns"] == 1 and stats["copy_groups"] == 1 and stats["lsh_buckets"] == 16


def test_flood_of_light_edits_is_capped_per_post() -> None:
    rng = np.random.default_rng(24)
    texts = [f"{CAMPAIGN} {rng.integers(10**6)} {rng.integers(10**6)}" for _ in range(3000)]
    det = CoordinationDetector()
    per_batch = _flood(det, texts)
    assert max(per_batch) <= 2 * per_batch[0]
    assert det.memory_stats()["campaigns"] == 1


def test_edited_post_that_now_matches_joins_the_campaign() -> None:
    det = CoordinationDetector()
    warm(det, np.random.default_rng(25))
    camp = [post(f"e{i}", CAMPAIGN, T0 + timedelta(minutes=i), topic="aip-51", fresh=True) for i in range(4)]
    late = post("e9", "what time is the community call tomorrow", T0 + timedelta(minutes=5), fresh=True)
    final = feed(det, [*camp, late])
    assert final[late.id].cluster is None
    edited = replace(late, content=CAMPAIGN, edited_at=late.created_at + timedelta(minutes=2))
    final.update(feed(det, [edited]))
    assert final[late.id].cluster == final[camp[0].id].cluster is not None
    assert final[late.id].evidence["accounts"] == 5
    again = feed(det, [edited])  # the same version delivered twice changes nothing
    assert again[late.id].evidence["accounts"] == 5


def test_members_quoting_one_title_are_not_a_campaign_but_copying_their_words_is() -> None:
    det = CoordinationDetector()
    rng = np.random.default_rng(26)
    warm(det, rng)
    title = '"AIP-64: Treasury Diversification Framework v2"'
    base = unit(rng)[0]
    own = ["I read it twice and still have questions about the custody part",
           "the budget table on page three does not add up for me",
           "who is going to run the rebalancing each month, the multisig",
           "fine by me as long as the stablecoin share stays under half",
           "can we get a call with the authors before the vote starts"]
    quoting = [post(f"q{i}", f"Re {title}: {text}", T0 + timedelta(minutes=3 * i), fresh=True)
               for i, text in enumerate(own)]
    emb = np.stack([near(base, rng, 0.1) for _ in quoting])  # the quoted title dominates the embedding
    final = feed(det, quoting, emb)
    assert all(final[p.id].cluster is None for p in quoting)
    copying = [post(f"c{i}", f"Re {title}: {own[0]}", T0 + timedelta(minutes=30 + i), fresh=True) for i in range(5)]
    final = feed(det, copying, np.stack([near(base, rng, 0.1) for _ in copying]))
    assert len({final[p.id].cluster for p in copying} - {None}) == 1
