"""Evaluate the long-form path: leave one generator family / domain group / governance repo out.

Every fold retrains both long-form heads without the held-out part (train split only), recalibrates
the flag threshold on validation humans the fold did not train on, and scores texts the fold never saw:

* generators: the held-out family's texts (all splits) against the val+test human long-form texts;
* domains: the held-out domain's AI texts against its own human texts (all splits) plus the val+test
  humans of the other domains; the domain's humans are out of training as well;
* governance: each of the 13 proposal repositories held out in turn; the share of its texts of at least
  LONG_FLAG_WORDS words that the fold's threshold flags (a false accusation rate).

Run as part of `govmod eval ai_text` (or `python -m models.ai_text.eval --long-only`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from models.ai_text.eval import tpr_at_fpr
from models.ai_text.longform_data import FAMILIES
from models.ai_text.train_long import LONG_FLAG_WORDS, LongData, fit_long, long_threshold, score_long
from models.training.metrics import auroc_of

log = logging.getLogger(__name__)

BANDS = ((80, 150), (150, 250), (250, 400), (400, 10_000))
DOMAINS = ("student_essay", "story", "news_article", "mixset_qa", "l2r_rewrites")


def _band_metrics(z: np.ndarray, pos: np.ndarray, neg: np.ndarray, words: np.ndarray,
                  thr: float) -> dict[str, Any]:
    """Return AUROC / TPR at 1% FPR overall (>= 80 words), for the flagging band and per length band."""
    out: dict[str, Any] = {}
    for name, lo, hi in (("all", 0, 10_000), ("long", LONG_FLAG_WORDS, 10_000),
                         *((f"{a}-{b}", a, b) for a, b in BANDS)):
        band = (words >= lo) & (words < hi)
        p, n = z[pos & band], z[neg & band]
        if len(p) < 5 or len(n) < 20:
            continue
        out[name] = {"n_pos": int(len(p)), "n_neg": int(len(n)), "auroc": round(auroc_of(p, n), 4),
                     "tpr_at_1fpr": round(tpr_at_fpr(p, n), 4),
                     "tpr_at_threshold": round(float((p >= thr).mean()), 4),
                     "fpr_at_threshold": round(float((n >= thr).mean()), 4)}
    return out


def _fold(data: LongData, train: np.ndarray, calib: np.ndarray) -> tuple[np.ndarray, float]:
    model = fit_long(data, train)
    z = score_long(model, data)
    return z, long_threshold(z, data, calib)["threshold_logit"]


def leave_one_generator_out(data: LongData) -> dict[str, Any]:
    """Hold out each generator family in turn."""
    fam, split, label, words = (data.column(c) for c in ("family", "split", "label", "words"))
    neg = (label == 0) & np.isin(split, ("val", "test"))
    out: dict[str, Any] = {}
    for held in FAMILIES:
        z, thr = _fold(data, (split == "train") & (fam != held), (split == "val") & (fam != held))
        out[held] = _band_metrics(z, fam == held, neg, words, thr)
        log.info("long LOGO %s: %s", held, out[held].get("long"))
    return out


def leave_one_domain_out(data: LongData) -> dict[str, Any]:
    """Hold out each AI-side domain group (its AI and human texts alike)."""
    dom, split, label, words = (data.column(c) for c in ("domain_group", "split", "label", "words"))
    out: dict[str, Any] = {}
    for held in DOMAINS:
        inside = dom == held
        z, thr = _fold(data, (split == "train") & ~inside, (split == "val") & ~inside)
        neg = (label == 0) & (inside | np.isin(split, ("val", "test")))
        pos = inside & (label == 1)
        res = _band_metrics(z, pos, neg, words, thr)
        own = z[inside & (label == 0)]
        res["auroc_vs_own_domain_humans"] = round(auroc_of(z[pos], own), 4) if len(own) >= 20 else None
        out[held] = res
        log.info("long LODO %s: %s", held, res.get("long"))
    return out


def governance_held_out(data: LongData) -> dict[str, Any]:
    """Hold out each governance repository; report how many of its long texts would be flagged."""
    src, split, words = (data.column(c) for c in ("source", "split", "words"))
    gov = np.array([r.governance for r in data.rows])
    domains = data.column("domain")
    flagged = np.zeros(len(data.rows), dtype=bool)
    seen = np.zeros(len(data.rows), dtype=bool)
    per_repo: dict[str, Any] = {}
    for repo in sorted(set(src[gov])):
        held = src == repo
        z, thr = _fold(data, (split == "train") & ~held, (split == "val") & ~held)
        sel = held & gov & (words >= LONG_FLAG_WORDS)
        flagged[sel] = z[sel] >= thr
        seen |= sel
        per_repo[repo] = {"n": int(sel.sum()), "flagged": int(flagged[sel].sum())}
        log.info("governance held out %s: %s", repo, per_repo[repo])
    per_domain = {d: {"n": int((seen & (domains == d)).sum()), "flagged": int((flagged & (domains == d)).sum())}
                  for d in sorted(set(domains[seen]))}
    return {"per_repo": per_repo, "per_domain": per_domain, "n": int(seen.sum()),
            "flagged": int(flagged.sum()), "flagged_share": round(float(flagged[seen].mean()), 4)}


def short_head_baseline(data: LongData) -> dict[str, Any]:
    """Score the long-form texts with the shipped short (tweet) head, as before this path existed.

    No retraining: the short head never saw these texts, but it did see GPT-3.5 articles, so its
    gpt-3.5 figure is not a held-out generator.
    """
    from models.ai_text.detector import AiTextDetector

    det = AiTextDetector.load()
    emb = np.stack([e[0] for e in data.chunk_emb])  # the first window is the shared pass of the whole text
    z, _ = det.message_logits([r.norm for r in data.rows], emb)
    fam, split, label = (data.column(c) for c in ("family", "split", "label"))
    neg = (label == 0) & np.isin(split, ("val", "test"))
    out = {f: {"auroc": round(auroc_of(z[fam == f], z[neg]), 4),
               "tpr_at_1fpr": round(tpr_at_fpr(z[fam == f], z[neg]), 4)}
           for f in FAMILIES if (fam == f).sum() >= 5}
    out["mean"] = {k: round(float(np.mean([v[k] for v in out.values()])), 4) for k in ("auroc", "tpr_at_1fpr")}
    return out


def _mean(results: dict[str, Any], band: str, key: str) -> float:
    vals = [r[band][key] for r in results.values() if isinstance(r, dict) and band in r]
    return round(float(np.mean(vals)), 4) if vals else float("nan")


def print_long(report: dict[str, Any]) -> None:
    """Print the long-form tables."""
    cols = ("n_pos", "n_neg", "auroc", "tpr_at_1fpr", "tpr_at_threshold", "fpr_at_threshold")
    for title, key in (("leave-one-generator-out", "logo"), ("leave-one-domain-out", "lodo")):
        print(f"\nLong form, {title} (negatives: held-out human long-form; threshold calibrated per fold)")
        print(f"{'held out':<22}{'band':<10}" + "".join(f"{c:>18}" for c in cols))
        for held, res in report[key].items():
            for band, m in res.items():
                if isinstance(m, dict):
                    print(f"{held:<22}{band:<10}" + "".join(f"{m[c]:>18}" for c in cols))
        for band in ("all", "long"):
            print(f"{'mean':<22}{band:<10}{'':>36}" + "".join(
                f"{_mean(report[key], band, c):>18}" for c in cols[2:]))
    base = report.get("short_head_baseline")
    if base:
        print("\nBaseline: the short (tweet) head alone on the same texts (AUROC / TPR at 1% FPR): " + ", ".join(
            f"{k} {v['auroc']:.3f}/{v['tpr_at_1fpr']:.3f}" for k, v in base.items()))
    gov = report["governance"]
    print(f"\nHuman governance prose, each repo held out (>= {LONG_FLAG_WORDS} words): "
          f"{gov['flagged']} of {gov['n']} flagged ({gov['flagged_share']:.2%})")
    for repo, r in gov["per_repo"].items():
        print(f"  {repo:<45}{r['flagged']:>4} / {r['n']}")
    for dom, r in gov["per_domain"].items():
        print(f"  {dom:<45}{r['flagged']:>4} / {r['n']}")


def evaluate_long(data: LongData | None = None) -> dict[str, Any]:
    """Run the three long-form protocols and return their results with the means."""
    from models.ai_text.train_long import load_data

    data = data or load_data()
    report: dict[str, Any] = {"logo": leave_one_generator_out(data), "lodo": leave_one_domain_out(data),
                              "governance": governance_held_out(data), "short_head_baseline": short_head_baseline(data)}
    report["summary"] = {f"{k}_{band}_{m}": _mean(report[k], band, m) for k in ("logo", "lodo")
                         for band in ("all", "long") for m in ("auroc", "tpr_at_1fpr")}
    return report
