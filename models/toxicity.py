"""Toxicity detector: a small trained head on the shared MiniLM embedding of the normalised text."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.domain import DetectorOutput, Post
from bot.pipeline import BatchContext

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "toxicity.npz"
META_FILE = "toxicity.json"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def head_forward(layers: Sequence[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """Return probabilities of a ReLU MLP (or, with one layer, a logistic regression) on rows of x.

    Each layer is (weight of shape (in, out), bias of shape (out,)); the last layer has out == 1.
    """
    h = np.asarray(x, dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return _sigmoid(h[:, 0].astype(np.float64))


def save_head(layers: Sequence[tuple[np.ndarray, np.ndarray]], meta: dict[str, Any], weights_dir: Path) -> None:
    """Write the head's arrays (.npz, float32) and its JSON metadata to weights_dir."""
    weights_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    for i, (w, b) in enumerate(layers):
        arrays[f"w{i}"] = np.asarray(w, dtype=np.float32)
        arrays[f"b{i}"] = np.asarray(b, dtype=np.float32)
    np.savez(weights_dir / WEIGHTS_FILE, **arrays)
    (weights_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_head(weights_dir: Path) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, Any]]:
    """Read the head's layers and metadata written by save_head."""
    with np.load(weights_dir / WEIGHTS_FILE) as data:
        n = sum(1 for k in data.files if k.startswith("w"))
        layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(n)]
    meta = json.loads((weights_dir / META_FILE).read_text(encoding="utf-8"))
    return layers, meta


def describe(score: float, threshold: float) -> str:
    """Return a short human-readable reading of a toxicity score."""
    if score >= max(0.9, threshold):
        text = "abusive or insulting language"
    elif score >= threshold:
        text = "likely abusive or insulting language"
    elif score >= threshold / 2:
        text = "borderline language"
    else:
        text = "no abusive language found"
    return f"{text} (score {score:.2f})"


class ToxicityDetector:
    """Score posts for abusive, insulting or hateful language from their shared embedding."""

    name = "toxicity"
    needs_embedding = True

    def __init__(self, layers: Sequence[tuple[np.ndarray, np.ndarray]], meta: dict[str, Any]) -> None:
        """Keep a loaded head and its metadata (use `load` to read the shipped weights)."""
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers]
        if self.layers[-1][0].shape[1] != 1:
            raise ValueError("the last layer of the toxicity head must have one output")
        self.meta = dict(meta)
        self.version = str(meta.get("version", "toxicity-unknown"))
        self.default_threshold = float(meta.get("default_threshold", 0.5))

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ToxicityDetector:
        """Load the trained head from models/weights/ (or weights_dir); opts may set `threshold`."""
        layers, meta = load_head(weights_dir or WEIGHTS_DIR)
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        det = cls(layers, meta)
        log.info("toxicity head %s loaded (threshold %.3f)", det.version, det.default_threshold)
        return det

    @property
    def input_dim(self) -> int:
        """Return the embedding width the head expects."""
        return int(self.layers[0][0].shape[0])

    def predict(self, embeddings: np.ndarray) -> np.ndarray:
        """Return toxicity probabilities for rows of unit-norm sentence embeddings."""
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self.input_dim:
            raise ValueError(f"expected embeddings of shape (n, {self.input_dim}), got {emb.shape}")
        if len(emb) == 0:
            return np.zeros(0, dtype=np.float64)
        return head_forward(self.layers, emb)

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; empty texts score 0 and are never flagged on their own."""
        if not posts:
            return []
        if ctx.embeddings is None:
            raise ValueError("ToxicityDetector needs the shared embeddings (ctx.embeddings is None)")
        probs = self.predict(ctx.embeddings)
        outputs: list[DetectorOutput] = []
        for text, p in zip(ctx.texts, probs, strict=True):
            if not text.strip():
                outputs.append(DetectorOutput(0.0, {"summary": "empty text"}, eligible=False))
                continue
            score = float(p)
            outputs.append(DetectorOutput(score, {"summary": describe(score, self.default_threshold)}))
        return outputs
