"""Toxicity detector: a small trained head on the shared MiniLM embedding of the normalised text."""

from __future__ import annotations

import json
import logging
import re
import zlib
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
LEX_DIM = 1 << 16  # hashed word unigrams and bigrams of the lexical component
_WORD = re.compile(r"[a-z][a-z']+")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def head_logits(layers: Sequence[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """Return the logits of a ReLU MLP (or, with one layer, a logistic regression) on rows of x.

    Each layer is (weight of shape (in, out), bias of shape (out,)); the last layer has out == 1.
    """
    h = np.asarray(x, dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        h = h @ w + b
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h[:, 0].astype(np.float64)


def head_forward(layers: Sequence[tuple[np.ndarray, np.ndarray]], x: np.ndarray) -> np.ndarray:
    """Return the probabilities of the embedding head on rows of x."""
    return _sigmoid(head_logits(layers, x))


def lexical_indices(text: str, dim: int = LEX_DIM) -> np.ndarray:
    """Return the sorted hashed ids (crc32 mod dim) of the word unigrams and bigrams of normalised text."""
    words = _WORD.findall(text.lower())
    grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return np.array(sorted({zlib.crc32(g.encode("utf-8")) % dim for g in grams}), dtype=np.int64)


def lexical_logits(texts: Sequence[str], weights: np.ndarray, bias: float) -> np.ndarray:
    """Return the logits of the hashed bag-of-words logistic regression (binary, L2-normalised rows)."""
    out = np.full(len(texts), float(bias), dtype=np.float64)
    for i, text in enumerate(texts):
        idx = lexical_indices(text, len(weights))
        if len(idx):
            out[i] += float(weights[idx].astype(np.float64).sum()) / np.sqrt(len(idx))
    return out


Lexical = tuple[np.ndarray, float]  # hashed bag-of-words weights (LEX_DIM,) and bias


def save_head(layers: Sequence[tuple[np.ndarray, np.ndarray]], meta: dict[str, Any], weights_dir: Path,
              lexical: Lexical | None = None) -> None:
    """Write the head's arrays (.npz; MLP float32, lexical weights float16) and JSON metadata."""
    weights_dir.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    if lexical is not None:
        arrays["lex_w"] = np.asarray(lexical[0], dtype=np.float16)
        arrays["lex_b"] = np.asarray([lexical[1]], dtype=np.float32)
    for i, (w, b) in enumerate(layers):
        arrays[f"w{i}"] = np.asarray(w, dtype=np.float32)
        arrays[f"b{i}"] = np.asarray(b, dtype=np.float32)
    np.savez(weights_dir / WEIGHTS_FILE, **arrays)
    (weights_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_head(weights_dir: Path) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, Any], Lexical | None]:
    """Read the head's layers, metadata and optional lexical component written by save_head."""
    with np.load(weights_dir / WEIGHTS_FILE) as data:
        n = sum(1 for k in data.files if k.startswith("w"))
        layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(n)]
        lexical = (data["lex_w"].astype(np.float32), float(data["lex_b"][0])) if "lex_w" in data.files else None
    meta = json.loads((weights_dir / META_FILE).read_text(encoding="utf-8"))
    return layers, meta, lexical


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


def blend(mlp_logits: np.ndarray, lex_logits: np.ndarray | None, lexical_weight: float) -> np.ndarray:
    """Return the probability from a weighted mean of the embedding-head and lexical logits."""
    if lex_logits is None:
        return _sigmoid(mlp_logits)
    return _sigmoid((1.0 - lexical_weight) * mlp_logits + lexical_weight * lex_logits)


class ToxicityDetector:
    """Score posts for abusive, insulting or hateful language: embedding head + hashed word n-grams."""

    name = "toxicity"
    needs_embedding = True

    def __init__(self, layers: Sequence[tuple[np.ndarray, np.ndarray]], meta: dict[str, Any],
                 lexical: Lexical | None = None) -> None:
        """Keep a loaded head, its metadata and optional lexical component (use `load` for shipped weights)."""
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers]
        if self.layers[-1][0].shape[1] != 1:
            raise ValueError("the last layer of the toxicity head must have one output")
        self.lexical = lexical
        self.lexical_weight = float(meta.get("lexical_weight", 0.5)) if lexical is not None else 0.0
        self.meta = dict(meta)
        self.version = str(meta.get("version", "toxicity-unknown"))
        self.default_threshold = float(meta.get("default_threshold", 0.5))

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ToxicityDetector:
        """Load the trained head from models/weights/ (or weights_dir); opts may set `threshold`."""
        layers, meta, lexical = load_head(weights_dir or WEIGHTS_DIR)
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        det = cls(layers, meta, lexical)
        log.info("toxicity head %s loaded (threshold %.3f)", det.version, det.default_threshold)
        return det

    @property
    def input_dim(self) -> int:
        """Return the embedding width the head expects."""
        return int(self.layers[0][0].shape[0])

    def predict(self, embeddings: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Return toxicity probabilities from unit-norm embeddings and the matching normalised texts.

        The texts feed the lexical component; they are required when the head has one.
        """
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self.input_dim:
            raise ValueError(f"expected embeddings of shape (n, {self.input_dim}), got {emb.shape}")
        if len(emb) == 0:
            return np.zeros(0, dtype=np.float64)
        lex = None
        if self.lexical is not None:
            if texts is None or len(texts) != len(emb):
                raise ValueError("this toxicity head has a lexical component: pass the normalised texts")
            lex = lexical_logits(texts, *self.lexical)
        return blend(head_logits(self.layers, emb), lex, self.lexical_weight)

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; empty texts score 0 and are never flagged on their own."""
        if not posts:
            return []
        if ctx.embeddings is None:
            raise ValueError("ToxicityDetector needs the shared embeddings (ctx.embeddings is None)")
        probs = self.predict(ctx.embeddings, ctx.texts)
        outputs: list[DetectorOutput] = []
        for text, p in zip(ctx.texts, probs, strict=True):
            if not text.strip():
                outputs.append(DetectorOutput(0.0, {"summary": "empty text"}, eligible=False))
                continue
            score = float(p)
            outputs.append(DetectorOutput(score, {"summary": describe(score, self.default_threshold)}))
        return outputs
