"""Per-category default thresholds, chosen on validation data for a stated false-positive rate.

For each category, the threshold is the lowest one at which the non-abusive validation texts of that
category (label 0) are flagged at most `fpr` of the time, averaged over their sources (every source counts
the same, however large). Only validation rows are used: the seeded dev share of each training source and
the validation splits of counter-speech and Hatemoji, never a test split.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.toxicity.rows_data import OUTPUTS, Rows

GRID = np.round(np.arange(0.05, 0.995, 0.005), 3)
MIN_NEGATIVES = 30  # a source with fewer negatives of a category does not vote on its threshold


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def mean_fpr(p: np.ndarray, y: np.ndarray, src: np.ndarray, threshold: float) -> float:
    """Return the mean over sources (with enough negatives) of the share of negatives at or above threshold."""
    rates = []
    for name in np.unique(src):
        neg = (src == name) & (y == 0)
        if neg.sum() >= MIN_NEGATIVES:
            rates.append(float((p[neg] >= threshold).mean()))
    return float(np.mean(rates)) if rates else 0.0


def threshold_for_fpr(p: np.ndarray, y: np.ndarray, src: np.ndarray, fpr: float) -> float:
    """Return the lowest grid threshold whose mean per-source false-positive rate is at most fpr."""
    for t in GRID:
        if mean_fpr(p, y, src, float(t)) <= fpr:
            return float(t)
    return float(GRID[-1])


def calibrate(val: Rows, logits: np.ndarray, fpr: float) -> dict[str, Any]:
    """Return {"thresholds": {category: t}, "report": per-category FPR and recall per validation source}."""
    probs = sigmoid(logits)
    thresholds: dict[str, float] = {}
    report: dict[str, Any] = {}
    for k, name in enumerate(OUTPUTS):
        y, p = val.labels[:, k], probs[:, k]
        t = threshold_for_fpr(p, y, val.src, fpr)
        thresholds[name] = t
        per_source = {}
        for source in np.unique(val.src[y >= 0]):
            m = val.src == source
            neg, pos = m & (y == 0), m & (y == 1)
            per_source[str(source)] = {
                "negatives": int(neg.sum()), "fpr": round(float((p[neg] >= t).mean()), 4) if neg.any() else None,
                "positives": int(pos.sum()), "recall": round(float((p[pos] >= t).mean()), 4) if pos.any() else None,
            }
        report[name] = {"threshold": t, "mean_fpr": round(mean_fpr(p, y, val.src, t), 4), "sources": per_source}
    return {"thresholds": thresholds, "report": report}
