"""Per-category default thresholds, chosen on validation data for a stated false-positive rate.

For each category, the threshold is the lowest one at which the non-abusive validation texts of that
category (label 0) are flagged at most `fpr` of the time, averaged over the sources that label the category
both ways (a source with no positives of a category does not vote: its negatives are easy ones, and they
would hide the false positives of the sources that matter), every such source counting the same. The
templated identity sentences do not vote (they are not real posts). Only validation rows are used: the
seeded dev share of each training source and the validation splits of counter-speech and Hatemoji.

Run on trained weights: ``python -m models.toxicity.train_calibrate --weights DIR [--fpr 0.05]`` rewrites
the thresholds in DIR/toxicity.json from the same validation rows (`govmod train toxicity` does it itself).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.toxicity.rows_data import OUTPUTS, Rows

GRID = np.round(np.arange(0.05, 0.995, 0.005), 3)
MIN_NEGATIVES, MIN_POSITIVES = 30, 5  # a source with fewer of a category does not vote on its threshold
SYNTHETIC = ("identity_templates",)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic function of z, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def mean_fpr(p: np.ndarray, y: np.ndarray, src: np.ndarray, threshold: float) -> float:
    """Return the mean over voting sources of the share of their negatives at or above threshold.

    A source votes when it has MIN_NEGATIVES negatives and MIN_POSITIVES positives and is not synthetic.
    """
    rates = []
    for name in np.unique(src):
        neg, pos = (src == name) & (y == 0), (src == name) & (y == 1)
        if neg.sum() >= MIN_NEGATIVES and pos.sum() >= MIN_POSITIVES and name not in SYNTHETIC:
            rates.append(float((p[neg] >= threshold).mean()))
    if not rates:
        raise ValueError("no validation source labels this category both ways: cannot calibrate it")
    return float(np.mean(rates))


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


def main(argv: list[str] | None = None) -> int:
    """Recalibrate the category thresholds of a trained weights folder on its validation rows."""
    import argparse
    import json
    import logging
    from pathlib import Path

    from models.toxicity.rows_data import LOADERS, VALIDATION_SOURCES, concat
    from models.toxicity.train import Recipe, dev_split, load_stored, predict_logits, recipe_from
    from models.toxicity.train_cache import TapStates

    parser = argparse.ArgumentParser(prog="python -m models.toxicity.train_calibrate")
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--fpr", type=float, default=0.05)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    path = args.weights / "toxicity.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    recipe: Recipe = recipe_from(meta["hyperparameters"])
    cache = TapStates(recipe.tap)
    parts, states = [], []
    for name in meta["trained_on"]:
        rows = LOADERS[name]()
        dev = dev_split(rows.toxic, rows.src, float(meta["hyperparameters"].get("dev_frac", 0.1)), recipe.seed)
        parts.append(rows.subset(dev))
        states += [s for s, d in zip(cache.of(name, rows.texts), dev, strict=True) if d]
    for name in VALIDATION_SOURCES:
        rows = LOADERS[name]()
        parts.append(rows)
        states += cache.of(name, rows.texts)
    val = concat(parts)
    out = calibrate(val, predict_logits(load_stored(args.weights), recipe, states), args.fpr)
    meta["categories"] = out["thresholds"]
    meta["calibration"] = {"target_fpr": args.fpr, **out["report"]}
    meta["default_threshold"] = 0.5
    meta["calibrated_by"] = f"python -m models.toxicity.train_calibrate --weights DIR --fpr {args.fpr}"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name, t in out["thresholds"].items():
        print(f"{name}: threshold {t:.3f}, validation mean FPR {out['report'][name]['mean_fpr']:.4f}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
