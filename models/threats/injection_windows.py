"""Overlapping word windows of long posts, so an instruction buried in a pasted document or e-mail is read.

MiniLM reads the first ~256 tokens of a post (the shared embedding). A post longer than WINDOW_MIN_WORDS
is also read in short overlapping windows; the prompt-injection head scores every window and the post
keeps the highest score. Short windows make a buried instruction the bulk of the window it sits in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WINDOW_WORDS = 80  # about 110-200 MiniLM tokens (prose .. code / tables)
WINDOW_STRIDE = 60  # windows overlap by 20 words, so an instruction is whole in at least one
WINDOW_MIN_WORDS = 100  # shorter posts are read whole by the shared pass
MAX_WINDOWS = 12  # Discord's 4,000 characters are at most about 700 words


def windows(text: str) -> list[str]:
    """Return the extra windows of a long text (empty for a text of at most WINDOW_MIN_WORDS words)."""
    words = text.split()
    if len(words) <= WINDOW_MIN_WORDS:
        return []
    out: list[str] = []
    start = 0
    while start < len(words) and len(out) < MAX_WINDOWS:
        out.append(" ".join(words[start:start + WINDOW_WORDS]))
        if start + WINDOW_WORDS >= len(words):
            break
        start += WINDOW_STRIDE
    return out


def flat_windows(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Return every window of every text and, per window, the index of its text."""
    flat: list[str] = []
    parent: list[int] = []
    for i, text in enumerate(texts):
        for window in windows(text):
            flat.append(window)
            parent.append(i)
    return flat, np.array(parent, dtype=np.int64)


def max_by_parent(first: np.ndarray, window_scores: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (per-text max of the first score and its windows' scores, index of the best window or -1)."""
    best = np.asarray(first, dtype=np.float64).copy()
    where = np.full(len(best), -1, dtype=np.int64)
    for j, (i, s) in enumerate(zip(parent, window_scores, strict=True)):
        if s > best[i]:
            best[i], where[i] = s, j
    return best, where
