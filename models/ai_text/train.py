"""Train the `ai_generated` head: MiniLM embedding + stylometric features -> logistic regression.

Run with `govmod train ai_text` or `python -m models.ai_text.train`. Seeded and deterministic: the
human/LLM split is a hash of the cleaned text, the fit is full-batch L-BFGS in float64.
Embeddings and features are cached under models/cache/ (gitignored), keyed by the cleaned text.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.ai_text.lm_features import style_features, word_count
from models.normalize import normalize
from models.paths import MODELS_DIR
from models.training import datasets, feature_cache

log = logging.getLogger(__name__)

ROOT = MODELS_DIR
CACHE_DIR = ROOT / "cache" / "ai_text"
WEIGHTS_DIR = ROOT / "weights"
SEED = 13
VERSION = "ai_text-lr"
TARGET_FPR = 0.01
GENERATORS = ("GPT-3.5", "GPT-4", "Gemini-1.0", "Gemini-1.5-Flash", "Gemma-7B", "Llama-3-8B", "Mixtral-v0.1")
HUMAN_CAP = 8000  # rows per human source, to keep the encoder pass affordable on 2 cores

ARTICLE_CHUNKS_AI = 4
ARTICLE_CHUNKS_HUMAN = 12
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_UESC = re.compile(r"<U\+([0-9A-Fa-f]{4,8})>")
_MANGLED_EMOJI = re.compile(r"(?<![\w?])\?{2,}")


@dataclass(frozen=True, slots=True)
class Row:
    """One training/evaluation text after cleaning."""

    text: str
    label: int  # 1 = LLM-written
    source: str
    group: str  # generator name for positives, "human" otherwise
    split: str  # train / val / test (hash of the text)


def clean_text(text: str, *, llm: bool = False) -> str:
    """Undo data-set artefacts so the head learns writing style, not where a text was collected.

    TweepFake escapes emoji as `<U+1F970>`, tweets carry HTML entities, and the AuthorMimic export
    turned every emoji into `??`. Repair those, so both classes show real emoji as live posts do.
    URLs and mentions are removed later by the feature code for both classes alike.
    """
    text = _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = html.unescape(text)
    if llm:
        text = _MANGLED_EMOJI.sub("\U0001f642", text)
    text = re.sub(r"^RT\s+", "", text)
    return " ".join(text.split())


def split_of(text: str) -> str:
    """Return the deterministic split of a text: 70% train, 15% val, 15% test."""
    bucket = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "big") % 100
    return "train" if bucket < 70 else "val" if bucket < 85 else "test"


def _human_sources() -> dict[str, list[str]]:
    """Return human-written texts per source (tweets, SMS, news/forum sentences, articles)."""
    sts = [s for split in ("train", "dev", "test") for a, b, _ in datasets.sts(split) for s in (a, b)]
    mrpc = [s for split in ("train", "test") for a, b, _ in datasets.mrpc(split) for s in (a, b)]
    return {
        "tweepfake_human": [e.text for s in ("train", "validation", "test") for e in datasets.tweepfake(s)
                            if e.label == 0],
        "tweeteval": [e.text for task in ("offensive", "hate") for s in ("train", "val")
                      for e in datasets.tweeteval(task, s)],
        "sms": [e.text for e in datasets.sms_spam()],
        "sts_mrpc": sts + mrpc,
    }


def chunk_article(text: str, min_words: int = 40) -> list[str]:
    """Split a long article into consecutive post-sized chunks of whole sentences (>= min_words)."""
    chunks: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= min_words:
            chunks.append(" ".join(current))
            current = []
    return chunks


def build_corpus(*, tweepfake_gpt2: bool = False) -> list[Row]:
    """Return the deduplicated corpus: seven generators' tweets, GPT-3.5 articles, human texts.

    TweepFake's bot rows are left out by default: its RNN and "others" bots are Markov/char-RNN noise,
    not LLM text, and its GPT-2 bots were fine-tuned on the very human accounts in the negatives.
    """
    rng = np.random.default_rng(SEED)
    seen: set[str] = set()
    rows: list[Row] = []

    def add(text: str, label: int, source: str, group: str, split: str | None = None) -> None:
        cleaned = clean_text(text, llm=label == 1)
        key = cleaned.lower()
        if len(cleaned) < 2 or key in seen:
            return
        seen.add(key)
        rows.append(Row(cleaned, label, source, group, split or split_of(key)))

    for e in datasets.llm_tweets():
        add(e.text, 1, "authormimic", e.group)
    for e in datasets.human_ai_gpt35("en"):  # articles -> post-sized chunks, split by article
        label, cap = (1, "gpt35_corpus", "GPT-3.5"), ARTICLE_CHUNKS_AI
        if e.label == 0:
            label, cap = (0, "gpt35_corpus_human", "human"), ARTICLE_CHUNKS_HUMAN
        for chunk in chunk_article(e.text)[:cap]:
            add(chunk, *label, split=split_of(e.text.lower()))
    if tweepfake_gpt2:
        for s in ("train", "validation", "test"):
            for e in datasets.tweepfake(s):
                if e.group == "gpt2":
                    add(e.text, 1, "tweepfake_gpt2", "GPT-2")
    for source, texts in _human_sources().items():
        if len(texts) > HUMAN_CAP:
            texts = [texts[i] for i in sorted(rng.choice(len(texts), HUMAN_CAP, replace=False))]
        for t in texts:
            add(t, 0, source, "human")
    return rows


def weight_groups(rows: Sequence[Row]) -> np.ndarray:
    """Return each row's balancing group: generator and source for LLM rows, source for human rows."""
    return np.array([f"{r.group}/{r.source}" if r.label else f"human/{r.source}" for r in rows])


