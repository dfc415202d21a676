"""Choose the phishing-domain model's settings on validation months, never on the test months.

Positives listed before --cutoff train; positives listed --cutoff .. --until validate (both before the shipped
model's cut-off, so the test months are never read). Legitimate hosts of the training part (not the 20% test
part) are split in two folds by registrable domain: each fold model trains on the other fold and scores this
one. Printed per setting: recall of the validation months at 0.5% and 1% of that fold's legitimate hosts
flagged, averaged over the two folds (and each fold).

--embedding-scale A ... also appends each host's MiniLM embedding (models/threats/host_embedding_data.py: the host as
written, float32, cached), times A, next to the hashed tokens (A 0 = tokens only), as `govmod train scam_link` does.

Run: python -m models.threats.tune_scam_domain [--cutoff 2025-02-01] [--until 2025-05-01] [--c 0.1 0.03 0.01]
     [--features 2 3] [--embedding-scale 0 1 3]
"""

from __future__ import annotations

import argparse
import sys
import zlib

import numpy as np

from models.threats.domain_features import BrandIndex, host_tokens, split_host, token_indices
from models.threats.host_embedding_data import HostTable
from models.threats.train_scam_link import (
    WEIGHTS_DIR,
    brand_names,
    default_cutoff,
    fit,
    months_before,
    negative_part,
    probabilities,
    read_domains,
    with_embeddings,
)

# Tokens added in features version 3 (domain_features.layout_tokens); version 2 is the rest.
LAYOUT_PREFIXES = ("pf:", "pl:", "p1:", "sf:", "sl:", "emb:", "fb:")


def tokens_of(host: str, brands: BrandIndex, version: int) -> list[str]:
    """Return a host's tokens as features version `version` (2 or 3) builds them."""
    tokens = host_tokens(host, brands)
    return tokens if version >= 3 else [t for t in tokens if not t.startswith(LAYOUT_PREFIXES)]


def matrix(hosts: list[str], brands: BrandIndex, version: int, dim: int) -> object:
    """Return the binary CSR matrix of the hosts' hashed tokens."""
    from scipy import sparse

    indptr, indices = [0], []
    for host in hosts:
        indices.extend(token_indices(tokens_of(host, brands, version), dim))
        indptr.append(len(indices))
    return sparse.csr_matrix((np.ones(len(indices), np.float32), np.array(indices, np.int32),
                              np.array(indptr, np.int64)), shape=(len(hosts), dim))


def recall_at(pos: np.ndarray, neg: np.ndarray, fpr: float) -> float:
    """Return the recall of pos at the score that flags fpr of neg."""
    line = np.sort(neg)[::-1][int(fpr * len(neg))]
    return float((pos > line).mean())


def main(argv: list[str] | None = None) -> int:
    """Print validation recall at 0.5% / 1% legitimate flagged for each features version and C."""
    ap = argparse.ArgumentParser(prog="python -m models.threats.tune_scam_domain")
    ap.add_argument("--cutoff", default="2025-02-01")
    ap.add_argument("--until", default="2025-05-01")
    ap.add_argument("--c", type=float, nargs="+", default=[0.1, 0.03, 0.01])
    ap.add_argument("--features", type=int, nargs="+", default=[2, 3], choices=(2, 3))
    ap.add_argument("--dim", type=int, default=1 << 20)
    ap.add_argument("--recent-months", type=int, default=7)
    ap.add_argument("--recent-weight", type=float, default=4.0)
    ap.add_argument("--embedding-scale", type=float, nargs="+", default=[0.0],
                    help="append each host's MiniLM embedding times this (0: hashed tokens only)")
    args = ap.parse_args(argv)
    rows = read_domains()
    if args.until > default_cutoff(rows):
        raise SystemExit(f"--until must not pass {default_cutoff(rows)}: the test months are never read here")
    names, own = brand_names(rows, args.cutoff, WEIGHTS_DIR / "crypto_brands.txt")
    brands = BrandIndex.build(names, own)
    train = [r for r in rows if r.label and r.listed_on and r.listed_on < args.cutoff]
    valid = [r for r in rows if r.label and args.cutoff <= r.listed_on < args.until]
    legit = [r for r in rows if not r.label and negative_part(r.domain) != "test"]
    recent = months_before(args.cutoff, args.recent_months)
    fold = np.array([zlib.crc32(split_host(r.domain).registrable.encode("utf-8")) % 2 for r in legit])
    weights = np.array([args.recent_weight if r.listed_on >= recent else 1.0 for r in train] + [1.0] * len(legit))
    y = np.array([1] * len(train) + [0] * len(legit))
    print(f"train: {len(train)} phishing listed before {args.cutoff} + {len(legit)} legitimate (two folds); "
          f"validate: {len(valid)} listed {args.cutoff} .. {args.until}")
    vectors = valid_vectors = None
    if any(args.embedding_scale):
        table = HostTable(r.domain for r in rows)  # every host of the file: one cache for tuning, training, eval
        vectors = table.rows([r.domain for r in train + legit])
        valid_vectors = table.rows([r.domain for r in valid])
    for version in args.features:
        tokens = matrix([r.domain for r in train + legit], brands, version, args.dim)
        valid_tokens = matrix([r.domain for r in valid], brands, version, args.dim)
        for scale, c in ((a, c) for a in args.embedding_scale for c in args.c):
            x, xv = with_embeddings(tokens, vectors, scale), with_embeddings(valid_tokens, valid_vectors, scale)
            per = []
            for part in (0, 1):
                keep = np.concatenate([np.ones(len(train), bool), fold != part])
                weight, bias = fit(x[keep], y[keep], weights[keep], c)
                neg = probabilities(x[len(train):][fold == part], weight, bias)
                pos = probabilities(xv, weight, bias)
                per += [recall_at(pos, neg, 0.005), recall_at(pos, neg, 0.01)]
            extra = f" + host embedding x {scale:g}" if scale else ""
            print(f"features v{version}{extra} C {c:<6g} recall at 0.5% {np.mean(per[0::2]):.3f}, at 1% "
                  f"{np.mean(per[1::2]):.3f} (folds: {' '.join(f'{v:.3f}' for v in per)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
