"""Tests for the toxicity detector: head maths, evidence, and (slow) the shipped weights."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.domain import Post
from bot.pipeline import BatchContext, Detector, Pipeline, Policy
from models.normalize import normalize
from models.toxicity import (
    LEX_DIM,
    WEIGHTS_DIR,
    ToxicityDetector,
    blend,
    describe,
    head_forward,
    lexical_indices,
    lexical_logits,
    load_head,
    save_head,
)
from models.train_toxicity import auroc, fit_head, lexical_matrix, prf_at, source_weights


def _post(i: int, content: str) -> Post:
    return Post(id=str(i), channel_id="c", author_id="a", content=content, created_at=datetime(2024, 1, 1, tzinfo=UTC))


def _toy_detector(threshold: float = 0.5) -> ToxicityDetector:
    """A logistic head that reads toxicity off the first embedding coordinate."""
    w = np.zeros((384, 1), dtype=np.float32)
    w[0, 0] = 10.0
    return ToxicityDetector([(w, np.zeros(1, dtype=np.float32))], {"version": "toy", "default_threshold": threshold})


def _unit_rows(first: list[float]) -> np.ndarray:
    emb = np.zeros((len(first), 384), dtype=np.float32)
    emb[:, 0] = first
    emb[:, 1] = np.sqrt(1 - np.square(first))
    return emb


def test_detector_satisfies_protocol() -> None:
    det = _toy_detector()
    assert isinstance(det, Detector)
    assert det.name == "toxicity" and det.needs_embedding


def test_score_orders_by_head_and_marks_empty_ineligible() -> None:
    det = _toy_detector()
    posts = [_post(0, "bad"), _post(1, "fine"), _post(2, "   ")]
    ctx = BatchContext(texts=["bad", "fine", ""], embeddings=_unit_rows([0.9, -0.9, 0.9]))
    out = det.score(posts, ctx)
    assert out[0].score > 0.99 and out[1].score < 0.01
    assert out[0].eligible and out[1].eligible
    assert out[2].score == 0.0 and not out[2].eligible
    assert out[0].evidence["summary"].startswith("abusive or insulting language (score 1.00")
    assert "no abusive language" in out[1].evidence["summary"]


def test_score_requires_embeddings() -> None:
    with pytest.raises(ValueError, match="embeddings"):
        _toy_detector().score([_post(0, "x")], BatchContext(texts=["x"], embeddings=None))


def test_predict_rejects_wrong_width() -> None:
    with pytest.raises(ValueError, match="384"):
        _toy_detector().predict(np.zeros((2, 10), dtype=np.float32))


@pytest.mark.parametrize(
    ("score", "threshold", "words"),
    [(0.95, 0.6, "abusive or insulting"), (0.7, 0.6, "likely abusive"), (0.4, 0.6, "borderline"),
     (0.1, 0.6, "no abusive")],
)
def test_describe_bands(score: float, threshold: float, words: str) -> None:
    assert describe(score, threshold).startswith(words)
    assert f"{score:.2f}" in describe(score, threshold)


def test_mlp_forward_matches_manual() -> None:
    rng = np.random.default_rng(0)
    w0, b0 = rng.normal(size=(384, 8)).astype(np.float32), rng.normal(size=8).astype(np.float32)
    w1, b1 = rng.normal(size=(8, 1)).astype(np.float32), rng.normal(size=1).astype(np.float32)
    x = rng.normal(size=(5, 384)).astype(np.float32)
    manual = 1 / (1 + np.exp(-(np.maximum(x @ w0 + b0, 0) @ w1 + b1)[:, 0]))
    np.testing.assert_allclose(head_forward([(w0, b0), (w1, b1)], x), manual, rtol=1e-5)


def test_save_load_roundtrip(tmp_path: Path) -> None:
    det = _toy_detector(0.42)
    save_head(det.layers, det.meta, tmp_path)
    loaded = ToxicityDetector.load(tmp_path)
    assert loaded.version == "toy" and loaded.default_threshold == pytest.approx(0.42)
    emb = _unit_rows([0.3, -0.2])
    np.testing.assert_allclose(loaded.predict(emb), det.predict(emb))
    assert ToxicityDetector.load(tmp_path, threshold=0.8).default_threshold == 0.8


def test_lexical_indices_hash_unigrams_and_bigrams() -> None:
    idx = lexical_indices("you are you")  # unigrams {you, are} + bigrams {you are, are you}
    assert len(idx) == 4 and list(idx) == sorted(set(idx.tolist()))
    assert all(0 <= i < LEX_DIM for i in idx)
    assert np.array_equal(lexical_indices("YOU are you!"), idx)  # case and punctuation do not matter
    assert len(lexical_indices("")) == 0 and len(lexical_indices("1234 :)")) == 0


def test_lexical_logits_and_blend() -> None:
    weights = np.zeros(LEX_DIM, dtype=np.float32)
    weights[lexical_indices("idiot")] = 4.0
    z = lexical_logits(["idiot", "fine", ""], weights, -1.0)
    np.testing.assert_allclose(z, [4.0 / np.sqrt(1) - 1.0, -1.0, -1.0])
    np.testing.assert_allclose(blend(np.array([0.0]), np.array([2.0]), 0.5), [1 / (1 + np.exp(-1.0))])
    np.testing.assert_allclose(blend(np.array([0.0]), None, 0.5), [0.5])


def test_training_matrix_matches_runtime_lexical_logits() -> None:
    texts = ["you are an idiot", "", "gm gm frens, vote on AIP-42", "idiot idiot idiot"]
    weights = np.random.default_rng(2).normal(size=LEX_DIM).astype(np.float32)
    np.testing.assert_allclose(lexical_matrix(texts) @ weights + 0.3, lexical_logits(texts, weights, 0.3), rtol=1e-5)


def test_detector_with_lexical_component(tmp_path: Path) -> None:
    weights = np.zeros(LEX_DIM, dtype=np.float32)
    weights[lexical_indices("moron")] = 8.0
    det = ToxicityDetector(_toy_detector().layers, {"version": "toy-lex", "lexical_weight": 0.5}, (weights, -2.0))
    emb = _unit_rows([0.0, 0.0])
    with pytest.raises(ValueError, match="texts"):
        det.predict(emb)
    p = det.predict(emb, ["you moron", "thank you"])
    # "you moron": 3 n-grams (you, moron, "you moron"), one weighted 8; the MLP logit is 0 on these rows
    assert p[0] == pytest.approx(1 / (1 + np.exp(-0.5 * (8 / np.sqrt(3) - 2.0))))
    assert p[1] == pytest.approx(1 / (1 + np.exp(1.0)))
    save_head(det.layers, det.meta, tmp_path, det.lexical)
    loaded = ToxicityDetector.load(tmp_path)
    np.testing.assert_allclose(loaded.predict(emb, ["you moron", "thank you"]), p, atol=1e-3)  # float16 weights


def test_fit_head_learns_separable_data() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 384)).astype(np.float32)
    y = (x[:, 3] > 0).astype(np.int64)
    src = np.array(["a"] * 200 + ["b"] * 200)
    w = source_weights(y, src)
    for hidden in (0, 16):
        layers = fit_head(x, y, w, hidden=hidden, l2=1e-4, seed=0, epochs=30)
        assert auroc(y, head_forward(layers, x)) > 0.97


def test_source_weights_balance_sources_and_classes() -> None:
    y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
    src = np.array(["a"] * 4 + ["b"] * 6)
    w = source_weights(y, src)
    for name in ("a", "b"):
        for label in (0, 1):
            assert w[(src == name) & (y == label)].sum() == pytest.approx(w.sum() / 4)


def test_metrics_helpers() -> None:
    y = np.array([0, 0, 1, 1])
    assert auroc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)
    p, r, f1 = prf_at(y, np.array([0.1, 0.6, 0.7, 0.2]), 0.5)
    assert (p, r, f1) == pytest.approx((0.5, 0.5, 0.5))


# ---- slow: the shipped weights and the real encoder --------------------------------------------

@pytest.fixture(scope="module")
def real() -> tuple[ToxicityDetector, object]:
    from models.encoder import Encoder

    return ToxicityDetector.load(), Encoder()


def _scores(real: tuple[ToxicityDetector, object], texts: list[str]) -> np.ndarray:
    det, encoder = real
    norm = [normalize(t) for t in texts]
    return det.predict(encoder.encode(norm), norm)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_shipped_weights_are_small_and_described() -> None:
    assert (WEIGHTS_DIR / "toxicity.npz").stat().st_size < 1_000_000
    meta = json.loads((WEIGHTS_DIR / "toxicity.json").read_text())
    assert meta["version"].startswith("toxicity-")
    assert 0.0 < meta["default_threshold"] < 1.0
    assert meta["metrics"]["held_out"]["tweeteval_offensive_val"]["auroc"] > 0.7
    layers, _, lexical = load_head(WEIGHTS_DIR)
    assert layers[0][0].shape[0] == 384 and layers[-1][0].shape[1] == 1
    assert lexical is not None and lexical[0].shape == (LEX_DIM,)


@pytest.mark.slow
@pytest.mark.parametrize(
    "evasion",
    ["you are an 1d1ot", "you are an іdіot", "you are an i\u200bd\u200bi\u200bo\u200bt"],
)
def test_evasions_score_like_the_plain_word(real: tuple[ToxicityDetector, object], evasion: str) -> None:
    plain, evaded = _scores(real, ["you are an idiot", evasion])
    assert plain >= real[0].default_threshold  # the plain insult is flagged at the default threshold
    assert abs(plain - evaded) < 0.05


@pytest.mark.slow
def test_toxic_ranks_above_neutral(real: tuple[ToxicityDetector, object]) -> None:
    toxic = ["you are a pathetic idiot and everyone hates you", "shut up you stupid bitch",
             "go to hell, you worthless piece of shit"]
    neutral = ["I support AIP-42, the treasury diversification looks sensible",
               "gm everyone, voting closes on Friday at 15:00 UTC",
               "Could the delegates share their rationale before the snapshot vote?"]
    scores = _scores(real, toxic + neutral)
    assert scores[: len(toxic)].min() > scores[len(toxic):].max()
    assert scores[len(toxic):].max() < real[0].default_threshold


@pytest.mark.slow
def test_pipeline_batch_with_empty_and_huge_post(real: tuple[ToxicityDetector, object]) -> None:
    det, encoder = real
    posts = [_post(0, ""), _post(1, "you are an idiot " * 600), _post(2, "thanks for the summary!"),
             _post(3, "x" * 10_000)]
    verdicts = Pipeline(encoder, [det]).process(posts, lambda _gid: Policy())
    assert [v.post_id for v in verdicts] == ["0", "1", "2", "3"]
    assert verdicts[0].scores["toxicity"] == 0.0 and "toxicity" not in verdicts[0].flags
    assert all(0.0 <= v.scores["toxicity"] <= 1.0 for v in verdicts)
    assert verdicts[1].scores["toxicity"] > verdicts[2].scores["toxicity"]
    assert "summary" in verdicts[1].evidence["toxicity"]
    long_text = ("the proposal is fine but you are an idiot " * 250)[:10_000]
    texts = [normalize(t) for t in ["", long_text]]
    direct = det.score([_post(4, ""), _post(5, long_text)],
                       BatchContext(texts=texts, embeddings=encoder.encode(texts)))  # type: ignore[attr-defined]
    assert len(long_text) == 10_000 and len(direct) == 2
    assert direct[0].score == 0.0 and not direct[0].eligible
    assert 0.0 <= direct[1].score <= 1.0 and direct[1].eligible
    strict = Pipeline(encoder, [det]).process(posts[1:2], lambda _gid: Policy(thresholds={"toxicity": 1.01}))
    assert strict[0].flags == ()
