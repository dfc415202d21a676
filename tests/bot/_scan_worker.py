"""Run a scan with the fake detectors (slowed down) so a test can kill it mid-way."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.pipeline import Pipeline  # noqa: E402
from bot.scan import scan  # noqa: E402
from bot.storage import Database  # noqa: E402
from tests.fakes import KeywordDetector, PhraseCampaignDetector  # noqa: E402


async def main(db_path: str, input_path: str, delay: float) -> None:
    """Scan input into db with fake detectors."""
    db = await Database.open(db_path)
    pipeline = Pipeline(None, [KeywordDetector(delay=delay), PhraseCampaignDetector()])
    await scan([Path(input_path)], db, pipeline, batch_size=10)
    await db.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
