"""Prompt injection aimed at AI agents: a logistic head on the shared embedding plus rule features."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.detector import BatchContext
from models.normalize import normalize
from models.paths import WEIGHTS_DIR
from models.threats.guild_context import GuildContexts, GuildThreatContext
from models.threats.injection_features import (
    DISCUSSION_CEILING,
    FEATURE_NAMES,
    INSTRUCTION_RULES,
    SIGNATURE_DESCRIPTIONS,
    described,
    extract,
    feature_matrix,
    rule_floor,
    signature_floor,
    signatures,
)
from models.threats.injection_windows import WINDOW_STRIDE, flat_windows, max_by_parent
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")

WEIGHTS_DIR = WEIGHTS_DIR
WEIGHTS_FILE = "prompt_injection.npz"
META_FILE = "prompt_injection.json"
EMBED_DIM = 384


def head_input(embeddings: np.ndarray, features: np.ndarray, feature_scale: float) -> np.ndarray:
    """Return the head's input rows: the embedding next to the scaled rule features."""
    return np.hstack([np.asarray(embeddings, dtype=np.float32), np.asarray(features, dtype=np.float32) * feature_scale])


def save_head(weight: np.ndarray, bias: float, meta: dict[str, Any], weights_dir: Path) -> None:
    """Write the head (.npz) and its metadata (.json)."""
    weights_dir.mkdir(parents=True, exist_ok=True)
    np.savez(weights_dir / WEIGHTS_FILE, w=np.asarray(weight, dtype=np.float32), b=np.float32(bias))
    (weights_dir / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


class PromptInjectionDetector:
    """Score posts that address an AI agent with instructions (override, role-play, transfers, hidden payloads)."""

    name = "prompt_injection"
    needs_embedding = True

    def __init__(self, weight: np.ndarray, bias: float, meta: dict[str, Any]) -> None:
        """Keep a loaded head and its metadata (use `load` for the shipped weights)."""
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = float(bias)
        self.meta = dict(meta)
        self.version = str(meta.get("version", "prompt_injection-unknown"))
        self.default_threshold = float(meta.get("default_threshold", 0.5))
        self.feature_scale = float(meta.get("feature_scale", 1.0))
        self.agent_boost = float(meta.get("agent_channel_boost", 0.15))
        self.window_gate = float(meta.get("window_gate", 1.1))  # above 1: never window (heads trained without)
        self.use_signatures = bool(meta.get("signatures", False))  # attack-format signatures floor the score
        self.use_discussion = bool(meta.get("discussion_ceiling", False))  # third-person descriptions stay under
        if list(meta.get("features", FEATURE_NAMES)) != list(FEATURE_NAMES):
            raise ValueError("prompt_injection weights were trained on other rule features; retrain them")
        if self.weight.shape != (EMBED_DIM + len(FEATURE_NAMES),):
            raise ValueError(f"prompt_injection head has shape {self.weight.shape}; retrain it")
        self.guilds = GuildContexts()

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> PromptInjectionDetector:
        """Load the trained head from models/weights/ (or weights_dir); opts may set `threshold`."""
        folder = weights_dir or WEIGHTS_DIR
        if not (folder / WEIGHTS_FILE).exists() and (WEIGHTS_DIR / WEIGHTS_FILE).exists():
            folder = WEIGHTS_DIR
        with np.load(folder / WEIGHTS_FILE) as data:
            weight, bias = data["w"], float(data["b"])
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        det = cls(weight, bias, meta)
        log.info("prompt_injection head %s loaded (threshold %.3f)", det.version, det.default_threshold)
        return det

    def configure(self, guild_id: str, context: GuildThreatContext) -> None:
        """Take the channels an AI agent reads in a guild."""
        self.guilds.set(guild_id, context)

    def predict(self, embeddings: np.ndarray, raws: Sequence[str], features: np.ndarray | None = None,
                told: np.ndarray | None = None) -> np.ndarray:
        """Return injection scores from embeddings of the normalised texts and the raw texts (rule floors applied).

        `told`: which texts describe injection in the third person, if the caller has it (else computed here).
        """
        if len(raws) == 0:
            return np.zeros(0)
        feats = feature_matrix(list(raws)) if features is None else features
        z = head_input(embeddings, feats, self.feature_scale) @ self.weight + self.bias
        head = 0.5 * (1.0 + np.tanh(0.5 * z.astype(np.float64)))
        if not self.use_discussion:
            told = np.zeros(len(raws), dtype=bool)  # no text is read as a discussion (the lr-4 behaviour)
        elif told is None:
            told = described(list(raws), feats)
        head = np.where(told, np.minimum(head, DISCUSSION_CEILING), head)
        probs = np.maximum(head, rule_floor(feats))
        return np.maximum(probs, signature_floor(list(raws), feats, told)) if self.use_signatures else probs

    def window_scores(self, raws: Sequence[str], first: np.ndarray, encode: Callable[[list[str]], np.ndarray] | None
                      ) -> tuple[np.ndarray, list[tuple[int, str] | None]]:
        """Return the best of each post's first-pass score and its windows' scores, and the best window.

        Only long posts whose first-pass score reaches the window gate are windowed (a cascade: each window
        costs an encoder pass; a window is (first word, text)); without `encode` the first pass stands.
        """
        gated = [r if f >= self.window_gate else "" for r, f in zip(raws, first, strict=True)]
        flat, parent = flat_windows(gated) if encode is not None else ([], np.zeros(0, dtype=np.int64))
        if not flat or encode is None:
            return first, [None] * len(raws)
        win = self.predict(encode([normalize(w) for w in flat]), flat)
        best, where = max_by_parent(first, win, parent)
        starts = np.searchsorted(parent, parent)  # index of each post's first window
        return best, [((j - int(starts[j])) * WINDOW_STRIDE, flat[j]) if j >= 0 else None for j in where]

    def strongest_sentence(self, window: str, encode: Callable[[list[str]], np.ndarray]) -> str:
        """Return the sentence of a window the head scores highest (only run for flagged long posts)."""
        sentences = [x for x in _SENTENCE.split(window) if len(x.split()) >= 3] or [window]
        probs = self.predict(encode([normalize(x) for x in sentences]), sentences)
        return sentences[int(np.argmax(probs))]

    def _agent_reads(self, post: Post) -> bool:
        channels = self.guilds.get(post.guild_id).agent_channels
        return bool(channels) and bool({post.channel_id, post.thread_id, post.parent_id} & channels)

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; the score is raised in channels an AI agent reads."""
        if not posts:
            return []
        if ctx.embeddings is None:
            raise ValueError("PromptInjectionDetector needs the shared embeddings (ctx.embeddings is None)")
        raws = [p.scoring_text for p in posts]
        extracted = [extract(r) for r in raws]
        features = np.stack([f.vector for f in extracted])
        told = described(raws, features) if self.use_discussion else np.zeros(len(raws), dtype=bool)
        first = self.predict(ctx.embeddings, raws, features=features, told=told)
        probs, buried = self.window_scores(raws, first, ctx.encode)
        outputs = []
        for post, raw, prob, feats, window, discussion in zip(posts, raws, probs, extracted, buried, told, strict=True):
            score = float(prob)
            reasons = feats.describe()
            if self.use_signatures:
                # the override rule says it in words already, unless it only fired on misspelt words spelt out
                reasons += [SIGNATURE_DESCRIPTIONS[n] for n in signatures(raw, feats.vector, bool(discussion))
                            if n != "override" or "ignore_instructions" not in feats.fired]
            if discussion:
                reasons.append("talks about AI models or attackers in the third person and instructs none "
                               f"(read as a discussion: the model's score is capped at {DISCUSSION_CEILING:.2f})")
            if window is not None and score >= 0.5 and ctx.encode is not None:
                window = (window[0], self.strongest_sentence(window[1], ctx.encode))
                reasons.append(_buried_reason(raw, window))
            evidence: dict[str, Any] = {}
            signals = set(feats.fired) - {"topic_discussion", "quoted_instruction"}
            if signals and self._agent_reads(post):
                score = min(1.0, score + self.agent_boost)
                reasons.append("posted in a channel an AI agent reads")
            if reasons:
                lead = "discusses prompt injection rather than giving an AI instructions" if discussion \
                    else "addresses an AI agent with instructions" if set(feats.fired) & set(INSTRUCTION_RULES) \
                    else "may try to steer an AI agent"
                evidence = {"summary": f"{lead} (score {score:.2f})", "signals": reasons}
                if feats.hidden:
                    evidence["hidden_text"] = list(feats.hidden[:2])
                if window is not None and score >= 0.5:
                    evidence["buried_text"] = window[1][:200]
            outputs.append(DetectorOutput(round(score, 4), evidence, eligible=len(raw.strip()) >= 8))
        return outputs


def _buried_reason(raw: str, window: tuple[int, str]) -> str:
    """Say in plain words where in a long post the instruction-like passage sits."""
    words = len(raw.split())
    start, text = window
    where = "near the end" if start > 0.6 * words else "in the middle" if start > 0 else "at the start"
    quote = text if len(text) <= 160 else text[:157] + "..."
    return f"an instruction-like passage {where} of a long post ({words} words): '{quote}'"
