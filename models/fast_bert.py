"""An inference-only forward pass over a BERT model's own weights, with the query/key/value projections fused.

The shared pass spends most of its time in the linear layers of MiniLM (hidden size 384). Three 384x384
projections run as one 384x1152 matrix product here, which a CPU does faster than three small ones
(`govmod bench --fused` times the two), and the pass skips the generic per-layer plumbing of `transformers`
(output capture, checkpointing hooks, dropout modules that do nothing in eval mode). The arithmetic is
BERT's: embeddings + layer norm, then per layer scaled-dot-product attention over the unpadded keys, output
projection + residual + layer norm, GELU feed-forward + residual + layer norm.
`tests/models/test_fast_bert.py` checks it against `transformers`' own forward.

No weights are copied at float32 except the fused projection (3 x 384 x 384 floats per layer); the layers read
the model's parameters, so a fine-tuned copy of some layers (the toxicity branch) is wrapped the same way.

Precision: the matrix products can run in bfloat16 (`dtype=torch.bfloat16`, a bfloat16 copy of each layer's
weights, 2 bytes a weight). The residual stream, the layer norms and the pooled output stay float32, and the
products accumulate in float32, so only the inputs of each product are rounded (8 bits of mantissa). On CPUs
with bfloat16 matrix units (Intel AMX, AVX512-BF16) this is several times faster than float32; elsewhere it is
emulated and slower, so `resolve_precision("auto")` picks it only where the CPU has such units.
`tests/models/test_fast_bert.py` bounds the difference (embeddings, toxicity probabilities) on real text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (the usual name)

PRECISIONS = ("auto", "float32", "bfloat16")


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Return whether this CPU multiplies bfloat16 matrices in hardware (AMX tiles or AVX512-BF16)."""
    for probe in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"):
        check = getattr(torch.cpu, probe, None)  # private, but what torch itself dispatches on
        try:
            if check is not None and check():
                return True
        except (RuntimeError, OSError):
            pass
    try:  # older torch without the probes: the kernel's own list of CPU flags
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(name: str) -> torch.dtype:
    """Return the dtype of the matrix products for a precision setting: 'float32', 'bfloat16' or 'auto'.

    'auto' is bfloat16 where the CPU has bfloat16 matrix units, else float32 (emulated bfloat16 is slower).
    """
    if name not in PRECISIONS:
        raise ValueError(f"unknown precision {name!r}; choose one of {', '.join(PRECISIONS)}")
    if name == "auto":
        return torch.bfloat16 if native_bf16() else torch.float32
    return torch.bfloat16 if name == "bfloat16" else torch.float32


def precision_name(dtype: torch.dtype) -> str:
    """Return the setting's name of a compute dtype ('float32' or 'bfloat16')."""
    return "bfloat16" if dtype == torch.bfloat16 else "float32"


class FastLayer:
    """One BERT layer (a `transformers` BertLayer's weights) as a plain function of hidden states and a mask."""

    def __init__(self, layer: Any, heads: int, dtype: torch.dtype = torch.float32) -> None:
        """Read the weights of a BertLayer; fuse its query, key and value projections; products run in dtype."""
        attn = layer.attention
        self_attn = attn.self
        if getattr(self_attn, "position_embedding_type", "absolute") not in (None, "absolute"):
            raise ValueError("only absolute position embeddings are supported")
        act = getattr(layer.intermediate, "intermediate_act_fn", None)
        name = type(act).__name__ if act is not None else ""
        if name not in ("GELUActivation", "GELU"):
            raise ValueError(f"only exact GELU is supported, not {name or act!r}")
        with torch.no_grad():
            qkv_w = torch.cat([self_attn.query.weight, self_attn.key.weight, self_attn.value.weight])
            qkv_b = torch.cat([self_attn.query.bias, self_attn.key.bias, self_attn.value.bias])
            dense = (qkv_w, qkv_b, attn.output.dense.weight, attn.output.dense.bias, layer.intermediate.dense.weight,
                     layer.intermediate.dense.bias, layer.output.dense.weight, layer.output.dense.bias)
            # float32: the parameters themselves (detached views, no copy) besides the fused projection
            self.dense = tuple(t.detach().to(dtype) for t in dense)
        self.dtype = dtype
        self.heads = heads
        self.ln1 = attn.output.LayerNorm
        self.ln2 = layer.output.LayerNorm

    def __call__(self, hidden: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """Return the layer's output for hidden states (n, width, d); keep: (n, 1, 1, width) True on real tokens.

        The residual stream (hidden) and the layer norms keep hidden's dtype; the products run in self.dtype.
        """
        n, width, d = hidden.shape
        qkv_w, qkv_b, out_w, out_b, inter_w, inter_b, down_w, down_b = self.dense
        low = hidden.to(self.dtype)
        qkv = F.linear(low, qkv_w, qkv_b).view(n, width, 3, self.heads, d // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(n, width, d)
        hidden = F.layer_norm(F.linear(ctx, out_w, out_b).to(hidden.dtype) + hidden, (d,), self.ln1.weight,
                              self.ln1.bias, self.ln1.eps)
        inter = F.gelu(F.linear(hidden.to(self.dtype), inter_w, inter_b))
        return F.layer_norm(F.linear(inter, down_w, down_b).to(hidden.dtype) + hidden, (d,), self.ln2.weight,
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

    def __init__(self, model: Any, dtype: torch.dtype = torch.float32) -> None:
        """Wrap a loaded BertModel in eval mode (at float32 its parameters are read, not copied)."""
        config = model.config
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        emb = model.embeddings
        self.word = emb.word_embeddings.weight
        self.position = emb.position_embeddings.weight
        self.token_type0 = emb.token_type_embeddings.weight[0]
        self.ln = emb.LayerNorm
        self.dtype = dtype
        self.layers = [FastLayer(layer, int(config.num_attention_heads), dtype) for layer in model.encoder.layer]

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
