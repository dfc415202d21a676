"""Tests for the streaming coordination detector (synthetic embeddings unless marked slow)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from bot.domain import DetectorOutput, MemberJoin, Post, Reaction
from bot.pipeline import BatchContext, StatefulDetector
from models.coordination.detector import CoordinationDetector
from models.coordination.minhash import LSHIndex, MinHasher, canonical, jaccard, shingles
from models.coordination.score import CoordinationConfig
from models.normalize import normalize
from tests.models.coordination.helpers import OLD, T0, TEXT, feed, near, post, unit, warm


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
