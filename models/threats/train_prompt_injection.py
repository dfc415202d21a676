"""Train the prompt-injection head on real attacks: MiniLM embedding + rule features, logistic regression.

Data: ../shared/data/threats/prompt_injection/prompt_injection.csv (every source), plus the governance-style
templates of models/data/prompt_injection/train.jsonl and seeded human tweets as everyday chat. The threshold
is picked by 5-fold cross-validation on the training rows only, whole source families out (benign false
positives <= target on sources the fold model never saw).
Embeddings are cached in models/cache/prompt_injection/. Seeded and deterministic.

Run: govmod train prompt_injection [--c 1.0] [--target-fpr 0.0075] [--cv family|group] [--out models/weights]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.paths import DATA_DIR, WEIGHTS_DIR
from models.threats.injection_dataset import embed, family, read_rows
from models.threats.injection_features import FEATURE_NAMES, feature_matrix
from models.threats.injection_windows import flat_windows, max_by_parent
from models.threats.prompt_injection import PromptInjectionDetector, head_input, save_head

log = logging.getLogger(__name__)

DATA_DIR = DATA_DIR / "prompt_injection"
WEIGHTS_DIR = WEIGHTS_DIR
FEATURE_SCALE = 1.0
AGENT_BOOST = 0.15
# Score windows only of long posts whose first-pass score reaches this. Off (above 1): reading the windows moved
# the held-out recall by <= 0.003 (0.496 every long post, 0.493 with a 0.5 gate, 0.494 never) while every window
# costs an encoder pass (reading all of them tripled the encoder's cost on the bench mix). Training still uses
# the windows (benign windows as negatives, the best window of each long attack as a positive).
WINDOW_GATE = 1.1
VERSION = "prompt_injection-lr-8"  # lr-8: rule-breaking personas in more words; first-person requests address
# Benign false positives allowed on out-of-fold scores of whole source families the fold model never saw
# (0.75%, aiming at <= 1% on new sources). Grouped CV by document let the held-out rate drift to 2.5x its
# target (0.5% -> 1.27%); by family it tracks it (0.5% -> 0.67%, 0.75% -> 1.03%, without windows).
TARGET_FPR = 0.0075


@dataclass(frozen=True, slots=True)
class TrainSet:
    """Texts with labels, sources and groups, their embeddings and rule features."""

    texts: list[str]
    labels: np.ndarray
    sources: np.ndarray
    groups: np.ndarray
    embeddings: np.ndarray
    features: np.ndarray
    win_parent: np.ndarray  # per window of a long text: the index of its text
    win_embeddings: np.ndarray
    win_features: np.ndarray

    def take(self, mask: np.ndarray) -> TrainSet:
        """Return the rows where mask is True (with their windows)."""
        new_index = np.cumsum(mask) - 1
        keep = mask[self.win_parent] if len(self.win_parent) else np.zeros(0, dtype=bool)
        return TrainSet([t for t, m in zip(self.texts, mask, strict=True) if m], self.labels[mask],
                        self.sources[mask], self.groups[mask], self.embeddings[mask], self.features[mask],
                        new_index[self.win_parent[keep]], self.win_embeddings[keep], self.win_features[keep])


def extra_rows(chat: int, seed: int = 13) -> list[tuple[str, int, str, str]]:
    """Return (text, label, source, group) rows of the governance templates and `chat` seeded human tweets."""
    import random

    path = DATA_DIR / "train.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = [(str(r["text"]), int(r["label"]), "templates", f"tpl{i}") for i, r in enumerate(rows)]
    if chat > 0:
        from models.training.datasets import human_tweets

        tweets = sorted(set(human_tweets()))
        random.Random(seed).shuffle(tweets)
        out += [(t, 0, "human_tweets", f"tw{i}") for i, t in enumerate(tweets[:chat])]
    return out


def load_trainset(chat: int = 2000) -> TrainSet:
    """Read the shared CSV and the extra rows; embed (cached) and compute rule features."""
    # twins (a clean document and its injected copy) share a group and stay in one fold
    rows = [(r.text, r.label, r.source, r.group) for r in read_rows()] + extra_rows(chat)
    texts = [r[0] for r in rows]
    flat, parent = flat_windows(texts)
    return TrainSet(texts, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                    np.array([r[3] for r in rows]), embed(texts), feature_matrix(texts),
                    parent, embed(flat), feature_matrix(flat))


def _fit_rows(x: np.ndarray, labels: np.ndarray, sources: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, labels, sample_weight=source_weights(sources, labels))
    return model.coef_[0], float(model.intercept_[0])


def fit(data: TrainSet, c: float, use_windows: bool = True) -> tuple[np.ndarray, float]:
    """Fit the source-balanced logistic head; return (weight, bias).

    With windows: every window of a benign text is a benign row; then (one multiple-instance step) the
    best-scoring window of each long injection is added as an injection row and the head is fitted again.
    """
    x = head_input(data.embeddings, data.features, FEATURE_SCALE)
    if not use_windows or not len(data.win_parent):
        return _fit_rows(x, data.labels, data.sources, c)
    xw = head_input(data.win_embeddings, data.win_features, FEATURE_SCALE)
    wlab, wsrc = data.labels[data.win_parent], data.sources[data.win_parent]
    neg = wlab == 0
    x1 = np.vstack([x, xw[neg]])
    lab1, src1 = np.concatenate([data.labels, wlab[neg]]), np.concatenate([data.sources, wsrc[neg]])
    weight, bias = _fit_rows(x1, lab1, src1, c)
    pos = np.flatnonzero(~neg)
    if not len(pos):
        return weight, bias
    best: dict[int, tuple[float, int]] = {}
    for j, m in zip(pos, xw[pos] @ weight + bias, strict=True):
        i = int(data.win_parent[j])
        if i not in best or m > best[i][0]:
            best[i] = (float(m), int(j))
    chosen = np.array(sorted(j for _, j in best.values()), dtype=np.int64)
    return _fit_rows(np.vstack([x1, xw[chosen]]), np.concatenate([lab1, wlab[chosen]]),
                     np.concatenate([src1, wsrc[chosen]]), c)


def source_weights(sources: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Return weights that give every source the same total within its class and both classes the same total."""
    weights = np.zeros(len(labels))
    for label in (0, 1):
        in_class = labels == label
        names = sorted(set(sources[in_class]))
        for name in names:
            sel = in_class & (sources == name)
            weights[sel] = len(labels) / (2 * len(names) * sel.sum())
    return weights


