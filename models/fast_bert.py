"""An inference-only forward pass over a BERT model's own weights, with the query/key/value projections fused.

The shared pass spends most of its time in the linear layers of MiniLM (hidden size 384). Three 384x384
projections run as one 384x1152 matrix product here, which a CPU does faster than three small ones
(`govmod bench --fused` times the two), and the pass skips the generic per-layer plumbing of `transformers`
(output capture, checkpointing hooks, dropout modules that do nothing in eval mode). The arithmetic is
BERT's: embeddings + layer norm, then per layer scaled-dot-product attention over the unpadded keys, output
projection + residual + layer norm, GELU feed-forward + residual + layer norm.
`tests/models/test_fast_bert.py` checks it against `transformers`' own forward.

No weights are copied except the fused projection (3 x 384 x 384 floats per layer); the layers read the
model's parameters, so a fine-tuned copy of some layers (the toxicity branch) is wrapped the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (the usual name)


class FastLayer:
    """One BERT layer (a `transformers` BertLayer's weights) as a plain function of hidden states and a mask."""

    def __init__(self, layer: Any, heads: int) -> None:
        """Read the weights of a BertLayer; fuse its query, key and value projections."""
        attn = layer.attention
        self_attn = attn.self
        if getattr(self_attn, "position_embedding_type", "absolute") not in (None, "absolute"):
            raise ValueError("only absolute position embeddings are supported")
        with torch.no_grad():
            self.qkv_w = torch.cat([self_attn.query.weight, self_attn.key.weight, self_attn.value.weight]).detach()
            self.qkv_b = torch.cat([self_attn.query.bias, self_attn.key.bias, self_attn.value.bias]).detach()
        self.heads = heads
        self.out = attn.output.dense
        self.ln1 = attn.output.LayerNorm
        self.inter = layer.intermediate.dense
        act = getattr(layer.intermediate, "intermediate_act_fn", None)
        name = type(act).__name__ if act is not None else ""
        if name not in ("GELUActivation", "GELU"):
            raise ValueError(f"only exact GELU is supported, not {name or act!r}")
        self.down = layer.output.dense
        self.ln2 = layer.output.LayerNorm

    def __call__(self, hidden: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Return the layer's output for hidden states (n, width, d); keep: (n, 1, 1, width) True on real tokens."""
        n, width, d = hidden.shape
        qkv = F.linear(hidden, self.qkv_w, self.qkv_b).view(n, width, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(n, width, d)
        hidden = F.layer_norm(F.linear(ctx, self.out.weight, self.out.bias) + hidden, (d,), self.ln1.weight,
                              self.ln1.bias, self.ln1.eps)
        inter = F.gelu(F.linear(hidden, self.inter.weight, self.inter.bias))
        return F.layer_norm(F.linear(inter, self.down.weight, self.down.bias) + hidden, (d,), self.ln2.weight,
                            self.ln2.bias, self.ln2.eps)


def key_mask(mask: torch.Tensor) -> torch.Tensor:
    """Return the boolean (n, 1, 1, width) attention mask of a 0/1 padding mask (n, width)."""
    return mask[:, None, None, :].bool()


def run_layers(layers: Sequence[FastLayer], hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Run hidden states (n, width, d) through layers under the padding mask (n, width)."""
    keep = key_mask(mask)
    for layer in layers:
        hidden = layer(hidden, keep)
    return hidden


class FastBert:
    """The forward pass of a `transformers` BertModel (absolute positions, GELU, no pooler) for inference."""

    def __init__(self, model: Any) -> None:
        """Wrap a loaded BertModel in eval mode; its parameters are read, not copied."""
        config = model.config
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        emb = model.embeddings
        self.word = emb.word_embeddings.weight
        self.position = emb.position_embeddings.weight
        self.token_type0 = emb.token_type_embeddings.weight[0]
        self.ln = emb.LayerNorm
        self.layers = [FastLayer(layer, int(config.num_attention_heads)) for layer in model.encoder.layer]

    def __call__(self, input_ids: torch.Tensor, mask: torch.Tensor,
                 taps: Iterable[int] = ()) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """Return the last hidden states (n, width, d) and the hidden states at the input of each layer in taps.

        Token type ids are all 0 (single-segment input), as the encoder always passes them.
        """
        width = input_ids.shape[1]
        hidden = F.embedding(input_ids, self.word) + self.position[:width] + self.token_type0
        hidden = F.layer_norm(hidden, (hidden.shape[-1],), self.ln.weight, self.ln.bias, self.ln.eps)
        want = set(taps)
        keep = key_mask(mask)
        at: dict[int, torch.Tensor] = {}
        for i, layer in enumerate(self.layers):
            if i in want:
                at[i] = hidden
            hidden = layer(hidden, keep)
        return hidden, at
