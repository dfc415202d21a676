"""The consistency loss pulls an obfuscated copy's scores towards its plain text's (models/toxicity/train_lora.py)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def _gap(pull: float) -> float:
    from models.toxicity.train import Recipe
    from models.toxicity.train_lora import train_branch

    gen = torch.Generator().manual_seed(1)
    plain = [torch.randn(6, 384, generator=gen) for _ in range(16)]
    copies = [p + 1.5 * torch.randn(6, 384, generator=gen) for p in plain]  # a "misspelling" of each
    states = plain + copies
    labels = np.full((32, 2), -1.0, dtype=np.float32)
    labels[:16] = np.array([[i % 2, (i // 2) % 2] for i in range(16)], dtype=np.float32)  # copies: unlabelled
    twins = np.array([-1] * 16 + list(range(16)))
    recipe = Recipe(tap=5, rank=4, lr=3e-3, head_lr=3e-2, epochs=12, batch_size=8, consistency=pull)
    stored = train_branch(labels, states, recipe, np.ones(32, dtype=np.float32), twins=twins)

    from models.encoder import minilm_path
    from models.toxicity.branch import merged_branch
    from models.toxicity.train_lora import logits_of

    probs = 1 / (1 + np.exp(-logits_of(merged_branch(stored, 5, recipe.lora_scale, minilm_path()), states)))
    assert ((probs[:16] > 0.5) == (labels[:16] > 0.5)).mean() >= 0.9  # the labelled texts were learnt
    return float(np.abs(probs[16:] - probs[:16]).mean())


@pytest.mark.slow
def test_consistency_pulls_copies_towards_their_plain_text() -> None:
    without, with_pull = _gap(0.0), _gap(5.0)
    assert with_pull < 0.5 * without, (without, with_pull)
