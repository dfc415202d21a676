"""The phishing-domain model: a linear model over hashed host tokens and the host's MiniLM embedding, with evidence
in plain words."""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.encoder import EMBED_DIM
from models.threats.domain_features import BrandIndex, host_tokens, split_host, token_indices

log = logging.getLogger(__name__)

WEIGHTS_FILE = "scam_domain.npz"
META_FILE = "scam_domain.json"
FEATURES_VERSION = 3
EMBED_REASON = 0.5  # log-odds the embedding must add beyond a typical legitimate host's to be named in the evidence


@dataclass(frozen=True, slots=True)
class DomainScore:
    """How likely a host is a phishing host, and which parts of it say so."""

    host: str
    probability: float
    reasons: tuple[str, ...]


def describe(token: str, host: str) -> str | None:
    """Return a token's meaning in plain words (None for tokens not worth showing)."""
    kind, _, value = token.partition(":")
    parts = split_host(host)
    if kind == "tl":
        return f"it ends in .{value}, an ending that is cheap and common on new scam sites"
    if kind == "t" and "." in value:
        return f"it is hosted on {value}, where anyone can publish a site for free"
    if kind == "fh":
        return f"free hosting: anyone can put up {parts.host} in minutes"
    if kind == "b":
        return None  # named with the brand by DomainModel.reasons
    if kind == "v":
        return f"the word {value!r} in the address (typical of claim / airdrop / wallet lures)"
    if kind == "hy" and value not in ("0", "1"):
        return f"{value} hyphens joining words in the address"
    if kind == "dg" and value not in ("0", "1"):
        return "digits mixed into the name"
    if (kind == "cons" and int(value) >= 5) or (kind == "ent" and int(value) >= 8):
        return "a random-looking string of letters"
    if kind == "emb":
        return f"puts a domain ending before a hyphen, so {parts.host} reads like another site's address"
    if kind == "fb" and value in ("exact", "near", "affix"):
        return "imitates a brand with look-alike characters (0 for o, rn for m) or extra letters"
    if kind == "puny":
        return "the address uses encoded non-Latin characters (xn--)"
    if kind == "sublen" and int(value) >= 3:
        return "a long generated subdomain"
    if kind == "g":
        return "letter patterns common in scam addresses"
    return None


