"""Evaluate the coordination detector on held-out governance weeks (`govmod eval coordination`).

Run: HF_HUB_OFFLINE=1 python -m models.coordination.eval [--seeds report|tune|21,22] [--json out.json]

Each seed is an 8-day server (models/coordination/eval_week.py): real human background text at ~450
posts a day in several channels and forum threads, 16 planted campaigns of four kinds and three
account mixes, and seven traps. The seeds were fixed before any tuning: TUNE_SEEDS may be used to
choose settings, REPORT_SEEDS only to report (the default). Metrics: per-message AUROC (campaign
posts vs every other post), campaign recall (planted campaigns of >= 3 accounts with at least half
their posts flagged), flag precision, flagged posts per trap, and recall by campaign kind, account
mix, size, spread and thread count. Embeddings are cached under models/cache/.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.coordination.detector import CoordinationDetector
from models.coordination.eval_week import TRAPS, Pools, load_pools, week
from models.coordination.simulate import PlantedCampaign, Scenario
from models.detector import BatchContext
from models.normalize import normalize
from models.training.metrics import auroc
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

TARGETS = {"auroc": 0.97, "recall": 0.95, "precision": 0.95}
TUNE_SEEDS = (11, 12, 13)  # may be used to choose settings
REPORT_SEEDS = (21, 22, 23)  # fixed before tuning; never used to choose anything


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


def _groups(c: PlantedCampaign) -> dict[str, str]:
    """Return the report groups a planted campaign belongs to."""
    minutes = c.spread.total_seconds() / 60
    return {"kind": c.kind.split("/")[0], "accounts": c.accounts,
            "size": "3-4" if c.n_accounts < 5 else "5-10" if c.n_accounts <= 10 else "11-30",
            "spread": "<15 min" if minutes < 15 else "15-60 min" if minutes <= 60 else "1-3 h",
            "threads": "one" if "," not in c.topic else "several"}


def score_scenario(sc: Scenario, final: dict[str, DetectorOutput], threshold: float) -> dict[str, Any]:
    """Return the metrics of one scenario, with one row per planted campaign."""
    posts = sc.posts
    flagged = {p.id for p in posts if p.id in final and final[p.id].eligible and final[p.id].score >= threshold}
    rows = []
    for c in sc.campaigns:
        hit = sum(pid in flagged for pid in c.post_ids)
        clusters = {final[pid].cluster for pid in c.post_ids if pid in final and final[pid].cluster}
        rows.append({"id": c.id, **_groups(c), "n": c.n_accounts, "posts": len(c.post_ids), "flagged": hit,
                     "caught": hit * 2 >= len(c.post_ids), "clusters": len(clusters),
                     "max_score": round(max(final[p].score for p in c.post_ids), 3)})
    true_flags = sum(pid in sc.campaign_of for pid in flagged)
    traps = {t: sum(1 for pid in flagged if sc.trap_of.get(pid) == t) for t in TRAPS}
    trap_max = {t: round(max((final[pid].score for pid, tt in sc.trap_of.items() if tt == t and pid in final),
                             default=0.0), 3) for t in TRAPS}
    return {"posts": len(posts), "campaign_posts": len(sc.campaign_of), "flagged": len(flagged),
            "true_flags": true_flags, "traps": traps, "trap_max_score": trap_max, "campaigns": rows,
            "background_flags": len(flagged) - true_flags - sum(traps.values()),
            "y": [int(p.id in sc.campaign_of) for p in posts],
            "s": [final[p.id].score if p.id in final else 0.0 for p in posts]}


def _embed(scenarios: Sequence[Scenario]) -> dict[str, np.ndarray]:
    """Embed every distinct text of each scenario (cached per scenario by content)."""
    from models.coordination.tune_paraphrase import encode_cached

    out: dict[str, np.ndarray] = {}
    for sc in scenarios:
        texts = sorted({normalize(p.scoring_text) for p in sc.posts})
        matrix = encode_cached(texts, "week")
        out.update({t: matrix[i] for i, t in enumerate(texts)})
    return out


def evaluate(seeds: Sequence[int], *, threshold: float | None = None, use_embeddings: bool = True,
             pools: Pools | None = None, **opts: Any) -> dict[str, Any]:
    """Build each seed's week, run a fresh detector, and pool the metrics."""
    pools = pools or load_pools()
    scenarios = [week(seed, pools) for seed in seeds]
    vectors = _embed(scenarios) if use_embeddings else {}
    per_seed: dict[int, dict[str, Any]] = {}
    thr = 0.0
    for sc in scenarios:
        emb = (np.stack([vectors[normalize(p.scoring_text)] for p in sc.posts]) if vectors else None)
        det = CoordinationDetector.load(**opts)
        thr = det.default_threshold if threshold is None else threshold
        per_seed[sc.seed] = score_scenario(sc, run_detector(det, sc, emb), thr)
        log.info("seed %d memory %s", sc.seed, det.memory_stats())
    y = np.concatenate([r.pop("y") for r in per_seed.values()])
    s = np.concatenate([r.pop("s") for r in per_seed.values()])
    rows = [row for r in per_seed.values() for row in r["campaigns"]]
    flagged = sum(r["flagged"] for r in per_seed.values())
    return {
        "seeds": list(seeds), "threshold": thr, "auroc": auroc(y, s),
        "recall": sum(r["caught"] for r in rows) / max(len(rows), 1), "campaigns": len(rows),
        "precision": sum(r["true_flags"] for r in per_seed.values()) / max(flagged, 1), "flagged": flagged,
        "traps": {t: sum(r["traps"][t] for r in per_seed.values()) for t in TRAPS},
        "trap_max_score": {t: max(r["trap_max_score"][t] for r in per_seed.values()) for t in TRAPS},
        "background_flags": sum(r["background_flags"] for r in per_seed.values()),
        "by": breakdown(rows), "per_seed": per_seed,
    }


