"""Hidden states at the branch's tap for training and evaluation texts, computed once and kept on disk.

The layers below the tap are the shared encoder's and never change, so the states of a text are the same in
every training run. They are stored per named set under models/cache/toxicity/ (gitignored), in a file named
after the tap, the encoder version and a digest of the texts; a changed set gets a new file.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.paths import CACHE_DIR

log = logging.getLogger(__name__)


def texts_digest(texts: Sequence[str]) -> str:
    """Return a short digest of a list of texts (order matters)."""
    h = hashlib.blake2b(digest_size=8)
    for t in texts:
        h.update(t.encode("utf-8", "replace"))
        h.update(b"\0")
    return h.hexdigest()


class TapStates:
    """Per-text hidden states at the tap (float16 tensors of shape (tokens, 384)), memoised in memory and on disk."""

    def __init__(self, tap: int, encoder: Any = None, folder: Path | None = None) -> None:
        """Remember the tap, an already loaded encoder (else loaded on first use) and the cache folder."""
        self.tap = tap
        self._encoder: Any = encoder
        self.folder = folder if folder is not None else CACHE_DIR / "toxicity"
        self._memo: dict[str, list[Any]] = {}

    @property
    def encoder(self) -> Any:
        """Return the shared encoder (loaded once)."""
        if self._encoder is None:
            from models.encoder import Encoder

            self._encoder = Encoder(cache_size=0, precision="float32")  # cached: same on every CPU
        return self._encoder

    def path(self, name: str, texts: Sequence[str]) -> Path:
        """Return the cache file of a named set of texts."""
        return self.folder / f"{name}-tap{self.tap}-{texts_digest(texts)}.npz"

    def of(self, name: str, texts: Sequence[str]) -> list[Any]:
        """Return the states of the texts of a named set (from memory, disk, or computed and stored)."""
        import torch

        path = self.path(name, texts)
        key = path.name
        if key in self._memo:
            return self._memo[key]
        if path.is_file():
            with np.load(path) as data:
                flat, offsets = data["flat"], data["offsets"]
            states = [torch.from_numpy(flat[offsets[i]:offsets[i + 1]]) for i in range(len(offsets) - 1)]
        else:
            start = time.perf_counter()
            states = self.encoder.hidden_states(list(texts), self.tap)
            log.info("tap states of %s: %d texts in %.0f s", name, len(texts), time.perf_counter() - start)
            self.folder.mkdir(parents=True, exist_ok=True)
            offsets = np.cumsum([0] + [len(s) for s in states])
            flat = np.concatenate([s.numpy() for s in states]) if states else np.zeros((0, 384), np.float16)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, flat=flat, offsets=offsets)
            tmp.replace(path)
        if len(states) != len(texts):
            raise ValueError(f"{path} holds {len(states)} states for {len(texts)} texts")
        self._memo[key] = states
        return states