class DomainModel:
    """Score hosts with the hashed linear model trained by `govmod train scam_link`."""

    def __init__(self, weight: np.ndarray, bias: float, meta: dict[str, Any],
                 embed_weight: np.ndarray | None = None) -> None:
        """Keep the weights (one per hash bucket, and one per embedding dimension if trained with the host's
        embedding) and metadata (dim, brands, threshold, embedding_offset)."""
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = float(bias)
        self.meta = dict(meta)
        self.dim = int(meta["dim"])
        if self.weight.shape != (self.dim,):
            raise ValueError(f"scam domain weights have shape {self.weight.shape}, expected ({self.dim},)")
        if int(meta.get("features_version", 0)) != FEATURES_VERSION:
            raise ValueError("scam domain weights were trained on other features; run `govmod train scam_link`")
        self.embed_weight = None if embed_weight is None else np.asarray(embed_weight, dtype=np.float32)
        if self.embed_weight is not None and self.embed_weight.shape != (EMBED_DIM,):
            raise ValueError(f"scam domain embedding weights have shape {self.embed_weight.shape}, "
                             f"expected ({EMBED_DIM},)")
        # without an encoder (tests, tools) a host's embedding counts as that of a typical legitimate host
        self.embedding_offset = float(meta.get("embedding_offset", 0.0))
        self.brands = BrandIndex.build(meta.get("brands", ()), meta.get("brand_domains", ()))
        self.threshold = float(meta.get("threshold", 0.5))
        soft = meta.get("soft_threshold")
        self.soft_threshold = None if soft is None else float(soft)  # where a bare link alone reaches a case
        self.version = str(meta.get("version", "scam_domain-unknown"))
        # (host, reasons, embedded) -> (margin, score): a host's score never changes for a loaded model
        self._memo: OrderedDict[tuple[str, int, bool], tuple[float, DomainScore]] = OrderedDict()

    @property
    def uses_embedding(self) -> bool:
        """True if the model reads the host's MiniLM embedding as well as its tokens."""
        return self.embed_weight is not None

    MEMO_SIZE = 8192  # hosts remembered (a host's score never changes for a loaded model)

    @classmethod
    def load(cls, folder: Path) -> DomainModel | None:
        """Load the model from a weights folder; None if it has not been trained."""
        if not (folder / WEIGHTS_FILE).exists():
            return None
        with np.load(folder / WEIGHTS_FILE) as data:
            weight, bias = data["w"], float(data["b"])
            embed = data["e"] if "e" in data.files else None
        return cls(weight, bias, json.loads((folder / META_FILE).read_text(encoding="utf-8")), embed)

    def tokens(self, host: str) -> list[str]:
        """Return the feature tokens of a host."""
        return host_tokens(host, self.brands)

    def embed_margin(self, vector: np.ndarray | None) -> float:
        """Return what the host's embedding adds to the log-odds (the typical legitimate share without one)."""
        if self.embed_weight is None:
            return 0.0
        if vector is None:
            return self.embedding_offset
        return float(np.dot(np.asarray(vector, dtype=np.float32), self.embed_weight))

    def margin(self, host: str, vector: np.ndarray | None = None) -> float:
        """Return the linear score (log-odds) of a host (vector: its MiniLM embedding, if the model reads one)."""
        idx = token_indices(self.tokens(host), self.dim)
        return float(self.weight[idx].sum()) + self.bias + self.embed_margin(vector)

    def probability(self, host: str, vector: np.ndarray | None = None) -> float:
        """Return the probability that a host is a phishing host."""
        return float(1.0 / (1.0 + np.exp(-self.margin(host, vector))))

    def score(self, host: str, max_reasons: int = 3) -> DomainScore:
        """Return the probability and the strongest reasons in plain words."""
        return self.scored(host, max_reasons)[1]

    def scored(self, host: str, max_reasons: int = 3, vector: np.ndarray | None = None) -> tuple[float, DomainScore]:
        """Return (margin, score) of a host, remembered for the next post that links it.

        Without a vector, a host embedded earlier (prime) keeps its embedded score; one never embedded is
        scored with the typical legitimate share of the embedding.
        """
        embedded = self.embed_weight is not None and vector is not None
        key = (host, max_reasons, embedded)
        # an embedded score first, whatever was asked; a tokens-only one only when no vector was given
        for known in [(host, max_reasons, True)] + ([] if embedded else [key]):
            hit = self._memo.get(known)
            if hit is not None:
                self._memo.move_to_end(known)
                return hit
        tokens = self.tokens(host)
        extra = self.embed_margin(vector)
        margin = float(self.weight[token_indices(tokens, self.dim)].sum()) + self.bias + extra
        reasons = self.reasons(host, tokens, max_reasons, extra - self.embedding_offset if embedded else 0.0)
        out = (margin, DomainScore(host, float(1.0 / (1.0 + np.exp(-margin))), reasons))
        self._memo[key] = out
        if len(self._memo) > self.MEMO_SIZE:
            self._memo.popitem(last=False)
        return out

    def prime(self, hosts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> int:
        """Embed, in one call, the hosts not scored with their embedding yet, and remember their scores.

        Return how many hosts were embedded (0 for a model that reads no embedding).
        """
        if self.embed_weight is None:
            return 0
        todo = [h for h in dict.fromkeys(hosts) if (h, 3, True) not in self._memo]
        if not todo:
            return 0
        vectors = encode(todo)
        for host, vector in zip(todo, vectors, strict=True):
            self.scored(host, 3, vector)
        return len(todo)

    def reasons(self, host: str, tokens: list[str], limit: int, embedded: float = 0.0) -> tuple[str, ...]:
        """Return the plain-word meanings of the tokens that push the score up most (n-grams summed as one).

        embedded: how much the host's embedding adds beyond a typical legitimate host's (log-odds).
        """
        seen: dict[str, float] = {}
        grams: list[tuple[float, str]] = []
        for token in set(tokens):
            weight = float(self.weight[token_indices([token], self.dim)[0]])
            if token.startswith(("g:", "lg:")):
                grams.append((weight, token.partition(":")[2].strip("<>")))
                continue
            text = describe(token, host)
            if text and weight > 0.15:
                seen[text] = max(seen.get(text, 0.0), weight)
        brand = self.brand_reason(host)
        if brand:
            seen[brand] = 99.0
        if embedded > EMBED_REASON:
            seen["read as a whole, the name resembles phishing addresses the model was trained on"] = embedded
        strong = sorted((g for g in grams if g[0] > 0.15), reverse=True)
        if strong:
            examples = ", ".join(repr(g) for _, g in strong[:2])
            seen[f"letter patterns common in scam addresses ({examples})"] = sum(w for w, _ in strong) / 3
        return tuple(t for t, _ in sorted(seen.items(), key=lambda kv: -kv[1])[:limit])

    def brand_reason(self, host: str) -> str | None:
        """Return which brand the host imitates and how, in plain words (None if it imitates none)."""
        parts = split_host(host)
        body = f"{parts.subdomain}.{parts.label}" if parts.subdomain else parts.label
        words = [a for w in re.split(r"[.\-_]+", body) if w for a in re.split(r"\d+", w) if len(a) >= 2]
        found = self.brands.match(parts, words)
        if found is None:
            return None
        kind, name = found
        if kind == "exact":
            return f"uses the brand name {name!r} on {parts.registrable}, a domain {name} does not own"
        if kind == "near":
            return f"misspells the brand {name!r}"
        return f"hides the brand {name!r} inside a longer name"
