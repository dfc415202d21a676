"""Toxicity detector: fine-tuned top MiniLM layers on the shared pass, scoring offensive and hateful language.

The score of a post is the chance that it is offensive *or* hateful (noisy-OR of the two heads):
the two labels disagree in the training data (HatEval marks profane but not hateful tweets 0, OLID
marks them 1), so each has its own head and the detector combines them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.detector import BatchContext
from models.paths import WEIGHTS_DIR
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

WEIGHTS_DIR = WEIGHTS_DIR
WEIGHTS_FILE = "toxicity.safetensors"
META_FILE = "toxicity.json"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def combine(logits: np.ndarray) -> np.ndarray:
    """Return P(offensive or hateful) = 1 - (1 - p_offensive)(1 - p_hateful) from (n, 2) logits."""
    p = _sigmoid(np.asarray(logits, dtype=np.float64))
    return 1.0 - (1.0 - p[:, 0]) * (1.0 - p[:, 1])


def describe(score: float, offensive: float, hateful: float, threshold: float) -> str:
    """Return a short human-readable reading of a toxicity score and its two parts."""
    kind = "hateful" if hateful > offensive else "abusive or insulting"
    if score >= max(0.9, threshold):
        text = f"{kind} language"
    elif score >= threshold:
        text = f"likely {kind} language"
    elif score >= threshold / 2:
        text = "borderline language"
    else:
        text = "no abusive language found"
    return f"{text} (score {score:.2f}: offensive {offensive:.2f}, hateful {hateful:.2f})"


class ToxicityDetector:
    """Score posts for abusive, insulting or hateful language from the toxicity branch of the shared pass."""

    name = "toxicity"
    needs_embedding = True

    def __init__(self, branch: Any, meta: dict[str, Any]) -> None:
        """Keep a loaded branch (see models.toxicity.branch) and its metadata; use `load` for shipped weights."""
        self.encoder_branch = branch
        self.meta = dict(meta)
        self.version = str(meta.get("version", "toxicity-unknown"))
        self.default_threshold = float(meta.get("default_threshold", 0.5))

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ToxicityDetector:
        """Load the trained branch from models/weights/ (or weights_dir); opts may set `threshold`."""
        from models.encoder import minilm_path
        from models.toxicity.branch import load_branch

        folder = weights_dir or WEIGHTS_DIR
        if not (folder / WEIGHTS_FILE).is_file():  # e.g. a folder from before the branch (toxicity.npz)
            raise FileNotFoundError(f"{folder / WEIGHTS_FILE} not found")
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        det = cls(load_branch(folder / WEIGHTS_FILE, meta, minilm_path()), meta)
        log.info("toxicity %s loaded (threshold %.3f)", det.version, det.default_threshold)
        return det

    def predict(self, encoder: Any, texts: Sequence[str]) -> np.ndarray:
        """Return toxicity scores of normalised texts, running the encoder with this detector's branch."""
        if self.name not in encoder.branches:
            encoder.add_branch(self.encoder_branch)
        return combine(encoder.encode_all(list(texts)).branches[self.name])

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; empty texts score 0 and are never flagged on their own."""
        if not posts:
            return []
        logits = ctx.branches.get(self.name)
        if logits is None:
            raise ValueError("ToxicityDetector needs its branch on the shared encoder (encoder.add_branch)")
        probs = _sigmoid(np.asarray(logits, dtype=np.float64))
        scores = combine(logits)
        outputs: list[DetectorOutput] = []
        for text, score, (offensive, hateful) in zip(ctx.texts, scores, probs, strict=True):
            if not text.strip():
                outputs.append(DetectorOutput(0.0, {"summary": "empty text"}, eligible=False))
                continue
            evidence = {"summary": describe(float(score), float(offensive), float(hateful), self.default_threshold),
                        "offensive": round(float(offensive), 3), "hateful": round(float(hateful), 3)}
            outputs.append(DetectorOutput(float(score), evidence))
        return outputs
