"""Rendered files: Markdown numbers, valid PNG charts with pixels, HTML, privacy, and `govmod report`."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bot.reporting.cli import run_report, write_report
from bot.reporting.data import load_report
from bot.reporting.render_md import render_markdown, summary_fields
from bot.storage import Database, GuildRepo

from .conftest import ACCOUNTS, POSTS, G, seed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png_with_pixels(data: bytes) -> None:
    """Check the PNG signature and that the image is not one flat colour."""
    assert data[:8] == PNG_SIGNATURE and len(data) > 2000
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0).shape[0] > 10  # text, bars, lines were drawn


async def test_write_report_files(seeded: Database, tmp_path: Path) -> None:
    files = await write_report(seeded, G, "2026-W47", tmp_path, show_names=False)
    assert set(files.charts) == {"flags_per_day", "campaign_timeline", "precision_by_week"}
    assert all(p.parent == tmp_path and p.is_file() and p.stat().st_size > 0 for p in files.paths)
    for png in files.charts.values():
        assert_png_with_pixels(png.read_bytes())
    md = files.markdown.read_text()
    assert "| Posts scored | 9 | 5 | +4 (+80%) |" in md
    assert "| Flagged posts | 7 | 3 | +4 (+133%) |" in md
    assert "| Campaigns | 1 | 1 | 0 |" in md
    assert "| Precision (all detectors) | 67% | 0% | +67 pts |" in md
    assert "| Coordination | 1 | 1 | 0 | 0 | 0 | 100% |" in md
    assert "| AI-generated | 2 | 0 | 1 | 0 | 1 | 0% |" in md
    assert "3 accounts younger than 30 days wrote 4 posts in governance channels (40% of all posts)" in md
    assert "median time from flag to first decision 4.0 h (longest 24.0 h)" in md
    assert "\\#1 | 3 | 3 | 3 |" in md  # case #1: 3 posts, 3 accounts, 3 new
    for key in files.charts.values():
        assert f"]({key.name})" in md
    html = files.html.read_text()
    assert html.count("data:image/png;base64,") == 3 and "<table>" in html
    assert files.totals.posts_scored == 9 and files.previous.posts_scored == 5


async def test_privacy_ids_short_excerpts_flagged_only(seeded: Database, tmp_path: Path) -> None:
    files = await write_report(seeded, G, "2026-W47", tmp_path, show_names=False)
    for text in (files.markdown.read_text(), files.html.read_text()):
        assert not any(name in text for name, _ in ACCOUNTS.values())
        assert "SECRET-UNFLAGGED" not in text  # unflagged posts are never quoted
        assert POSTS["p2"][5] not in text  # long posts only as a short excerpt
        assert "@everyone" not in text  # pasting the report pings nobody
    named = await write_report(seeded, G, "2026-W47", tmp_path / "named", show_names=True)
    assert "sock1 (200)" in named.markdown.read_text()


async def test_empty_week_still_renders(seeded: Database, tmp_path: Path) -> None:
    files = await write_report(seeded, G, "2026-W30", tmp_path, show_names=False)
    for png in files.charts.values():
        assert_png_with_pixels(png.read_bytes())
    assert "No coordinated campaign was flagged this week." in files.markdown.read_text()


async def test_markdown_escapes_and_channel_names(seeded: Database) -> None:
    report = await load_report(seeded, G, "2026-W47")
    md = render_markdown(report, channel_names={"t1": "prop-12|vote"})
    assert "\\#prop-12\\|vote" in md  # a pipe in a name cannot break the table
    fields = dict(summary_fields(report))
    assert fields["Moderator decisions"] == "2 confirmed · 1 dismissed · 1 escalated · 1 open"
    assert all(len(v) <= 1024 for v in fields.values())


async def test_govmod_report_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "govmod.db"
    db = await Database.open(path)
    await seed(db)
    await GuildRepo(db).update(G, show_names=1)
    await db.close()
    assert await run_report(path, G, "2026-W47", tmp_path / "out") == 0
    assert "sock1 (200)" in (tmp_path / "out" / "report-2026-W47.md").read_text()  # the guild allowed names
    assert "9 posts scored, 7 flagged, 1 campaigns" in capsys.readouterr().out
    assert await run_report(path, None, "2026-W47", tmp_path / "all") == 0
    assert (tmp_path / "all" / G / "report-2026-W47.md").is_file()
    assert (tmp_path / "all" / "g2" / "report-2026-W47-flags-per-day.png").is_file()
    assert await run_report(path, G, "2026-47", tmp_path / "x") == 2
    assert await run_report(tmp_path / "missing.db", G, None, tmp_path / "x") == 2
    assert not (tmp_path / "missing.db").exists()


def test_long_account_lists_are_cut() -> None:
    from bot.reporting.render_md import _accounts

    assert _accounts([str(i) for i in range(25)]).endswith("18, 19 and 5 more")
    assert _accounts(["1", "2"]) == "1, 2"


def test_html_escapes_everything() -> None:
    from bot.reporting.blocks import Para, Table
    from bot.reporting.html import to_html

    page = to_html([Para("<script>x</script>"), Table(("a&b",), (("<b>",),))], {}, "t<")
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp;" in page and "&lt;b&gt;" in page
