"""Tests for the ai_generated detector: message scores, per-author evidence, persistence, evidence."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.domain import Post
from bot.pipeline import BatchContext, PersistentDetector, Pipeline, Policy
from models.ai_text.detector import (
    AUTHOR_WINDOW,
    LONG_FLAG_WORDS,
    LONG_PATH_WORDS,
    MIN_AUTHOR_MESSAGES,
    AiTextDetector,
    AiTextHead,
    AuthorRecord,
    author_logit,
)
from models.ai_text.lm_features import STYLE_NAMES, word_count
from models.ai_text.long import LONG_NAMES, LinearHead, LongScorer
from models.normalize import normalize
from models.paths import WEIGHTS_DIR

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NAMES = tuple(f"emb{i}" for i in range(384)) + STYLE_NAMES
LLM_TEXT = ("Transparent treasury management empowers our community to thrive. Together we can build "
            "a sustainable, inclusive future for decentralized governance! #DAO #Governance 🚀")
LONG_LLM = """I am writing to express my strong support for Proposal 42, which seeks to establish a dedicated \
Community Grants Framework for our DAO.

First and foremost, this initiative will foster innovation by empowering contributors to explore new ideas. \
By allocating a transparent share of the treasury to grants, we can ensure that promising projects receive \
the resources they need to thrive. Furthermore, the proposed milestone-based disbursement ensures \
accountability and aligns incentives across all stakeholders.

Moreover, the framework strengthens our governance landscape. Regular reporting and a diverse review \
committee will enhance transparency, build trust, and encourage broader participation from community \
members who may previously have felt excluded from decision-making.

Additionally, it is important to note that similar programs in other ecosystems have played a crucial \
role in attracting talent and driving sustainable growth. By adopting this framework, we position \
ourselves to remain competitive while staying true to our core values of openness and collaboration.

In conclusion, Proposal 42 represents a pivotal step toward a more vibrant, inclusive, and resilient \
community. I wholeheartedly encourage all members to vote in favor and help shape the future of our \
ecosystem together."""
LONG_HUMAN = """ok so I went through the grants budget line by line last night and I think we're about 18k \
off. the spreadsheet from the march call counts the audit twice (row 14 and again in the ops total), \
and nobody has said who signs off when a milestone slips.

my proposal: keep the program but cut round one to 60k, pay 30% up front and the rest when the \
deliverable is actually merged, not when someone posts a screenshot. I'd also want two reviewers who \
aren't on the core team. I'm happy to be one of them for the first round if nobody else wants it, \
though I know I'm slow on weekends.

I asked Dana about the legal side and she thinks the existing multisig policy already covers this, \
so we don't need a new entity. If I'm wrong about that someone please say so before Thursday's vote. \
last time we rushed the treasury change and spent two weeks undoing it, and I really don't want a \
repeat of that mess. questions welcome, I'll be on the call."""
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


def fake_long_detector() -> AiTextDetector:
    """Return fake_detector plus a long-form path reading window embedding dim 0 and first-person voice."""
    det = fake_detector()
    chunk_coef = np.zeros(384, np.float32)
    chunk_coef[0] = 2.0
    chunk = LinearHead(tuple(f"emb{i}" for i in range(384)), np.zeros(384, np.float32), np.ones(384, np.float32),
                       chunk_coef, 0.0)
    doc_coef = np.zeros(len(LONG_NAMES), np.float32)
    doc_coef[LONG_NAMES.index("chunk_mean")] = 1.5
    doc_coef[LONG_NAMES.index("closer_present")] = 1.0
    doc_coef[LONG_NAMES.index("doc_first_person_rate")] = -20.0
    doc = LinearHead(LONG_NAMES, np.zeros(len(LONG_NAMES), np.float32), np.ones(len(LONG_NAMES), np.float32),
                     doc_coef, 0.0)
    det.long = LongScorer(chunk, doc)
    det.long_threshold_logit = 2.0
    det.human_reference = np.linspace(-4.0, 2.0, 200)
    return det