def detector(weight: np.ndarray, bias: float, threshold: float, use_signatures: bool = True,
             use_discussion: bool = True) -> PromptInjectionDetector:
    """Return a detector around a head (the scores the runtime computes, rule floors and ceiling included)."""
    meta = {"version": VERSION, "default_threshold": threshold, "feature_scale": FEATURE_SCALE,
            "features": list(FEATURE_NAMES), "agent_channel_boost": AGENT_BOOST, "window_gate": WINDOW_GATE,
            "signatures": use_signatures, "discussion_ceiling": use_discussion}
    return PromptInjectionDetector(weight, bias, meta)


def scores(det: PromptInjectionDetector, data: TrainSet, use_windows: bool = True) -> np.ndarray:
    """Return the detector's scores of a set: the best of the whole text and its windows, as at run time."""
    first = det.predict(data.embeddings, data.texts, features=data.features)
    if not use_windows or not len(data.win_parent):
        return first
    gate = first[data.win_parent] >= det.window_gate
    win = det.predict(data.win_embeddings[gate], [""] * int(gate.sum()), features=data.win_features[gate])
    return max_by_parent(first, win, data.win_parent[gate])[0]


def threshold_at(benign: Sequence[float], target_fpr: float) -> float:
    """Return the lowest threshold that flags at most target_fpr of these benign scores."""
    ordered = np.sort(np.asarray(benign))[::-1]
    allowed = int(np.floor(target_fpr * len(ordered)))
    return float(min(0.99, ordered[allowed] + 1e-6)) if len(ordered) else 0.5


def cv_threshold(data: TrainSet, c: float, target_fpr: float, folds: int = 5, use_windows: bool = True,
                 use_signatures: bool = True, by_family: bool = False, use_discussion: bool = True) -> float:
    """Pick the threshold from grouped out-of-fold scores of the benign training rows.

    Groups keep a document and its injected twin together; with by_family whole source families leave
    together, so the out-of-fold scores are those of sources the fold model never saw (as when a source is
    held out, or a new kind of text arrives).
    """
    from sklearn.model_selection import GroupKFold

    groups = np.array([family(s) for s in data.sources]) if by_family else data.groups
    oof = np.zeros(len(data.labels))
    for tr, te in GroupKFold(n_splits=min(folds, len(set(groups)))).split(data.embeddings, data.labels, groups):
        w, b = fit(data.take(_mask(len(oof), tr)), c, use_windows)
        oof[te] = scores(detector(w, b, 0.5, use_signatures, use_discussion), data.take(_mask(len(oof), te)),
                         use_windows)
    return threshold_at(oof[data.labels == 0], target_fpr)


def _mask(n: int, idx: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def train(data: TrainSet, c: float, target_fpr: float, use_windows: bool = True, use_signatures: bool = True,
          by_family: bool = False, use_discussion: bool = True) -> PromptInjectionDetector:
    """Fit on all of data and pick the threshold by grouped cross-validation."""
    threshold = cv_threshold(data, c, target_fpr, use_windows=use_windows, use_signatures=use_signatures,
                             by_family=by_family, use_discussion=use_discussion)
    weight, bias = fit(data, c, use_windows)
    return detector(weight, bias, threshold, use_signatures, use_discussion)


def main(argv: list[str] | None = None) -> int:
    """Train on every source, pick the threshold, write prompt_injection.npz / .json."""
    ap = argparse.ArgumentParser(prog="govmod train prompt_injection")
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--target-fpr", type=float, default=TARGET_FPR, help="benign false positives allowed in CV")
    ap.add_argument("--cv", choices=("family", "group"), default="family",
                    help="threshold from out-of-fold scores of whole source families (default) or of groups")
    ap.add_argument("--chat", type=int, default=2000, help="seeded human tweets added as everyday-chat negatives")
    args = ap.parse_args(argv)
    data = load_trainset(args.chat)
    det = train(data, args.c, args.target_fpr, by_family=args.cv == "family")
    meta = {**det.meta, "encoder": "all-MiniLM-L6-v2", "c": args.c, "target_fpr": args.target_fpr, "cv": args.cv,
            "train_rows": len(data.labels), "train_positives": int(data.labels.sum()), "chat_negatives": args.chat,
            "data": "threats/prompt_injection/prompt_injection.csv + models/data/prompt_injection/train.jsonl"}
    save_head(det.weight, det.bias, meta, args.out)
    print(f"trained on {len(data.labels)} rows ({int(data.labels.sum())} injections); "
          f"threshold {det.default_threshold:.3f} from 5-fold CV by {args.cv} (benign FPR target {args.target_fpr})")
    print(f"wrote {args.out / 'prompt_injection.npz'} and prompt_injection.json")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
