"""`govmod bench --startup`: how long until the gateway connection starts, and until the models score a post.

Measured in a fresh interpreter (imports count), with the real models and database, everything
`govmod run` does before it opens the gateway, without the network round trips to Discord itself
(login and READY need discord.com, unreachable here).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = time.perf_counter()


async def _probe(db_path: Path) -> dict[str, Any]:
    from bot.client import GovmodBot
    from bot.domain import Post
    from bot.live import LiveScorer
    from bot.loader import load_pipeline
    from bot.settings import Settings
    from bot.startup import DeferredService, load_in_background
    from bot.storage import Database

    marks: dict[str, float] = {"imports": time.perf_counter() - T0}
    settings = Settings()
    db = await Database.open(db_path)
    marks["database_open"] = time.perf_counter() - T0
    service = DeferredService(db, settings.threshold_overrides())
    live = LiveScorer(service, queue_max=settings.pipeline.queue_max, batch_max=settings.pipeline.batch_max,
                      batch_wait_ms=settings.pipeline.batch_wait_ms)
    bot = GovmodBot(settings=settings, db=db, service=service, live=live, sync_commands=False)
    load_started = time.perf_counter()
    loading = asyncio.create_task(load_in_background(service, lambda: load_pipeline(settings)))
    await bot._async_setup_hook()  # `bot.login` does these two, then the gateway connects
    await bot.setup_hook()
    marks["gateway_connect_starts"] = time.perf_counter() - T0
    await live.submit(Post(id="1", channel_id="2", author_id="3", guild_id="4", content="gm, vote on DIP-12 today",
                           created_at=datetime(2026, 11, 16, tzinfo=UTC)))  # a post arriving meanwhile: queued
    await loading
    marks["models_ready"] = time.perf_counter() - T0
    model_load = time.perf_counter() - load_started
    await live.flush(120)
    marks["first_post_scored"] = time.perf_counter() - T0
    await bot.close()
    await db.close()
    out = {k: round(v, 2) for k, v in marks.items()}
    out["model_load_seconds"] = round(model_load, 2)
    out["connect_before_this_change_s"] = round(marks["models_ready"] + (marks["gateway_connect_starts"]
                                                                        - marks["database_open"]), 2)
    out["queued_post_scored"] = live.stats().scored == 1
    return out


def time_startup() -> dict[str, Any]:
    """Run the start-up probe in a child process and return its seconds-since-process-start marks."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-m", "bot.bench_startup", str(Path(tmp) / "startup.db")],
                              capture_output=True, text=True)
    if proc.returncode != 0:
        return {"exit_code": proc.returncode, "stderr_tail": proc.stderr[-800:]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_seconds"] = round(time.perf_counter() - started, 2)
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_probe(Path(sys.argv[1])))))
