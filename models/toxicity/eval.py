"""Evaluate the toxicity detector on data it was not trained on, per source; print a table, optionally JSON.

Run: ``python -m models.toxicity.eval [--weights DIR] [--baseline DIR] [--json FILE] [--strict]``.

Every figure comes from the detector scoring texts exactly as the pipeline does (shared encoder + branch).
The shipped model never trains on any of these sets (see models/toxicity/rows_data.py), so it is itself the
held-out model: DynaHate round 4 (trained on rounds 1-3), the counter-speech test groups, the Hatemoji test
split, TweetEval validation, Davidson (cross-dataset: never trained on) and ToxiGen. "Flagged" means what
the pipeline does under the default policy: the post score (best case-opening category) >= the threshold.
`--baseline DIR` scores another weights folder (e.g. main's) on the same sets, side by side.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

from models.toxicity.detector import WEIGHTS_DIR, ToxicityDetector
from models.toxicity.eval_report import render
from models.toxicity.rows_data import Rows, load_rows
from models.training import datasets
from models.training.metrics import auroc

log = logging.getLogger(__name__)

TARGETS = {"dynahate_r4_auroc": 0.85, "contrast_pairs": 0.85, "counter_narratives_flagged": 0.15,
           "tweeteval_hate_val": 0.80, "tweeteval_offensive_val": 0.85}


class Scorer:
    """A detector on the shared encoder: scaled category scores and post scores of a set's texts."""

    def __init__(self, det: ToxicityDetector, encoder: Any) -> None:
        """Keep the detector and the shared encoder (its branch is attached on first use)."""
        self.det = det
        self.encoder = encoder
        self._memo: dict[str, np.ndarray] = {}

    def categories(self, name: str, rows: Rows) -> np.ndarray:
        """Return (n, categories) scaled scores of a named set (computed once)."""
        if name not in self._memo:
            self._memo[name] = self.det.predict_categories(self.encoder, rows.texts)
        return self._memo[name]

    def category(self, name: str, rows: Rows, category: str) -> np.ndarray:
        """Return one category's scores (the post score for weights without that category)."""
        scaled = self.categories(name, rows)
        if category == "any":
            return scaled.max(axis=1)
        if category in self.det.categories:
            return scaled[:, self.det.categories.index(category)]
        return self.det.post_scores(scaled)

    def flagged(self, name: str, rows: Rows) -> np.ndarray:
        """Return whether the default policy flags each text."""
        return self.det.post_scores(self.categories(name, rows)) >= self.det.default_threshold


def _auroc(y: np.ndarray, p: np.ndarray) -> float:
    known = y >= 0
    return round(auroc(y[known], p[known]), 4)


def dynahate_round4(model: Scorer) -> dict[str, Any]:
    """Return AUROC (hate category) on DynaHate round 4, by level, and the contrast-pair share."""
    rows = load_rows(["dynahate_r4"])
    y, p = rows.label("hate"), model.category("dynahate_r4", rows, "hate")
    raw = {r["acl_id"]: r for r in datasets.dynahate() if r["round_base"] == "4"}
    level = np.array([raw[g]["level"] for g in rows.group])
    score = dict(zip(rows.group.tolist(), p.tolist(), strict=True))
    pairs = set()
    for acl_id, r in raw.items():
        other = r["matched_id"]
        if r["matched_in_file"] == "1" and other in raw and raw[other]["label_int"] != r["label_int"]:
            pairs.add(tuple(sorted((acl_id, other))))
    wins = []
    for a, b in sorted(pairs):
        hateful, benign = (a, b) if raw[a]["label_int"] == "1" else (b, a)
        wins.append(1.0 if score[hateful] > score[benign] else 0.5 if score[hateful] == score[benign] else 0.0)
    flagged = model.flagged("dynahate_r4", rows)
    return {
        "n": len(rows), "auroc": _auroc(y, p),
        "by_level": {lv: _auroc(y[level == lv], p[level == lv]) for lv in ("original", "perturbation")},
        "flagged_hate": round(float(flagged[y == 1].mean()), 4),
        "flagged_not_hate": round(float(flagged[y == 0].mean()), 4),
        "contrast_pairs": {"n": len(wins), "hateful_higher": round(float(np.mean(wins)), 4) if wins else None},
    }


