"""Evaluate the prompt-injection head on the hand-written test set (models/data/prompt_injection/test.jsonl).

Run: govmod eval prompt_injection [--data PATH] [--threshold T]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.detector import BatchContext
from models.guild_context import GuildThreatContext
from models.threat_eval import read_jsonl, report
from models.types import Post

DATA = Path(__file__).resolve().parent / "data" / "prompt_injection" / "test.jsonl"


def main(argv: list[str] | None = None) -> int:
    """Score the test set with the shipped head and print precision and recall (also in an agent channel)."""
    from datetime import UTC, datetime

    from models.prompt_injection import PromptInjectionDetector
    from models.train_prompt_injection import embed

    ap = argparse.ArgumentParser(prog="govmod eval prompt_injection")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)
    rows = read_jsonl(args.data)
    det = PromptInjectionDetector.load()
    threshold = args.threshold if args.threshold is not None else det.default_threshold
    texts = [str(r["text"]) for r in rows]
    now = datetime.now(UTC)
    posts = [Post(id=str(i), channel_id="c", author_id="1", content=t, created_at=now, guild_id="g")
             for i, t in enumerate(texts)]
    ctx = BatchContext(texts=texts, embeddings=embed(texts))
    scores = [o.score for o in det.score(posts, ctx)]
    report("prompt_injection", rows, scores, threshold)
    det.configure("g", GuildThreatContext(agent_channels=frozenset({"c"})))
    boosted = [o.score for o in det.score(posts, ctx)]
    print("-- same posts in a channel an AI agent reads (score raised by "
          f"{det.agent_boost:.2f}):")
    report("prompt_injection@agent_channel", rows, boosted, threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