def cached_rows(texts: Sequence[str], tag: str, compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Return compute(texts) row by row, reusing rows stored in models/cache/ai_text/<tag>.npz."""
    return feature_cache.cached_rows(texts, CACHE_DIR / f"{tag}.npz", compute)


def _encode(texts: list[str]) -> np.ndarray:
    import torch

    from models.encoder import Encoder

    torch.set_num_threads(2)
    return Encoder(cache_size=0, precision="float32").encode([normalize(t) for t in texts])  # cached features


def embed(texts: Sequence[str]) -> np.ndarray:
    """Return shared-encoder embeddings of the normalised texts (cached on disk per text)."""
    return cached_rows(texts, "minilm", _encode)


def features(texts: Sequence[str]) -> np.ndarray:
    """Return the head's input: [embedding | stylometric features] of raw texts."""
    return np.hstack([embed(texts), style_features([normalize(t) for t in texts])]).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Head:
    """A fitted logistic-regression head over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Return decision values (log-odds) for rows of x."""
        return ((x - self.mean) / self.scale) @ self.coef + self.intercept


def fit_head(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, groups: np.ndarray | None = None) -> Head:
    """Fit a class- and group-balanced L2 logistic regression with full-batch L-BFGS.

    `groups` gives each row's weighting group (generator/source for positives, source for humans):
    every group carries equal weight within its class, and each class half of the total.
    """
    import torch

    torch.manual_seed(SEED)
    mean = x.mean(0)
    scale = x.std(0) + 1e-6
    xs = torch.tensor((x - mean) / scale, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    keys = groups if groups is not None else y.astype(str)
    weight = np.ones(len(y))
    for key in np.unique(keys):  # every group counts equally within its class
        sel = keys == key
        weight[sel] = 1.0 / sel.sum()
    for label in (0, 1):  # each class carries half the total weight
        weight[y == label] *= 0.5 / weight[y == label].sum()
    wt = torch.tensor(weight, dtype=torch.float64)
    w = torch.zeros(xs.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=300, history_size=20, line_search_fn="strong_wolfe")
    lam = l2 / len(y)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        z = xs @ w + b
        loss = (wt * torch.nn.functional.binary_cross_entropy_with_logits(z, yt, reduction="none")).sum()
        loss = loss + 0.5 * lam * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return Head(mean.astype(np.float32), scale.astype(np.float32),
                w.detach().numpy().astype(np.float32), float(b.item()))


def threshold_at_fpr(human_logits: np.ndarray, fpr: float = TARGET_FPR) -> float:
    """Return the lowest logit threshold that flags at most `fpr` of the given human texts."""
    return float(np.quantile(human_logits, 1.0 - fpr, method="higher")) + 1e-6


def calibrate(z: np.ndarray, words: np.ndarray, human_val: np.ndarray) -> tuple[float, list[float], np.ndarray]:
    """Return (global threshold, per-length-bucket thresholds, calibrated logits) from human val texts."""
    from models.ai_text.detector import LENGTH_EDGES, calibrate_logits, length_bucket

    thr = threshold_at_fpr(z[human_val])
    bucket = length_bucket(words)
    buckets = []
    for k in range(len(LENGTH_EDGES) + 1):
        sel = human_val & (bucket == k)
        buckets.append(threshold_at_fpr(z[sel]) if sel.sum() >= 200 else thr)
    return thr, buckets, calibrate_logits(z, words, buckets, thr)


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """Return the logistic function of z."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse `govmod train ai_text` options."""
    p = argparse.ArgumentParser(prog="govmod train ai_text", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for ai_text.npz/.json")
    p.add_argument("--l2", type=float, default=30.0, help="L2 strength of the logistic regression")
    p.add_argument("--tweepfake-gpt2", action="store_true", help="use TweepFake GPT-2 bots as positives")
    p.add_argument("--long-only", action="store_true", help="retrain only the long-form path (keeps the short head)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Train on all generators (train split), calibrate on human val, write weights + metadata."""
    from models.ai_text.detector import AUTHOR_LOGIT_FLOOR, LENGTH_EDGES, save_weights
    from models.ai_text.eval import author_threshold, quick_metrics
    from models.ai_text.train_long import main as train_long

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv or [])
    if args.long_only:
        return train_long(["--out", str(args.out)])
    rows = build_corpus(tweepfake_gpt2=args.tweepfake_gpt2)
    x = features([r.text for r in rows])
    y = np.array([r.label for r in rows])
    groups = np.array([r.group for r in rows])
    split = np.array([r.split for r in rows])
    tr = split == "train"
    head = fit_head(x[tr], y[tr], l2=args.l2, groups=weight_groups(rows)[tr])
    z = head.logit(x)
    val_h = (split == "val") & (y == 0)
    words = np.array([word_count(r.text) for r in rows])
    thr_logit, buckets, z = calibrate(z, words, val_h)
    sources = np.array([r.source for r in rows])
    author_logit = max(author_threshold(z[val_h], words[val_h], sources[val_h]), AUTHOR_LOGIT_FLOOR)
    metrics = quick_metrics(z, y, split, groups, thr_logit, sources)
    digest = hashlib.blake2b(head.coef.tobytes() + np.float32(thr_logit).tobytes(), digest_size=4).hexdigest()
    meta = {
        "version": f"{VERSION}-{digest}",
        "default_threshold": round(float(sigmoid(thr_logit)), 6),
        "threshold_logit": thr_logit,
        "bucket_threshold_logits": buckets,
        "length_bucket_edges": list(LENGTH_EDGES),
        "author_threshold_logit": author_logit,
        "trained_on": {"rows": int(tr.sum()), "positives": int((y[tr] == 1).sum()),
                       "tweepfake_gpt2": args.tweepfake_gpt2, "l2": args.l2, "seed": SEED},
        "metrics": metrics,
    }
    save_weights(args.out, head, meta)
    print(json.dumps(meta, indent=2))
    return train_long(["--out", str(args.out)])


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
