"""Load the long-form AI/human corpus and its cached features (chunk embeddings, SmolLM2 statistics).

Data: ../shared/data/ai_text/longform/longform.csv (read in place). Generator labels are folded into
model families so that leave-one-generator-out really hides a model (GPT-3.5 appears under four labels
across sources); domains are folded into groups for leave-one-domain-out. Rows whose AI text opens
with an assistant give-away ("Sure, here's...") are dropped: they would teach a shortcut.

`python -m models.ai_text.longform_data [--lm] [--limit N]` fills the caches under models/cache/ai_text/
in blocks, so a long extraction can be stopped and resumed.
"""

from __future__ import annotations

import argparse
import csv
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.ai_text.lm_features import LM_CACHE_TAG, LM_NAMES, word_count
from models.ai_text.lm_stage import LM_MIN_WORDS, LM_TOKENS
from models.ai_text.long import chunk_texts
from models.ai_text.train import CACHE_DIR, _encode, cached_rows
from models.normalize import normalize
from models.training import datasets

log = logging.getLogger(__name__)

BLOCK = 400
SAMPLE_SEED = 13
LM_STRATUM_CAP = 150  # --lm-subset: at most this many rows per stratum (when every long text is too costly)
DEFAULT_DOCS = 0  # every text (N > 0: a seeded sample of N); their MiniLM windows take ~5 min on a quiet 2-core box
_SCORER: list[Any] = []  # the one SmolLM2 loaded by this process (on the first cache miss)
GOVERNANCE_PREFIXES = ("dao_", "governance_", "protocol_")
_FAMILIES = {
    "gpt-3.5-turbo-0613": "gpt-3.5", "gpt-3.5-turbo": "gpt-3.5", "gpt-3.5-turbo (MixSet)": "gpt-3.5",
    "chatgpt (MixSet)": "gpt-3.5", "gpt-4": "gpt-4", "text-davinci-003": "text-davinci-003",
    "davinci (GPT-3 base)": "davinci", "flan-t5-xxl": "flan-t5-xxl", "dolly": "dolly",
    "stablelm": "stablelm", "chatglm": "chatglm",
}
FAMILIES = ("gpt-3.5", "gpt-4", "text-davinci-003", "davinci", "flan-t5-xxl", "dolly", "stablelm", "chatglm")


@dataclass(frozen=True, slots=True)
class LongRow:
    """One long-form text with its provenance."""

    text: str  # raw, newlines kept
    norm: str  # normalised scoring text
    label: int  # 1 = LLM-written
    family: str  # generator family, or "human"
    generator: str
    domain: str
    domain_group: str
    source: str
    split: str
    pair_id: str
    words: int

    @property
    def governance(self) -> bool:
        """Return whether this is human governance prose (proposals, polls, call summaries...)."""
        return self.label == 0 and self.domain.startswith(GOVERNANCE_PREFIXES)


def domain_group(domain: str) -> str:
    """Fold a domain label into a group for leave-one-domain-out (L2R's 19 and MixSet's QA sets each one)."""
    if domain.startswith(GOVERNANCE_PREFIXES):
        return "governance"
    if domain.startswith("l2r_"):
        return "l2r_rewrites"
    if domain in ("mixset_truthfulqa", "mixset_narrativeqa", "mixset_squad1"):
        return "mixset_qa"
    if domain.startswith("mixset_"):
        return "mixset_human_genres"
    return domain


def sample_order(n: int) -> np.ndarray:
    """Return the seeded order in which rows are sampled (and their features extracted)."""
    return np.random.default_rng(SAMPLE_SEED).permutation(n)


def load_sample(docs: int = DEFAULT_DOCS) -> list[LongRow]:
    """Return the first `docs` rows of the seeded sample order (all rows if docs is 0), in file order."""
    rows = load_longform()
    if not docs or docs >= len(rows):
        return rows
    return [rows[i] for i in sorted(sample_order(len(rows))[:docs])]


def load_longform() -> list[LongRow]:
    """Return the long-form rows (assistant give-away openers dropped)."""
    path = datasets.data_root() / "ai_text" / "longform" / "longform.csv"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["opener_tell"]:
                continue
            label = int(r["label"])
            family = _FAMILIES.get(r["generator"], r["generator"]) if label else "human"
            norm = normalize(r["text"])
            rows.append(LongRow(r["text"], norm, label, family, r["generator"], r["domain"],
                                domain_group(r["domain"]), r["source"], r["split"], r["pair_id"], word_count(norm)))
    return rows


def chunk_embeddings(norms: Sequence[str]) -> list[np.ndarray]:
    """Return each text's (chunks, 384) MiniLM embeddings, cached per chunk."""
    chunks = [chunk_texts(t) for t in norms]
    flat = [c for cs in chunks for c in cs]
    blocks = [cached_rows(flat[i : i + BLOCK * 3], "minilm_long", _encode) for i in range(0, len(flat), BLOCK * 3)]
    rows = np.concatenate(blocks) if blocks else np.zeros((0, 384), np.float32)
    out, pos = [], 0
    for cs in chunks:
        out.append(rows[pos : pos + len(cs)])
        pos += len(cs)
    return out


def use_lm_tokens(n: int) -> None:
    """Read (and fill) the statistics of the first n tokens instead of LM_TOKENS: a study of the context length
    (training and evaluation only; a head trained on them does not match the bot, which reads LM_TOKENS)."""
    global LM_TOKENS
    if n < 8:
        raise ValueError(f"--lm-tokens must be at least 8, not {n}")
    LM_TOKENS = n
    _SCORER.clear()


