"""Evaluate the long-form path: leave one generator family / domain group / governance repo out.

Every fold retrains both long-form heads without the held-out part (train split only), recalibrates
the flag threshold as training does (governance texts of the fold's other repositories, each scored with
its own repository held out; other validation humans), and scores texts the fold never saw:

* generators: the held-out family's texts (all splits) against the val+test human long-form texts;
* domains: the held-out domain's AI texts against its own human texts (all splits) plus the val+test
  humans of the other domains; the domain's humans are out of training as well;
* governance: each of the 13 proposal repositories held out in turn; the share of its texts of at least
  LONG_FLAG_WORDS words that the fold's threshold flags (a false accusation rate).

Run as part of `govmod eval ai_text` (or `python -m models.ai_text.eval --long-only`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.ai_text.eval import tpr_at_fpr
from models.ai_text.lm_stage import LM_GATE_MARGIN
from models.ai_text.longform_data import FAMILIES
from models.ai_text.train_long import (
    LONG_FLAG_WORDS,
    LongData,
    fit_long,
    governance_pool,
    long_threshold,
    repo_held_out_scores,
    score_long,
    score_long_lm,
)
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


@dataclass(frozen=True, slots=True)
class FoldScores:
    """One fold's scores: without the LM (every row), with it (LM rows, else NaN), and their lines."""

    z: np.ndarray
    thr: float
    z_lm: np.ndarray
    thr_lm: float

    def gated(self, has_lm: np.ndarray) -> np.ndarray:
        """Return the run-time score on the shared scale (0 = line): the LM head where the gate lets it run."""
        base = self.z - self.thr
        use = has_lm & (base >= -LM_GATE_MARGIN) & ~np.isnan(self.z_lm)
        return np.where(use, self.z_lm - self.thr_lm, base)


def _fold(data: LongData, train: np.ndarray, calib: np.ndarray) -> FoldScores:
    """Fit on `train`; set the lines as training does: governance from each repository of the fold's
    training and calibration rows held out in turn (nested, so a held-out part never sets its own line),
    other human texts from `calib`."""
    model = fit_long(data, train)
    z = score_long(model, data)
    gov_z, gov_z_lm = repo_held_out_scores(data, train, governance_pool(data, train | calib))
    thr = long_threshold(z, data, calib, gov_z)["threshold_logit"]
    z_lm = score_long_lm(model, data)
    thr_lm = float("nan")
    if model.lm_doc is not None and data.has_lm is not None:
        thr_lm = long_threshold(np.nan_to_num(z_lm, nan=-1e9), data, calib & data.has_lm,
                                gov_z_lm)["threshold_logit"]
    return FoldScores(z, thr, z_lm, thr_lm)


def _lm_metrics(data: LongData, f: FoldScores, pos: np.ndarray, neg: np.ndarray) -> dict[str, Any]:
    """Compare, on the LM subset only, the long path without the LM, with it, and gated as at run time."""
    if data.has_lm is None or np.isnan(f.thr_lm):
        return {}
    sub, words = data.has_lm, data.column("words")
    return {"without_lm": _band_metrics(f.z, pos & sub, neg & sub, words, f.thr),
            "with_lm": _band_metrics(np.nan_to_num(f.z_lm, nan=-1e9), pos & sub, neg & sub, words, f.thr_lm),
            "gated": _band_metrics(f.gated(sub), pos & sub, neg & sub, words, 0.0)}


def leave_one_generator_out(data: LongData) -> dict[str, Any]:
    """Hold out each generator family in turn."""
    fam, split, label, words = (data.column(c) for c in ("family", "split", "label", "words"))
    neg = (label == 0) & np.isin(split, ("val", "test"))
    out: dict[str, Any] = {}
    for held in FAMILIES:
        f = _fold(data, (split == "train") & (fam != held), (split == "val") & (fam != held))
        out[held] = _band_metrics(f.z, fam == held, neg, words, f.thr)
        if lm := _lm_metrics(data, f, fam == held, neg):
            out[held]["lm_subset"] = lm
        log.info("long LOGO %s: %s", held, out[held].get("long"))
    return out


def leave_one_domain_out(data: LongData) -> dict[str, Any]:
    """Hold out each AI-side domain group (its AI and human texts alike)."""
    dom, split, label, words = (data.column(c) for c in ("domain_group", "split", "label", "words"))
    out: dict[str, Any] = {}
    for held in DOMAINS:
        inside = dom == held
        f = _fold(data, (split == "train") & ~inside, (split == "val") & ~inside)
        neg = (label == 0) & (inside | np.isin(split, ("val", "test")))
        pos = inside & (label == 1)
        res = _band_metrics(f.z, pos, neg, words, f.thr)
        own = f.z[inside & (label == 0)]
        res["auroc_vs_own_domain_humans"] = round(auroc_of(f.z[pos], own), 4) if len(own) >= 20 else None
        if lm := _lm_metrics(data, f, pos, neg):
            res["lm_subset"] = lm
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
    sub = data.has_lm if data.has_lm is not None else np.zeros(len(data.rows), dtype=bool)
    flagged_lm = np.zeros(len(data.rows), dtype=bool)
    per_repo: dict[str, Any] = {}
    for repo in sorted(set(src[gov])):
        held = src == repo
        f = _fold(data, (split == "train") & ~held, (split == "val") & ~held)
        sel = held & gov & (words >= LONG_FLAG_WORDS)
        flagged[sel] = f.z[sel] >= f.thr
        if not np.isnan(f.thr_lm):
            flagged_lm[sel & sub] = f.gated(sub)[sel & sub] >= 0.0
        seen |= sel
        per_repo[repo] = {"n": int(sel.sum()), "flagged": int(flagged[sel].sum()),
                          "n_lm": int((sel & sub).sum()), "flagged_lm_gated": int(flagged_lm[sel & sub].sum())}
        log.info("governance held out %s: %s", repo, per_repo[repo])
    per_domain = {d: {"n": int((seen & (domains == d)).sum()), "flagged": int((flagged & (domains == d)).sum())}
                  for d in sorted(set(domains[seen]))}
    lm_seen = seen & sub
    return {"per_repo": per_repo, "per_domain": per_domain, "n": int(seen.sum()),
            "flagged": int(flagged.sum()), "flagged_share": round(float(flagged[seen].mean()), 4),
            "lm_subset": {"n": int(lm_seen.sum()), "flagged_without_lm": int((flagged & lm_seen).sum()),
                          "flagged_lm_gated": int((flagged_lm & lm_seen).sum())}}


