"""Tests for the toxicity detector: scoring, the branch and its LoRA weights, and (slow) the shipped model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from bot.domain import Post
from bot.pipeline import BatchContext, Detector, Pipeline, Policy
from models.normalize import normalize
from models.toxicity.branch import ToxicityBranch, load_branch, merge_state, save_branch
from models.toxicity.detector import (
    META_FILE,
    WEIGHTS_DIR,
    WEIGHTS_FILE,
    ToxicityDetector,
    combine,
    describe,
    scale,
)
from models.toxicity.train import prf_at, source_weights
from models.toxicity.train_lora import LoRALinear, add_lora, logits_of, stored_tensors
from models.training.metrics import auroc


def _post(i: int, content: str) -> Post:
    return Post(id=str(i), channel_id="c", author_id="a", content=content, created_at=datetime(2024, 1, 1, tzinfo=UTC))


class _Branch:
    """Stands in for the torch branch where only its identity matters."""

    name = "toxicity"
    tap = 3


TOY_THRESHOLDS = {"hate": 0.6, "harassment": 0.7, "threat": 0.5, "profanity": 0.8}


def _toy_detector() -> ToxicityDetector:
    return ToxicityDetector(_Branch(), {"version": "toy", "categories": TOY_THRESHOLDS})


def _tiny_config() -> BertConfig:
    return BertConfig(hidden_size=32, num_attention_heads=2, intermediate_size=64, num_hidden_layers=3,
                      vocab_size=50, max_position_embeddings=32)


def test_detector_satisfies_protocol() -> None:
    det = _toy_detector()
    assert isinstance(det, Detector)
    assert det.name == "toxicity" and det.needs_embedding and det.encoder_branch.name == "toxicity"


def test_combine_is_noisy_or_of_the_two_legacy_heads() -> None:
    logits = np.array([[0.0, 0.0], [10.0, -10.0], [-10.0, -10.0], [-10.0, 10.0]])
    np.testing.assert_allclose(combine(logits), [0.75, 1.0, 0.0, 1.0], atol=1e-4)


def test_scale_maps_each_threshold_to_the_line_and_keeps_the_order() -> None:
    p = np.linspace(0, 1, 101)
    for t in (0.2, 0.5, 0.9):
        s = scale(p, t)
        assert s[0] == 0.0 and s[-1] == pytest.approx(1.0)
        assert np.all(np.diff(s) > 0)
        assert float(scale(t, t)) == pytest.approx(0.5)
        assert np.all((s >= 0.5) == (p >= t))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_score_gives_categories_and_ignores_profanity_on_its_own() -> None:
    det = _toy_detector()
    texts = ["hate", "friendly swearing", "threat", "fine", "   "]
    probs = [[0.9, 0.1, 0.05, 0.2], [0.05, 0.1, 0.01, 0.95], [0.2, 0.1, 0.8, 0.1], [0.01] * 4, [0.99] * 4]
    ctx = BatchContext(texts=texts, embeddings=None,
                       branches={"toxicity": np.array([[_logit(p) for p in row] for row in probs])})
    out = det.score([_post(i, t) for i, t in enumerate(texts)], ctx)
    assert set(out[0].categories) == {"hate", "harassment", "threat", "profanity"}
    assert out[0].score >= 0.5 and out[0].evidence["summary"].startswith("hate aimed at a group")
    assert out[1].score < 0.5 and out[1].categories["profanity"] > 0.5
    assert out[1].evidence["summary"].startswith("profanity, not aimed at anyone")
    assert out[2].score >= 0.5 and "threat of violence" in out[2].evidence["summary"]
    assert out[3].score < 0.1 and "no abusive language" in out[3].evidence["summary"]
    assert out[4].score == 0.0 and not out[4].eligible


def test_legacy_two_output_weights_score_one_abuse_category() -> None:
    det = ToxicityDetector(_Branch(), {"version": "old", "default_threshold": 0.7})
    assert det.categories == ("abuse",) and det.thresholds == {"abuse": 0.7}
    assert det.default_threshold == 0.7  # raw score and threshold as before categories (saved guild values hold)
    logits = np.array([[6.0, -6.0], [-6.0, -6.0], [0.0, 0.0]])
    ctx = BatchContext(texts=["x", "y", "z"], embeddings=None, branches={"toxicity": logits})
    out = det.score([_post(0, "x"), _post(1, "y"), _post(2, "z")], ctx)
    np.testing.assert_allclose([o.score for o in out], combine(logits), atol=1e-6)
    assert out[0].evidence["summary"].startswith("abusive or hateful language")
    assert out[2].evidence["summary"].startswith("likely abusive")  # 0.75 >= 0.7


def test_score_requires_the_branch_output_of_the_right_width() -> None:
    with pytest.raises(ValueError, match="branch"):
        _toy_detector().score([_post(0, "x")], BatchContext(texts=["x"], embeddings=None))
    ctx = BatchContext(texts=["x"], embeddings=None, branches={"toxicity": np.zeros((1, 3))})
    with pytest.raises(ValueError, match="3 outputs"):
        _toy_detector().score([_post(0, "x")], ctx)


@pytest.mark.parametrize(
    ("scaled", "words"),
    [({"hate": 0.9, "harassment": 0.2, "threat": 0.1, "profanity": 0.3}, "hate aimed at a group"),
     ({"hate": 0.2, "harassment": 0.6, "threat": 0.1, "profanity": 0.9}, "likely harassment"),
     ({"hate": 0.1, "harassment": 0.1, "threat": 0.1, "profanity": 0.7}, "profanity, not aimed"),
     ({"hate": 0.3, "harassment": 0.1, "threat": 0.1, "profanity": 0.1}, "borderline"),
     ({"hate": 0.1, "harassment": 0.1, "threat": 0.1, "profanity": 0.1}, "no abusive")],
)
def test_describe_names_the_category_in_words(scaled: dict[str, float], words: str) -> None:
    text = describe(scaled, ["harassment", "hate", "threat"])
    assert text.startswith(words)
    shown = "profanity" if words.startswith("profanity") else max(("hate", "harassment", "threat"), key=scaled.get)
    assert f"({shown} {scaled[shown]:.2f}; the category's threshold is 0.50)" in text


def _pipeline_outputs(det: ToxicityDetector, probs: list[list[float]], policy: Policy) -> list[tuple[str, ...]]:
    """Run the pipeline's verdict step on detector outputs built from category probabilities."""
    posts = [_post(i, f"text {i}") for i in range(len(probs))]
    ctx = BatchContext(texts=[p.content for p in posts], embeddings=None,
                       branches={"toxicity": np.array([[_logit(p) for p in row] for row in probs])})
    pipe = Pipeline(_RecordingEncoder(), [det])
    return [pipe.verdict(post, {"toxicity": out}, policy).flags for post, out in zip(posts, det.score(posts, ctx),
                                                                                     strict=True)]


