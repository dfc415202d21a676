"""Toxicity detector: fine-tuned top MiniLM layers on the shared pass, one score per category of abuse.

Categories (outputs of the branch, named in the weights' metadata): hate aimed at a group, harassment
aimed at a person, threats, and profanity. Each has its own threshold, calibrated on validation data for a
stated false-positive rate (toxicity.json, `categories`). Category scores are reported on one scale where
0.5 is that category's calibrated threshold: a raw probability p with threshold t becomes 0.5 * p / t below
it and 0.5 + 0.5 * (p - t) / (1 - t) above it. The post's score is the highest scaled score among the
categories that open cases (by default hate, harassment and threats, not profanity on its own; a guild
can choose, see bot/policy.py), so the detector's threshold is 0.5 and one guild threshold moves every
category alike. Older two-output weights (offensive, hateful) score one category, `abuse`: the noisy-OR of
the two, unscaled, with their own `default_threshold`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.detector import REREAD, BatchContext, second_reading
from models.paths import WEIGHTS_DIR
from models.spelling import SpellingRepair, repair_for
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

WEIGHTS_DIR = WEIGHTS_DIR
WEIGHTS_FILE = "toxicity.safetensors"
META_FILE = "toxicity.json"
LINE = 0.5  # the scaled score at each category's calibrated threshold
CASE_CATEGORIES = ("hate", "harassment", "threat", "abuse")  # profanity on its own opens no case by default
WORDS = {
    "hate": "hate aimed at a group",
    "harassment": "harassment or insults aimed at a person",
    "threat": "threat of violence",
    "profanity": "profanity",
    "abuse": "abusive or hateful language",
}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def combine(logits: np.ndarray) -> np.ndarray:
    """Return P(offensive or hateful) = 1 - (1 - p_offensive)(1 - p_hateful) from (n, 2) legacy logits."""
    p = _sigmoid(np.asarray(logits, dtype=np.float64))
    return 1.0 - (1.0 - p[:, 0]) * (1.0 - p[:, 1])


def scale(p: np.ndarray | float, threshold: float) -> np.ndarray:
    """Return probabilities on the common scale: `threshold` maps to 0.5, monotone, 0 -> 0 and 1 -> 1."""
    p = np.asarray(p, dtype=np.float64)
    t = min(max(float(threshold), 1e-6), 1 - 1e-6)
    return np.where(p < t, LINE * p / t, LINE + (1 - LINE) * (p - t) / (1 - t))


def category_thresholds(meta: Mapping[str, Any]) -> dict[str, float]:
    """Return category -> calibrated probability threshold from the weights' metadata."""
    if "categories" in meta:  # in the order of the branch's outputs (the JSON object itself is sorted by name)
        order = meta.get("outputs") or list(meta["categories"])
        if set(order) != set(meta["categories"]):
            raise ValueError(f"toxicity outputs {order} do not match the calibrated categories "
                             f"{list(meta['categories'])}")
        return {str(k): float(meta["categories"][k]) for k in order}
    return {"abuse": float(meta.get("default_threshold", 0.5))}  # two-output weights from before categories


def category_probabilities(logits: np.ndarray, categories: Sequence[str]) -> np.ndarray:
    """Return (n, categories) probabilities from branch logits (legacy two-output logits: their noisy-OR)."""
    logits = np.asarray(logits, dtype=np.float64)
    if list(categories) == ["abuse"]:
        return combine(logits)[:, None]
    if logits.shape[1] != len(categories):
        raise ValueError(f"branch gives {logits.shape[1]} outputs for categories {list(categories)}")
    return _sigmoid(logits)


def describe(scaled: Mapping[str, float], case_categories: Sequence[str], line: float = LINE) -> str:
    """Return a plain-words reading: the strongest category that opens cases, or profanity on its own.

    `scaled` holds category scores and `line` is the score at which they flag (0.5 on the common scale).
    """
    cases = {c: v for c, v in scaled.items() if c in case_categories}
    top = max(cases, key=lambda c: cases[c]) if cases else None
    score = cases[top] if top else 0.0
    if top and score >= line + 0.6 * (1 - line):
        text = WORDS.get(top, top)
    elif top and score >= line:
        text = f"likely {WORDS.get(top, top)}"
    elif scaled.get("profanity", 0.0) >= line:
        text = "profanity, not aimed at anyone (opens no case by default)"
    elif score >= line / 2:
        text = f"borderline: some signs of {WORDS.get(top, top)}" if top else "borderline language"
    else:
        text = "no abusive language found"
    shown = top if top and (score >= line or scaled.get("profanity", 0.0) < line) else "profanity"
    value = scaled.get(shown, 0.0) if shown else 0.0
    return f"{text} ({shown} {value:.2f}; the category's threshold is {line:.2f})" if shown else text