def lm_features(norms: Sequence[str]) -> np.ndarray:
    """Return SmolLM2 statistics of texts (first LM_TOKENS tokens), cached; the LM loads on a miss only."""
    from models.ai_text.lm_features import LmScorer

    def compute(batch: list[str]) -> np.ndarray:
        if not _SCORER:
            _SCORER.append(LmScorer(max_tokens=LM_TOKENS))
        return _SCORER[0].features(batch)

    parts = [cached_rows(list(norms[i : i + BLOCK]), f"{LM_CACHE_TAG}_{LM_TOKENS}", compute)
             for i in range(0, len(norms), BLOCK)]
    return np.concatenate(parts) if parts else np.zeros((0, len(LM_NAMES)), np.float32)


def lm_subset(rows: Sequence[LongRow]) -> list[int]:
    """Return the indices of the stratified subset of long rows that get SmolLM2 statistics, interleaved.

    Only rows of at least LM_MIN_WORDS words (the LM runs on no shorter post). Every validation and test
    human row is kept (calibration and negatives); every other stratum (generator family for AI rows,
    domain group for training humans) keeps at most LM_STRATUM_CAP rows, in the seeded order. The
    result interleaves the strata, so any prefix of it is itself stratified (an extraction can stop early).
    """
    order = sample_order(len(rows))
    strata: dict[str, list[int]] = {}
    for i in order:
        r = rows[i]
        if r.words < LM_MIN_WORDS:
            continue
        key = f"ai/{r.family}" if r.label else ("human/heldout" if r.split != "train" else f"human/{r.domain_group}")
        strata.setdefault(key, []).append(int(i))
    ranked = []
    for key, members in strata.items():
        keep = members if key == "human/heldout" else members[:LM_STRATUM_CAP]
        ranked += [((j + 0.5) / len(keep), int(i)) for j, i in enumerate(keep)]
    return [i for _, i in sorted(ranked)]


def cached_lm_features(norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (rows, present) of the SmolLM2 statistics already cached, never computing any (NaN if absent)."""
    from models.training.feature_cache import text_key

    path = CACHE_DIR / f"{LM_CACHE_TAG}_{LM_TOKENS}.npz"
    store: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as data:
            store = dict(zip(data["keys"].tolist(), data["rows"], strict=True))
    out = np.full((len(norms), len(LM_NAMES)), np.nan, dtype=np.float32)
    for i, t in enumerate(norms):
        row = store.get(text_key(t))
        if row is not None:
            out[i] = row
    return out, ~np.isnan(out).any(1)


def main(argv: list[str] | None = None) -> int:
    """Fill the feature caches for the long-form corpus (all rows, or the first N of a seeded order)."""
    p = argparse.ArgumentParser(prog="python -m models.ai_text.longform_data", description=__doc__.splitlines()[0])
    p.add_argument("--lm", action="store_true", help="also compute the SmolLM2 statistics")
    p.add_argument("--limit", type=int, default=0, help="only this many rows (seeded sample), to time the cost")
    p.add_argument("--lm-subset", action="store_true",
                   help="only the SmolLM2 statistics of the stratified long-post subset of the default sample")
    p.add_argument("--lm-all", action="store_true",
                   help=f"only the SmolLM2 statistics of every text of {LM_MIN_WORDS}+ words, in the seeded order")
    p.add_argument("--lm-tokens", type=int, default=None,
                   help=f"study: statistics of the first N tokens (cached apart; the bot reads {LM_TOKENS})")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.lm_tokens:
        use_lm_tokens(args.lm_tokens)
    import torch

    torch.set_num_threads(2)
    if args.lm_subset or args.lm_all:
        return _fill_lm(args.limit, every=args.lm_all)
    rows = load_longform()
    order = sample_order(len(rows))
    if args.limit:
        order = order[: args.limit]
    norms = [rows[i].norm for i in order]
    t = time.perf_counter()
    n_chunks = sum(len(e) for e in chunk_embeddings(norms))
    print(f"minilm: {len(norms)} docs, {n_chunks} chunks, {time.perf_counter() - t:.1f} s")
    if args.lm:
        t = time.perf_counter()
        lm_features(norms)
        print(f"smollm2 ({LM_TOKENS} tokens): {len(norms)} docs, {time.perf_counter() - t:.1f} s")
    return 0


def _fill_lm(limit: int, *, every: bool) -> int:
    """Compute SmolLM2 statistics in small blocks, timing each: the stratified subset, or every long text.

    `every`: all texts of LM_MIN_WORDS+ words of the whole file in the seeded sample order, so a run
    stopped early leaves a random sample of them cached.
    """
    if every:
        rows = load_longform()
        idx = [int(i) for i in sample_order(len(rows)) if rows[i].words >= LM_MIN_WORDS][: limit or None]
    else:
        rows = load_sample()
        idx = lm_subset(rows)[: limit or None]
    print(f"lm {'texts' if every else 'subset'}: {len(idx)} long posts")
    done, t0 = 0, time.perf_counter()
    for start in range(0, len(idx), 50):
        lm_features([rows[i].norm for i in idx[start : start + 50]])
        done += len(idx[start : start + 50])
        print(f"{done} done, {(time.perf_counter() - t0) / done:.2f} s per post", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
