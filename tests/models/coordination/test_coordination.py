"""Tests for the streaming coordination detector (synthetic embeddings unless marked slow)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from bot.domain import DetectorOutput, MemberJoin, Post, Reaction
from bot.pipeline import BatchContext, StatefulDetector
from models.coordination.detector import CoordinationDetector
from models.coordination.minhash import LSHIndex, MinHasher, canonical, jaccard, shingles
from models.coordination.score import CoordinationConfig
from models.normalize import normalize

T0 = datetime(2025, 5, 1, 12, tzinfo=UTC)
OLD = T0 - timedelta(days=900)
TEXT = "Vote YES on AIP-42, the treasury diversification is long overdue and protects everyone."

_ids = iter(range(1_000_000, 10_000_000))


def post(author: str, text: str, at: datetime, *, topic: str = "aip-42", fresh: bool = False,
         joined: datetime | None = None) -> Post:
    """Make a post; fresh accounts are days old and joined hours ago, others are years old."""
    created = at - timedelta(days=3) if fresh else OLD
    joined = joined or (at - timedelta(hours=5) if fresh else OLD + timedelta(days=10))
    return Post(id=str(next(_ids)), channel_id=topic, author_id=author, content=text, created_at=at,
                author_created_at=created, author_joined_at=joined)


def unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    """Return n random unit vectors (float32, 384-d)."""
    v = rng.normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def near(base: np.ndarray, rng: np.random.Generator, noise: float = 0.25) -> np.ndarray:
    """Return a unit vector close to base (cosine about 0.94 for noise 0.25)."""
    v = base + noise * unit(rng)[0] * 1.0
    return (v / np.linalg.norm(v)).astype(np.float32)


def feed(det: CoordinationDetector, posts: list[Post], emb: np.ndarray | None = None,
         ) -> dict[str, DetectorOutput]:
    """Score posts one batch at a time; return the latest output per post (including revisions)."""
    final: dict[str, DetectorOutput] = {}
    for i, p in enumerate(posts):
        ctx = BatchContext(texts=[normalize(p.content)], embeddings=None if emb is None else emb[i:i + 1])
        final[p.id] = det.score([p], ctx)[0]
        final.update(det.revisions())
    return final


def warm(det: CoordinationDetector, rng: np.random.Generator, days: float = 1.5,
         extra: list[Post] | None = None) -> None:
    """Give the detector background history (plus `extra` posts, in time order) to end the warm-up."""
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron".split()
    posts = [post(f"bg{i % 40}", " ".join(rng.choice(words, 8)) + f" {i}",
                  T0 - timedelta(days=days) + timedelta(minutes=10 * i)) for i in range(int(days * 144))]
    posts = sorted(posts + (extra or []), key=lambda p: p.created_at)
    feed(det, posts, unit(rng, len(posts)))


def test_is_a_stateful_detector() -> None:
    det = CoordinationDetector()
    assert isinstance(det, StatefulDetector)
    assert det.name == "coordination" and det.needs_embedding


def test_minhash_estimates_jaccard_and_lsh_finds_edits() -> None:
    hasher = MinHasher(64)
    a = shingles(canonical(TEXT))
    b = shingles(canonical(TEXT.replace("overdue", "overdeu")))
    c = shingles(canonical("completely unrelated words about the weather in spring"))
    true = len(a & b) / len(a | b)
    sa, sb, sc = hasher.signature(a), hasher.signature(b), hasher.signature(c)
    assert abs(jaccard(sa, sb) - true) < 0.15
    assert jaccard(sa, sc) < 0.2
    index = LSHIndex(64, 16)
    index.add("a", sa)
    index.add("c", sc)
    assert set(index.query(sb)) == {"a"}
    index.remove("a")
    index.remove("c")
    assert len(index) == 0 and index.bucket_count == 0


def test_copies_across_fresh_accounts_form_one_flagged_campaign() -> None:
    rng = np.random.default_rng(0)
    det = CoordinationDetector()
    warm(det, rng)
    posts = [post(f"sock{i}", TEXT, T0 + timedelta(seconds=20 * i), fresh=True) for i in range(8)]
    final = feed(det, posts, unit(rng, len(posts)))
    clusters = {final[p.id].cluster for p in posts}
    assert clusters == {f"camp-0-{posts[0].id}"}
    assert all(final[p.id].score >= det.default_threshold for p in posts)
    ev = final[posts[-1].id].evidence
    assert ev["accounts"] == 8 and ev["new_accounts"] == 8 and len(ev["message_ids"]) == 8
    assert "8 accounts, 8 created in the last 30 days" in ev["summary"]


def test_paraphrases_link_through_embeddings() -> None:
    rng = np.random.default_rng(1)
    det = CoordinationDetector()
    warm(det, rng)
    base = unit(rng)[0]
    texts = [f"{w} the treasury plan is good for all holders and we should back it now"
             for w in ("honestly", "frankly", "clearly", "surely", "really", "truly", "plainly")]
    texts = [" ".join(reversed(t.split())) if i % 2 else t for i, t in enumerate(texts)]
    posts = [post(f"p{i}", t, T0 + timedelta(minutes=i), fresh=True) for i, t in enumerate(texts)]
    emb = np.stack([near(base, rng) for _ in posts])
    final = feed(det, posts, emb)
    assert len({final[p.id].cluster for p in posts}) == 1
    assert final[posts[-1].id].score >= det.default_threshold
    # the same texts with unrelated embeddings and no shared shingles would not link
    assert final[posts[-1].id].evidence["copy_share"] < 1.0


def test_same_author_repeating_is_not_a_campaign() -> None:
    rng = np.random.default_rng(2)
    det = CoordinationDetector()
    warm(det, rng)
    posts = [post("spammer", TEXT, T0 + timedelta(minutes=i), fresh=True) for i in range(15)]
    final = feed(det, posts, unit(rng, 1).repeat(len(posts), axis=0))
    assert all(final[p.id].cluster is None and final[p.id].score == 0.0 for p in posts)


def test_gm_wave_of_members_is_not_flagged() -> None:
    rng = np.random.default_rng(3)
    det = CoordinationDetector()
    warm(det, rng)
    greetings = ["gm", "gm!", "gm gm", "GM", "gm fam", "good morning", "gm everyone", "+1", "agreed", "congrats!"]
    posts = [post(f"m{i}", greetings[i % len(greetings)], T0 + timedelta(seconds=30 * i)) for i in range(40)]
    final = feed(det, posts, np.stack([near(unit(rng)[0], rng, 0.05)] * len(posts)))
    assert all(final[p.id].score < det.default_threshold for p in posts)
    assert not any(final[p.id].eligible for p in posts)


def test_daily_phrase_is_common_and_scores_lower() -> None:
    """A sentence the server used on earlier days is discounted by its own history."""
    phrase = "gm frens, have a great day and build something cool today"
    scores = []
    for history_days in (0, 4):
        rng = np.random.default_rng(4)
        det = CoordinationDetector()
        old = [post(f"old{d}{i}", phrase, T0 - timedelta(days=d, hours=2) + timedelta(minutes=i))
               for d in range(history_days, 0, -1) for i in range(2)]
        warm(det, rng, days=5, extra=old)
        wave = [post(f"n{i}", phrase, T0 + timedelta(minutes=i), fresh=True) for i in range(6)]
        final = feed(det, wave, unit(rng, len(wave)))
        scores.append(final[wave[-1].id].score)
    assert scores[1] < scores[0] * 0.1
    assert scores[1] < 0.1


def test_cluster_id_is_stable_as_campaign_grows_and_merges_keep_older_id() -> None:
    rng = np.random.default_rng(5)
    det = CoordinationDetector(CoordinationConfig(paraphrase_cosine=0.6))
    warm(det, rng)
    u, v = unit(rng, 2)
    v = v - (v @ u) * u
    v /= np.linalg.norm(v)
    group_a = [post(f"a{i}", f"first talking point number one about the treasury {'x' * i}",
                    T0 + timedelta(minutes=i), fresh=True) for i in range(4)]
    group_b = [post(f"b{i}", f"another unrelated slogan regarding the council seats {'y' * i}",
                    T0 + timedelta(minutes=10 + i), fresh=True) for i in range(4)]
    seen: list[str | None] = []
    final: dict[str, DetectorOutput] = {}
    for p in group_a:
        final.update(feed(det, [p], near(u, rng, 0.05)[None]))
        seen.append(final[p.id].cluster)
    assert seen[1:] == [f"camp-0-{group_a[0].id}"] * 3
    final.update(feed(det, group_b, np.stack([near(v, rng, 0.05) for _ in group_b])))
    assert final[group_b[-1].id].cluster == f"camp-0-{group_b[0].id}"
    bridge = post("bridge", "both points together in one message, treasury and council", T0 + timedelta(minutes=20),
                  fresh=True)
    mid = (u + v) / np.linalg.norm(u + v)
    final.update(feed(det, [bridge], mid[None].astype(np.float32)))
    older = f"camp-0-{group_a[0].id}"
    assert {final[p.id].cluster for p in [*group_a, *group_b, bridge]} == {older}


def test_earlier_posts_are_revised_as_campaign_grows() -> None:
    rng = np.random.default_rng(6)
    det = CoordinationDetector()
    warm(det, rng)
    first = post("s0", TEXT, T0, fresh=True)
    out0 = feed(det, [first], unit(rng))[first.id]
    assert out0.score == 0.0 and out0.cluster is None
    rest = [post(f"s{i}", TEXT, T0 + timedelta(seconds=i), fresh=True) for i in range(1, 7)]
    for p in rest:
        ctx = BatchContext(texts=[normalize(p.content)], embeddings=unit(rng))
        det.score([p], ctx)
    revised = det.revisions()
    assert first.id in revised and revised[first.id].score >= det.default_threshold
    assert det.revisions() == {}  # drained


def test_reaction_brigade_and_join_raid_raise_score_and_show_in_evidence() -> None:
    results = []
    for with_signals in (False, True):
        rng = np.random.default_rng(7)
        det = CoordinationDetector()
        warm(det, rng)
        sleepers = [f"z{i}" for i in range(5)]
        joined = T0 - timedelta(hours=3)
        if with_signals:
            for i, uid in enumerate(sleepers + [f"extra{i}" for i in range(3)]):
                det.observe(MemberJoin(user_id=uid, created_at=joined + timedelta(seconds=20 * i),
                                       account_created_at=OLD))
        posts = [post(uid, TEXT, T0 + timedelta(minutes=20 * i),
                      joined=joined if with_signals else OLD + timedelta(days=10))
                 for i, uid in enumerate(sleepers)]
        final = feed(det, posts, unit(rng, len(posts)))
        if with_signals:
            for i in range(8):
                det.observe(Reaction(message_id=posts[0].id, user_id=f"r{i}", emoji="👍",
                                     created_at=T0 + timedelta(hours=2, seconds=i), channel_id="aip-42",
                                     user_created_at=T0 - timedelta(days=2)))
            final.update(det.revisions())
        results.append(final[posts[0].id])
    plain, boosted = results
    assert boosted.score > plain.score
    assert boosted.evidence["reaction_brigade"]["fresh_reactors"] == 8
    assert boosted.evidence["join_raid_members"] == 5


def test_memory_stays_bounded_over_100k_posts() -> None:
    """Feed 100,000 posts (one every 5 s, 720 in a 1 h window); held posts never exceed the window."""
    rng = np.random.default_rng(8)
    det = CoordinationDetector(CoordinationConfig(window=timedelta(hours=1)))  # 1 h keeps the test fast
    vocab = [f"w{i}" for i in range(5000)]
    window_cap = int(det.config.window / timedelta(seconds=5)) + 1
    batch = 500
    peak = 0
    for start in range(0, 100_000, batch):
        authors = rng.integers(3000, size=batch)
        picks = rng.integers(len(vocab), size=(batch, 6))
        posts = [Post(id=str(start + i), channel_id="c", author_id=f"a{authors[i]}",
                      content=" ".join(vocab[j] for j in picks[i]), created_at=T0 + timedelta(seconds=5 * (start + i)),
                      author_created_at=OLD) for i in range(batch)]
        det.score(posts, BatchContext(texts=[p.content for p in posts], embeddings=unit(rng, batch)))
        det.revisions()
        peak = max(peak, det.held_posts())
    stats = det.memory_stats()
    assert peak <= window_cap
    assert stats["posts"] <= window_cap
    assert stats["matrix_rows"] <= 2048  # doubled up to the window, never beyond
    assert stats["lsh_buckets"] <= 16 * window_cap
    assert stats["campaigns"] <= stats["posts"]
    assert stats["members"] <= 3000


@pytest.mark.slow
def test_real_paraphrases_cluster_with_the_real_encoder() -> None:
    from models.coordination.simulate_text import TALKING_POINTS
    from models.encoder import Encoder

    det = CoordinationDetector.load()
    rng = np.random.default_rng(9)
    warm(det, rng)
    variants = [v.replace("{p}", "AIP-42") for v in TALKING_POINTS[0]]
    posts = [post(f"pp{i}", v, T0 + timedelta(minutes=3 * i), fresh=True) for i, v in enumerate(variants)]
    emb = Encoder().encode([normalize(p.content) for p in posts])
    final = feed(det, posts, emb)
    assert len({final[p.id].cluster for p in posts} - {None}) == 1
    assert final[posts[-1].id].evidence["accounts"] >= 4


def test_runs_inside_the_pipeline_and_revises_earlier_verdicts() -> None:
    from bot.pipeline import Pipeline, Policy

    det = CoordinationDetector()
    pipe = Pipeline(None, [det])  # no encoder: copies still link through MinHash
    warm(det, np.random.default_rng(10))
    posts = [post(f"pipe{i}", TEXT, T0 + timedelta(seconds=15 * i), fresh=True) for i in range(6)]
    verdicts = {}
    for p in posts:
        verdicts[p.id] = pipe.process([p], lambda _g: Policy())[0]
    by_id = {p.id: p for p in posts}
    pending = pipe.pending_revisions()
    assert posts[0].id in pending
    first = pipe.revise(by_id[posts[0].id], verdicts[posts[0].id], pending[posts[0].id], Policy())
    assert "coordination" in first.flags and first.cluster == f"camp-0-{posts[0].id}"
    assert verdicts[posts[-1].id].cluster == first.cluster


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
