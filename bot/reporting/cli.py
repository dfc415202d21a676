"""Write the weekly report to disk: `write_report` for one guild, `run_report` for `govmod report`."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import Clock, utc_now
from bot.reporting.data import load_report
from bot.reporting.html import to_html
from bot.reporting.model import Totals, WeeklyReport
from bot.reporting.render_md import build_blocks, to_markdown
from bot.reporting.weeks import last_complete_week, normalize_week
from bot.storage import Database, GuildRepo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """What `write_report` wrote, with the headline numbers of the week and the week before."""

    guild_id: str
    week: str
    markdown: Path
    html: Path
    charts: Mapping[str, Path]  # chart key -> PNG path (flags_per_day, campaign_timeline, precision_by_week)
    totals: Totals
    previous: Totals
    report: WeeklyReport

    @property
    def paths(self) -> tuple[Path, ...]:
        """Return every file written: Markdown, the PNG charts, then HTML."""
        return (self.markdown, *self.charts.values(), self.html)


def _render(report: WeeklyReport, out_dir: Path, channel_names: Mapping[str, str] | None) -> dict[str, Path]:
    """Draw and write every file of a report (blocking: run it in a worker thread)."""
    from bot.reporting.charts import render_charts  # matplotlib loads on the first report, not at bot start

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{report.week}"
    charts = render_charts(report)
    chart_paths = {key: out_dir / f"{stem}-{key.replace('_', '-')}.png" for key in charts}
    for key, png in charts.items():
        chart_paths[key].write_bytes(png)
    blocks = build_blocks(report, channel_names)
    markdown = out_dir / f"{stem}.md"
    markdown.write_text(to_markdown(blocks, {k: p.name for k, p in chart_paths.items()}), encoding="utf-8")
    html = out_dir / f"{stem}.html"
    html.write_text(to_html(blocks, charts, f"govmod report {report.week}"), encoding="utf-8")
    return {"markdown": markdown, "html": html, **chart_paths}


async def write_report(
    db: Database, guild_id: str, week: str, out_dir: Path, show_names: bool, *,
    channel_names: Mapping[str, str] | None = None, now: datetime | None = None,
) -> ReportFiles:
    """Write one guild's report of one ISO week (Markdown, PNG charts, HTML) into out_dir."""
    report = await load_report(db, guild_id, week, show_names=show_names, now=now)
    paths = await asyncio.to_thread(_render, report, Path(out_dir), channel_names)
    markdown, html = paths.pop("markdown"), paths.pop("html")
    log.info("wrote the %s report of guild %s to %s", report.week, guild_id, out_dir)
    return ReportFiles(guild_id=guild_id, week=report.week, markdown=markdown, html=html, charts=paths,
                       totals=report.totals, previous=report.previous, report=report)


async def guild_ids(db: Database) -> list[str]:
    """Return every guild that has posts in the database."""
    async with db.conn.execute("SELECT DISTINCT guild_id FROM posts ORDER BY guild_id") as cur:
        return [row[0] for row in await cur.fetchall()]


def _default_show_names() -> bool:
    """Return the server-wide show_names setting (False if settings cannot be read)."""
    try:
        from bot.settings import Settings

        return Settings().reports.show_names
    except Exception as exc:  # a broken .env must not stop an offline report
        log.warning("could not read settings, hiding names: %s", exc)
        return False


async def run_report(db: Path, guild: str | None, week: str | None, out: Path, clock: Clock = utc_now) -> int:
    """Write the report of one guild (or every guild) for one week (default: the last complete one)."""
    try:
        target = normalize_week(week) if week else last_complete_week(clock())
    except ValueError as exc:
        print(f"govmod report: {exc}", file=sys.stderr)
        return 2
    if not Path(db).is_file():
        print(f"govmod report: no such database: {db}", file=sys.stderr)
        return 2
    database = await Database.open(db)
    try:
        guilds = [guild] if guild else await guild_ids(database)
        if not guilds:
            print(f"govmod report: no guild has posts in {db}", file=sys.stderr)
            return 1
        show_default = _default_show_names()
        for guild_id in guilds:
            config = await GuildRepo(database).get(guild_id)
            folder = out if len(guilds) == 1 else out / guild_id
            files = await write_report(database, guild_id, target, folder, config.show_names or show_default)
            t = files.totals
            print(f"guild {guild_id} {files.week}: {t.posts_scored} posts scored, {t.flagged_posts} flagged, "
                  f"{t.campaigns} campaigns, {t.cases} cases")
            for path in files.paths:
                print(f"  {path}")
    finally:
        await database.close()
    return 0