def window_encoder(texts: list[str]) -> np.ndarray:
    """Embed windows of long posts: LLM stock words put a window on the LLM side of dim 0."""
    emb = np.zeros((len(texts), 384), dtype=np.float32)
    stock = ("foster", "ensure", "crucial", "pivotal", "ecosystem")
    emb[:, 0] = [2.0 if any(w in t for w in stock) else -1.5 for t in texts]
    return emb


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
    assert "judged only with the author's history" in out.evidence["summary"]
    verdict = Pipeline(None, [det]).verdict(p, {det.name: out}, Policy())
    assert verdict.flags == ()


def test_tweet_length_llm_like_message_from_a_first_time_poster_is_scored_not_flagged() -> None:
    det = fake_detector()
    posts = [post(1, LLM_TEXT, "a"), post(2, HUMAN_TEXT, "b")]
    llm, human = det.score(posts, ctx_for(posts, [2.0, -1.0]))
    assert llm.score >= det.default_threshold > human.score  # the score still ranks them...
    assert not llm.eligible and not human.eligible  # ...but under LONG_FLAG_WORDS only the author rule flags
    assert llm.evidence["message_score"] == pytest.approx(llm.score, abs=1e-4)
    assert "judged only with the author's history" in llm.evidence["summary"]


def test_long_llm_post_from_a_first_time_poster_is_flagged_with_evidence() -> None:
    det = fake_long_detector()
    p = post(1, LONG_LLM, author="newcomer")
    ctx = ctx_for([p], [2.0])
    ctx.encode = window_encoder
    (out,) = det.score([p], ctx)
    verdict = Pipeline(None, [det]).verdict(p, {det.name: out}, Policy())
    assert out.evidence["words"] >= LONG_FLAG_WORDS and "author_messages" in out.evidence
    assert out.evidence["author_messages"] == 1  # no history at all: the post flags on its own text
    assert verdict.flags == ("ai_generated",)
    ev = out.evidence
    assert ev["path"] == "long-form" and len(ev["passage_scores"]) >= 2
    assert "a stock wrap-up ('In conclusion', 'Overall', 'Ultimately')" in ev["signals"]
    assert "held-out human long posts" in ev["how_sure"] and "1 in 100" in ev["how_sure"]
    assert "Check before acting" in ev["moderator_check"]
    assert ev["how_sure"] in ev["summary"]


def test_long_human_proposal_is_not_flagged() -> None:
    det = fake_long_detector()
    p = post(2, LONG_HUMAN, author="newcomer")
    ctx = ctx_for([p], [-1.5])
    ctx.encode = window_encoder
    (out,) = det.score([p], ctx)
    assert out.eligible  # long enough to be judged on its own...
    assert out.score < det.default_threshold  # ...and judged human
    assert Pipeline(None, [det]).verdict(p, {det.name: out}, Policy()).flags == ()
    assert "moderator_check" not in out.evidence
    assert "personal voice (I, me, my)" in out.evidence["human_signals"]


def test_slips_of_case_and_spelling_are_named_as_human_signals() -> None:
    det = fake_long_detector()
    assert det.long is not None
    coef = det.long.doc.coef.copy()
    coef[LONG_NAMES.index("doc_first_person_rate")] = 0.0
    coef[LONG_NAMES.index("lowercase_sentence_share")] = -6.0
    det.long = LongScorer(det.long.chunk, replace(det.long.doc, coef=coef))
    p = post(2, LONG_HUMAN, author="newcomer")  # "...last night and I think... the spreadsheet from the march call"
    ctx = ctx_for([p], [-1.5])
    ctx.encode = window_encoder
    (out,) = det.score([p], ctx)
    assert out.score < det.default_threshold
    assert "sentences that start in lower case" in out.evidence["human_signals"]