def counter_speech(model: Scorer) -> dict[str, Any]:
    """Return the share of held-out counter-narratives flagged (and hate speech caught), per target group."""
    rows = load_rows(["counter_speech_test"])
    y, flagged = rows.label("hate"), model.flagged("counter_speech_test", rows)
    p = model.category("counter_speech_test", rows, "hate")
    groups = {}
    for g in sorted(set(rows.group.tolist())):
        cn, hs = (rows.group == g) & (y == 0), (rows.group == g) & (y == 1)
        if cn.sum() >= 10:
            groups[g] = {"counter_narratives": int(cn.sum()), "flagged": round(float(flagged[cn].mean()), 4),
                         "hate_speech": int(hs.sum()),
                         "hate_caught": round(float(flagged[hs].mean()), 4) if hs.any() else None}
    return {"counter_narratives": int((y == 0).sum()), "flagged": round(float(flagged[y == 0].mean()), 4),
            "hate_speech": int((y == 1).sum()), "hate_caught": round(float(flagged[y == 1].mean()), 4),
            "auroc_hate": _auroc(y, p), "groups": groups}


def labelled_set(model: Scorer, name: str, category: str, label: str) -> dict[str, Any]:
    """Return AUROC of one category against one label column on a held-out set, and flag rates."""
    rows = load_rows([name])
    y, p, flagged = rows.label(label), model.category(name, rows, category), model.flagged(name, rows)
    known = y >= 0
    return {"n": int(known.sum()), "positive_rate": round(float(y[known].mean()), 4), "score": category,
            "auroc": _auroc(y, p), "flagged_pos": round(float(flagged[y == 1].mean()), 4),
            "flagged_neg": round(float(flagged[y == 0].mean()), 4)}


def threats(model: Scorer, name: str) -> dict[str, Any]:
    """Return the threat category on a held-out set: threatening hate rows against every other row.

    The sets label threats only among hateful rows (the hate type); a row that is not hateful is no threat.
    Reported: AUROC of the threat score, the share of threats and of other rows whose threat score reaches the
    category's line, and the share of threats the default policy flags at all.
    """
    rows = load_rows([name])
    y = np.where(rows.label("threat") == 1, 1, 0)
    if not y.any():
        return {"n_threats": 0}
    if "threat" not in model.det.categories:
        return {"n_threats": int(y.sum()), "auroc": None}
    p, flagged = model.category(name, rows, "threat"), model.flagged(name, rows)
    return {"n_threats": int(y.sum()), "n_other": int((y == 0).sum()), "auroc": _auroc(y, p),
            "threat_line_threats": round(float((p[y == 1] >= 0.5).mean()), 4),
            "threat_line_other": round(float((p[y == 0] >= 0.5).mean()), 4),
            "flagged_threats": round(float(flagged[y == 1].mean()), 4)}


def davidson(model: Scorer) -> dict[str, Any]:
    """Return Davidson (never trained on): any category vs hate-or-offensive, hate vs hate, flag rates per class."""
    rows = load_rows(["davidson"])
    scaled = model.categories("davidson", rows)
    any_score, flagged = scaled.max(axis=1), model.flagged("davidson", rows)
    hate_y = rows.label("hate")
    offensive_y = (rows.label("profanity") == 1) | (hate_y == 1)
    return {"n": len(rows), "auroc_hate_or_offensive": round(auroc(offensive_y, any_score), 4),
            "auroc_hate_vs_rest": _auroc(hate_y, model.category("davidson", rows, "hate")),
            "flagged": {"hate": round(float(flagged[hate_y == 1].mean()), 4),
                        "offensive": round(float(flagged[(hate_y == 0) & offensive_y].mean()), 4),
                        "neither": round(float(flagged[~offensive_y].mean()), 4)}}


