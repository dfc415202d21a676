"""Fine-tune the toxicity branch: MiniLM's top layers (LoRA) and one output per category.

The layers below the tap are the shared encoder's and stay frozen, so their hidden states are computed
once per text (cached on disk, models/toxicity/train_cache.py) and the training loop only runs the branch.
Outputs and what trains each: models/toxicity/rows_data.py. A seeded share of the training texts also
trains as obfuscated copies (models/toxicity/augment_data.py). Every source gets equal weight, texts with
and without any abuse label equal weight within it. Per-category thresholds are calibrated on validation
data only (a seeded 10% of every training source, plus the counter-speech val groups and the Hatemoji dev
split) for a stated false-positive rate on its non-abusive texts (models/toxicity/train_calibrate.py).

Run: ``python -m models.toxicity.train`` (= ``govmod train toxicity``).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from models.normalize import normalize
from models.toxicity.augment_data import augment
from models.toxicity.rows_data import (
    LOADERS,
    OUTPUTS,
    TRAIN_SOURCES,
    TRAINABLE,
    VALIDATION_SOURCES,
    Rows,
    concat,
)
from models.toxicity.train_cache import TapStates
from models.training.metrics import auroc

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipe:
    """Hyperparameters of the toxicity branch."""

    tap: int = 4  # layers tap..5 are fine-tuned; 0..tap-1 are the shared encoder's
    rank: int = 32  # LoRA rank; 0 = fine-tune the layers in full
    lora_scale: float = 2.0
    lr: float = 5e-4
    head_lr: float = 1e-3
    epochs: int = 2
    batch_size: int = 32
    seed: int = 0
    augment_frac: float = 0.25  # share of training texts that also train as an obfuscated copy
    stage2_epochs: int = 0  # > 0: a second stage on the hard sets, interpolated (train_second_stage.py)
    consistency: float = 0.0  # weight of the pull of an obfuscated copy's scores towards its plain text's


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
        for label in np.unique(y):
            idx = np.flatnonzero((source == name) & (y == label))
            dev[rng.permutation(idx)[: int(round(frac * len(idx)))]] = True
    return dev


@dataclass(frozen=True, slots=True)
class Split:
    """Training rows (with their obfuscated copies) and validation rows, each with their tap states."""

    fit: Rows
    fit_states: list[Any]
    val: Rows
    val_states: list[Any]
    twins: np.ndarray  # per fit row: the fit row an obfuscated copy was made from, -1 for the others


def _take(states: Sequence[Any], mask: np.ndarray) -> list[Any]:
    return [s for s, m in zip(states, mask, strict=True) if m]


def build_split(recipe: Recipe, sources: Sequence[str], cache: TapStates, dev_frac: float = 0.1,
                validation: Sequence[str] = VALIDATION_SOURCES) -> Split:
    """Load the sources, hold out a seeded dev share of each, add obfuscated copies of the rest."""
    fit_parts, fit_states, val_parts, val_states, twins = [], [], [], [], []
    for name in sources:
        rows = LOADERS[name]()
        states = cache.of(name, rows.texts)
        dev = dev_split(rows.toxic, rows.src, dev_frac, recipe.seed)
        fit, val = rows.subset(~dev), rows.subset(dev)
        offset = len(fit_states)
        fit_parts.append(fit)
        fit_states += _take(states, ~dev)
        twins += [-1] * len(fit)
        val_parts.append(val)
        val_states += _take(states, dev)
        copies = [(i, t) for i, raw in augment(fit.texts, recipe.augment_frac, recipe.seed)
                  if (t := normalize(raw)) != fit.texts[i]]
        if copies:
            idx = np.array([i for i, _ in copies])
            aug = Rows([t for _, t in copies], fit.labels[idx], fit.src[idx], fit.group[idx])
            fit_parts.append(aug)
            fit_states += cache.of(f"{name}_obfuscated", aug.texts)
            twins += (offset + idx).tolist()
    for name in validation:
        rows = LOADERS[name]()
        val_parts.append(rows)
        val_states += cache.of(name, rows.texts)
    return Split(concat(fit_parts), fit_states, concat(val_parts), val_states, np.array(twins, dtype=np.int64))


def fit_branch(rows: Rows, states: list[Any], recipe: Recipe, *, progress: Callable[[str], None] | None = None,
               init: dict[str, Any] | None = None, twins: np.ndarray | None = None) -> dict[str, Any]:
    """Train the branch on rows (from `init` if given) and return its stored tensors (LoRA, biases, norms, head).

    `twins`: per row, the row an obfuscated copy was made from (-1 for the others), for `recipe.consistency`.
    """
    from models.toxicity.train_lora import train_branch

    return train_branch(rows.labels, states, recipe, source_weights(rows.toxic, rows.src), progress=progress,
                        init=init, twins=twins)


def predict_logits(stored: dict[str, Any], recipe: Recipe, states: list[Any]) -> np.ndarray:
    """Return (n, outputs) logits of the branch built exactly as the detector builds it."""
    from models.encoder import minilm_path
    from models.toxicity.branch import merged_branch
    from models.toxicity.train_lora import logits_of

    return logits_of(merged_branch(stored, recipe.tap, recipe.lora_scale, minilm_path()), states)


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Return n, AUROC and F1 at the threshold."""
    return {"n": int(len(y)), "auroc": round(auroc(y, p), 4), "f1": round(prf_at(y, p, threshold)[2], 4)}


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
    return f"toxicity-cat{len(OUTPUTS)}-ft{6 - recipe.tap}-{kind}-{digest.hexdigest()[:8]}"


