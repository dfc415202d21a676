"""Evaluate the coordination detector on seeded simulated servers (`govmod eval coordination`).

Run: HF_HUB_OFFLINE=1 python -m models.eval_coordination [--seeds 1,2,3] [--json out.json]

Metrics: per-message AUROC (campaign posts vs everything else), campaign recall (planted campaigns
with >= 5 accounts where at least half the posts are flagged), flag precision (flagged posts that
are campaign posts) and the number of flagged posts in each trap. Embeddings are cached under
models/cache/ so a rerun costs seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.coordination import CoordinationDetector
from models.detector import BatchContext
from models.normalize import normalize
from models.simulate import TRAPS, Scenario, simulate, tweet_pool
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

TARGETS = {"auroc": 0.97, "recall": 0.90, "precision": 0.90}


def run_detector(det: CoordinationDetector, sc: Scenario, emb: np.ndarray | None,
                 batch: int = 16) -> dict[str, DetectorOutput]:
    """Feed a scenario's events in order (posts in micro-batches) and return each post's final output."""
    row = {p.id: i for i, p in enumerate(sc.posts)}
    final: dict[str, DetectorOutput] = {}
    pending: list[Post] = []

    def flush() -> None:
        if not pending:
            return
        idx = [row[p.id] for p in pending]
        ctx = BatchContext(texts=[normalize(p.scoring_text) for p in pending],
                           embeddings=emb[idx] if emb is not None else None)
        for post, out in zip(pending, det.score(pending, ctx), strict=True):
            final[post.id] = out
        final.update(det.revisions())
        pending.clear()

    for event in sc.events:
        if isinstance(event, Post):
            pending.append(event)
            if len(pending) >= batch:
                flush()
        else:
            flush()
            det.observe(event)
            final.update(det.revisions())
    flush()
    return final


def _auroc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def score_scenario(sc: Scenario, final: dict[str, DetectorOutput], threshold: float) -> dict[str, Any]:
    """Return the metrics of one scenario."""
    posts = sc.posts
    y = np.array([p.id in sc.campaign_of for p in posts], dtype=int)
    s = np.array([final[p.id].score if p.id in final else 0.0 for p in posts])
    flagged = {p.id for p in posts if p.id in final and final[p.id].eligible and final[p.id].score >= threshold}
    big = [c for c in sc.campaigns if c.n_accounts >= 5]
    caught = [c for c in big if sum(pid in flagged for pid in c.post_ids) * 2 >= len(c.post_ids)]
    true_flags = sum(pid in sc.campaign_of for pid in flagged)
    traps = {t: sum(1 for pid in flagged if sc.trap_of.get(pid) == t) for t in TRAPS}
    trap_max = {t: round(max((final[pid].score for pid, tt in sc.trap_of.items() if tt == t and pid in final),
                             default=0.0), 3) for t in TRAPS}
    missed = [{"id": c.id, "kind": c.kind, "accounts": c.accounts, "n": c.n_accounts,
               "spread_min": c.spread.total_seconds() / 60,
               "max_score": round(max(final[p].score for p in c.post_ids), 3)}
              for c in big if c not in caught]
    clusters = {final[pid].cluster for c in big for pid in c.post_ids if final[pid].cluster}
    return {
        "posts": len(posts), "campaign_posts": int(y.sum()), "auroc": _auroc(y, s),
        "campaigns_5plus": len(big), "caught": len(caught), "flagged": len(flagged),
        "true_flags": true_flags, "background_flags": len(flagged) - true_flags - sum(traps.values()),
        "traps": traps, "trap_max_score": trap_max, "missed": missed, "cluster_ids_on_big_campaigns": len(clusters),
        "y": y.tolist(), "s": s.tolist(),
    }


def evaluate(seeds: Sequence[int], *, days: int = 3, threshold: float | None = None,
             use_embeddings: bool = True, **opts: Any) -> dict[str, Any]:
    """Simulate each seed, run a fresh default detector, and pool the metrics."""
    from models.tune_paraphrase import encode_cached

    texts = tweet_pool()
    per_seed: dict[int, dict[str, Any]] = {}
    for seed in seeds:
        sc = simulate(seed, texts, days=days)
        emb = (encode_cached([normalize(p.scoring_text) for p in sc.posts], f"sim-{seed}-{days}")
               if use_embeddings else None)
        det = CoordinationDetector.load(**opts)
        thr = det.default_threshold if threshold is None else threshold
        per_seed[seed] = score_scenario(sc, run_detector(det, sc, emb), thr)
        log.info("seed %d memory %s", seed, det.memory_stats())
    y = np.concatenate([r.pop("y") for r in per_seed.values()])
    s = np.concatenate([r.pop("s") for r in per_seed.values()])
    big = sum(r["campaigns_5plus"] for r in per_seed.values())
    flagged = sum(r["flagged"] for r in per_seed.values())
    return {
        "seeds": list(seeds), "threshold": thr, "auroc": _auroc(y, s),
        "recall": sum(r["caught"] for r in per_seed.values()) / max(big, 1),
        "precision": sum(r["true_flags"] for r in per_seed.values()) / max(flagged, 1),
        "flagged": flagged, "campaigns_5plus": big,
        "traps": {t: sum(r["traps"][t] for r in per_seed.values()) for t in TRAPS},
        "background_flags": sum(r["background_flags"] for r in per_seed.values()),
        "per_seed": per_seed,
    }


def print_report(res: dict[str, Any]) -> None:
    """Print the human table."""
    print(f"{'seed':>5} {'posts':>6} {'camp.posts':>10} {'AUROC':>6} {'caught':>9} {'flagged':>7} "
          f"{'true':>5} {'bg FP':>5}  trap FPs")
    for seed, r in res["per_seed"].items():
        traps = " ".join(f"{k}={v}" for k, v in r["traps"].items())
        print(f"{seed:>5} {r['posts']:>6} {r['campaign_posts']:>10} {r['auroc']:>6.3f} "
              f"{r['caught']:>4}/{r['campaigns_5plus']:<4} {r['flagged']:>7} {r['true_flags']:>5} "
              f"{r['background_flags']:>5}  {traps}")
        print(f"      max trap scores {r['trap_max_score']}")
        for m in r["missed"]:
            print(f"      missed {m}")
    print(f"\npooled (threshold {res['threshold']}):")
    checks = {"auroc": res["auroc"], "recall": res["recall"], "precision": res["precision"]}
    for key, value in checks.items():
        print(f"  {key:<10} {value:.4f}  target >= {TARGETS[key]}  {'PASS' if value >= TARGETS[key] else 'FAIL'}")
    trap_total = sum(res["traps"].values())
    print(f"  traps      {res['traps']}  {'PASS' if trap_total == 0 else 'FAIL'}")
    print(f"  background false flags: {res['background_flags']}")


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; print the table and optionally write JSON."""
    ap = argparse.ArgumentParser(description="Evaluate the coordination detector on simulated servers")
    ap.add_argument("--seeds", default="1,2,3", help="comma-separated simulator seeds (0 = dev seed)")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=None, help="flag threshold (default: detector's)")
    ap.add_argument("--no-embeddings", action="store_true", help="copies only (no encoder)")
    ap.add_argument("--json", type=Path, default=None, help="write the metrics here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    res = evaluate(seeds, days=args.days, threshold=args.threshold, use_embeddings=not args.no_embeddings)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    ok = (res["auroc"] >= TARGETS["auroc"] and res["recall"] >= TARGETS["recall"]
          and res["precision"] >= TARGETS["precision"] and not sum(res["traps"].values()))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
