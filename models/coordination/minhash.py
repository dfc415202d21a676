"""Character-shingle MinHash signatures and a banded LSH index for streaming near-duplicate search."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Hashable, Iterable

import numpy as np

log = logging.getLogger(__name__)

_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def canonical(text: str) -> str:
    """Return text lower-cased with punctuation and runs of space folded to single spaces."""
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def words(text: str) -> list[str]:
    """Return the word tokens of an already canonical text."""
    return _WORD.findall(text)


def stable_hash(value: str) -> int:
    """Return a 32-bit hash of a string that is the same in every process (unlike hash())."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=4).digest(), "little")


_QUOTED = re.compile(r'"([^"]{12,})"|“([^”]{12,})”|^>\s?(.{12,})$', re.MULTILINE)


def split_quotes(text: str) -> tuple[str, str]:
    """Return (quoted material, the author's own words) of a raw text: "..." / “...” spans and > lines."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    return " ".join(quoted), _QUOTED.sub(" ", text)


def text_key(canonical_text: str) -> int:
    """Return a 63-bit key of a canonical text: equal keys mean exact copies (after folding)."""
    digest = hashlib.blake2b(canonical_text.encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def shingles(text: str, k: int = 5) -> set[int]:
    """Return the hashed character k-shingles of a canonical text (the whole text if shorter)."""
    if len(text) <= k:
        return {stable_hash(text)} if text else set()
    return {stable_hash(text[i : i + k]) for i in range(len(text) - k + 1)}


class MinHasher:
    """Compute MinHash signatures with num_perm universal hash functions (a*x + b mod p)."""

    def __init__(self, num_perm: int = 64, seed: int = 1) -> None:
        """Draw the permutation coefficients once; the same seed gives the same signatures."""
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self._a = rng.integers(1, int(_MERSENNE), size=num_perm, dtype=np.uint64)
        self._b = rng.integers(0, int(_MERSENNE), size=num_perm, dtype=np.uint64)

    def signature(self, shingle_hashes: Iterable[int]) -> np.ndarray:
        """Return the (num_perm,) uint32 signature of a set of 32-bit shingle hashes."""
        values = np.fromiter(shingle_hashes, dtype=np.uint64)
        if values.size == 0:
            return np.full(self.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
        # (a*x + b) mod p with x < 2^32 and a < 2^61 overflows uint64; multiplication modulo 2^64
        # is still a fine universal-style mix for MinHash, and the mask keeps 32 bits.
        with np.errstate(over="ignore"):
            mixed = (values[:, None] * self._a[None, :] + self._b[None, :]) % _MERSENNE
        return (mixed & _MASK32).min(axis=0).astype(np.uint32)


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimate the Jaccard similarity of two sets from their MinHash signatures."""
    return float(np.mean(sig_a == sig_b))


class LSHIndex:
    """Banded LSH over MinHash signatures: items sharing any band bucket are candidates.

    With b bands of r rows the chance that two sets of Jaccard s collide is 1 - (1 - s^r)^b;
    16 bands x 4 rows puts the 50% point near s = 0.5, so light edits are found and unrelated
    texts (s < 0.2) almost never are.
    """

    def __init__(self, num_perm: int = 64, bands: int = 16) -> None:
        """Make an empty index; num_perm must be divisible by bands."""
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.bands = bands
        self.rows = num_perm // bands
        self._buckets: dict[tuple[int, bytes], dict[Hashable, None]] = {}  # insertion-ordered: newest last
        self._keys: dict[Hashable, list[tuple[int, bytes]]] = {}

    def __len__(self) -> int:
        """Return the number of items indexed."""
        return len(self._keys)

    def _band_keys(self, sig: np.ndarray) -> list[tuple[int, bytes]]:
        return [(b, sig[b * self.rows : (b + 1) * self.rows].tobytes()) for b in range(self.bands)]

    def query(self, sig: np.ndarray, limit: int | None = None) -> list[Hashable]:
        """Return the ids of indexed items sharing at least one band with sig (newest first per band).

        With `limit`, stop after that many distinct ids: a flood of near-copies then costs the same
        per post however many are indexed.
        """
        found: dict[Hashable, None] = {}
        for key in self._band_keys(sig):
            bucket = self._buckets.get(key)
            if not bucket:
                continue
            for item in reversed(bucket):
                found[item] = None
                if limit is not None and len(found) >= limit:
                    return list(found)
        return list(found)

    def add(self, item: Hashable, sig: np.ndarray) -> None:
        """Index an item under its signature's band keys."""
        keys = self._band_keys(sig)
        self._keys[item] = keys
        for key in keys:
            self._buckets.setdefault(key, {})[item] = None

    def remove(self, item: Hashable) -> None:
        """Drop an item (no-op if absent); empty buckets are deleted so memory tracks the index."""
        for key in self._keys.pop(item, ()):
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.pop(item, None)
                if not bucket:
                    del self._buckets[key]

    @property
    def bucket_count(self) -> int:
        """Return the number of non-empty buckets (for memory checks)."""
        return len(self._buckets)
