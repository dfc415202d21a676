"""Fine-tune the toxicity branch: MiniLM's top layers (LoRA or in full) and a two-output head.

The layers below the tap are the shared encoder's and stay frozen, so their hidden states are
computed once per text and the training loop only runs the branch. Outputs: offensive (OLID,
Davidson hate-or-offensive) and hateful (HatEval, Davidson hate); templated sentences naming
identity groups, neutral and hateful, train both (models/toxicity/identity_data.py, against identity-term
bias). A row trains only the heads its data set labels. Every data set gets equal weight, both
classes equal weight within it.

Run: ``python -m models.toxicity.train`` (= ``govmod train toxicity``).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from models.normalize import normalize
from models.training import datasets
from models.training.metrics import auroc

log = logging.getLogger(__name__)

UNKNOWN = -1  # the data set does not label this output


@dataclass(frozen=True, slots=True)
class Rows:
    """Labelled texts: normalised text, offensive and hateful labels (1/0/UNKNOWN), data set name."""

    texts: list[str]
    offensive: np.ndarray
    hateful: np.ndarray
    src: np.ndarray

    @property
    def toxic(self) -> np.ndarray:
        """Return the label of the combined score: offensive or hateful (whichever the data set labels)."""
        return np.maximum(self.offensive, self.hateful)

    def subset(self, mask: np.ndarray) -> Rows:
        """Return the rows where mask is True."""
        return Rows([t for t, m in zip(self.texts, mask, strict=True) if m], self.offensive[mask],
                    self.hateful[mask], self.src[mask])


def _rows(name: str, examples: Sequence[datasets.Example], offensive: Callable[[datasets.Example], int],
          hateful: Callable[[datasets.Example], int]) -> Rows:
    return Rows([normalize(e.text) for e in examples], np.array([offensive(e) for e in examples]),
                np.array([hateful(e) for e in examples]), np.full(len(examples), name))


def _label(e: datasets.Example) -> int:
    return e.label


def _unknown(e: datasets.Example) -> int:
    return UNKNOWN


# Every labelled set the toxicity work reads, by name, with the outputs it labels.
LOADERS: dict[str, Callable[[], Rows]] = {
    "tweeteval_offensive_train": lambda: _rows("tweeteval_offensive_train", datasets.tweeteval("offensive", "train"),
                                               _label, _unknown),
    "tweeteval_hate_train": lambda: _rows("tweeteval_hate_train", datasets.tweeteval("hate", "train"),
                                          _unknown, _label),
    "davidson": lambda: _rows("davidson", datasets.davidson(), _label, lambda e: int(e.group == "0")),
    "tweeteval_offensive_val": lambda: _rows("tweeteval_offensive_val", datasets.tweeteval("offensive", "val"),
                                             _label, _unknown),
    "tweeteval_hate_val": lambda: _rows("tweeteval_hate_val", datasets.tweeteval("hate", "val"), _unknown, _label),
    "toxigen": lambda: _rows("toxigen", datasets.toxigen(), _unknown, _label),
    "identity_templates": lambda: _identity_rows(),
}
# Davidson et al. is not in the default mix: its "offensive" labels follow African-American English
# (Sap et al. 2019), and trained on it the branch flagged "gm fam" and "yo fam". It stays available
# (--sources) and is the cross-dataset test set of `govmod eval toxicity`.
TRAINABLE = ("tweeteval_offensive_train", "tweeteval_hate_train", "davidson", "identity_templates")
TRAIN_SOURCES = ("tweeteval_offensive_train", "tweeteval_hate_train", "identity_templates")


def _identity_rows() -> Rows:
    """Return the identity-term templates (models/toxicity/identity_data.py): both outputs labelled alike."""
    from models.toxicity.identity_data import identity_sentences

    pairs = identity_sentences()
    labels = np.array([y for _, y in pairs])
    return Rows([normalize(t) for t, _ in pairs], labels, labels.copy(), np.full(len(pairs), "identity_templates"))


def load_rows(names: Sequence[str]) -> Rows:
    """Return the named data sets concatenated."""
    return concat([LOADERS[n]() for n in names])


def concat(parts: Sequence[Rows]) -> Rows:
    """Return the rows of several data sets, one after the other."""
    return Rows([t for p in parts for t in p.texts], np.concatenate([p.offensive for p in parts]),
                np.concatenate([p.hateful for p in parts]), np.concatenate([p.src for p in parts]))


@dataclass(frozen=True, slots=True)
class Recipe:
    """Hyperparameters of the toxicity branch."""

    tap: int = 3  # layers tap..5 are fine-tuned; 0..tap-1 are the shared encoder's
    rank: int = 16  # LoRA rank; 0 = fine-tune the layers in full
    lora_scale: float = 2.0
    lr: float = 5e-4
    head_lr: float = 1e-3
    epochs: int = 2
    batch_size: int = 32
    seed: int = 0


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
    """Return the mean over sources (with both classes present) of AUROC, or of F1 at the threshold."""
    vals = []
    for name in np.unique(source):
        m = source == name
        if len(np.unique(y[m])) < 2:
            continue
        vals.append(auroc(y[m], p[m]) if threshold is None else prf_at(y[m], p[m], threshold)[2])
    return float(np.mean(vals))


def choose_threshold(y: np.ndarray, p: np.ndarray, source: np.ndarray) -> float:
    """Return the threshold maximising the mean per-source F1 on dev data."""
    grid = np.round(np.arange(0.30, 0.951, 0.01), 2)
    scores = [per_source(y, p, source, float(t)) for t in grid]
    return float(grid[int(np.argmax(scores))])


class TapStates:
    """Hidden states at the tap for named data sets, computed once with the shared encoder (in memory)."""

    def __init__(self, tap: int, encoder: Any = None) -> None:
        """Remember the tap and an already loaded encoder, if any (else it is loaded on first use)."""
        self.tap = tap
        self._encoder: Any = encoder
        self._states: dict[str, list[Any]] = {}

    @property
    def encoder(self) -> Any:
        """Return the shared encoder (loaded once)."""
        if self._encoder is None:
            from models.encoder import Encoder

            self._encoder = Encoder(cache_size=0)
        return self._encoder

    def of(self, name: str, rows: Rows) -> list[Any]:
        """Return the states of a named data set's rows (computed on first request)."""
        if name not in self._states:
            start = time.perf_counter()
            self._states[name] = self.encoder.hidden_states(rows.texts, self.tap)
            log.info("tap states of %s: %d texts in %.0f s", name, len(rows.texts), time.perf_counter() - start)
        return self._states[name]

    def stacked(self, names: Sequence[str]) -> tuple[Rows, list[Any]]:
        """Return the named data sets' rows and states, concatenated."""
        parts = {n: LOADERS[n]() for n in names}
        states = [s for n in names for s in self.of(n, parts[n])]
        return concat([parts[n] for n in names]), states


