"""Second training stage on the hard sets, and weight-space interpolation with the first (WiSE-FT).

Stage 1 trains on every source. Stage 2 continues from it on the sets that teach the distinctions
(DynaHate, counter-speech, Hatemoji) plus a replay share of the others, at a lower learning rate. The
shipped weights are alpha * stage2 + (1 - alpha) * stage1 (Wortsman et al. 2022), with alpha chosen on the
validation rows only. LoRA factors are interpolated exactly: the product of the concatenated factors
[sqrt(a) B2, sqrt(1-a) B1] [sqrt(a) A2; sqrt(1-a) A1] is a B2 A2 + (1-a) B1 A1 (the stored rank doubles).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from models.toxicity.rows_data import OUTPUTS, Rows
from models.training.metrics import auroc

log = logging.getLogger(__name__)

HARD_SOURCES = ("dynahate_r123", "counter_speech_train")
ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def interpolate(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor], alpha: float) -> dict[str, Any]:
    """Return stored tensors whose merged branch is alpha * second + (1 - alpha) * first."""
    if set(first) != set(second):
        raise ValueError("the two stages store different tensors")
    a, b = math.sqrt(alpha), math.sqrt(1.0 - alpha)
    out: dict[str, torch.Tensor] = {}
    for key in second:
        if key.endswith(".lora_A"):
            out[key] = torch.cat([a * second[key].float(), b * first[key].float()], dim=0)
        elif key.endswith(".lora_B"):
            out[key] = torch.cat([a * second[key].float(), b * first[key].float()], dim=1)
        else:
            out[key] = alpha * second[key].float() + (1.0 - alpha) * first[key].float()
    return out


def replay_mask(rows: Rows, hard: Sequence[str], share: float, seed: int) -> np.ndarray:
    """Return a mask of every row of the hard sources and a seeded `share` of the others."""
    rng = np.random.default_rng(seed + 1)
    is_hard = np.isin(rows.src, list(hard))
    return is_hard | (rng.random(len(rows)) < share)


def validation_score(val: Rows, logits: np.ndarray) -> float:
    """Return the mean AUROC over (category, validation source) cells with both labels present."""
    vals = []
    for k in range(len(OUTPUTS)):
        y = val.labels[:, k]
        for name in np.unique(val.src):
            m = (val.src == name) & (y >= 0)
            if len(np.unique(y[m])) == 2 and m.sum() >= 30:
                vals.append(auroc(y[m], logits[m, k]))
    return float(np.mean(vals))


def second_stage(split: Any, first: dict[str, torch.Tensor], recipe: Any, epochs: int,
                 replay: float = 0.25) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train stage 2 from stage 1, pick alpha on validation; return the interpolated tensors and a report."""
    from models.toxicity.train import fit_branch, predict_logits

    mask = replay_mask(split.fit, HARD_SOURCES, replay, recipe.seed)
    rows = split.fit.subset(mask)
    states = [s for s, m in zip(split.fit_states, mask, strict=True) if m]
    log.info("stage 2: %d rows (hard sets and a %.0f%% replay of the others)", len(rows), 100 * replay)
    second = fit_branch(rows, states, replace(recipe, lr=recipe.lr / 2, head_lr=recipe.head_lr / 2, epochs=epochs),
                        progress=log.info, init=first)
    scores = {}
    for alpha in ALPHAS:
        stored = interpolate(first, second, alpha)
        scores[alpha] = round(validation_score(split.val, predict_logits(stored, recipe, split.val_states)), 4)
        log.info("stage 2 alpha %.2f: validation mean AUROC %.4f", alpha, scores[alpha])
    best = max(ALPHAS, key=lambda a: (scores[a], a))
    report = {"epochs": epochs, "replay": replay, "rows": len(rows), "alpha": best,
              "validation_mean_auroc": {str(a): s for a, s in scores.items()}}
    return interpolate(first, second, best), report