def test_guild_policy_chooses_the_categories_that_open_cases() -> None:
    det = _toy_detector()
    probs = [[0.9, 0.1, 0.05, 0.2], [0.05, 0.1, 0.01, 0.95], [0.2, 0.1, 0.9, 0.1]]  # hate, profanity, threat
    assert _pipeline_outputs(det, probs, Policy()) == [("toxicity",), (), ("toxicity",)]
    swearing_counts = Policy(categories={"toxicity": frozenset({"hate", "harassment", "threat", "profanity"})})
    assert _pipeline_outputs(det, probs, swearing_counts) == [("toxicity",), ("toxicity",), ("toxicity",)]
    threats_only = Policy(categories={"toxicity": frozenset({"threat"})})
    assert _pipeline_outputs(det, probs, threats_only) == [(), (), ("toxicity",)]
    assert _pipeline_outputs(det, probs, Policy(thresholds={"toxicity": 1.01})) == [(), (), ()]


class _RecordingEncoder:
    version = "fake"

    def __init__(self) -> None:
        self.branches: dict[str, object] = {}

    def add_branch(self, branch: object) -> None:
        self.branches[branch.name] = branch  # type: ignore[attr-defined]


def test_pipeline_attaches_the_branch_to_the_shared_encoder() -> None:
    encoder = _RecordingEncoder()
    det = _toy_detector()
    Pipeline(encoder, [det])
    assert encoder.branches == {"toxicity": det.encoder_branch}
    with pytest.raises(ValueError, match="encoder"):
        Pipeline(None, [det])