@pytest.mark.parametrize("n_words", [12, 40, LONG_PATH_WORDS, LONG_FLAG_WORDS - 1])
def test_short_posts_never_flag_on_their_own(n_words: int) -> None:
    det = fake_long_detector()
    words = LONG_LLM.split()
    k = next(k for k in range(n_words, 0, -1) if word_count(" ".join(words[:k])) <= n_words)
    text = " ".join(words[:k])
    p = post(3, text, author="newcomer")
    ctx = ctx_for([p], [5.0])
    ctx.encode = window_encoder
    (out,) = det.score([p], ctx)
    assert word_count(text) < LONG_FLAG_WORDS
    assert out.evidence["message_score"] >= det.default_threshold  # very LLM-like, and still...
    assert not out.eligible
    assert Pipeline(None, [det]).verdict(p, {det.name: out}, Policy()).flags == ()
    assert out.evidence["path"] == ("long-form" if word_count(text) >= LONG_PATH_WORDS else "short")


def test_long_path_without_an_encoder_reads_the_first_window_only() -> None:
    det = fake_long_detector()
    p = post(4, LONG_LLM)
    (out,) = det.score([p], ctx_for([p], [2.0]))
    assert len(out.evidence["passage_scores"]) == 1


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

    weights = WEIGHTS_DIR
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
    assert llm.evidence["words"] < LONG_FLAG_WORDS and not llm.eligible  # a tweet-length post: author rule only


def test_length_calibration_moves_each_bucket_threshold_onto_the_default() -> None:
    from models.ai_text.detector import calibrate_logits, length_bucket

    assert length_bucket([0, 11, 12, 24, 25, 39, 40, 500]).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    buckets = [0.5, 1.0, 1.5, 3.0]
    z = np.array([0.5, 1.0, 1.5, 3.0])
    calibrated = calibrate_logits(z, [5, 20, 30, 60], buckets, threshold_logit=1.0)
    assert np.allclose(calibrated, 1.0)  # each text sits exactly on its bucket's threshold
    # a long post needs a higher raw score than a short one to reach the same calibrated score
    long_post, mid_post = calibrate_logits(np.array([2.0, 2.0]), [60, 20], buckets, 1.0)
    assert long_post < mid_post


def _held_out_governance(n: int) -> list[str]:
    """Return n human governance texts of LONG_FLAG_WORDS+ words from the long-form test split (never trained on)."""
    from models.ai_text.longform_data import load_longform

    rows = [r for r in load_longform() if r.governance and r.split == "test" and r.words >= LONG_FLAG_WORDS]
    return [r.text for r in rows[:n]]


@pytest.mark.slow
def test_real_weights_flag_a_long_llm_post_from_a_newcomer_but_not_human_proposals() -> None:
    from models.encoder import Encoder

    weights = WEIGHTS_DIR
    det = AiTextDetector.load(weights)
    assert det.long is not None
    humans = _held_out_governance(40)
    posts = [post(0, LONG_LLM, "newcomer")] + [post(i + 1, t, f"h{i}") for i, t in enumerate(humans)]
    pipe = Pipeline(Encoder(), [det])
    verdicts = pipe.process(posts, lambda _g: Policy())
    llm = verdicts[0]
    assert llm.flags == ("ai_generated",), llm.evidence
    ev = llm.evidence["ai_generated"]
    assert ev["path"] == "long-form" and ev["signals"] and ev["how_sure"] and ev["moderator_check"]
    # the SmolLM2 stage is on by default and reads the long posts near the line, this one among them
    assert det.lm is not None and det.lm.failure is None and det.lm.calls >= 1
    assert "SmolLM2 read the first" in ev["language_model"]
    flagged = sum("ai_generated" in v.flags for v in verdicts[1:])
    assert len(humans) == 40 and flagged <= 1  # calibrated to ~1%: 0.4 expected among 40
