"""Evaluate scam links on real domains listed after the training cut-off, with no list look-up; then on posts.

1. Domains: every phishing host of ../shared/data/threats/phishing_domains listed on or after the cut-off
   the shipped model was trained with (the last three months of the data, never read by training), against
   the legitimate hosts of the test part (20% by registrable domain, never read by training). Scored by the
   shipped domain model alone and by the full detector on a bare link in a neutral post, with every block and
   allow list emptied (no list look-up counted). Reported per source and per month.
2. Posts: the hand-written posts of models/data/scam_link/test.jsonl (lists, lures and account age included).

Run: govmod eval scam_link [--data PATH] [--threshold T] [--skip-domains] [--precision auto|float32|bfloat16]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from models.detector import BatchContext
from models.normalize import normalize
from models.paths import DATA_DIR
from models.threats.eval_common import read_jsonl, report
from models.threats.guild_context import GuildThreatContext
from models.threats.scam_link import ScamLinkDetector
from models.training.metrics import auroc_of
from models.types import Post

DATA = DATA_DIR / "scam_link" / "test.jsonl"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
RECALL_TARGET, FPR_TARGET = 0.70, 0.01


def list_free(det: ScamLinkDetector) -> ScamLinkDetector:
    """Return the detector with every list emptied: no block list, no known or allowed domains."""
    det.blocklist = frozenset()
    det.known = frozenset()
    det.set_lists({}, {})
    return det


def _bare_post_scores(det: ScamLinkDetector, hosts: list[str], encode: Callable[[list[str]], np.ndarray] | None,
                      batch: int = 256) -> np.ndarray:
    posts = [Post(id=str(i), channel_id="c", author_id="1", content=f"have a look https://{h}/", created_at=WHEN,
                  guild_id="g", author_created_at=WHEN - timedelta(days=400)) for i, h in enumerate(hosts)]
    scores: list[float] = []
    for start in range(0, len(posts), batch):  # batches as the pipeline sends them: one encoder call each
        part = posts[start:start + batch]
        ctx = BatchContext([normalize(p.content) for p in part], None, encode=encode)
        scores.extend(o.score for o in det.score(part, ctx))
    return np.array(scores)


def runtime_encoder(precision: str) -> tuple[Callable[[list[str]], np.ndarray], str]:
    """Return the encoder the bot would hand to detectors, at this precision (the bot's default is 'auto'),
    and the arithmetic it resolved to."""
    from models.encoder import Encoder, configure_torch

    configure_torch(2)
    encoder = Encoder(cache_size=0, precision=precision)
    return encoder.embed_only, encoder.precision


def domains_eval(threshold: float | None, precision: str = "auto") -> bool:
    """Score the post-cut-off phishing hosts and the test legitimate hosts; print per source; return targets met."""
    from models.threats.train_scam_link import negative_part, read_domains

    det = list_free(ScamLinkDetector.load())
    model = det.domain_model
    if model is None:
        print("scam_link: no domain model in models/weights (run `govmod train scam_link`)", file=sys.stderr)
        return False
    cutoff = str(model.meta["cutoff"])
    rows = read_domains()
    pos = [r for r in rows if r.label and r.listed_on >= cutoff]
    neg = [r for r in rows if not r.label and negative_part(r.domain) == "test"]
    thr = threshold if threshold is not None else model.threshold
    pos_v, neg_v = [None] * len(pos), [None] * len(neg)
    if model.uses_embedding:  # the float32 embeddings the model was trained on (cached; the same on every CPU)
        from models.threats.host_embedding_data import HostTable

        table = HostTable(r.domain for r in rows)
        pos_v, neg_v = table.rows([r.domain for r in pos]), table.rows([r.domain for r in neg])
    pos_p = np.array([model.probability(r.domain, v) for r, v in zip(pos, pos_v, strict=True)])
    neg_p = np.array([model.probability(r.domain, v) for r, v in zip(neg, neg_v, strict=True)])
    print(f"domain model {model.version}: trained on listings before {cutoff}; test: {len(pos)} phishing hosts "
          f"listed {cutoff} .. {max(r.listed_on for r in pos)}, {len(neg)} legitimate hosts; threshold {thr:.4f}")
    recall, fpr = float((pos_p >= thr).mean()), float((neg_p >= thr).mean())
    print(f"domain model alone: recall {recall:.3f}, legitimate flagged {fpr:.4f}, AUROC {auroc_of(pos_p, neg_p):.3f}")
    _per_group("phishing source", [r.source for r in pos], pos_p >= thr)
    _per_group("month", [r.listed_on[:7] for r in pos], pos_p >= thr)
    _per_group("legitimate source", [r.source for r in neg], neg_p >= thr)
    encode, arithmetic = runtime_encoder(precision) if model.uses_embedding else (None, "")
    post_pos = _bare_post_scores(det, [r.domain for r in pos], encode)
    post_neg = _bare_post_scores(det, [r.domain for r in neg], encode)
    dthr = det.default_threshold
    how = f"hosts embedded by the bot's encoder ({arithmetic}), " if encode is not None else ""
    print(f"full detector, bare link in a neutral post from a 400-day-old account, {how}no lists "
          f"(threshold {dthr:.2f}): "
          f"recall {float((post_pos >= dthr).mean()):.3f}, legitimate flagged {float((post_neg >= dthr).mean()):.4f}, "
          f"AUROC {auroc_of(post_pos, post_neg):.3f}")
    for r, s, v in sorted(zip(neg, neg_p, neg_v, strict=True), key=lambda t: -t[1])[:8]:
        print(f"  top legitimate {s:.4f}: {r.domain} ({r.source}) {model.scored(r.domain, 3, v)[1].reasons[:2]}")
    alone = recall >= RECALL_TARGET and fpr <= FPR_TARGET
    post_recall, post_fpr = float((post_pos >= dthr).mean()), float((post_neg >= dthr).mean())
    ok = post_recall >= RECALL_TARGET and post_fpr <= FPR_TARGET
    print(f"target recall >= {RECALL_TARGET} at <= {FPR_TARGET} legitimate flagged, no list look-up: "
          f"{'met' if ok else 'NOT met'} by the detector (bare link); "
          f"domain model alone {'met' if alone else 'NOT met'}")
    return ok


def _per_group(title: str, keys: list[str], flagged: np.ndarray) -> None:
    by: dict[str, list[bool]] = defaultdict(list)
    for key, hit in zip(keys, flagged, strict=True):
        for part in key.split("|"):
            by[part].append(bool(hit))
    for key in sorted(by):
        values = by[key]
        print(f"  {title:18s} {key:26s} {len(values):6d} rows, flagged {float(np.mean(values)):.3f}")


def posts_eval(path: Path, threshold: float | None) -> None:
    """Score every hand-written example as a post in a guild with its allow list and print precision and recall."""
    rows = read_jsonl(path)
    det = ScamLinkDetector.load()
    scores = []
    for i, row in enumerate(rows):
        guild = f"g{i}"
        det.configure(guild, GuildThreatContext(allow_domains=frozenset(row.get("allow", ())),
                                                block_domains=frozenset(row.get("block", ()))))
        post = Post(id=str(i), channel_id="c", author_id="1", content=row["text"], created_at=WHEN, guild_id=guild,
                    author_created_at=WHEN - timedelta(days=float(row.get("account_age_days", 365))))
        scores.append(det.score([post], BatchContext([normalize(row["text"])], None))[0].score)
    report("scam_link (hand-written posts, lists on)", rows, scores,
           threshold if threshold is not None else det.default_threshold)


def main(argv: list[str] | None = None) -> int:
    """Run both evaluations; exit 1 if the detector misses the domain target on bare links."""
    ap = argparse.ArgumentParser(prog="govmod eval scam_link")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--threshold", type=float, default=None, help="domain-model threshold (default: shipped)")
    ap.add_argument("--skip-domains", action="store_true")
    ap.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                    help="the encoder's arithmetic for the full detector's host embeddings (the bot's default: auto)")
    args = ap.parse_args(argv)
    ok = True if args.skip_domains else domains_eval(args.threshold, args.precision)
    posts_eval(args.data, None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
