"""Offline scan: input files -> pipeline -> SQLite, plus the output contract and a summary."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.domain import MemberJoin, Post, Reaction
from bot.ingest import IngestReport, Position, read_in_time_order
from bot.pipeline import Pipeline
from bot.service import ScanService
from bot.storage import Database, PostRepo
from bot.threat_context import load_context, load_global_lists, push_context

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ScanSummary:
    """What a scan did, for the table at the end."""

    posts: int = 0
    events: int = 0
    bots_skipped: int = 0
    seconds: float = 0.0
    flags: Counter[str] = field(default_factory=Counter)
    cases_opened: Counter[str] = field(default_factory=Counter)
    ingest: IngestReport = field(default_factory=IngestReport)

    @property
    def rate(self) -> float:
        """Return posts scored per second."""
        return self.posts / self.seconds if self.seconds > 0 else 0.0

    def table(self) -> str:
        """Return the human summary printed after a scan."""
        lines = [
            f"{'posts scored':<24}{self.posts:>10}",
            f"{'bot posts skipped':<24}{self.bots_skipped:>10}",
            f"{'reactions/joins':<24}{self.events:>10}",
            f"{'malformed lines skipped':<24}{self.ingest.skipped:>10}",
        ]
        if self.ingest.out_of_order:
            lines.append(f"{'out of time order':<24}{self.ingest.out_of_order:>10}   (scored where they stood)")
        for name in sorted(set(self.flags) | set(self.cases_opened)):
            lines.append(f"{'flags: ' + name:<24}{self.flags[name]:>10}   cases opened: {self.cases_opened[name]}")
        lines.append(f"{'posts per second':<24}{self.rate:>10.1f}")
        return "\n".join(lines)


class Progress:
    """A one-line progress display on stderr for long inputs."""

    def __init__(self, stream: TextIO = sys.stderr, every: float = 1.0) -> None:
        """Print at most once per `every` seconds."""
        self.stream, self.every, self.start, self.last = stream, every, time.monotonic(), 0.0

    def update(self, posts: int, final: bool = False) -> None:
        """Show posts scored so far and the rate."""
        now = time.monotonic()
        if not final and now - self.last < self.every:
            return
        self.last = now
        rate = posts / max(now - self.start, 1e-9)
        end = "\n" if final else "\r"
        print(f"scanned {posts} posts ({rate:.0f}/s)", end=end, file=self.stream, flush=True)


async def scan(
    inputs: list[Path], db: Database, pipeline: Pipeline, *, out: Path | None = None,
    batch_size: int = 256, defaults: dict[str, float] | None = None, progress: Progress | None = None,
) -> ScanSummary:
    """Score every message of the inputs, merged in time order, into db; then write the output contract.

    Reactions and joins never cut a batch short: each travels in the batch with its place among the posts,
    so the detectors see a join before its member's first post and a reaction after the post it reacts to.
    """
    service = ScanService(pipeline, db, defaults)
    summary = ScanSummary()
    order: list[tuple[Position, str, bool]] = []  # (input position, post id, is_bot), for the output file
    posts: list[Post] = []
    events: list[Reaction | MemberJoin] = []
    places: list[int] = []  # events[k] came after the first places[k] posts of the batch
    start = time.monotonic()
    await load_global_lists(db, pipeline)  # imported deny / allow lists, as the bot loads them at start-up
    configured: set[str] = set()

    async def flush() -> None:
        for guild_id in {p.guild_id for p in posts} - configured:  # each guild's own link lists, agent channels
            push_context(pipeline, guild_id, await load_context(db, guild_id))
            configured.add(guild_id)
        result = await service.process(posts, events, places)
        for update in result.cases:
            if update.outcome == "opened":
                summary.cases_opened[update.detector] += 1
        summary.posts += len(result.verdicts)
        posts.clear()
        events.clear()
        places.clear()
        if progress:
            progress.update(summary.posts)

    for pos, event in read_in_time_order(inputs, summary.ingest):
        if isinstance(event, Post):
            order.append((pos, event.id, event.is_bot))
            if event.is_bot:
                summary.bots_skipped += 1
                continue
            posts.append(event)
            if len(posts) >= batch_size:
                await flush()
        else:
            events.append(event)
            places.append(len(posts))
            summary.events += 1
    if posts or events:
        await flush()
    summary.seconds = time.monotonic() - start
    if progress:
        progress.update(summary.posts, final=True)
    in_input_order = [(pid, is_bot) for _, pid, is_bot in sorted(order)]
    await _count_flags(db, in_input_order, summary)
    if out is not None:
        await write_output(db, in_input_order, out)
    return summary


async def _count_flags(db: Database, order: list[tuple[str, bool]], summary: ScanSummary) -> None:
    repo = PostRepo(db)
    for post_id in dict.fromkeys(pid for pid, is_bot in order if not is_bot):
        verdict = await repo.verdict(post_id)
        if verdict:
            summary.flags.update(verdict.flags)


async def write_output(db: Database, order: list[tuple[str, bool]], out: Path) -> None:
    """Write one JSON object per input message, in input order, from the final stored verdicts."""
    repo = PostRepo(db)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("w", encoding="utf-8") as fh:
        for post_id, is_bot in order:
            verdict = None if is_bot else await repo.verdict(post_id)
            if verdict is None:
                record = {"id": post_id, "scores": {}, "flags": [], "cluster": None,
                          "evidence": {"skipped": "bot account" if is_bot else "not scored"}}
            else:
                record = verdict.to_output()
            fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    tmp.replace(out)
