"""Train the long-form path of `ai_generated`: a chunk head on MiniLM windows and a document head.

Called by `govmod train ai_text` after the short head (or `python -m models.ai_text.train_long`).
Seeded and deterministic. The chunk head scores each MiniLM window of a long post; the document head
reads the chunk-score aggregates plus stylometry and structure. Chunk scores of training documents are
cross-fitted (each document scored by a chunk head that never saw it), so the document head learns how
much to trust chunk scores on unseen text. The flag threshold is the stricter of two 1%-FPR points on
human texts of at least LONG_FLAG_WORDS words: human governance prose of the train and validation
splits, each text scored by heads fitted without its own repository (a new DAO's prose comes from a
repository the model never saw), and the other human long-form of the validation split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.ai_text.lm_stage import LM_COLUMNS, LM_HEAD_NAMES, LM_MIN_WORDS
from models.ai_text.long import LONG_NAMES, LinearHead, long_features
from models.ai_text.longform_data import (
    DEFAULT_DOCS,
    LongRow,
    cached_lm_features,
    chunk_embeddings,
    load_sample,
)
from models.ai_text.train import SEED, TARGET_FPR, WEIGHTS_DIR, fit_head, threshold_at_fpr

log = logging.getLogger(__name__)

TOPIC_PROJECTION = True
CHUNK_RIDGE = 0.05  # ridge on the weighted scatter of unit-norm embeddings (weights sum to 1)
DOC_L2 = 3.0
CROSS_FOLDS = 4
LONG_FLAG_WORDS = 150  # posts this long may flag on their own (kept in sync with models/ai_text/detector.py)


@dataclass(frozen=True, slots=True)
class LongModel:
    """Chunk head (over one 384-d window embedding) and document head (over LONG_NAMES)."""

    chunk: LinearHead
    doc: LinearHead
    lm_doc: LinearHead | None = None  # document head plus SmolLM2 statistics (posts of LONG_FLAG_WORDS+ words)

    def chunk_logits(self, chunk_emb: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Return each document's chunk log-odds."""
        return [self.chunk.logit(e) for e in chunk_emb]


@dataclass(frozen=True, slots=True)
class LongData:
    """The corpus with its cached per-document inputs."""

    rows: list[LongRow]
    chunk_emb: list[np.ndarray]
    style_struct: np.ndarray  # doc style + structure columns of LONG_NAMES (everything but the chunk aggregates)
    lm: np.ndarray | None = None  # (n, len(LM_NAMES)) SmolLM2 statistics, NaN where not computed
    has_lm: np.ndarray | None = None  # rows of LM_MIN_WORDS+ words whose statistics are cached

    def column(self, name: str) -> np.ndarray:
        """Return one attribute of every row as an array (label, family, split, source...)."""
        return np.array([getattr(r, name) for r in self.rows])


def load_data(docs: int = DEFAULT_DOCS, *, lm: bool = True) -> LongData:
    """Load the seeded sample of long-form rows, their (cached) chunk embeddings and document features.

    With `lm`, also the SmolLM2 statistics of the texts of LM_MIN_WORDS+ words that are already cached
    (`python -m models.ai_text.longform_data --lm-all` computes them, `--lm-subset` a stratified
    subset); nothing is computed here.
    """
    rows = load_sample(docs)
    emb = chunk_embeddings([r.norm for r in rows])
    feats = long_features([np.zeros(1)] * len(rows), [r.norm for r in rows], [r.text for r in rows])
    if not lm:
        return LongData(rows, emb, feats[:, 5:])
    stats, present = cached_lm_features([r.norm for r in rows])
    long_enough = np.array([r.words >= LM_MIN_WORDS for r in rows])
    return LongData(rows, emb, feats[:, 5:], stats, present & long_enough)


def balance_groups(rows: Sequence[LongRow]) -> np.ndarray:
    """Return each row's weighting group: generator family for AI rows, domain group for human rows."""
    return np.array([f"ai/{r.family}" if r.label else f"human/{r.domain_group}" for r in rows])