def fit_branch(rows: Rows, states: list[Any], recipe: Recipe, *,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the branch on rows and return its stored tensors (LoRA factors or full layers, norms, head)."""
    from models.toxicity.train_lora import train_branch

    return train_branch(rows, states, recipe, source_weights(rows.toxic, rows.src), progress=progress)


def predict_logits(stored: dict[str, Any], recipe: Recipe, states: list[Any]) -> np.ndarray:
    """Return (n, 2) logits of the branch built exactly as the detector builds it."""
    from models.encoder import minilm_path
    from models.toxicity.branch import merged_branch
    from models.toxicity.train_lora import logits_of

    return logits_of(merged_branch(stored, recipe.tap, recipe.lora_scale, minilm_path()), states)


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Return n, AUROC and F1 at the threshold."""
    return {"n": int(len(y)), "auroc": round(auroc(y, p), 4), "f1": round(prf_at(y, p, threshold)[2], 4)}


def train(recipe: Recipe, sources: Sequence[str] = TRAIN_SOURCES, dev_frac: float = 0.1,
          tap_states: TapStates | None = None) -> tuple[dict[str, Any], dict[str, Any], TapStates]:
    """Train on all but a seeded dev split, choose the threshold on dev; return tensors, metadata and states."""
    from models.toxicity.detector import combine

    cache = tap_states or TapStates(recipe.tap)
    rows, states = cache.stacked(sources)
    is_dev = dev_split(rows.toxic, rows.src, dev_frac, recipe.seed)
    fit_states = [s for s, d in zip(states, is_dev, strict=True) if not d]
    dev_states = [s for s, d in zip(states, is_dev, strict=True) if d]
    stored = fit_branch(rows.subset(~is_dev), fit_states, recipe, progress=log.info)
    dev = rows.subset(is_dev)
    p_dev = combine(predict_logits(stored, recipe, dev_states))
    real = dev.src != "identity_templates"  # the threshold and the dev mean are about real posts
    threshold = choose_threshold(dev.toxic[real], p_dev[real], dev.src[real])
    meta: dict[str, Any] = {
        "default_threshold": threshold,
        "tap": recipe.tap,
        "lora_scale": recipe.lora_scale,
        "outputs": ["offensive", "hateful"],
        "hyperparameters": {**asdict(recipe), "dev_frac": dev_frac},
        "trained_on": {name: int(((rows.src == name) & ~is_dev).sum()) for name in sources},
        "encoder": "all-MiniLM-L6-v2 (normalised text); layers below the tap shared",
        "metrics": {
            "dev_mean_auroc": round(per_source(dev.toxic[real], p_dev[real], dev.src[real]), 4),
            "dev": {name: metrics(dev.toxic[m], p_dev[m], threshold) for name in sources for m in [dev.src == name]},
        },
    }
    return stored, meta, cache


def recipe_from(hyperparameters: dict[str, Any]) -> Recipe:
    """Return the Recipe stored in a model's metadata (unknown keys ignored)."""
    names = {f.name for f in fields(Recipe)}
    return Recipe(**{k: v for k, v in hyperparameters.items() if k in names})


def version_of(stored: dict[str, Any], recipe: Recipe) -> str:
    """Return a version string naming the recipe and hashing the trained tensors."""
    digest = hashlib.sha1()
    for key in sorted(stored):
        digest.update(key.encode())
        digest.update(stored[key].detach().float().numpy().tobytes())
    kind = f"lora{recipe.rank}" if recipe.rank else "full"
    return f"toxicity-ft{6 - recipe.tap}-{kind}-{digest.hexdigest()[:8]}"


def held_out_metrics(stored: dict[str, Any], recipe: Recipe, threshold: float, cache: TapStates) -> dict[str, Any]:
    """Return AUROC and F1 on the TweetEval validation splits (never used for training)."""
    from models.toxicity.detector import combine

    out = {}
    for name in ("tweeteval_offensive_val", "tweeteval_hate_val"):
        rows, states = cache.stacked([name])
        out[name] = metrics(rows.toxic, combine(predict_logits(stored, recipe, states)), threshold)
    return out


def main(argv: list[str] | None = None) -> int:
    """Train the toxicity branch and write models/weights/toxicity.{safetensors,json}."""
    from models.toxicity.branch import save_branch
    from models.toxicity.detector import META_FILE, WEIGHTS_DIR, WEIGHTS_FILE

    defaults = Recipe()
    parser = argparse.ArgumentParser(prog="govmod train toxicity", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="weights folder (default models/weights)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--tap", type=int, default=defaults.tap, help="first fine-tuned layer (1-5)")
    parser.add_argument("--rank", type=int, default=defaults.rank, help="LoRA rank; 0 = fine-tune the layers in full")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="learning rate of the layers")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--sources", nargs="+", default=list(TRAIN_SOURCES), choices=list(TRAINABLE))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    recipe = Recipe(tap=args.tap, rank=args.rank, lr=args.lr, epochs=args.epochs, seed=args.seed)
    stored, meta, cache = train(recipe, args.sources)
    meta["version"] = version_of(stored, recipe)
    meta["command"] = " ".join(["python -m models.toxicity.train", *(argv or [])])
    meta["metrics"]["held_out"] = held_out_metrics(stored, recipe, meta["default_threshold"], cache)
    save_branch(stored, meta, args.out / WEIGHTS_FILE, args.out / META_FILE)
    size = (args.out / WEIGHTS_FILE).stat().st_size
    print(f"wrote {args.out / WEIGHTS_FILE} ({size / 1024:.0f} KiB) and {META_FILE}: version {meta['version']}, "
          f"threshold {meta['default_threshold']:.2f}")
    for name, m in meta["metrics"]["held_out"].items():
        print(f"  {name}: AUROC {m['auroc']:.4f}  F1 {m['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