def toxigen(model: Scorer) -> dict[str, Any]:
    """Return the false-positive rate on neutral ToxiGen sentences per target group (identity-term bias)."""
    rows = load_rows(["toxigen"])
    y, flagged = rows.label("hate"), model.flagged("toxigen", rows)
    groups = {g: round(float(flagged[(rows.group == g) & (y == 0)].mean()), 4)
              for g in sorted(set(rows.group.tolist())) if ((rows.group == g) & (y == 0)).any()}
    return {"fpr": round(float(flagged[y == 0].mean()), 4), "recall": round(float(flagged[y == 1].mean()), 4),
            "auroc": _auroc(y, model.category("toxigen", rows, "hate")),
            "fpr_max_minus_min": round(max(groups.values()) - min(groups.values()), 4), "groups": groups}


def evaluate_one(det: ToxicityDetector, encoder: Any) -> dict[str, Any]:
    """Run every evaluation of one detector and return the report as a JSON-able dict."""
    model = Scorer(det, encoder)
    return {
        "version": det.version, "thresholds": det.thresholds, "case_categories": sorted(det.case_categories),
        "trained_on": det.meta.get("trained_on", {}),
        "dynahate_r4": dynahate_round4(model),
        "counter_speech_test": counter_speech(model),
        "hatemoji_test": labelled_set(model, "hatemoji_test", "hate", "hate"),
        "tweeteval_hate_val": labelled_set(model, "tweeteval_hate_val", "hate", "hate"),
        "tweeteval_offensive_val": labelled_set(model, "tweeteval_offensive_val", "any", "profanity"),
        "davidson": davidson(model),
        "toxigen": toxigen(model),
        "threats": {name: threats(model, name) for name in ("dynahate_r4", "hatemoji_test")},
    }


def acceptance(report: dict[str, Any]) -> dict[str, tuple[float | None, float, bool]]:
    """Return acceptance item -> (figure, target, met)."""
    figures = {
        "dynahate_r4_auroc": report["dynahate_r4"]["auroc"],
        "contrast_pairs": report["dynahate_r4"]["contrast_pairs"]["hateful_higher"],
        "counter_narratives_flagged": report["counter_speech_test"]["flagged"],
        "tweeteval_hate_val": report["tweeteval_hate_val"]["auroc"],
        "tweeteval_offensive_val": report["tweeteval_offensive_val"]["auroc"],
    }
    out = {}
    for name, value in figures.items():
        target = TARGETS[name]
        met = value is not None and (value <= target if name == "counter_narratives_flagged" else value >= target)
        out[name] = (value, target, met)
    return out


def main(argv: list[str] | None = None) -> int:
    """Evaluate the shipped toxicity detector (and optionally a baseline); print a table, optionally write JSON."""
    from models.encoder import Encoder

    parser = argparse.ArgumentParser(prog="govmod eval toxicity", description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=WEIGHTS_DIR, help="folder with toxicity.safetensors/.json")
    parser.add_argument("--baseline", type=Path, default=None, help="another weights folder to compare against")
    parser.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when an acceptance figure misses its target")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                        help="the encoder's matrix products (default: as the bot runs on this CPU)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    encoder = Encoder(cache_size=0, precision=args.precision)
    report = {"model": evaluate_one(ToxicityDetector.load(args.weights), encoder), "precision": encoder.precision}
    if args.baseline is not None:
        # its own encoder: one branch named "toxicity" per encoder
        base_encoder = Encoder(cache_size=0, precision=args.precision)
        report["baseline"] = evaluate_one(ToxicityDetector.load(args.baseline), base_encoder)
    report["acceptance"] = {k: list(v) for k, v in acceptance(report["model"]).items()}
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    missed = [k for k, (_, _, met) in acceptance(report["model"]).items() if not met]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
