"""Shared scoring report of the threat detectors' evaluation commands (precision, recall, hard negatives)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL test set."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def report(name: str, rows: Sequence[dict[str, Any]], scores: Sequence[float], threshold: float,
           text_key: str = "text") -> dict[str, Any]:
    """Print precision, recall, misses and flagged hard negatives; return the numbers."""
    flagged = [s >= threshold for s in scores]
    labels = [int(r["label"]) for r in rows]
    tp = sum(f and y for f, y in zip(flagged, labels, strict=True))
    fp = sum(f and not y for f, y in zip(flagged, labels, strict=True))
    fn = sum((not f) and y for f, y in zip(flagged, labels, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    hard = [(r, s) for r, s, f in zip(rows, scores, flagged, strict=True) if r.get("hard") and f]
    n_hard = sum(1 for r in rows if r.get("hard"))
    print(f"{name}: {len(rows)} examples ({sum(labels)} positive, {n_hard} hard negatives), threshold {threshold:.2f}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    print(f"hard negatives flagged: {len(hard)} of {n_hard}")
    for r, s in hard:
        print(f"  FALSE ALARM {s:.2f}: {str(r.get(text_key, r))[:110]!r}")
    for r, s, f in zip(rows, scores, flagged, strict=True):
        if r["label"] and not f:
            print(f"  missed {s:.2f}: {str(r.get(text_key, r))[:110]!r}")
    return {"precision": precision, "recall": recall, "tp": tp, "fp": fp, "fn": fn, "hard_flagged": len(hard)}
