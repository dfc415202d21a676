"""The on-disk feature cache of the training and evaluation scripts: each distinct text is computed once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.training.feature_cache import cached_rows


def test_each_distinct_text_is_computed_once_and_rows_keep_their_order(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def compute(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        return np.array([[float(len(t)), float(ord(t[0]))] for t in texts])

    path = tmp_path / "rows.npz"
    first = cached_rows(["ab", "c", "ab"], path, compute, width=2)
    again = cached_rows(["c", "ddd", "ab"], path, compute, width=2)
    assert seen == [["ab", "c"], ["ddd"]]
    assert first.tolist() == [[2, 97], [1, 99], [2, 97]] and again.tolist() == [[1, 99], [3, 100], [2, 97]]
    assert cached_rows([], path, compute, width=2).shape == (0, 2)