def breakdown(rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Return caught/total per value of each report group (kind, accounts, size, spread, threads)."""
    out: dict[str, dict[str, str]] = {}
    for group in ("kind", "accounts", "size", "spread", "threads"):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in rows:
            counts[r[group]][0] += r["caught"]
            counts[r[group]][1] += 1
        out[group] = {k: f"{c}/{n}" for k, (c, n) in sorted(counts.items())}
    return out


def print_report(res: dict[str, Any]) -> None:
    """Print the human tables."""
    print(f"seeds {res['seeds']}  threshold {res['threshold']}")
    print(f"{'seed':>5} {'posts':>6} {'camp.posts':>10} {'flagged':>7} {'true':>5} {'bg FP':>5}")
    for seed, r in res["per_seed"].items():
        print(f"{seed:>5} {r['posts']:>6} {r['campaign_posts']:>10} {r['flagged']:>7} {r['true_flags']:>5} "
              f"{r['background_flags']:>5}")
        for c in r["campaigns"]:
            if not c["caught"]:
                print(f"      missed {c}")
    print("\ncampaigns caught (>= half their posts flagged), by")
    for group, values in res["by"].items():
        print(f"  {group:<9} " + "  ".join(f"{k}: {v}" for k, v in values.items()))
    print("\ntraps (flagged posts; max score)")
    for t in TRAPS:
        print(f"  {t:<15} {res['traps'][t]:>4}   {res['trap_max_score'][t]:.3f}")
    print(f"\npooled over {res['campaigns']} campaigns:")
    for key in ("auroc", "recall", "precision"):
        value = res[key]
        print(f"  {key:<10} {value:.4f}  target >= {TARGETS[key]}  {'PASS' if value >= TARGETS[key] else 'FAIL'}")
    print(f"  traps      {sum(res['traps'].values())} flagged  {'PASS' if not sum(res['traps'].values()) else 'FAIL'}")
    print(f"  background false flags: {res['background_flags']}")


def _seeds(text: str) -> list[int]:
    named = {"report": REPORT_SEEDS, "tune": TUNE_SEEDS}
    return list(named[text]) if text in named else [int(s) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; print the tables and optionally write JSON."""
    ap = argparse.ArgumentParser(description="Evaluate the coordination detector on held-out governance weeks")
    ap.add_argument("--seeds", default="report", help="'report' (default, held out), 'tune', or a list")
    ap.add_argument("--threshold", type=float, default=None, help="flag threshold (default: detector's)")
    ap.add_argument("--no-embeddings", action="store_true", help="copies only (no encoder)")
    ap.add_argument("--json", type=Path, default=None, help="write the metrics here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    res = evaluate(_seeds(args.seeds), threshold=args.threshold, use_embeddings=not args.no_embeddings)
    print_report(res)
    if args.json:
        args.json.write_text(json.dumps(res, indent=2, default=str) + "\n")
        print(f"wrote {args.json}")
    ok = all(res[k] >= TARGETS[k] for k in TARGETS) and not sum(res["traps"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