def test_lora_starts_at_the_base_layer_and_merges_exactly() -> None:
    torch.manual_seed(0)
    config = _tiny_config()
    branch = ToxicityBranch(config, tap=1).eval()  # no dropout
    base = {k: v.clone() for k, v in branch.state_dict().items() if not k.startswith("head.")}
    hidden, mask = torch.randn(3, 5, 32), torch.tensor([[1.0] * 5, [1.0] * 3 + [0.0] * 2, [1.0] + [0.0] * 4])
    before = branch(hidden, mask)
    add_lora(branch.layers, rank=4, scale=2.0, generator=torch.Generator().manual_seed(0))
    lora = [m for m in branch.modules() if isinstance(m, LoRALinear)]
    assert len(lora) == 6 * 2  # q, k, v, attention out, intermediate, output in each of the 2 layers
    torch.testing.assert_close(branch(hidden, mask), before)  # B starts at zero
    for m in lora:
        torch.nn.init.normal_(m.lora_B)
    with torch.no_grad():
        branch.layers[0].output.LayerNorm.weight.mul_(1.5)
    trained = branch(hidden, mask)
    stored = stored_tensors(branch)
    assert "layers.0.attention.self.query.lora_A" in stored and "layers.0.attention.self.query.weight" not in stored
    rebuilt = ToxicityBranch(config, tap=1).eval()
    rebuilt.load_state_dict(merge_state(base, stored, 2.0))
    torch.testing.assert_close(rebuilt(hidden, mask), trained, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(trained, before, atol=1e-3)


def test_save_and_load_the_branch_over_a_base_model(tmp_path: Path) -> None:
    torch.manual_seed(1)
    config = _tiny_config()
    BertModel(config).save_pretrained(tmp_path / "base")
    branch = ToxicityBranch(config, tap=2)
    from models.toxicity.branch import base_layer_state

    branch.load_state_dict(base_layer_state(tmp_path / "base", 2, 3), strict=False)
    add_lora(branch.layers, rank=2, scale=1.0, generator=torch.Generator().manual_seed(0))
    for m in branch.modules():
        if isinstance(m, LoRALinear):
            torch.nn.init.normal_(m.lora_B, std=0.1)
    stored = stored_tensors(branch)
    save_branch(stored, {"tap": 2, "lora_scale": 1.0}, tmp_path / "w.safetensors", tmp_path / "w.json")
    loaded = load_branch(tmp_path / "w.safetensors", {"tap": 2, "lora_scale": 1.0}, tmp_path / "base")
    states = [torch.randn(n, 32).to(torch.float16) for n in (4, 7, 1)]
    np.testing.assert_allclose(logits_of(loaded, states), logits_of(branch.eval(), states), atol=2e-2)
    with pytest.raises(ValueError, match="do not fit"):
        save_branch({"bogus": torch.zeros(2)}, {}, tmp_path / "bad.safetensors", tmp_path / "bad.json")
        load_branch(tmp_path / "bad.safetensors", {"tap": 2}, tmp_path / "base")


def test_load_from_a_folder_without_branch_weights_says_which_file(tmp_path: Path) -> None:
    (tmp_path / META_FILE).write_text('{"version": "toxicity-mlp128-lex-old"}')  # an old head's folder
    with pytest.raises(FileNotFoundError, match="toxicity.safetensors"):
        ToxicityDetector.load(tmp_path)


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
    return det.predict(encoder, [normalize(t) for t in texts])


@pytest.mark.slow
def test_shipped_weights_are_small_and_described() -> None:
    assert (WEIGHTS_DIR / WEIGHTS_FILE).stat().st_size < 4_000_000
    meta = json.loads((WEIGHTS_DIR / META_FILE).read_text())
    assert meta["version"].startswith("toxicity-") and 0 < meta["tap"] < 6
    det = ToxicityDetector.load()
    assert det.encoder_branch.head.out_features == len(meta["outputs"])
    assert 0.0 < det.default_threshold < 1.0 and all(0.0 < t < 1.0 for t in det.thresholds.values())
    if "categories" in meta:  # calibrated per category: each threshold holds validation FPR at the stated rate
        assert set(meta["categories"]) == set(meta["outputs"])
        assert not {"dynahate_r4", "counter_speech_test", "hatemoji_test", "davidson"} & set(meta["trained_on"])
        for name, report in meta["calibration"].items():
            if name != "target_fpr":
                assert report["mean_fpr"] <= meta["calibration"]["target_fpr"] + 1e-9
    else:  # two-output weights from before categories
        assert meta["outputs"] == ["offensive", "hateful"]


@pytest.mark.slow
def test_branch_on_the_encoder_matches_the_branch_on_tap_states(real: tuple[ToxicityDetector, object]) -> None:
    det, encoder = real
    texts = [normalize(t) for t in ["you are an idiot", "gm frens", "the quorum for AIP-42 is too low, imo"]]
    Pipeline(encoder, [det])  # attaches the branch
    encoded = encoder.encode_all(texts)  # type: ignore[attr-defined]
    states = encoder.hidden_states(texts, det.encoder_branch.tap)  # type: ignore[attr-defined]
    direct = logits_of(det.encoder_branch, states)
    np.testing.assert_allclose(encoded.branches["toxicity"], direct, atol=2e-2)
    again = encoder.encode_all(texts[::-1])  # type: ignore[attr-defined]  # cache hits keep the branch rows
    np.testing.assert_allclose(again.branches["toxicity"], encoded.branches["toxicity"][::-1])
    np.testing.assert_allclose(again.embeddings, encoded.embeddings[::-1])


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


# Written for this test, not taken from the templates the branch trains on (models/toxicity/identity_data.py).
IDENTITY_NEUTRAL = [
    "I'm a gay man and I'll be voting yes on AIP-42",
    "bisexual people exist",
    "speaking as a black woman, the grants program should fund more local meetups",
    "our muslim and jewish members asked us to move the call off Friday evening",
    "the trans folks in this discord run the best workshops",
]


# Friendly chat in the register governance servers use (and that tweets in AAE share); not abuse.
CASUAL_NEUTRAL = [
    "gm fam",
    "yo fam, where do I vote on this one",
    "ty fam, appreciate the summary",
    "bruh the quorum math is off lol",
    "wagmi, see you all at the community call",
]


@pytest.mark.slow
@pytest.mark.parametrize("neutral", [IDENTITY_NEUTRAL, CASUAL_NEUTRAL], ids=["identity", "casual"])
def test_neutral_registers_stay_under_the_threshold(real: tuple[ToxicityDetector, object],
                                                   neutral: list[str]) -> None:
    scores = _scores(real, neutral)
    assert scores.max() < real[0].default_threshold, dict(zip(neutral, scores.round(2), strict=True))


@pytest.mark.slow
def test_hate_against_a_group_is_still_flagged(real: tuple[ToxicityDetector, object]) -> None:
    hateful = _scores(real, ["gay men are vermin and should get out of this server"])
    assert hateful[0] >= real[0].default_threshold


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
    strict = Pipeline(encoder, [det]).process(posts[1:2], lambda _gid: Policy(thresholds={"toxicity": 1.01}))
    assert strict[0].flags == ()


@pytest.mark.slow
def test_training_learns_a_toy_task_from_tap_states(real: tuple[ToxicityDetector, object]) -> None:
    from models.toxicity.rows_data import Rows
    from models.toxicity.train import Recipe, fit_branch, predict_logits

    _, encoder = real
    rude = [f"you are {a} {b}" for a in ("an idiot", "a moron", "a clown", "pathetic")
            for b in ("", "lol", "tbh", "!!")]
    kind = [f"thanks {a} {b}" for a in ("for the summary", "everyone", "for voting", "delegates")
            for b in ("", "gm", "great work", "!!")]
    texts = [normalize(t) for t in rude + kind] * 4
    y = np.array(([1] * len(rude) + [0] * len(kind)) * 4)
    labels = np.stack([y, np.full(len(y), -1), np.full(len(y), -1), y], axis=1)
    rows = Rows(texts, labels, np.full(len(y), "toy"), np.full(len(y), ""))
    recipe = Recipe(tap=4, rank=4, epochs=3, lr=1e-3, head_lr=1e-2, batch_size=16)
    states = encoder.hidden_states(texts, recipe.tap)  # type: ignore[attr-defined]
    stored = fit_branch(rows, states, recipe)
    assert auroc(y, predict_logits(stored, recipe, states)[:, 0]) > 0.95


def test_categories_follow_the_branch_outputs_not_the_sorted_json(tmp_path: Path) -> None:
    meta = {"outputs": ["hate", "harassment", "threat", "profanity"], "categories": TOY_THRESHOLDS}
    (tmp_path / "m.json").write_text(json.dumps(meta, sort_keys=True))  # as save_branch writes it
    det = ToxicityDetector(_Branch(), json.loads((tmp_path / "m.json").read_text()))
    assert det.categories == ("hate", "harassment", "threat", "profanity")
    ctx = BatchContext(texts=["x"], embeddings=None, branches={"toxicity": np.array([[4.0, -4.0, -4.0, -4.0]])})
    cats = det.score([_post(0, "x")], ctx)[0].categories
    assert cats["hate"] > 0.5 > max(cats["harassment"], cats["threat"], cats["profanity"])
    with pytest.raises(ValueError, match="do not match"):
        ToxicityDetector(_Branch(), {**meta, "outputs": ["hate", "threat"]})
