"""Evaluate prompt injection on real data, each source held out in turn, and the shipped head on governance posts.

For every source of ../shared/data/threats/prompt_injection/prompt_injection.csv: train the head on all other
sources (plus the governance templates and seeded tweets), pick its threshold by grouped cross-validation on
those training rows only, then score the held-out source. Reported per source: recall of the attack sources,
false-positive rate of the benign sources, the share of prose *about* injection flagged. Then the shipped
head on the hand-written governance set (models/data/prompt_injection/test.jsonl).

Run: govmod eval prompt_injection [--c 1.0] [--target-fpr 0.0075] [--cv family|group] [--no-signatures]
     [--no-discussion-ceiling] [--no-windows] [--skip-holdout]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from models.detector import BatchContext
from models.paths import DATA_DIR
from models.threats.eval_common import read_jsonl, report
from models.threats.guild_context import GuildThreatContext
from models.threats.train_prompt_injection import TARGET_FPR
from models.types import Post

DATA = DATA_DIR / "prompt_injection" / "test.jsonl"
RECALL_TARGET, FPR_TARGET, ABOUT_TARGET = 0.80, 0.01, 0.02


def holdout(c: float, target_fpr: float, use_windows: bool = True, use_signatures: bool = True,
            by_family: bool = False, use_discussion: bool = True) -> dict[str, tuple[int, int, float]]:
    """Hold out each CSV source in turn; return source -> (rows, flagged, threshold) and print the table."""
    from models.threats.injection_dataset import family, read_rows
    from models.threats.train_prompt_injection import load_trainset, scores, train

    data = load_trainset()
    rows = read_rows()
    csv_sources = sorted({r.source for r in rows})
    # the file's own test split (by group) of each source: rules written after reading a source's training rows
    # are checked on rows of it that were not read
    split_of = {r.text: r.split for r in rows}
    in_test = np.array([split_of.get(t) == "test" for t in data.texts])
    families = sorted({family(s) for s in csv_sources})
    family_of = np.array([family(s) for s in data.sources])
    result: dict[str, tuple[int, int, float]] = {}
    print(f"{'held-out source':28s} {'label':>5s} {'rows':>5s} {'flagged':>7s} {'rate':>6s} {'thr':>5s}"
          f" {'test split':>12s}")
    for held_family in families:
        held = family_of == held_family
        det = train(data.take(~held), c, target_fpr, use_windows, use_signatures, by_family, use_discussion)
        test = data.take(held)
        flagged = scores(det, test, use_windows) >= det.default_threshold
        test_rows = in_test[held]
        for source, label in sorted({(s, int(y)) for s, y in zip(test.sources, test.labels, strict=True)}):
            sel = (test.labels == label) & (test.sources == source)
            if sel.any():
                key = f"{source}:{label}"
                result[key] = (int(sel.sum()), int(flagged[sel].sum()), det.default_threshold)
                tsel = sel & test_rows
                split_rate = f"{int(flagged[tsel].sum())}/{int(tsel.sum())}" if tsel.any() else "-"
                print(f"{source:28s} {label:5d} {int(sel.sum()):5d} {int(flagged[sel].sum()):7d} "
                      f"{float(flagged[sel].mean()):6.3f} {det.default_threshold:5.3f} {split_rate:>12s}")
    return result


def summarise(result: dict[str, tuple[int, int, float]]) -> bool:
    """Print the acceptance check against the targets; return whether all are met."""
    ok = True
    attacks = {k: v for k, v in result.items() if k.endswith(":1")}
    benign = {k: v for k, v in result.items() if k.endswith(":0")}
    for key, (n, hit, _) in attacks.items():
        met = hit / n >= RECALL_TARGET
        ok &= met
        print(f"recall {key[:-2]:26s} {hit / n:.3f} {'ok' if met else 'BELOW 0.80'}")
    total_n = sum(v[0] for k, v in benign.items() if not k.startswith("about_injection"))
    total_fp = sum(v[1] for k, v in benign.items() if not k.startswith("about_injection"))
    fpr = total_fp / max(total_n, 1)
    print(f"false positives on held-out benign sources (about_injection apart): {total_fp}/{total_n} = {fpr:.4f}"
          f" {'ok' if fpr <= FPR_TARGET else 'ABOVE 0.01'}")
    n, hit, _ = benign.get("about_injection:0", (1, 0, 0.0))
    about = hit / n
    verdict = "ok" if about <= ABOUT_TARGET else "ABOVE 0.02"
    print(f"prose about prompt injection flagged: {hit}/{n} = {about:.4f} {verdict}")
    attack_n = sum(v[0] for v in attacks.values())
    attack_hit = sum(v[1] for v in attacks.values())
    print(f"pooled held-out recall: {attack_hit}/{attack_n} = {attack_hit / max(attack_n, 1):.3f}")
    return ok and fpr <= FPR_TARGET and about <= ABOUT_TARGET


def governance_set(path: Path) -> None:
    """Score the hand-written governance posts with the shipped head, also as if in an agent channel."""
    from models.threats.injection_dataset import embed
    from models.threats.prompt_injection import PromptInjectionDetector

    rows = read_jsonl(path)
    det = PromptInjectionDetector.load()
    texts = [str(r["text"]) for r in rows]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    posts = [Post(id=str(i), channel_id="c", author_id="1", content=t, created_at=when, guild_id="g")
             for i, t in enumerate(texts)]
    ctx = BatchContext(texts=texts, embeddings=embed(texts))
    report("prompt_injection (shipped head, hand-written governance posts)", rows,
           [o.score for o in det.score(posts, ctx)], det.default_threshold)
    det.configure("g", GuildThreatContext(agent_channels=frozenset({"c"})))
    report("prompt_injection@agent_channel", rows, [o.score for o in det.score(posts, ctx)], det.default_threshold)


def main(argv: list[str] | None = None) -> int:
    """Run the held-out-source evaluation and the governance set; exit 1 if a target is missed."""
    ap = argparse.ArgumentParser(prog="govmod eval prompt_injection")
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--target-fpr", type=float, default=TARGET_FPR, help="benign FPR aimed at in each fold's inner CV")
    ap.add_argument("--data", type=Path, default=DATA, help="hand-written governance posts (JSONL)")
    ap.add_argument("--skip-holdout", action="store_true", help="only score the governance posts")
    ap.add_argument("--no-windows", action="store_true", help="read only the first 256 tokens (for comparison)")
    ap.add_argument("--no-signatures", action="store_true",
                    help="head and rule floors only: no attack-format signatures (the strictly held-out figure)")
    ap.add_argument("--no-discussion-ceiling", action="store_true",
                    help="do not cap third-person descriptions of injection under the line (lr-4 behaviour)")
    ap.add_argument("--cv", choices=("family", "group"), default="family",
                    help="inner CV that picks each fold's threshold: whole source families out (shipped) or groups")
    args = ap.parse_args(argv)
    ok = True
    if not args.skip_holdout:
        ok = summarise(holdout(args.c, args.target_fpr, not args.no_windows, not args.no_signatures,
                               args.cv == "family", not args.no_discussion_ceiling))
    governance_set(args.data)
    np.seterr(all="ignore")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
