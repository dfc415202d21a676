"""The toxicity branch: fine-tuned copies of MiniLM's top layers, run on the shared pass's hidden states.

The shared encoder runs every post through MiniLM once. The branch takes the hidden states at the
input of layer `tap` (the layers below are shared, unchanged) and runs its own fine-tuned copies of
the layers from `tap` up, then mean-pools and applies a linear head with one logit per output (the
categories named in the weights' metadata; the head's size is read from the stored weights).

Weights are stored as low-rank (LoRA) updates to the base MiniLM layers, plus the biases and layer
norms in full, so the shipped file stays small; `load_branch` merges them into plain linear layers,
so inference costs the same as the base layers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoConfig
from transformers.models.bert.modeling_bert import BertLayer

from models.fast_bert import FastLayer, run_layers

log = logging.getLogger(__name__)

POOL_SCALE = 8.0  # the unit-norm pooled vector is scaled before the head (logit range)


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Return the (n, 1, 1, width) additive attention mask BertLayer expects from a 0/1 padding mask."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


class ToxicityBranch(torch.nn.Module):
    """Top MiniLM layers (from `tap` up) + mean pooling + a linear head with one logit per output."""

    name = "toxicity"

    def __init__(self, config: Any, tap: int, outputs: int = 4) -> None:
        """Build untrained layers tap..num_hidden_layers-1 with the encoder's config, and a head of `outputs` logits."""
        super().__init__()
        if not 0 < tap < config.num_hidden_layers:
            raise ValueError(f"tap must be between 1 and {config.num_hidden_layers - 1}, got {tap}")
        self.tap = tap
        if getattr(config, "_attn_implementation", None) is None:
            config._attn_implementation = "sdpa"  # as the encoder's own layers run
        self.layers = torch.nn.ModuleList(BertLayer(config) for _ in range(tap, config.num_hidden_layers))
        self.head = torch.nn.Linear(config.hidden_size, outputs)
        self._heads = int(config.num_attention_heads)
        self._fast: list[FastLayer] | None = None

    def for_inference(self, dtype: torch.dtype = torch.float32) -> ToxicityBranch:
        """Freeze the current weights into the fused fast path (models/fast_bert.py) and switch to eval mode.

        Only for weights that no longer change: the fused projections are a copy taken now. dtype is the
        precision of the matrix products (the encoder's, see `adopt_precision`).
        """
        self.eval()
        self._fast = [FastLayer(layer, self._heads, dtype) for layer in self.layers]
        return self

    def adopt_precision(self, dtype: torch.dtype) -> None:
        """Run the fast path's products in dtype, as the shared encoder does (called by Encoder.add_branch)."""
        if self._fast is not None and self._fast[0].dtype != dtype:
            self.for_inference(dtype)

    def train(self, mode: bool = True) -> ToxicityBranch:
        """Switch modes; training drops the fast path (its fused copy would go stale)."""
        if mode:
            self._fast = None
        return super().train(mode)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return (n, outputs) logits from the hidden states at the tap (n, width, 384) and the 0/1 mask (n, width)."""
        if self._fast is not None and not self.training:
            hidden = run_layers(self._fast, hidden, mask)
        else:
            ext = additive_mask(mask, hidden.dtype)
            for layer in self.layers:
                out = layer(hidden, attention_mask=ext)
                hidden = out[0] if isinstance(out, tuple) else out
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.head(torch.nn.functional.normalize(pooled, dim=-1) * POOL_SCALE)


def base_layer_state(model_dir: Path, tap: int, num_layers: int) -> dict[str, torch.Tensor]:
    """Return the base MiniLM weights of layers tap.. as a ToxicityBranch state dict (head excluded)."""
    out: dict[str, torch.Tensor] = {}
    with safe_open(str(model_dir / "model.safetensors"), "pt") as fh:
        for key in fh.keys():  # noqa: SIM118 (safe_open is not a mapping)
            for i in range(tap, num_layers):
                prefix = f"encoder.layer.{i}."
                if key.startswith(prefix):
                    out[f"layers.{i - tap}.{key[len(prefix):]}"] = fh.get_tensor(key).float()
    return out


def merge_state(base: Mapping[str, torch.Tensor], stored: Mapping[str, torch.Tensor],
                lora_scale: float) -> dict[str, torch.Tensor]:
    """Return the full state dict: base weights, overridden by stored tensors, plus LoRA deltas B @ A."""
    state = {k: v.clone() for k, v in base.items()}
    for key, tensor in stored.items():
        if key.endswith(".lora_A") or key.endswith(".lora_B"):
            continue
        state[key] = tensor.float()
    for key in stored:
        if key.endswith(".lora_A"):
            target = key[: -len(".lora_A")] + ".weight"
            a, b = stored[key].float(), stored[key[: -len("A")] + "B"].float()
            state[target] = state[target] + lora_scale * (b @ a)
    return state


def save_branch(stored: Mapping[str, torch.Tensor], meta: dict[str, Any], path: Path, meta_path: Path) -> None:
    """Write the branch's trained tensors (float16 safetensors) and its JSON metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().to(torch.float16).contiguous() for k, v in stored.items()}, str(path))
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def merged_branch(stored: Mapping[str, torch.Tensor], tap: int, lora_scale: float,
                  model_dir: Path) -> ToxicityBranch:
    """Build the branch, in eval mode, from the base MiniLM in model_dir and the trained tensors."""
    config = AutoConfig.from_pretrained(model_dir)
    if "head.weight" not in stored:
        raise ValueError("toxicity weights do not fit the branch: no head.weight")
    branch = ToxicityBranch(config, tap, int(stored["head.weight"].shape[0]))
    state = merge_state(base_layer_state(model_dir, tap, config.num_hidden_layers), stored, lora_scale)
    missing, unexpected = branch.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"toxicity weights do not fit the branch: missing {missing}, unexpected {unexpected}")
    return branch.for_inference()


def load_branch(path: Path, meta: Mapping[str, Any], model_dir: Path) -> ToxicityBranch:
    """Build the branch from the base MiniLM in model_dir and the trained tensors at path, in eval mode."""
    with safe_open(str(path), "pt") as fh:
        stored = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    branch = merged_branch(stored, int(meta["tap"]), float(meta.get("lora_scale", 1.0)), model_dir)
    log.info("toxicity branch loaded: layers from %d fine-tuned, %d stored tensors", branch.tap, len(stored))
    return branch