def load_stored(folder: Path) -> dict[str, Any]:
    """Return the stored tensors of a weights folder (float32)."""
    from safetensors import safe_open

    from models.toxicity.detector import WEIGHTS_FILE

    with safe_open(str(folder / WEIGHTS_FILE), "pt") as fh:
        return {k: fh.get_tensor(k).float() for k in fh.keys()}  # noqa: SIM118


def train(recipe: Recipe, sources: Sequence[str] = TRAIN_SOURCES, fpr: float = 0.05,
          cache: TapStates | None = None, stage1: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train on the sources' training share, calibrate per-category thresholds on validation; return tensors, meta.

    `stage1`: a weights folder written by this script with the same recipe and sources: its tensors stand in
    for stage 1 (equal up to their float16 rounding), so that only stage 2 runs.
    """
    from models.toxicity.train_calibrate import calibrate

    cache = cache or TapStates(recipe.tap)
    split = build_split(recipe, sources, cache)
    log.info("training on %d rows (obfuscated copies included), validating on %d", len(split.fit), len(split.val))
    if stage1 is not None:
        stored = load_stored(stage1)
    else:
        stored = fit_branch(split.fit, split.fit_states, recipe, progress=log.info, twins=split.twins)
    stage2: dict[str, Any] = {}
    if recipe.stage2_epochs:
        from models.toxicity.train_second_stage import second_stage

        stored, stage2 = second_stage(split, stored, recipe, recipe.stage2_epochs)
    logits = predict_logits(stored, recipe, split.val_states)
    calibration = calibrate(split.val, logits, fpr)
    counts = {name: int((split.fit.src == name).sum()) for name in sources}
    meta: dict[str, Any] = {
        "tap": recipe.tap,
        "lora_scale": recipe.lora_scale,
        "outputs": list(OUTPUTS),
        "categories": calibration["thresholds"],
        "default_threshold": 0.5,  # on the scaled post score: each category's threshold maps to 0.5
        "calibration": {"target_fpr": fpr, **calibration["report"]},
        "hyperparameters": {**asdict(recipe), "dev_frac": 0.1},
        "trained_on": counts,
        **({"stage2": stage2} if stage2 else {}),
        "validated_on": sorted(set(split.val.src.tolist())),
        "encoder": "all-MiniLM-L6-v2 (normalised text); layers below the tap shared",
    }
    return stored, meta


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
    parser.add_argument("--augment", type=float, default=defaults.augment_frac,
                        help="share of training texts that also train obfuscated")
    parser.add_argument("--stage2-epochs", type=int, default=defaults.stage2_epochs,
                        help="epochs of a second stage on the hard sets, interpolated with the first (0 = none)")
    parser.add_argument("--consistency", type=float, default=defaults.consistency,
                        help="weight of a loss pulling obfuscated copies' scores towards their plain texts' (0 = off)")
    parser.add_argument("--stage1", type=Path, default=None,
                        help="weights folder of an earlier run of the same recipe to use as stage 1 (skips it)")
    parser.add_argument("--fpr", type=float, default=0.05,
                        help="false-positive rate on validation non-abusive texts that sets each category's threshold")
    parser.add_argument("--sources", nargs="+", default=list(TRAIN_SOURCES), choices=list(TRAINABLE))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    recipe = Recipe(tap=args.tap, rank=args.rank, lr=args.lr, epochs=args.epochs, seed=args.seed,
                    augment_frac=args.augment, stage2_epochs=args.stage2_epochs, consistency=args.consistency)
    stored, meta = train(recipe, args.sources, args.fpr, stage1=args.stage1)
    meta["version"] = version_of(stored, recipe)
    meta["command"] = " ".join(["python -m models.toxicity.train", *(argv or [])])
    save_branch(stored, meta, args.out / WEIGHTS_FILE, args.out / META_FILE)
    size = (args.out / WEIGHTS_FILE).stat().st_size
    print(f"wrote {args.out / WEIGHTS_FILE} ({size / 1024:.0f} KiB) and {META_FILE}: version {meta['version']}")
    for name, t in meta["categories"].items():
        print(f"  {name}: threshold {t:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
