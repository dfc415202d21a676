"""`govmod train coordination`: re-tune the paraphrase threshold and store it in weights/coordination.json.

The coordination detector has no trained head; its only learned constant is the MiniLM cosine
above which two posts count as the same talking point (see models/coordination/tune_paraphrase.py).
"""

from __future__ import annotations

import logging

from models.coordination import tune_paraphrase

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Run the paraphrase tuning and write the result (extra arguments pass through)."""
    return tune_paraphrase.main(["--write", *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main())