class ToxicityDetector:
    """Score posts per category of abuse from the toxicity branch of the shared pass."""

    name = "toxicity"
    needs_embedding = True

    def __init__(self, branch: Any, meta: dict[str, Any], spelling: SpellingRepair | None = None) -> None:
        """Keep a loaded branch (see models.toxicity.branch) and its metadata; use `load` for shipped weights.

        `spelling`: repairs obfuscated spellings before the branch reads a post (models/spelling.py); None reads
        the normalised text as it is.
        """
        self.encoder_branch = branch
        self.spelling = spelling
        self.meta = dict(meta)
        self.version = str(meta.get("version", "toxicity-unknown"))
        self.thresholds = category_thresholds(meta)
        self.categories = tuple(self.thresholds)
        self.case_categories = frozenset(c for c in self.categories if c in CASE_CATEGORIES)
        # Two-output weights keep their raw score and threshold, so a guild's saved threshold keeps its meaning.
        self.legacy = "categories" not in meta
        self.default_threshold = self.thresholds["abuse"] if self.legacy else LINE

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ToxicityDetector:
        """Load the trained branch from models/weights/ (or weights_dir)."""
        from models.encoder import minilm_path
        from models.toxicity.branch import load_branch

        folder = weights_dir or WEIGHTS_DIR
        if not (folder / WEIGHTS_FILE).is_file():  # e.g. a folder from before the branch (toxicity.npz)
            raise FileNotFoundError(f"{folder / WEIGHTS_FILE} not found")
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        spelling = repair_for(minilm_path() / "vocab.txt") if opts.get("spelling", meta.get("spelling", True)) else None
        det = cls(load_branch(folder / WEIGHTS_FILE, meta, minilm_path()), meta, spelling)
        log.info("toxicity %s loaded (categories %s)", det.version, det.thresholds)
        return det

    def scaled(self, logits: np.ndarray) -> np.ndarray:
        """Return (n, categories) scores on the common scale (0.5 = each category's threshold)."""
        probs = category_probabilities(logits, self.categories)
        if self.legacy:
            return probs
        return np.stack([scale(probs[:, k], self.thresholds[c]) for k, c in enumerate(self.categories)], axis=1)

    def post_scores(self, scaled: np.ndarray, categories: frozenset[str] | None = None) -> np.ndarray:
        """Return each post's score: the highest scaled score among the categories that open cases."""
        chosen = self.case_categories if categories is None else categories
        cols = [k for k, c in enumerate(self.categories) if c in chosen]
        return scaled[:, cols].max(axis=1) if cols else np.zeros(len(scaled))

    def branch_texts(self, texts: Sequence[str]) -> list[str]:
        """Return the second reading of each normalised text: its spelling repaired (the pipeline encodes it too)."""
        if self.spelling is None:
            return list(texts)
        return [self.spelling.repair(t) for t in texts]

    @staticmethod
    def best_reading(logits: np.ndarray, reread: np.ndarray | None) -> np.ndarray:
        """Return per category the higher of the two readings' logits: a repair can only add what it uncovers.

        A repair can also turn slang the vocabulary lacks into a harmless word ("how tarded" -> "how traded"),
        so the post as written keeps its own score.
        """
        return logits if reread is None else np.maximum(logits, reread)

    def predict_categories(self, encoder: Any, texts: Sequence[str]) -> np.ndarray:
        """Return scaled category scores of normalised texts, running the encoder with this detector's branch."""
        if self.name not in encoder.branches:
            encoder.add_branch(self.encoder_branch)
        texts = list(texts)
        logits = encoder.encode_all(texts).branches[self.name]
        reread = second_reading(encoder, self.name, texts, self.branch_texts(texts), logits)
        return self.scaled(self.best_reading(logits, reread))

    def predict(self, encoder: Any, texts: Sequence[str]) -> np.ndarray:
        """Return the post scores of normalised texts (default categories)."""
        return self.post_scores(self.predict_categories(encoder, texts))

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post with its category scores; empty texts score 0 and are never flagged."""
        if not posts:
            return []
        logits = ctx.branches.get(self.name)
        if logits is None:
            raise ValueError("ToxicityDetector needs its branch on the shared encoder (encoder.add_branch)")
        reread = ctx.branches.get(self.name + REREAD)
        scaled = self.scaled(self.best_reading(logits, reread))
        scores = self.post_scores(scaled)
        reread_rows = np.zeros(len(logits), dtype=bool) if reread is None else np.any(reread != logits, axis=1)
        outputs: list[DetectorOutput] = []
        for text, score, row, again in zip(ctx.texts, scores, scaled, reread_rows, strict=True):
            if not text.strip():
                outputs.append(DetectorOutput(0.0, {"summary": "empty text"}, eligible=False))
                continue
            cats = {c: round(float(v), 4) for c, v in zip(self.categories, row, strict=True)}
            evidence: dict[str, Any] = {"summary": describe(cats, sorted(self.case_categories), self.default_threshold),
                                        "categories": cats}
            if again and self.spelling is not None:  # also read with its spelling repaired; the higher score counts
                evidence["read_as"] = self.spelling.repair(text)[:300]
            outputs.append(DetectorOutput(float(score), evidence, categories=cats))
        return outputs
