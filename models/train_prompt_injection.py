"""Train the prompt-injection head: MiniLM embedding of the normalised text + rule features, logistic regression.

Run: govmod train prompt_injection [--data models/data/prompt_injection/train.jsonl] [--out models/weights]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np

from models.injection_features import FEATURE_NAMES, feature_matrix
from models.normalize import normalize
from models.prompt_injection import head_input, save_head

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data" / "prompt_injection"
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
FEATURE_SCALE = 0.5
AGENT_BOOST = 0.15


def read_rows(path: Path) -> list[dict[str, object]]:
    """Read a JSONL file of {"text", "label", ...} rows."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def embed(texts: list[str]) -> np.ndarray:
    """Embed the normalised texts with the shared encoder."""
    from models.encoder import Encoder, configure_torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configure_torch(2)
    return Encoder(batch_size=32).encode([normalize(t) for t in texts])


def chat_negatives(n: int, seed: int = 13) -> list[dict[str, object]]:
    """Return n seeded human tweets as negatives: the templated rows alone let emoji chat score as injection."""
    if n <= 0:
        return []
    import random

    from models.datasets import human_tweets

    texts = sorted(set(human_tweets()))
    random.Random(seed).shuffle(texts)
    return [{"text": t, "label": 0, "source": "human_tweets"} for t in texts[:n]]


def pick_threshold(labels: np.ndarray, probs: np.ndarray, min_precision: float = 0.85) -> float:
    """Return the lowest threshold (floor 0.5) whose cross-validated precision reaches `min_precision`."""
    for t in np.arange(0.5, 0.96, 0.02):  # floor 0.5: CV on templated data is optimistic
        pred = probs >= t
        tp = float((pred & (labels == 1)).sum())
        if pred.sum() and tp / pred.sum() >= min_precision:
            return round(float(t), 2)
    return 0.95


def main(argv: list[str] | None = None) -> int:
    """Train, pick the threshold by 5-fold cross-validation, and write the head and metadata."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    ap = argparse.ArgumentParser(prog="govmod train prompt_injection")
    ap.add_argument("--data", type=Path, default=DATA_DIR / "train.jsonl")
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    ap.add_argument("--c", type=float, default=2.0, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--chat-negatives", type=int, default=4000,
                    help="human tweets from ../shared/data added as negatives (everyday chat the head must ignore)")
    args = ap.parse_args(argv)
    rows = read_rows(args.data) + chat_negatives(args.chat_negatives)
    texts = [str(r["text"]) for r in rows]
    labels = np.array([int(r["label"]) for r in rows])  # type: ignore[call-overload]
    x = head_input(embed(texts), feature_matrix(texts), FEATURE_SCALE)
    model = LogisticRegression(C=args.c, class_weight="balanced", max_iter=2000)
    cv = cross_val_predict(model, x, labels, cv=5, method="predict_proba")[:, 1]
    threshold = pick_threshold(labels, cv)
    model.fit(x, labels)
    meta = {
        "version": "prompt_injection-lr-1", "default_threshold": threshold, "feature_scale": FEATURE_SCALE,
        "features": list(FEATURE_NAMES), "agent_channel_boost": AGENT_BOOST, "encoder": "all-MiniLM-L6-v2",
        "train_rows": len(rows), "train_positives": int(labels.sum()), "c": args.c,
        "data": str(args.data.name), "chat_negatives": args.chat_negatives,
    }
    save_head(model.coef_[0], float(model.intercept_[0]), meta, args.out)
    pred = cv >= threshold
    tp = int((pred & (labels == 1)).sum())
    print(f"trained on {len(rows)} rows ({int(labels.sum())} positives); 5-fold CV at threshold {threshold}: "
          f"precision {tp / max(int(pred.sum()), 1):.3f} recall {tp / max(int(labels.sum()), 1):.3f}")
    chat = np.array([r.get("source") == "human_tweets" for r in rows])
    if chat.any():
        print(f"cross-validated false-positive rate on {int(chat.sum())} human tweets: {float(pred[chat].mean()):.4f}")
    print(f"wrote {args.out / 'prompt_injection.npz'} and prompt_injection.json")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
