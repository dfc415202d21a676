"""Train the toxicity head on MiniLM embeddings of the shared toxic-language data sets."""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models import datasets
from models.datasets import Example
from models.normalize import normalize
from models.toxicity import head_forward

log = logging.getLogger(__name__)

CACHE_DIR = Path(__file__).resolve().parent / "cache" / "toxicity"


def _tweeteval(task: str, split: str) -> Callable[[], list[Example]]:
    return lambda: datasets.tweeteval(task, split)


# Every labelled set the toxicity work reads, by name. Label 1 = toxic (offensive or hateful).
LOADERS: dict[str, Callable[[], list[Example]]] = {
    "tweeteval_offensive_train": _tweeteval("offensive", "train"),
    "tweeteval_hate_train": _tweeteval("hate", "train"),
    "davidson": datasets.davidson,
    "tweeteval_offensive_val": _tweeteval("offensive", "val"),
    "tweeteval_hate_val": _tweeteval("hate", "val"),
    "toxigen": datasets.toxigen,
}
TRAIN_SOURCES = ("tweeteval_offensive_train", "tweeteval_hate_train", "davidson")
DEFAULT_HIDDEN = 128
DEFAULT_L2_GRID = (1e-5, 1e-4)
DEFAULT_EPOCHS = 20


class EmbeddingCache:
    """Embed normalised texts of a named data set once and keep the array under models/cache/."""

    def __init__(self, cache_dir: Path = CACHE_DIR) -> None:
        """Remember where to cache; the encoder is loaded lazily, only on a cache miss."""
        self.cache_dir = cache_dir
        self._encoder: object | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:
            import torch

            from models.encoder import Encoder

            torch.set_num_threads(min(2, torch.get_num_threads()))
            self._encoder = Encoder(cache_size=0)
        return self._encoder.encode(texts)  # type: ignore[attr-defined]

    def embeddings(self, name: str, texts: Sequence[str]) -> np.ndarray:
        """Return (n, 384) embeddings of the normalised texts; only texts not cached yet are encoded.

        The cache is keyed by normalised text, so a change to normalisation re-encodes only the
        texts whose normalised form changed.
        """
        from models.encoder import Encoder

        norm = [normalize(t) for t in texts]
        path = self.cache_dir / f"{name}-{Encoder.version}.npz"
        known: list[str] = []
        stored = np.zeros((0, 384), dtype=np.float32)
        if path.exists():
            with np.load(path) as data:
                known, stored = [str(t) for t in data["texts"]], data["emb"]
        index = {t: i for i, t in enumerate(known)}
        missing = list(dict.fromkeys(t for t in norm if t not in index))
        if missing:
            log.info("embedding %d new texts of %s (cache %s)", len(missing), name, path)
            stored = np.vstack([stored, self._encode(missing).astype(np.float32)])
            known += missing
            index.update({t: len(known) - len(missing) + i for i, t in enumerate(missing)})
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            np.savez(path, texts=np.array(known, dtype=object).astype(str), emb=stored)
        return stored[[index[t] for t in norm]]

    def load(self, name: str) -> tuple[list[Example], np.ndarray]:
        """Return the examples of a named data set and their embeddings."""
        examples = LOADERS[name]()
        return examples, self.embeddings(name, [e.text for e in examples])