def _as_linear(head: Any, names: Sequence[str]) -> LinearHead:
    return LinearHead(tuple(names), head.mean, head.scale, head.coef, head.intercept)


def _group_weights(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Return row weights: every group equal within its class, each class half of the total."""
    weight = np.ones(len(y))
    for key in np.unique(groups):
        sel = groups == key
        weight[sel] = 1.0 / sel.sum()
    for label in (0, 1):
        weight[y == label] *= 0.5 / max(weight[y == label].sum(), 1e-12)
    return weight


def topic_basis(xc: np.ndarray, y: np.ndarray, domains: np.ndarray) -> np.ndarray:
    """Return the unit direction (384, 1) from other human prose to human governance prose.

    Only human texts cover governance, so without this the head could learn "governance topic means
    human" and miss an LLM-written proposal; the chunk head is fitted orthogonal to this direction.
    """
    human = y == 0
    gov = human & (domains == "governance")
    if gov.sum() < 20 or (human & ~gov).sum() < 20:
        return np.zeros((xc.shape[1], 0))
    diff = xc[gov].mean(0) - xc[human & ~gov].mean(0)
    return (diff / np.linalg.norm(diff))[:, None]


def fit_chunk_head(data: LongData, idx: np.ndarray) -> LinearHead:
    """Fit the chunk head on every window of the documents idx (each window carries its document's label).

    A weighted ridge discriminant (closed form, milliseconds on 384 dimensions) followed by a
    one-feature logistic fit that turns its output into log-odds.
    """
    emb = np.concatenate([data.chunk_emb[i] for i in idx]).astype(np.float64)
    rep = np.concatenate([np.full(len(data.chunk_emb[i]), i) for i in idx])
    y = data.column("label")[rep]
    w = _group_weights(y, balance_groups(data.rows)[rep])
    mean = (w[:, None] * emb).sum(0) / w.sum()
    xc = emb - mean
    if TOPIC_PROJECTION:
        basis = topic_basis(xc, y, data.column("domain_group")[rep])
        xc = xc - (xc @ basis) @ basis.T
    gram = (xc * w[:, None]).T @ xc + CHUNK_RIDGE * np.eye(emb.shape[1])
    direction = np.linalg.solve(gram, (xc * w[:, None]).T @ (2.0 * y - 1.0))
    platt = fit_head((xc @ direction)[:, None], y, l2=1.0, groups=balance_groups(data.rows)[rep])
    coef = direction * float(platt.coef[0] / platt.scale[0])
    intercept = float(platt.intercept - platt.coef[0] * platt.mean[0] / platt.scale[0])
    names = tuple(f"emb{j}" for j in range(emb.shape[1]))
    return LinearHead(names, mean.astype(np.float32), np.ones_like(mean, dtype=np.float32),
                      coef.astype(np.float32), intercept)


def _fold_of(pair_ids: np.ndarray, k: int) -> np.ndarray:
    return np.array([int(hashlib.blake2b(p.encode(), digest_size=4).hexdigest(), 16) % k for p in pair_ids])


def cross_fitted_chunk_logits(data: LongData, idx: np.ndarray) -> list[np.ndarray]:
    """Return chunk log-odds of the documents idx, each from a chunk head fitted without its pair group."""
    folds = _fold_of(data.column("pair_id")[idx], CROSS_FOLDS)
    out: list[np.ndarray] = [np.zeros(1)] * len(idx)
    for f in range(CROSS_FOLDS):
        head = fit_chunk_head(data, idx[folds != f])
        for j in np.flatnonzero(folds == f):
            out[j] = head.logit(data.chunk_emb[idx[j]])
    return out


def doc_matrix(chunk_logits: Sequence[np.ndarray], data: LongData, idx: np.ndarray) -> np.ndarray:
    """Return the document head's input for documents idx given their chunk log-odds."""
    from models.ai_text.long import chunk_aggregates

    return np.hstack([chunk_aggregates(chunk_logits), data.style_struct[idx]]).astype(np.float64)


def fit_long(data: LongData, train: np.ndarray) -> LongModel:
    """Fit the chunk head on all training windows and the document head on cross-fitted chunk scores."""
    idx = np.flatnonzero(train)
    chunk = fit_chunk_head(data, idx)
    x = doc_matrix(cross_fitted_chunk_logits(data, idx), data, idx)
    y = data.column("label")[idx]
    groups = balance_groups(data.rows)[idx]
    doc = fit_head(x, y, l2=DOC_L2, groups=groups)
    lm_doc = None
    if data.has_lm is not None and data.lm is not None:
        sel = data.has_lm[idx]
        if sel.sum() >= 100 and len(set(y[sel])) == 2:
            head = fit_head(np.hstack([x[sel], data.lm[idx[sel]][:, LM_COLUMNS]]), y[sel], l2=DOC_L2,
                            groups=groups[sel])
            lm_doc = _as_linear(head, LM_HEAD_NAMES)
    return LongModel(chunk, _as_linear(doc, LONG_NAMES), lm_doc)


def score_long(model: LongModel, data: LongData, idx: np.ndarray | None = None) -> np.ndarray:
    """Return raw document log-odds of documents idx (all by default)."""
    idx = np.arange(len(data.rows)) if idx is None else idx
    x = doc_matrix(model.chunk_logits([data.chunk_emb[i] for i in idx]), data, idx)
    return model.doc.logit(x)


def score_long_lm(model: LongModel, data: LongData) -> np.ndarray:
    """Return the LM document head's log-odds of every row (NaN where the row has no LM statistics)."""
    z = np.full(len(data.rows), np.nan)
    if model.lm_doc is None or data.has_lm is None or data.lm is None:
        return z
    idx = np.flatnonzero(data.has_lm)
    x = doc_matrix(model.chunk_logits([data.chunk_emb[i] for i in idx]), data, idx)
    z[idx] = model.lm_doc.logit(np.hstack([x, data.lm[idx][:, LM_COLUMNS]]))
    return z


def long_threshold(z: np.ndarray, data: LongData, calib: np.ndarray,
                   governance_z: np.ndarray | None = None) -> dict[str, float]:
    """Return the flag log-odds: the stricter 1%-FPR point of governance and of other human texts.

    Other human texts: the calibration rows `calib`. Governance: `governance_z` when given (scores of
    texts from repositories their heads never saw, `repo_held_out_scores`; NaN = not in the pool), else
    the calibration rows' own governance texts.
    """
    words = data.column("words")
    gov = np.array([r.governance for r in data.rows])
    human = data.column("label") == 0
    sel = calib & human & (words >= LONG_FLAG_WORDS)
    extra: dict[str, float] = {}
    if governance_z is None:
        gov_z = z[sel & gov]
        gov_thr = threshold_at_fpr(gov_z, TARGET_FPR)
    else:
        pooled = ~np.isnan(governance_z)
        gov_z = governance_z[pooled]
        repos = np.array([r.source for r in data.rows])[pooled]
        gov_thr, q = repo_safe_point(gov_z, repos, TARGET_FPR)
        extra = {"governance_quantile": q, "governance_plain_point": threshold_at_fpr(gov_z, TARGET_FPR)}
    other_thr = threshold_at_fpr(z[sel & ~gov], TARGET_FPR)
    return {"threshold_logit": max(gov_thr, other_thr), "governance_point": gov_thr, "other_point": other_thr,
            "n_governance": len(gov_z), "n_other": int((sel & ~gov).sum()), **extra,
            "governance_calibration": "validation split" if governance_z is None else "each repository held out"}


REPO_SAFE_STEPS = 10  # repo_safe_point tries flag shares of TARGET_FPR x 1.0, 0.9, ... 0.1


def repo_safe_point(z: np.ndarray, repos: np.ndarray, fpr: float) -> tuple[float, float]:
    """Return (line, share): the line a repository *outside* the calibration pool sees at most `fpr` above.

    The plain `fpr` point of the pool is right for texts like the pool's; a new DAO's repository is not
    one of them, and its texts move together (one register, one template). So the share is checked by
    leaving each repository out of the pool in turn: the line set at share q on the other repositories
    flags some of the left-out one's texts; pooled over the repositories, that estimates what an unseen
    repository sees. The share is the largest of fpr x 1.0, 0.9, ... 0.1 whose estimate is <= fpr (never
    above fpr, so the line is never less strict than the plain point). Uses only the pool: nested in any
    evaluation that holds a repository out, it never sees that repository.
    """
    names = sorted(set(repos.tolist()))
    q = fpr
    if len(names) >= 2:  # with one repository there is nothing to leave out
        for step in range(REPO_SAFE_STEPS, 0, -1):
            q = fpr * step / REPO_SAFE_STEPS
            flagged = sum(int((z[repos == r] >= threshold_at_fpr(z[repos != r], q)).sum()) for r in names)
            if flagged <= fpr * len(z):
                break
    return threshold_at_fpr(z, q), q


def governance_pool(data: LongData, rows: np.ndarray) -> np.ndarray:
    """Return the human governance texts of LONG_FLAG_WORDS+ words among `rows` (the calibration pool)."""
    gov = np.array([r.governance for r in data.rows])
    return rows & gov & (data.column("words") >= LONG_FLAG_WORDS)


def repo_held_out_scores(data: LongData, train: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Score the texts of `pool`, each with heads fitted on `train` minus its own repository.

    A new DAO's proposals come from a repository the model never saw, so these scores measure the
    false-accusation rate the line is meant to bound, on every governance text of the pool (about 1,000
    in training) instead of the hundred or so validation ones. Returns (z, z_lm): long-path and LM-head
    log-odds, NaN outside the pool (and, for z_lm, without LM statistics). One fit per repository in the pool.
    """
    src = data.column("source")
    z = np.full(len(data.rows), np.nan)
    z_lm = np.full(len(data.rows), np.nan)
    for repo in sorted(set(src[pool])):
        sel = pool & (src == repo)
        model = fit_long(data, train & (src != repo))
        idx = np.flatnonzero(sel)
        z[idx] = score_long(model, data, idx)
        z_lm[sel] = score_long_lm(model, data)[sel]
    return z, z_lm


def cascade_check(model: LongModel, data: LongData, threshold: float) -> dict[str, int]:
    """Count how the run-time cascade (extra windows only above line - CASCADE_MARGIN) changes flags."""
    from models.ai_text.long import CASCADE_MARGIN

    words = data.column("words")
    idx = np.flatnonzero(words >= LONG_FLAG_WORDS)
    full = score_long(model, data, idx)
    first = model.doc.logit(doc_matrix([model.chunk.logit(data.chunk_emb[i][:1]) for i in idx], data, idx))
    read = first >= threshold - CASCADE_MARGIN
    return {"cascade_docs": int(len(idx)), "cascade_read_all_windows": int(read.sum()),
            "cascade_flags_full": int((full >= threshold).sum()),
            "cascade_flags_lost": int(((full >= threshold) & ~read).sum())}


def save_long(folder: Path, model: LongModel) -> None:
    """Write ai_text_long.npz: both heads' arrays."""
    np.savez(folder / "ai_text_long.npz", chunk_mean=model.chunk.mean, chunk_scale=model.chunk.scale,
             chunk_coef=model.chunk.coef, chunk_intercept=np.array([model.chunk.intercept], np.float32),
             doc_names=np.array(model.doc.names), doc_mean=model.doc.mean, doc_scale=model.doc.scale,
             doc_coef=model.doc.coef, doc_intercept=np.array([model.doc.intercept], np.float32),
             **_lm_arrays(model.lm_doc))


def _lm_arrays(head: LinearHead | None) -> dict[str, np.ndarray]:
    """Return the LM head's arrays for ai_text_long.npz (none if it was not trained)."""
    if head is None:
        return {}
    return {"lm_doc_names": np.array(head.names), "lm_doc_mean": head.mean.astype(np.float32),
            "lm_doc_scale": head.scale.astype(np.float32), "lm_doc_coef": head.coef.astype(np.float32),
            "lm_doc_intercept": np.array([head.intercept], np.float32)}


def lm_meta(model: LongModel, data: LongData, long_line: float,
            governance_z: np.ndarray | None = None) -> dict[str, Any] | None:
    """Calibrate the LM head on held-out humans with LM statistics; describe it for ai_text.json."""
    if model.lm_doc is None or data.has_lm is None:
        return None
    split, label = data.column("split"), data.column("label")
    z = score_long_lm(model, data)
    calib = long_threshold(np.nan_to_num(z, nan=-1e9), data, (split == "val") & data.has_lm, governance_z)
    thr = calib["threshold_logit"]
    test_h = (split == "test") & (label == 0) & data.has_lm
    gov = np.array([r.governance for r in data.rows])
    val_h = (split == "val") & (label == 0) & data.has_lm
    return {**calib, "rows_with_lm": int(data.has_lm.sum()),
            "trained_on_rows": int(((split == "train") & data.has_lm).sum()),
            "test_human_fpr": round(float((z[test_h] >= thr).mean()), 4),
            "test_governance_fpr": round(float((z[test_h & gov] >= thr).mean()), 4),
            "n_test_governance": int((test_h & gov).sum()),
            "human_reference": [round(float(v - thr + long_line), 3) for v in np.sort(z[val_h])]}


def train(folder: Path = WEIGHTS_DIR, docs: int = DEFAULT_DOCS) -> dict[str, Any]:
    """Train on the train split, calibrate on validation humans, save, and return the metadata."""
    data = load_data(docs)
    split = data.column("split")
    model = fit_long(data, split == "train")
    z = score_long(model, data)
    gov_z, gov_z_lm = repo_held_out_scores(data, split == "train", governance_pool(data, split != "test"))
    calib = long_threshold(z, data, split == "val", gov_z)
    save_long(folder, model)
    test_h = (split == "test") & (data.column("label") == 0) & (data.column("words") >= LONG_FLAG_WORDS)
    gov = np.array([r.governance for r in data.rows])
    cascade = cascade_check(model, data, calib["threshold_logit"])
    val_h = (split == "val") & (data.column("label") == 0) & (data.column("words") >= LONG_FLAG_WORDS)
    lm_coef = model.lm_doc.coef.tobytes() if model.lm_doc is not None else b""
    digest = hashlib.blake2b(model.doc.coef.tobytes() + model.chunk.coef.tobytes() + lm_coef, digest_size=4).hexdigest()
    lm = lm_meta(model, data, calib["threshold_logit"], gov_z_lm)
    return {
        "version": f"ai_text-long-{digest}", "flag_words": LONG_FLAG_WORDS, **calib,
        "trained_on": {"rows": int((split == "train").sum()), "sample_docs": len(data.rows), "seed": SEED,
                       "chunk_ridge": CHUNK_RIDGE, "doc_l2": DOC_L2},
        "test_human_fpr": round(float((z[test_h] >= calib["threshold_logit"]).mean()), 4),
        "test_governance_fpr": round(float((z[test_h & gov] >= calib["threshold_logit"]).mean()), 4),
        "n_test_governance": int((test_h & gov).sum()),
        **cascade,
        "human_reference": [round(float(v), 3) for v in np.sort(z[val_h])],  # how-sure wording at run time
        **({"lm": lm} if lm else {}),
    }


def main(argv: list[str] | None = None) -> int:
    """Train the long-form heads and merge their metadata into ai_text.json under "long"."""
    p = argparse.ArgumentParser(prog="python -m models.ai_text.train_long", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--docs", type=int, default=DEFAULT_DOCS, help="seeded sample size (0 = all 5,864 texts)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    meta_path = args.out / "ai_text.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["long"] = train(args.out, args.docs)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta["long"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
