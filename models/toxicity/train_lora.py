"""Training of the toxicity branch: LoRA adapters (or full layers) on MiniLM's top layers, in torch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from models.toxicity.branch import ToxicityBranch


class LoRALinear(torch.nn.Module):
    """A frozen linear layer plus a trainable low-rank update: W x + b + scale * B (A x)."""

    def __init__(self, base: torch.nn.Linear, rank: int, scale: float, generator: torch.Generator) -> None:
        """Wrap base; A starts small and random, B at zero, so training starts from the base layer."""
        super().__init__()
        self.base = base
        base.weight.requires_grad_(False)
        self.lora_A = torch.nn.Parameter(torch.randn(rank, base.in_features, generator=generator) * 0.01)
        self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the base output plus the low-rank update."""
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scale


def add_lora(module: torch.nn.Module, rank: int, scale: float, generator: torch.Generator) -> None:
    """Replace every nn.Linear inside module (in place) with a LoRALinear around it."""
    for child_name, child in list(module.named_children()):
        if isinstance(child, torch.nn.Linear):
            setattr(module, child_name, LoRALinear(child, rank, scale, generator))
        else:
            add_lora(child, rank, scale, generator)


def stored_tensors(branch: ToxicityBranch) -> dict[str, torch.Tensor]:
    """Return what to ship: every trainable tensor, with LoRA keys named after the wrapped layer."""
    out: dict[str, torch.Tensor] = {}
    for key, param in branch.named_parameters():
        if param.requires_grad:
            out[key.replace(".base.", ".")] = param.detach().clone()
    return out


def _batch(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[-1]))
    mask = torch.zeros((len(states), width))
    for row, s in enumerate(states):
        hidden[row, : len(s)] = s.float()
        mask[row, : len(s)] = 1
    return hidden, mask


def logits_of(branch: ToxicityBranch, states: Sequence[torch.Tensor], batch: int = 128) -> np.ndarray:
    """Return (n, outputs) logits of the branch on per-text tap states (batched by length)."""
    out = np.zeros((len(states), branch.head.out_features), dtype=np.float32)
    order = np.argsort([len(s) for s in states], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            out[idx] = branch(*_batch([states[i] for i in idx])).numpy()
    return out


def _length_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle, sort by length within chunks of 50 batches (little padding), shuffle the batches."""
    perm = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    for start in range(0, len(perm), size * 50):
        chunk = perm[start:start + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def load_trainable(branch: ToxicityBranch, stored: dict[str, torch.Tensor]) -> None:
    """Copy stored tensors (as `stored_tensors` names them) into the branch's trainable parameters."""
    params = {key.replace(".base.", "."): param for key, param in branch.named_parameters() if param.requires_grad}
    missing = sorted(set(params) - set(stored))
    if missing:
        raise ValueError(f"stored tensors lack {missing[:3]}")
    with torch.no_grad():
        for key, param in params.items():
            param.copy_(stored[key].float())


def train_branch(labels: np.ndarray, states: Sequence[torch.Tensor], recipe: Any, weights: np.ndarray, *,
                 progress: Callable[[str], None] | None = None,
                 init: dict[str, torch.Tensor] | None = None,
                 twins: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Train the branch on tap states with BCE masked to the labelled outputs (labels (n, k), -1 unknown).

    `init`: stored tensors of an earlier run (same recipe) to continue from, instead of the base layers.
    `twins`: per row, the row an obfuscated copy was made from (-1 for the others). With `recipe.consistency`
    > 0 each copy in a batch also pays that weight times the squared gap between its probabilities and those
    of its plain text (read without dropout and without gradient: the plain reading is the target), so a
    misspelling learns to score like the word, not just to carry the same label.
    """
    from transformers import AutoConfig

    from models.encoder import minilm_path
    from models.toxicity.branch import base_layer_state

    torch.manual_seed(recipe.seed)
    config = AutoConfig.from_pretrained(minilm_path())
    branch = ToxicityBranch(config, recipe.tap, labels.shape[1])
    base = base_layer_state(minilm_path(), recipe.tap, config.num_hidden_layers)
    branch.load_state_dict(base, strict=False)  # the head stays freshly initialised
    if recipe.rank:
        add_lora(branch.layers, recipe.rank, recipe.lora_scale, torch.Generator().manual_seed(recipe.seed))
    if init is not None:
        load_trainable(branch, init)
    branch.train()
    layer_params = [p for p in branch.layers.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": layer_params, "lr": recipe.lr},
                             {"params": branch.head.parameters(), "lr": recipe.head_lr}], weight_decay=0.01)
    rng = np.random.default_rng(recipe.seed)
    lengths = np.array([len(s) for s in states])
    total = math.ceil(len(states) / recipe.batch_size) * recipe.epochs
    warmup = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / total))
    targets = torch.tensor(labels, dtype=torch.float32)
    w = torch.tensor(weights, dtype=torch.float32)
    pull = float(recipe.consistency)
    twin_of = None if twins is None else np.asarray(twins, dtype=np.int64)
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        running = 0.0
        batches = _length_batches(lengths, recipe.batch_size, rng)
        for i, idx in enumerate(batches):
            logits = branch(*_batch([states[j] for j in idx]))
            y = targets[idx]
            known = (y >= 0).float()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.clamp(min=0), reduction="none")
            loss = ((loss * known).sum(1) * w[idx]).mean()
            is_copy = twin_of[idx] >= 0 if pull and twin_of is not None else np.zeros(len(idx), dtype=bool)
            if is_copy.any():
                copies = idx[is_copy]
                branch.eval()
                with torch.no_grad():
                    plain = torch.sigmoid(branch(*_batch([states[j] for j in twin_of[copies]])))
                branch.train()
                gap = (torch.sigmoid(logits[torch.from_numpy(is_copy)]) - plain).square().sum(1)
                loss = loss + pull * (gap * w[copies]).sum() / len(idx)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(layer_params, 1.0)
            opt.step()
            sched.step()
            running += float(loss.detach())
            if progress and (i + 1) % 200 == 0:
                progress(f"epoch {epoch + 1}/{recipe.epochs} batch {i + 1}/{len(batches)} "
                         f"loss {running / (i + 1):.4f} ({time.perf_counter() - start:.0f} s)")
    branch.eval()
    return stored_tensors(branch)