def short_head_baseline(data: LongData) -> dict[str, Any]:
    """Score the long-form texts with the shipped short (tweet) head, as before this path existed.

    No retraining: the short head never saw these texts, but it did see GPT-3.5 articles, so its
    gpt-3.5 figure is not a held-out generator.
    """
    from models.ai_text.detector import AiTextDetector

    det = AiTextDetector.load(long=None)  # the short head alone (the long path may be retrained on new features)
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
                if isinstance(m, dict) and band != "lm_subset":
                    print(f"{held:<22}{band:<10}" + "".join(f"{m[c]:>18}" for c in cols))
        for band in ("all", "long"):
            print(f"{'mean':<22}{band:<10}{'':>36}" + "".join(
                f"{_mean(report[key], band, c):>18}" for c in cols[2:]))
    _print_lm(report)
    base = report.get("short_head_baseline")
    if base:
        print("\nBaseline: the short (tweet) head alone on the same texts (AUROC / TPR at 1% FPR): " + ", ".join(
            f"{k} {v['auroc']:.3f}/{v['tpr_at_1fpr']:.3f}" for k, v in base.items()))
    gov = report["governance"]
    print(f"\nHuman governance prose, each repo held out (>= {LONG_FLAG_WORDS} words): "
          f"{gov['flagged']} of {gov['n']} flagged ({gov['flagged_share']:.2%}) without the SmolLM2 stage")
    lm = gov.get("lm_subset")
    if lm and lm["n"] == gov["n"]:
        print(f"  as shipped, with the SmolLM2 stage (gated): {lm['flagged_lm_gated']} of {lm['n']} flagged "
              f"({lm['flagged_lm_gated'] / max(lm['n'], 1):.2%}); per repository: without / with it")
    for repo, r in gov["per_repo"].items():
        with_lm = f"{r['flagged_lm_gated']:>6}" if r.get("n_lm") == r["n"] else ""
        print(f"  {repo:<45}{r['flagged']:>4} / {r['n']:<6}{with_lm}")
    for dom, r in gov["per_domain"].items():
        print(f"  {dom:<45}{r['flagged']:>4} / {r['n']}")


def _lm_means(results: dict[str, Any]) -> dict[str, float]:
    """Return mean AUROC / TPR at 1% FPR / TPR at the line over held-out parts of the LM subset, per variant."""
    out = {}
    for variant in ("without_lm", "with_lm", "gated"):
        for key in ("auroc", "tpr_at_1fpr", "tpr_at_threshold"):
            vals = [r["lm_subset"][variant]["long"][key] for r in results.values()
                    if isinstance(r, dict) and "long" in r.get("lm_subset", {}).get(variant, {})]
            out[f"{variant}_{key}"] = round(float(np.mean(vals)), 4) if vals else float("nan")
    return out


def _print_lm(report: dict[str, Any]) -> None:
    """Print the LM-subset comparison: the same texts scored without SmolLM2, with it, and gated."""
    if not any("lm_subset" in r for r in report["logo"].values()):
        return
    print(f"\nSmolLM2 statistics, on the posts of >= {LONG_FLAG_WORDS} words whose statistics are cached ("
          "AUROC / TPR at 1% FPR / TPR at line / human FPR at line)")
    for title, key in (("generator", "logo"), ("domain", "lodo")):
        for held, res in report[key].items():
            lm = res.get("lm_subset") if isinstance(res, dict) else None
            if not lm or "long" not in lm["with_lm"]:
                continue
            cells = [f"{v}: " + "/".join(f"{lm[v]['long'][c]:.3f}" for c in
                                         ("auroc", "tpr_at_1fpr", "tpr_at_threshold", "fpr_at_threshold"))
                     for v in ("without_lm", "with_lm", "gated")]
            print(f"  {title} {held:<18} n_pos={lm['with_lm']['long']['n_pos']:<4} " + "  ".join(cells))
        print(f"  mean over held-out {title}s: {report['summary'].get(key + '_lm', {})}")
    gov = report["governance"].get("lm_subset")
    if gov:
        print(f"  governance repos held out, LM subset: {gov['flagged_without_lm']} of {gov['n']} flagged "
              f"without the LM, {gov['flagged_lm_gated']} with it (gated)")


def evaluate_long(data: LongData | None = None) -> dict[str, Any]:
    """Run the three long-form protocols and return their results with the means."""
    from models.ai_text.train_long import load_data

    data = data or load_data()
    report: dict[str, Any] = {"logo": leave_one_generator_out(data), "lodo": leave_one_domain_out(data),
                              "governance": governance_held_out(data), "short_head_baseline": short_head_baseline(data)}
    report["summary"] = {f"{k}_{band}_{m}": _mean(report[k], band, m) for k in ("logo", "lodo")
                         for band in ("all", "long") for m in ("auroc", "tpr_at_1fpr")}
    report["summary"]["logo_lm"] = _lm_means(report["logo"])
    report["summary"]["lodo_lm"] = _lm_means(report["lodo"])
    return report
