"""Evaluate the impersonation rules on models/data/impersonation/test.jsonl (see its README.md).

Run: govmod eval impersonation [--data PATH] [--threshold T]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from models.detector import BatchContext
from models.paths import DATA_DIR
from models.threats.eval_common import read_jsonl, report
from models.threats.guild_context import GuildThreatContext
from models.threats.impersonation import ImpersonationDetector, profile_subject

DATA = DATA_DIR / "impersonation" / "test.jsonl"


def main(argv: list[str] | None = None) -> int:
    """Judge each member's names against the example guild's staff and print precision and recall."""
    ap = argparse.ArgumentParser(prog="govmod eval impersonation")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)
    rows = read_jsonl(args.data)
    det = ImpersonationDetector.load()
    now = datetime.now(UTC)
    scores = []
    for i, row in enumerate(rows):
        guild = f"g{i}"
        det.configure(guild, GuildThreatContext(staff_names=frozenset(row["staff"])))
        post = profile_subject(guild_id=guild, user_id=str(1000 + i), display_name=row["display_name"],
                               username=row["username"], reason="rename", at=now,
                               account_created_at=now - timedelta(days=float(row["account_age_days"])))
        scores.append(det.score([post], BatchContext([""], None))[0].score)
    for row in rows:
        row["text"] = f"{row['display_name']} / {row['username']} ({row['account_age_days']} d)"
    threshold = args.threshold if args.threshold is not None else det.default_threshold
    report("impersonation", rows, scores, threshold)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
