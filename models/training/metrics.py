"""Score a detector on labelled data: the one AUROC every training and evaluation script uses."""

from __future__ import annotations

import numpy as np


def auroc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Return the area under the ROC curve: the chance a positive outranks a negative, ties counting half.

    NaN when one class is missing. Same value as scikit-learn's roc_auc_score, without the dependency.
    """
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = s.argsort(kind="mergesort")
    _, inverse, counts = np.unique(s[order], return_inverse=True, return_counts=True)
    average = np.bincount(inverse, weights=np.arange(1, len(s) + 1)) / counts  # 1-based mean rank of each tie
    ranks = np.empty(len(s))
    ranks[order] = average[inverse]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auroc_of(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Return the AUROC of positive scores against negative scores."""
    pos, neg = np.asarray(positives, dtype=np.float64), np.asarray(negatives, dtype=np.float64)
    return auroc(np.r_[np.ones(len(pos), bool), np.zeros(len(neg), bool)], np.r_[pos, neg])
