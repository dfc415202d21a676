"""Evaluate the `ai_generated` head with leave-one-generator-out (LOGO) training.

For each of the seven generators: fit the head without it (its GPT-3.5 articles too, if GPT-3.5),
then score its tweets against the held-out slice of human tweets. Reports per message AUROC, TPR at
1% FPR (threshold from the test humans) and TPR at the threshold calibrated on validation humans,
plus per-author AUROC over pseudo-authors of 10 messages. `--lm-study N` repeats LOGO on a subsample
of N texts with and without SmolLM2 features, to measure what they add.

Run with `govmod eval ai_text [--json FILE]` or `python -m models.ai_text.eval`.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from models.ai_text.detector import AUTHOR_LOGIT_FLOOR, MIN_AUTHOR_MESSAGES, author_logit
from models.ai_text.lm_features import LM_CACHE_TAG, word_count
from models.ai_text.train import (
    GENERATORS,
    SEED,
    TARGET_FPR,
    Row,
    build_corpus,
    cached_rows,
    calibrate,
    features,
    fit_head,
    threshold_at_fpr,
    weight_groups,
)
from models.training.metrics import auroc_of

log = logging.getLogger(__name__)

HUMAN_TWEETS = ("tweepfake_human", "tweeteval")
AUTHOR_SIZE = 10



def lm_rows(texts: list[str]) -> np.ndarray:
    """Return SmolLM2 features of texts, cached per text; the LM is loaded only on a cache miss."""
    from models.ai_text.lm_features import LmScorer  # torch + GGUF loading only when the LM study runs

    scorer: list[LmScorer] = []

    def compute(batch: list[str]) -> np.ndarray:
        if not scorer:
            scorer.append(LmScorer())
        return scorer[0].features(batch)

    return cached_rows(texts, LM_CACHE_TAG, compute)

def tpr_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float = TARGET_FPR) -> float:
    """Return the share of positives above the threshold that flags `fpr` of the negatives."""
    return float((pos >= threshold_at_fpr(neg, fpr)).mean())


def pseudo_authors(logits: np.ndarray, words: np.ndarray, size: int, rng: np.random.Generator,
                   draws: int | None = None) -> np.ndarray:
    """Return author log-odds for random groups of `size` messages (disjoint, or `draws` resampled)."""
    if draws is None:
        perm = rng.permutation(len(logits))
        groups = [perm[i : i + size] for i in range(0, len(perm) - size + 1, size)]
    else:
        groups = [rng.choice(len(logits), size, replace=False) for _ in range(draws)]
    return np.array([author_logit(logits[g], words[g]) for g in groups])


def author_threshold(human_logits: np.ndarray, words: np.ndarray, sources: np.ndarray | None = None) -> float:
    """Return the author log-odds flagging 1% of human pseudo-authors of the minimum size.

    Groups are drawn within one source at a time (a real member writes in one register), so the
    calibration is stricter than mixing formal and casual writers would make it.
    """
    rng = np.random.default_rng(SEED)
    sources = sources if sources is not None else np.zeros(len(human_logits), dtype=int)
    values = []
    for src in np.unique(sources):
        sel = sources == src
        if sel.sum() >= MIN_AUTHOR_MESSAGES * 4:
            values.append(pseudo_authors(human_logits[sel], words[sel], MIN_AUTHOR_MESSAGES, rng, 2000))
    return threshold_at_fpr(np.concatenate(values))


def quick_metrics(z: np.ndarray, y: np.ndarray, split: np.ndarray, groups: np.ndarray,
                  thr: float, sources: np.ndarray) -> dict[str, Any]:
    """Return test metrics of the shipped head: human FPR per source, in-distribution AUROC."""
    human = (split == "test") & (y == 0)
    out: dict[str, Any] = {"test_human_fpr_at_threshold": round(float((z[human] >= thr).mean()), 4)}
    for src in np.unique(sources[human]):
        sel = human & (sources == src)
        out[f"test_fpr_{src}"] = round(float((z[sel] >= thr).mean()), 4)
    for g in np.unique(groups[y == 1]):
        pos = z[(split == "test") & (groups == g)]
        out[f"in_distribution_auroc_{g}"] = round(auroc_of(pos, z[human]), 4)
    return out


def _fold(rows: list[Row], x: np.ndarray, held: str, l2: float, rng: np.random.Generator,
          exclude: frozenset[str] = frozenset()) -> dict[str, float]:
    """Train without `held` (and `exclude`), score its tweets against held-out human tweets."""
    y = np.array([r.label for r in rows])
    groups = np.array([r.group for r in rows])
    split = np.array([r.split for r in rows])
    src = np.array([r.source for r in rows])
    words = np.array([word_count(r.text) for r in rows])
    tr = (split == "train") & ~np.isin(groups, [held, *exclude])
    head = fit_head(x[tr], y[tr], l2=l2, groups=weight_groups(rows)[tr])
    val_h = (split == "val") & (y == 0)
    thr, _, z = calibrate(head.logit(x), words, val_h)
    test_h = (split == "test") & np.isin(src, HUMAN_TWEETS)
    pos = (groups == held) & (src != "gpt35_corpus")
    a_pos = pseudo_authors(z[pos], words[pos], AUTHOR_SIZE, rng)
    a_neg = pseudo_authors(z[test_h], words[test_h], AUTHOR_SIZE, rng)
    a_thr = max(author_threshold(z[val_h], words[val_h], src[val_h]), AUTHOR_LOGIT_FLOOR)
    return {
        "n_pos": int(pos.sum()),
        "auroc": auroc_of(z[pos], z[test_h]),
        "tpr_at_1fpr": tpr_at_fpr(z[pos], z[test_h]),
        "tpr_at_val_threshold": float((z[pos] >= thr).mean()),
        "human_fpr_at_val_threshold": float((z[test_h] >= thr).mean()),
        "author10_auroc": auroc_of(a_pos, a_neg),
        "author10_tpr_at_1fpr": tpr_at_fpr(a_pos, a_neg),
        "author10_tpr_at_author_threshold": float((a_pos >= a_thr).mean()),
        "author10_human_fpr_at_author_threshold": float((a_neg >= a_thr).mean()),
    }


def logo(rows: list[Row], x: np.ndarray, l2: float, held_out: list[str],
         exclude: frozenset[str] = frozenset()) -> dict[str, dict[str, float]]:
    """Run leave-one-generator-out over `held_out` and add the mean row."""
    rng = np.random.default_rng(SEED)
    results = {}
    for g in held_out:
        results[g] = _fold(rows, x, g, l2, rng, exclude)
        log.info("held out %s: %s", g, results[g])
    keys = [k for k in next(iter(results.values())) if k != "n_pos"]
    results["mean"] = {k: float(np.mean([r[k] for r in results.values()])) for k in keys}
    return results


def print_table(title: str, results: dict[str, dict[str, float]]) -> None:
    """Print one LOGO result table."""
    cols = ["auroc", "tpr_at_1fpr", "tpr_at_val_threshold", "human_fpr_at_val_threshold",
            "author10_auroc", "author10_tpr_at_1fpr", "author10_tpr_at_author_threshold",
            "author10_human_fpr_at_author_threshold"]
    print(f"\n{title}")
    print(f"{'held-out generator':<20}{'n':>6} " + " ".join(f"{c[:18]:>18}" for c in cols))
    for g, r in results.items():
        n = r.get("n_pos", "")
        print(f"{g:<20}{n!s:>6} " + " ".join(f"{r[c]:>18.4f}" for c in cols))


def lm_study(rows: list[Row], n: int, l2: float) -> dict[str, Any]:
    """Compare LOGO with and without SmolLM2 features on a stratified subsample of n texts."""

    rng = np.random.default_rng(SEED)
    per_gen = n // (2 * len(GENERATORS))
    sub: list[Row] = []
    for g in GENERATORS:  # generator rows all count as training rows when their generator is not held out
        idx = [i for i, r in enumerate(rows) if r.group == g and r.source == "authormimic"]
        sub += [replace(rows[i], split="train") for i in rng.choice(idx, min(per_gen, len(idx)), replace=False)]
    n_human = n - len(sub)
    for split, share, pool in (("train", 0.45, None), ("val", 0.1, None), ("test", 0.45, HUMAN_TWEETS)):
        idx = [i for i, r in enumerate(rows)
               if r.label == 0 and r.split == split and (pool is None or r.source in pool)]
        sub += [rows[i] for i in rng.choice(idx, min(int(n_human * share), len(idx)), replace=False)]
    texts = [r.text for r in sub]
    lm = lm_rows(texts)
    base = features(texts)
    y = np.array([r.label for r in sub])
    test_h = np.array([r.split == "test" and r.source in HUMAN_TWEETS for r in sub])
    from models.ai_text.lm_features import LM_NAMES

    zero_shot = {name: auroc_of(lm[y == 1, j], lm[test_h, j]) for j, name in enumerate(LM_NAMES)}
    with_lm = logo(sub, np.hstack([base, lm]), l2, list(GENERATORS))
    without = logo(sub, base, l2, list(GENERATORS))
    lm_only = logo(sub, np.hstack([base[:, 384:], lm]), l2, list(GENERATORS))
    return {"n": len(sub), "zero_shot_auroc": zero_shot, "with_lm": with_lm, "without_lm": without,
            "style_plus_lm_only": lm_only}


def lm_long_study(rows: list[Row], n: int) -> dict[str, float]:
    """Measure SmolLM2 features on long posts: GPT-3.5 vs human article chunks (>= 40 words).

    Uses the shipped head (trained on the train-split chunks) and fits small stacked heads on n/2
    train chunks; tests on n/2 test chunks (split by article, never trained on).
    """
    from models.ai_text.detector import AiTextDetector
    from models.ai_text.lm_features import LM_NAMES

    rng = np.random.default_rng(SEED)

    def pick(source: str, split: str, k: int) -> list[int]:
        idx = [i for i, r in enumerate(rows) if r.source == source and r.split == split]
        return sorted(rng.choice(idx, min(k, len(idx)), replace=False).tolist())

    k = n // 4
    train = pick("gpt35_corpus", "train", k) + pick("gpt35_corpus_human", "train", k)
    test = pick("gpt35_corpus", "test", k) + pick("gpt35_corpus_human", "test", k)
    texts = [rows[i].text for i in train + test]
    y = np.array([rows[i].label for i in train + test])
    lm = lm_rows(texts)
    det = AiTextDetector.load()
    raw = det.head.contributions(features(texts)).sum(1) + det.head.intercept
    nt, yt = len(train), y[len(train):]
    out = {"n_train": float(nt), "n_test": float(len(test))}
    for j, name in enumerate(LM_NAMES):
        out[f"zero_shot_{name}"] = auroc_of(lm[nt:, j][yt == 1], lm[nt:, j][yt == 0])
    for name, feats in (("head", raw[:, None]), ("head_plus_lm", np.c_[raw, lm]), ("lm_only", lm)):
        z = fit_head(feats[:nt], y[:nt], l2=1.0).logit(feats[nt:])
        out[f"{name}_auroc"] = auroc_of(z[yt == 1], z[yt == 0])
        out[f"{name}_tpr_at_1fpr"] = tpr_at_fpr(z[yt == 1], z[yt == 0])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run LOGO evaluation and print (and optionally save) the tables."""
    p = argparse.ArgumentParser(prog="govmod eval ai_text", description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path, help="write the results as JSON here")
    p.add_argument("--l2", type=float, default=30.0)
    p.add_argument("--tweepfake-gpt2", action="store_true", help="train with TweepFake GPT-2 positives")
    p.add_argument("--lm-study", type=int, default=0, help="also compare LM features on N texts")
    p.add_argument("--lm-long", type=int, default=0, help="also measure LM features on N long article chunks")
    p.add_argument("--long-only", action="store_true", help="only the long-form evaluation")
    p.add_argument("--skip-long", action="store_true", help="only the tweet evaluation")
    p.add_argument("--docs", type=int, default=None, help="long-form seeded sample size (0 = all texts)")
    p.add_argument("--keep-topic", action="store_true",
                   help="ablation: let the long-form chunk head use the governance-topic direction")
    p.add_argument("--lm-tokens", type=int, default=None,
                   help="study: SmolLM2 statistics of the first N tokens (fill their cache first with "
                        "`python -m models.ai_text.longform_data --lm-all --lm-tokens N`); the bot reads LM_TOKENS")
    args = p.parse_args(argv or [])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report: dict[str, Any] = {}
    if not args.skip_long:
        from models.ai_text import train_long as train_ai_text_long
        from models.ai_text.eval_long import evaluate_long, print_long
        from models.ai_text.longform_data import DEFAULT_DOCS
        from models.ai_text.train_long import load_data

        train_ai_text_long.TOPIC_PROJECTION = not args.keep_topic
        if args.lm_tokens:
            from models.ai_text.longform_data import use_lm_tokens

            use_lm_tokens(args.lm_tokens)

        report["long_form"] = evaluate_long(load_data(DEFAULT_DOCS if args.docs is None else args.docs))
        print_long(report["long_form"])
    if not args.long_only:
        report.update(_tweets(args))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _tweets(args: argparse.Namespace) -> dict[str, Any]:
    """Run the tweet LOGO evaluation (and the optional LM studies); return the report."""
    rows = build_corpus(tweepfake_gpt2=True)
    x = features([r.text for r in rows])
    exclude = frozenset() if args.tweepfake_gpt2 else frozenset({"GPT-2"})
    results = logo(rows, x, args.l2, list(GENERATORS), exclude)
    gpt2 = None if args.tweepfake_gpt2 else _fold(rows, x, "GPT-2", args.l2, np.random.default_rng(SEED))
    print_table("Per message and per 10-message author, leave-one-generator-out "
                "(negatives: held-out human tweets)", results)
    if gpt2:
        print_table("TweepFake GPT-2 bots (never trained on)", {"GPT-2": gpt2})
    report: dict[str, Any] = {"logo": results, "tweepfake_gpt2_unseen": gpt2, "l2": args.l2,
                              "tweepfake_gpt2_in_training": args.tweepfake_gpt2}
    if args.lm_study:
        study = lm_study([r for r in rows if r.group != "GPT-2"], args.lm_study, args.l2)
        print(f"\nLM study on {study['n']} texts; zero-shot AUROC:",
              {k: round(v, 3) for k, v in study["zero_shot_auroc"].items()})
        for name in ("without_lm", "with_lm", "style_plus_lm_only"):
            print_table(f"LM study: {name}", study[name])
        report["lm_study"] = study
    if args.lm_long:
        report["lm_long"] = lm_long_study(rows, args.lm_long)
        print("\nLM features on long posts (article chunks):",
              json.dumps({k: round(v, 4) for k, v in report["lm_long"].items()}))
    return report


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
