"""Tests for the ai_generated detector: message scores, per-author evidence, persistence, evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Post
from bot.pipeline import BatchContext, PersistentDetector, Pipeline, Policy
from models.ai_text import (
    AUTHOR_WINDOW,
    MIN_AUTHOR_MESSAGES,
    MIN_WORDS,
    AiTextDetector,
    AiTextHead,
    AuthorRecord,
    author_logit,
)
from models.lm_features import STYLE_NAMES
from models.normalize import normalize

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NAMES = tuple(f"emb{i}" for i in range(384)) + STYLE_NAMES
LLM_TEXT = ("Transparent treasury management empowers our community to thrive. Together we can build "
            "a sustainable, inclusive future for decentralized governance! #DAO #Governance 🚀")
HUMAN_TEXT = "lol ok but who's paying for the audit this time? last one was a mess tbh, i'd vote no for now"


def fake_detector(emb_weight: float = 4.0) -> AiTextDetector:
    """Return a detector whose head reads embedding dim 0 (LLM direction) and the trailing-tag feature."""
    coef = np.zeros(len(NAMES), dtype=np.float32)
    coef[0] = emb_weight
    coef[NAMES.index("trailing_tag_block")] = 1.0
    coef[NAMES.index("casual_rate")] = -3.0
    head = AiTextHead(NAMES, np.zeros(len(NAMES), np.float32), np.ones(len(NAMES), np.float32), coef, 0.0)
    meta = {"version": "ai_text-test", "default_threshold": 0.9, "author_threshold_logit": 1.0}
    return AiTextDetector(head, meta)


def post(i: int, text: str, author: str = "42", *, is_bot: bool = False) -> Post:
    """Return a post in guild 1."""
    return Post(id=str(i), channel_id="c", author_id=author, content=text, created_at=T0, guild_id="1",
                is_bot=is_bot)


def ctx_for(posts: list[Post], llm_axis: list[float]) -> BatchContext:
    """Return a batch context whose embeddings put each post at a chosen point on the LLM axis."""
    emb = np.zeros((len(posts), 384), dtype=np.float32)
    emb[:, 0] = llm_axis
    return BatchContext(texts=[normalize(p.scoring_text) for p in posts], embeddings=emb)


def test_is_persistent_detector_with_contract_attributes() -> None:
    det = fake_detector()
    assert isinstance(det, PersistentDetector)
    assert det.name == "ai_generated" and det.needs_embedding is True
    assert det.default_threshold == pytest.approx(0.9)


def test_short_message_scored_but_never_flagged_alone() -> None:
    det = fake_detector()
    p = post(1, "Great proposal! #DAO 🚀")
    (out,) = det.score([p], ctx_for([p], [3.0]))
    assert out.score > det.default_threshold  # LLM-like score is still reported...
    assert out.eligible is False  # ...but not flaggable on its own
    assert "too short" in out.evidence["summary"]
    verdict = Pipeline(None, [det]).verdict(p, {det.name: out}, Policy())
    assert verdict.flags == ()


def test_long_llm_like_message_flags_and_human_one_does_not() -> None:
    det = fake_detector()
    posts = [post(1, LLM_TEXT, "a"), post(2, HUMAN_TEXT, "b")]
    llm, human = det.score(posts, ctx_for(posts, [2.0, -1.0]))
    assert llm.eligible and human.eligible
    assert llm.score >= det.default_threshold > human.score
    assert llm.evidence["message_score"] == pytest.approx(llm.score, abs=1e-4)


def test_author_flag_needs_enough_messages_and_words() -> None:
    det = fake_detector()
    text = "Great proposal, strongly support it"  # 5 words: never eligible alone
    outs = []
    for i in range(MIN_AUTHOR_MESSAGES + 20):
        p = post(i, text)
        outs += det.score([p], ctx_for([p], [2.0]))
    assert all(not o.eligible for o in outs[:MIN_AUTHOR_MESSAGES])
    # 5 words per message: the 100-word minimum is reached at the 20th message of the window
    assert outs[-1].eligible and outs[-1].score >= det.default_threshold
    assert outs[-1].evidence["author_messages"] == AUTHOR_WINDOW
    assert "author" in outs[-1].evidence["summary"] and "last 20 messages" in outs[-1].evidence["summary"]


def test_casual_author_never_reaches_author_flag() -> None:
    det = fake_detector()
    for i in range(30):
        p = post(i, HUMAN_TEXT)
        (out,) = det.score([p], ctx_for([p], [-0.5]))
    assert out.evidence["author_score"] < det.default_threshold
    assert out.score < det.default_threshold


def test_short_llm_like_message_from_a_human_author_with_history_is_not_flagged() -> None:
    """A member with enough history but a human author score: a short LLM-like reply must not flag."""
    det = fake_detector()
    for i in range(25):
        p = post(i, HUMAN_TEXT)
        det.score([p], ctx_for([p], [-1.0]))
    short = post(99, "👍 no rush")
    (out,) = det.score([short], ctx_for([short], [3.0]))
    assert out.evidence["message_score"] > det.default_threshold  # the text alone looks LLM-like
    assert out.evidence["author_score"] < det.default_threshold
    verdict = Pipeline(None, [det]).verdict(short, {det.name: out}, Policy())
    assert verdict.flags == ()


def test_author_record_is_bounded_and_replaces_rescored_posts() -> None:
    rec = AuthorRecord()
    for i in range(100):
        rec.add(str(i), 1.0, 10)
    assert rec.n == 100 and rec.window_messages == AUTHOR_WINDOW
    rec.add("99", -3.0, 30)  # the same post rescored (edited): replaced, not double counted
    assert rec.n == 100 and rec.window_messages == AUTHOR_WINDOW
    assert rec.words == 100 * 10 + 20
    assert rec.logit() < 1.0


def test_snapshot_restore_roundtrip() -> None:
    det = fake_detector()
    posts = [post(i, LLM_TEXT, author=str(i % 2)) for i in range(6)]
    det.score(posts, ctx_for(posts, [1.0] * 6))
    keys = det.state_keys(posts)
    assert keys == ["1:0", "1:1"]
    snap = det.snapshot(keys)
    fresh = fake_detector()
    fresh.restore(snap)
    assert fresh.snapshot(keys) == snap
    assert fresh.authors["1:0"].logit() == pytest.approx(det.authors["1:0"].logit(), abs=1e-3)
    # restore never overwrites newer in-memory state
    fresh.restore({"1:0": {"n": 1, "words": 3, "recent": [["x", 0.0, 3]]}})
    assert fresh.authors["1:0"].n == 3


def test_restore_applies_bounds_to_oversized_records() -> None:
    rec = AuthorRecord.from_json({"n": 500, "words": 5000, "recent": [[str(i), 1.0, 10] for i in range(80)]})
    assert rec.window_messages == AUTHOR_WINDOW and rec.n == 500


def test_bot_posts_scored_but_not_flagged_or_accumulated() -> None:
    det = fake_detector()
    p = post(1, LLM_TEXT, is_bot=True)
    (out,) = det.score([p], ctx_for([p], [3.0]))
    assert out.eligible is False
    assert det.snapshot(det.state_keys([p])) == {}


def test_evidence_has_plain_word_signals() -> None:
    det = fake_detector()
    posts = [post(1, LLM_TEXT, "a"), post(2, HUMAN_TEXT, "b")]
    llm, human = det.score(posts, ctx_for(posts, [2.0, -1.0]))
    assert "hashtag-and-emoji template typical of LLM tweets" in llm.evidence["signals"]
    assert "overall phrasing close to LLM-written text" in llm.evidence["signals"]
    assert "casual markers (slang, abbreviations)" in human.evidence["human_signals"]
    for sig in llm.evidence["signals"] + human.evidence["human_signals"]:
        assert any(c.isalpha() for c in sig) and not sig.replace(".", "").isdigit()


def test_author_logit_weights_short_messages_less() -> None:
    assert author_logit([4.0, -4.0], [40, 2]) > 3.0
    assert author_logit([100.0], [30]) == pytest.approx(6.0)  # clipped


@pytest.mark.slow
def test_real_weights_rank_llm_governance_post_above_casual_human() -> None:
    from models.encoder import Encoder

    weights = Path(__file__).resolve().parents[2] / "models" / "weights"
    det = AiTextDetector.load(weights)
    assert 0.0 < det.default_threshold < 1.0
    posts = [
        post(1, "I am thrilled to support this proposal! By allocating treasury funds to community grants, "
                "we can foster innovation, strengthen our ecosystem, and ensure long-term sustainability "
                "for all stakeholders. #DAO #Governance", "a"),
        post(2, "honestly idk, the last grant round went to the same 3 wallets lol. who's checking "
                "milestones this time? i'd rather wait till the audit is out", "b"),
        post(3, "ok", "c"),
    ]
    pipe = Pipeline(Encoder(), [det])
    ctx = pipe.context(posts)
    llm, human, short = det.score(posts, ctx)
    assert llm.score > human.score + 0.3
    assert not short.eligible
    assert llm.evidence["signals"], llm.evidence
    assert MIN_WORDS <= llm.evidence["words"]


def test_length_calibration_moves_each_bucket_threshold_onto_the_default() -> None:
    from models.ai_text import calibrate_logits, length_bucket

    assert length_bucket([0, 11, 12, 24, 25, 39, 40, 500]).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    buckets = [0.5, 1.0, 1.5, 3.0]
    z = np.array([0.5, 1.0, 1.5, 3.0])
    calibrated = calibrate_logits(z, [5, 20, 30, 60], buckets, threshold_logit=1.0)
    assert np.allclose(calibrated, 1.0)  # each text sits exactly on its bucket's threshold
    # a long post needs a higher raw score than a short one to reach the same calibrated score
    long_post, mid_post = calibrate_logits(np.array([2.0, 2.0]), [60, 20], buckets, 1.0)
    assert long_post < mid_post