def source_weights(y: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Return sample weights giving every source equal mass and both classes equal mass within it."""
    w = np.zeros(len(y), dtype=np.float64)
    names = np.unique(source)
    for name in names:
        in_src = source == name
        for label in (0, 1):
            cell = in_src & (y == label)
            if cell.any():
                w[cell] = 1.0 / (2 * len(names) * cell.sum())
    return (w * len(y) / w.sum()).astype(np.float32)


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    hidden: int = 0,
    l2: float = 1e-3,
    seed: int = 0,
    epochs: int = 40,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fit a weighted logistic regression (hidden=0, L-BFGS) or a one-hidden-layer MLP (Adam).

    Returns the head as numpy layers [(weight (in, out), bias (out,)), ...] for `head_forward`.
    """
    import torch

    torch.manual_seed(seed)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    wt = torch.from_numpy(w.astype(np.float32))
    dims = [x.shape[1], hidden, 1] if hidden else [x.shape[1], 1]
    linears = [torch.nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)]
    if not hidden:
        torch.nn.init.zeros_(linears[0].weight)
        torch.nn.init.zeros_(linears[0].bias)

    def forward(inp: torch.Tensor) -> torch.Tensor:
        h = inp
        for i, lin in enumerate(linears):
            h = lin(h)
            if i < len(linears) - 1:
                h = torch.relu(h)
        return h[:, 0]

    def loss_fn(idx: torch.Tensor | slice) -> torch.Tensor:
        bce = torch.nn.functional.binary_cross_entropy_with_logits(forward(xt[idx]), yt[idx], reduction="none")
        penalty = sum((lin.weight**2).sum() for lin in linears)
        return (bce * wt[idx]).mean() + l2 * penalty

    params = [p for lin in linears for p in lin.parameters()]
    if not hidden:
        opt = torch.optim.LBFGS(params, lr=1.0, max_iter=500, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = loss_fn(slice(None))
            loss.backward()
            return loss

        opt.step(closure)
    else:
        opt = torch.optim.Adam(params, lr=1e-3)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for idx in torch.randperm(len(xt), generator=gen).split(256):
                opt.zero_grad()
                loss_fn(idx).backward()
                opt.step()
    return [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy()) for lin in linears]


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    """Return the area under the ROC curve (rank statistic, ties averaged)."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    sorted_p = np.asarray(p)[order]
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0  # 1-based average rank of each tie group
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def prf_at(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Return precision, recall and F1 of the positive class at a threshold."""
    pred = p >= threshold
    tp = float((pred & (y == 1)).sum())
    precision = tp / max(pred.sum(), 1)
    recall = tp / max((y == 1).sum(), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return precision, recall, f1


def dev_split(y: np.ndarray, source: np.ndarray, frac: float, seed: int) -> np.ndarray:
    """Return a boolean dev mask holding out `frac` of every (source, label) cell, seeded."""
    rng = np.random.default_rng(seed)
    dev = np.zeros(len(y), dtype=bool)
    for name in np.unique(source):
        for label in (0, 1):
            idx = np.flatnonzero((source == name) & (y == label))
            dev[rng.permutation(idx)[: int(round(frac * len(idx)))]] = True
    return dev


def per_source(y: np.ndarray, p: np.ndarray, source: np.ndarray, threshold: float | None = None) -> float:
    """Return the mean over sources of AUROC (threshold None) or of F1 at the threshold."""
    vals = []
    for name in np.unique(source):
        m = source == name
        vals.append(auroc(y[m], p[m]) if threshold is None else prf_at(y[m], p[m], threshold)[2])
    return float(np.mean(vals))


def choose_threshold(y: np.ndarray, p: np.ndarray, source: np.ndarray) -> float:
    """Return the threshold maximising the mean per-source F1 on dev data."""
    grid = np.round(np.arange(0.30, 0.951, 0.01), 2)
    scores = [per_source(y, p, source, float(t)) for t in grid]
    return float(grid[int(np.argmax(scores))])


def _stack(cache: EmbeddingCache, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return embeddings, labels and source names of the named data sets, concatenated."""
    xs, ys, srcs = [], [], []
    for name in names:
        examples, emb = cache.load(name)
        xs.append(emb)
        ys.append(np.array([e.label for e in examples], dtype=np.int64))
        srcs.append(np.full(len(examples), name))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(srcs)


def train(sources: Sequence[str], *, hidden: int, l2_grid: Sequence[float], seed: int, epochs: int,
          dev_frac: float = 0.1, cache: EmbeddingCache | None = None) -> tuple[list, dict[str, Any]]:
    """Choose L2 and the threshold on a seeded dev split, refit on all training data.

    Returns the head's layers and the metadata to store beside them.
    """
    cache = cache or EmbeddingCache()
    x, y, src = _stack(cache, sources)
    dev = dev_split(y, src, dev_frac, seed)
    w_fit = source_weights(y[~dev], src[~dev])
    search: dict[str, float] = {}
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in l2_grid:
        layers = fit_head(x[~dev], y[~dev], w_fit, hidden=hidden, l2=l2, seed=seed, epochs=epochs)
        p_dev = head_forward(layers, x[dev])
        score = per_source(y[dev], p_dev, src[dev])
        search[f"{l2:g}"] = round(score, 4)
        log.info("l2=%g: mean per-source dev AUROC %.4f", l2, score)
        if best is None or score > best[0]:
            best = (score, l2, p_dev)
    assert best is not None
    dev_auroc, l2, p_dev = best
    threshold = choose_threshold(y[dev], p_dev, src[dev])
    layers = fit_head(x, y, source_weights(y, src), hidden=hidden, l2=l2, seed=seed, epochs=epochs)
    dev_metrics = {
        name: {"n": int((src[dev] == name).sum()), "auroc": round(auroc(y[dev][m], p_dev[m]), 4),
               "f1": round(prf_at(y[dev][m], p_dev[m], threshold)[2], 4)}
        for name in sources
        for m in [src[dev] == name]
    }
    meta: dict[str, Any] = {
        "default_threshold": threshold,
        "hyperparameters": {"hidden": hidden, "l2": l2, "seed": seed, "epochs": epochs, "dev_frac": dev_frac,
                            "l2_search_dev_auroc": search},
        "trained_on": {name: int((src == name).sum()) for name in sources},
        "encoder": "all-MiniLM-L6-v2 (normalised text)",
        "metrics": {"dev_mean_auroc": round(dev_auroc, 4), "dev": dev_metrics},
    }
    return layers, meta


def _version(layers: Sequence[tuple[np.ndarray, np.ndarray]], hidden: int) -> str:
    digest = hashlib.sha1(b"".join(np.asarray(a, dtype=np.float32).tobytes() for pair in layers for a in pair))
    kind = f"mlp{hidden}" if hidden else "logreg"
    return f"toxicity-{kind}-{digest.hexdigest()[:8]}"


def main(argv: list[str] | None = None) -> int:
    """Train the toxicity head and write models/weights/toxicity.{npz,json}."""
    from models.toxicity import WEIGHTS_DIR, save_head

    parser = argparse.ArgumentParser(prog="govmod train toxicity", description=__doc__)
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="weights folder (default models/weights)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=DEFAULT_HIDDEN, help="hidden units; 0 = logistic regression")
    parser.add_argument("--l2", type=float, nargs="+", default=list(DEFAULT_L2_GRID), help="L2 values to try")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="MLP epochs (ignored for logreg)")
    parser.add_argument("--sources", nargs="+", default=list(TRAIN_SOURCES), choices=list(TRAIN_SOURCES))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    layers, meta = train(args.sources, hidden=args.hidden, l2_grid=args.l2, seed=args.seed, epochs=args.epochs)
    meta["version"] = _version(layers, args.hidden)
    meta["command"] = "python -m models.train_toxicity " + " ".join(argv or [])
    meta["metrics"]["held_out"] = held_out_metrics(layers, meta["default_threshold"])
    save_head(layers, meta, args.out)
    size = (args.out / "toxicity.npz").stat().st_size
    print(f"wrote {args.out}/toxicity.npz ({size / 1024:.0f} KiB) and toxicity.json: version {meta['version']}, "
          f"l2 {meta['hyperparameters']['l2']:g}, threshold {meta['default_threshold']:.2f}")
    for name, m in meta["metrics"]["held_out"].items():
        print(f"  {name}: AUROC {m['auroc']:.4f}  F1 {m['f1']:.4f}")
    return 0


def held_out_metrics(layers: Sequence[tuple[np.ndarray, np.ndarray]], threshold: float) -> dict[str, Any]:
    """Return AUROC and F1 of a head on the TweetEval validation splits (never used for training)."""
    cache = EmbeddingCache()
    out = {}
    for name in ("tweeteval_offensive_val", "tweeteval_hate_val"):
        x, y, _ = _stack(cache, [name])
        p = head_forward(layers, x)
        out[name] = {"auroc": round(auroc(y, p), 4), "f1": round(prf_at(y, p, threshold)[2], 4)}
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
