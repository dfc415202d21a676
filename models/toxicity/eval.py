"""Evaluate the toxicity detector on data it was not trained on; print a table, optionally write JSON.

Run: ``python -m models.toxicity.eval [--weights DIR] [--json FILE] [--skip-cross] [--strict]``.

1. held-out: the shipped detector on TweetEval offensive and hate validation splits;
2. cross-dataset: a model trained without one data set, tested on it: without Davidson -> Davidson
   (the shipped model itself when Davidson was not in its mix, else a retrain), and the same recipe
   (hyperparameters from the shipped metadata) retrained on Davidson only -> TweetEval val;
3. identity-term bias: false-positive rate on neutral (label_hate 0) ToxiGen sentences per target
   group, at the shipped default threshold (ToxiGen is never used for training).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from models.toxicity.detector import WEIGHTS_DIR, ToxicityDetector, combine
from models.toxicity.train import (
    TRAIN_SOURCES,
    Rows,
    TapStates,
    fit_branch,
    load_rows,
    predict_logits,
    prf_at,
    recipe_from,
)
from models.training.metrics import auroc

log = logging.getLogger(__name__)

HELD_OUT = ("tweeteval_offensive_val", "tweeteval_hate_val")
TARGETS = {"tweeteval_offensive_val": 0.85, "tweeteval_hate_val": 0.75}
CROSS = (
    ("without Davidson", tuple(s for s in TRAIN_SOURCES if s != "davidson"), ("davidson",)),
    ("Davidson only", ("davidson",), HELD_OUT),
)


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Return n, positive rate, AUROC and precision/recall/F1 at a threshold."""
    precision, recall, f1 = prf_at(y, p, threshold)
    return {
        "n": int(len(y)),
        "positive_rate": round(float(y.mean()), 4),
        "auroc": round(auroc(y, p), 4),
        "f1": round(f1, 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "threshold": round(threshold, 4),
    }


class Shipped:
    """The shipped detector on the shared encoder, scoring texts exactly as the pipeline does."""

    def __init__(self, det: ToxicityDetector) -> None:
        """Load the shared encoder; the detector's branch is attached on first use."""
        from models.encoder import Encoder

        self.det = det
        self.encoder = Encoder(cache_size=0)

    def scores(self, rows: Rows) -> np.ndarray:
        """Return the detector's scores of the rows' normalised texts."""
        return self.det.predict(self.encoder, rows.texts)


def held_out(model: Shipped) -> dict[str, Any]:
    """Return metrics of the shipped detector on the validation splits it never saw."""
    out: dict[str, Any] = {}
    for name in HELD_OUT:
        rows = load_rows([name])
        out[name] = binary_metrics(rows.toxic, model.scores(rows), model.det.default_threshold)
        out[name]["auroc_target"] = TARGETS[name]
    return out


def cross_dataset(model: Shipped) -> dict[str, Any]:
    """Retrain the shipped recipe without a data set and test on it (slow: a fine-tuning run each)."""
    det = model.det
    recipe = recipe_from(det.meta.get("hyperparameters", {}))
    shipped = tuple(det.meta.get("trained_on", {}))
    states = TapStates(recipe.tap, model.encoder)  # one encoder for the whole evaluation
    out: dict[str, Any] = {}
    for label, train, tests in CROSS:
        if set(train) == set(shipped):  # the shipped model already is this run: test it, do not retrain
            label = f"{label} (the shipped model)"
            stored = None
        else:
            stored = fit_branch(*states.stacked(train), recipe, progress=log.info)
        for name in tests:
            if stored is None:
                test_rows = load_rows([name])
                p = model.scores(test_rows)
            else:
                test_rows, test_states = states.stacked([name])
                p = combine(predict_logits(stored, recipe, test_states))
            out[f"{label} -> {name}"] = {"train": list(train), "test": name,
                                         **binary_metrics(test_rows.toxic, p, det.default_threshold)}
    return out


def toxigen_bias(model: Shipped) -> dict[str, Any]:
    """Return per-target-group false-positive rates on neutral ToxiGen sentences (and toxic recall)."""
    from models.training import datasets

    rows = load_rows(["toxigen"])
    y, p = rows.toxic, model.scores(rows)
    g = np.array([e.group for e in datasets.toxigen()])
    threshold = model.det.default_threshold
    flagged = p >= threshold
    per_group: dict[str, Any] = {}
    for group in sorted(set(g.tolist())):
        neutral, toxic = (g == group) & (y == 0), (g == group) & (y == 1)
        per_group[group] = {
            "n_neutral": int(neutral.sum()),
            "fpr": round(float(flagged[neutral].mean()), 4) if neutral.any() else None,
            "mean_score_neutral": round(float(p[neutral].mean()), 4) if neutral.any() else None,
            "n_toxic": int(toxic.sum()),
            "recall": round(float(flagged[toxic].mean()), 4) if toxic.any() else None,
        }
    fprs = [v["fpr"] for v in per_group.values() if v["fpr"] is not None]
    return {
        "threshold": round(threshold, 4),
        "overall": {**binary_metrics(y, p, threshold), "fpr": round(float(flagged[y == 0].mean()), 4)},
        "fpr_max_minus_min": round(max(fprs) - min(fprs), 4) if fprs else None,
        "groups": per_group,
    }


def render(report: dict[str, Any]) -> str:
    """Return the report as a plain-text table."""
    lines = [f"toxicity detector {report['version']} (default threshold {report['threshold']:.3f})", ""]
    head = f"{'evaluation':<52} {'n':>6} {'pos%':>6} {'AUROC':>6} {'F1':>6} {'P':>6} {'R':>6}"
    lines += ["held-out validation (never trained on)", head]
    for name, m in report["held_out"].items():
        ok = "ok" if m["auroc"] >= m["auroc_target"] else "BELOW"
        lines.append(_row(name, m) + f"  target >= {m['auroc_target']:.2f} {ok}")
    if report.get("cross_dataset"):
        lines += ["", "cross-dataset (same recipe retrained without the test set)", head]
        lines += [_row(name, m) for name, m in report["cross_dataset"].items()]
    bias = report["toxigen"]
    lines += ["", f"ToxiGen (never trained on), threshold {bias['threshold']:.3f}", head,
              _row("toxigen (all groups)", bias["overall"]),
              f"overall FPR on neutral sentences {bias['overall']['fpr']:.3f}; "
              f"max-min FPR gap across groups {bias['fpr_max_minus_min']:.3f}", "",
              f"{'target group':<28} {'neutral':>7} {'FPR':>6} {'mean p':>7} {'toxic':>6} {'recall':>7}"]
    for group, m in bias["groups"].items():
        fpr = "-" if m["fpr"] is None else f"{m['fpr']:.3f}"
        mean = "-" if m["mean_score_neutral"] is None else f"{m['mean_score_neutral']:.3f}"
        rec = "-" if m["recall"] is None else f"{m['recall']:.3f}"
        lines.append(f"{group:<28} {m['n_neutral']:>7} {fpr:>6} {mean:>7} {m['n_toxic']:>6} {rec:>7}")
    return "\n".join(lines)


def _row(name: str, m: dict[str, Any]) -> str:
    return (f"{name:<52} {m['n']:>6} {100 * m['positive_rate']:>5.1f}% {m['auroc']:>6.3f} "
            f"{m['f1']:>6.3f} {m['precision']:>6.3f} {m['recall']:>6.3f}")


def evaluate(weights_dir: Path, *, cross: bool = True) -> dict[str, Any]:
    """Run every evaluation and return the report as a JSON-able dict."""
    det = ToxicityDetector.load(weights_dir)
    model = Shipped(det)
    report: dict[str, Any] = {
        "version": det.version,
        "threshold": det.default_threshold,
        "trained_on": det.meta.get("trained_on", list(TRAIN_SOURCES)),
        "held_out": held_out(model),
        "toxigen": toxigen_bias(model),
    }
    if cross:
        report["cross_dataset"] = cross_dataset(model)
    return report


def main(argv: list[str] | None = None) -> int:
    """Evaluate the shipped toxicity detector; print a table and optionally write JSON."""
    parser = argparse.ArgumentParser(prog="govmod eval toxicity", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR, help="folder with toxicity.safetensors/.json")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    parser.add_argument("--skip-cross", action="store_true",
                        help="skip the cross-dataset retraining (two fine-tuning runs)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a held-out AUROC is below its target")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = evaluate(args.weights, cross=not args.skip_cross)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    below = [n for n, m in report["held_out"].items() if m["auroc"] < m["auroc_target"]]
    return 1 if below and args.strict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
