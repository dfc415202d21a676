"""Cache per-text feature rows (embeddings, LM statistics) on disk for training and evaluation scripts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    """Return the cache key of a text (a short BLAKE2b digest)."""
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=12).hexdigest()


def cached_rows(texts: Sequence[str], path: Path, compute: Callable[[list[str]], np.ndarray],
                width: int = 384) -> np.ndarray:
    """Return compute(texts) row by row, reusing the rows stored at `path` (.npz) and adding the new ones.

    Each distinct text is computed once; the file is replaced atomically, so an interrupted run keeps the old one.
    """
    store: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as data:
            store = dict(zip(data["keys"].tolist(), data["rows"], strict=True))
    keys = [text_key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in store))
    if missing:
        first = dict(zip(keys, texts, strict=True))
        log.info("%s: computing %d rows (cache miss)", path.stem, len(missing))
        for k, row in zip(missing, compute([first[k] for k in missing]), strict=True):
            store[k] = row
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(store)), rows=np.stack(list(store.values())))
        tmp.replace(path)
    return np.stack([store[k] for k in keys]) if keys else np.zeros((0, width), dtype=np.float32)
