"""Tune the coordination detector's paraphrase cosine threshold on STS-B and MRPC.

Run: HF_HUB_OFFLINE=1 python -m models.coordination.tune_paraphrase [--write]

Positives are MRPC pairs labelled paraphrase and STS-B pairs scored >= 4.0 ("mostly
equivalent"); negatives are the rest. The threshold is the F1-optimal cosine on the *train* splits
(or, with --precision P, the lowest cosine reaching precision P there), reported on the held-out
STS-B dev/test and MRPC test splits, together with the share of clearly unrelated STS-B pairs
(score < 2) above it: that is the error that links two strangers' posts. A precision target on
these sets is very strict because their negatives are hand-picked near misses (MRPC negatives
are sentences about the same news event), far harder than two random messages on a server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np

from models.paths import CACHE_DIR, WEIGHTS_DIR

log = logging.getLogger(__name__)

CACHE_DIR = CACHE_DIR
WEIGHTS = WEIGHTS_DIR / "coordination.json"
STS_POSITIVE = 4.0  # STS-B 4 = "mostly equivalent, unimportant details differ"


def encode_cached(texts: Sequence[str], tag: str) -> np.ndarray:
    """Embed texts with the shared encoder, caching the matrix under models/cache/ by content hash."""
    digest = hashlib.blake2b("\x1f".join(texts).encode("utf-8", "replace"), digest_size=12).hexdigest()
    path = CACHE_DIR / f"{tag}-{digest}.npy"
    if path.exists():
        return np.load(path)
    import torch

    from models.encoder import Encoder

    torch.set_num_threads(2)
    vectors = Encoder(cache_size=0, precision="float32").encode(list(texts))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def pair_cosines(pairs: Sequence[tuple[str, str]], tag: str) -> np.ndarray:
    """Return the cosine of each (a, b) pair's normalised texts."""
    from models.normalize import normalize

    texts = [normalize(t) for pair in pairs for t in pair]
    emb = encode_cached(texts, tag)
    return np.einsum("ij,ij->i", emb[0::2], emb[1::2])


def load_split(name: str) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Return (pairs, binary labels) for 'sts-train', 'sts-dev', 'sts-test', 'mrpc-train', 'mrpc-test'."""
    from models.training import datasets

    corpus, split = name.split("-")
    if corpus == "sts":
        rows = datasets.sts(split)
        return [(a, b) for a, b, _ in rows], np.array([s >= STS_POSITIVE for _, _, s in rows], dtype=int)
    rows2 = datasets.mrpc(split)
    return [(a, b) for a, b, _ in rows2], np.array([y for _, _, y in rows2], dtype=int)


def precision_recall_at(cos: np.ndarray, y: np.ndarray, thr: float) -> tuple[float, float, float]:
    """Return precision, recall and F1 of the rule cos >= thr."""
    pred = cos >= thr
    tp = int((pred & (y == 1)).sum())
    prec = tp / max(int(pred.sum()), 1)
    rec = tp / max(int(y.sum()), 1)
    f1 = 2 * prec * rec / max(prec + rec, 1e-9)
    return prec, rec, f1


def choose_threshold(cos: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Return the lowest threshold on a 0.005 grid whose precision reaches the target."""
    for thr in np.arange(0.5, 0.99, 0.005):
        if precision_recall_at(cos, y, float(thr))[0] >= precision:
            return round(float(thr), 3)
    return 0.99


def main(argv: list[str] | None = None) -> int:
    """Tune on the train splits, report held-out numbers, optionally write models/weights/coordination.json."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--precision", type=float, default=None, help="precision target instead of best F1")
    ap.add_argument("--write", action="store_true", help="store the threshold in coordination.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from models.training import datasets

    sts_scores = {f"sts-{s}": np.array([r[2] for r in datasets.sts(s)]) for s in ("train", "dev", "test")}
    cos_by: dict[str, np.ndarray] = {}
    y_by: dict[str, np.ndarray] = {}
    for name in ("sts-train", "mrpc-train", "sts-dev", "sts-test", "mrpc-test"):
        pairs, y = load_split(name)
        cos_by[name], y_by[name] = pair_cosines(pairs, f"para-{name}"), y
    train_cos = np.concatenate([cos_by["sts-train"], cos_by["mrpc-train"]])
    train_y = np.concatenate([y_by["sts-train"], y_by["mrpc-train"]])
    best_f1_thr = round(float(max(np.arange(0.5, 0.99, 0.005),
                                  key=lambda t: precision_recall_at(train_cos, train_y, t)[2])), 3)
    thr = choose_threshold(train_cos, train_y, args.precision) if args.precision else best_f1_thr
    rule = (f"lowest cosine with precision >= {args.precision}" if args.precision else "F1-optimal cosine")

    from sklearn.metrics import roc_auc_score

    print(f"chosen threshold ({rule} on STS-B + MRPC train): {thr:.3f}; F1-optimal: {best_f1_thr:.3f}")
    print(f"{'split':<11} {'pairs':>6} {'pos':>5} {'AUROC':>6} {'prec':>6} {'recall':>6} {'F1':>6}")
    report: dict[str, dict[str, float]] = {}
    for name, cos in cos_by.items():
        y = y_by[name]
        prec, rec, f1 = precision_recall_at(cos, y, thr)
        auc = float(roc_auc_score(y, cos))
        report[name] = {"pairs": len(y), "auroc": round(auc, 4), "precision": round(prec, 4),
                        "recall": round(rec, 4), "f1": round(f1, 4)}
        print(f"{name:<11} {len(y):>6} {int(y.sum()):>5} {auc:>6.3f} {prec:>6.3f} {rec:>6.3f} {f1:>6.3f}")
    unrelated = np.concatenate([cos_by[n][sts_scores[n] < 2.0] for n in sts_scores])
    far = float((unrelated >= thr).mean())
    report["sts_unrelated_above"] = {"pairs": int(unrelated.size), "share": round(far, 5)}
    print(f"STS-B pairs scored < 2 (unrelated) above the threshold: {far:.4%} of {unrelated.size}")

    if args.write:
        current = json.loads(WEIGHTS.read_text()) if WEIGHTS.exists() else {}
        current["paraphrase_cosine"] = thr
        current["paraphrase_source"] = {
            "command": "python -m models.coordination.tune_paraphrase --write",
            "rule": f"{rule} on STS-B train (positive >= {STS_POSITIVE}) + MRPC train",
            "encoder": "all-MiniLM-L6-v2 on models.normalize text",
            "held_out": {k: v for k, v in report.items() if not k.endswith("train")},
            "tuned_at": datetime.now(UTC).date().isoformat(),
        }
        WEIGHTS.write_text(json.dumps(current, indent=2) + "\n")
        print(f"wrote {WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
