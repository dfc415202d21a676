"""Evaluate the scam-link rules on models/data/scam_link/test.jsonl (see models/data/scam_link/README.md).

Run: govmod eval scam_link [--data PATH] [--threshold T]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.detector import BatchContext
from models.guild_context import GuildThreatContext
from models.normalize import normalize
from models.scam_link import ScamLinkDetector
from models.threat_eval import read_jsonl, report
from models.types import Post

DATA = Path(__file__).resolve().parent / "data" / "scam_link" / "test.jsonl"


def main(argv: list[str] | None = None) -> int:
    """Score every example as a post in a guild with its allow list and print precision and recall."""
    ap = argparse.ArgumentParser(prog="govmod eval scam_link")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)
    rows = read_jsonl(args.data)
    det = ScamLinkDetector.load()
    now = datetime.now(UTC)
    scores = []
    for i, row in enumerate(rows):
        guild = f"g{i}"
        det.configure(guild, GuildThreatContext(allow_domains=frozenset(row.get("allow", ())),
                                                block_domains=frozenset(row.get("block", ()))))
        post = Post(id=str(i), channel_id="c", author_id="1", content=row["text"], created_at=now, guild_id=guild,
                    author_created_at=now - timedelta(days=float(row.get("account_age_days", 365))))
        scores.append(det.score([post], BatchContext([normalize(row["text"])], None))[0].score)
    threshold = args.threshold if args.threshold is not None else det.default_threshold
    report("scam_link", rows, scores, threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
