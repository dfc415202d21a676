"""Shared encoder: the length-bucketed fast path gives the same embeddings as plain padded batches."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder():  # noqa: ANN201
    from models.encoder import Encoder

    return Encoder(batch_size=8, cache_size=16, precision="float32")  # compared with transformers to 1e-4


def _reference(encoder, texts: list[str]) -> np.ndarray:  # noqa: ANN001
    import torch

    with torch.inference_mode():
        batch = encoder.tokenizer(texts, padding=True, truncation=True, max_length=encoder.max_length,
                                  return_tensors="pt")
        hidden = encoder.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_bucketed_batches_match_plain_padding(encoder) -> None:  # noqa: ANN001
    texts = ["gm", "vote yes on AIP-41", "a " * 400, "Treasury diversification " * 20, "", "🙏 perfect"] * 3
    fast = encoder.encode(texts)
    assert fast.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.abs(fast - _reference(encoder, texts)).max() < 1e-4
    assert len(encoder._batches([3, 250, 4, 256, 5])) >= 2  # long texts do not share a batch with everything


def test_cache_returns_identical_rows_and_stays_bounded(encoder) -> None:  # noqa: ANN001
    first = encoder.encode(["hello there"])
    again = encoder.encode(["hello there"])
    assert np.array_equal(first, again)
    encoder.encode([f"text {i}" for i in range(100)])
    assert len(encoder._cache) <= 16
