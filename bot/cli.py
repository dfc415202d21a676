"""The `govmod` command: scan, demo, train, eval, report, bench, links, run, sync-commands."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
from pathlib import Path

from models.registry import tools

log = logging.getLogger(__name__)

TRAINABLE = tools("trainer")  # govmod train NAME -> the detector package's training script
EVALUABLE = tools("evaluator")  # govmod eval NAME -> its evaluation script

PROGRESS_COMMANDS = ("train", "eval", "bench")  # long runs: their INFO lines are the progress display


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    logging.getLogger().setLevel(level.upper())  # also when a handler exists already (basicConfig did nothing)


def _cmd_scan(args: argparse.Namespace) -> int:
    from bot.loader import load_pipeline
    from bot.scan import Progress, scan
    from bot.settings import Settings
    from bot.storage import Database

    settings = Settings()
    missing = [p for p in args.inputs if not p.is_file()]
    if missing:
        print(f"govmod scan: no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    pipeline = load_pipeline(settings)

    async def go() -> int:
        db = await Database.open(args.db or settings.database.path)
        try:
            summary = await scan(args.inputs, db, pipeline, out=args.out, batch_size=args.batch_size,
                                 defaults=settings.threshold_overrides(),
                                 progress=None if args.quiet else Progress())
        finally:
            await db.close()
        for problem in summary.ingest.problems[:20]:
            print(f"skipped {problem}", file=sys.stderr)
        if summary.ingest.skipped > 20:
            print(f"... and {summary.ingest.skipped - 20} more malformed lines", file=sys.stderr)
        print(summary.table())
        return 0

    return asyncio.run(go())


def _cmd_module(table: dict[str, str], verb: str, args: argparse.Namespace) -> int:
    module = table.get(args.name)
    if module is None:
        print(f"govmod {verb}: unknown model {args.name!r}; choose from {', '.join(table)}", file=sys.stderr)
        return 2
    return int(importlib.import_module(module).main(args.rest) or 0)


def _cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return asyncio.run(run_demo(args.out_dir))


def _cmd_report(args: argparse.Namespace) -> int:
    from bot.reporting.cli import run_report
    from bot.settings import Settings

    out = args.out or Settings().reports.out_dir
    return asyncio.run(run_report(args.db, args.guild, args.week, out))


def _cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args.rest)


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.__main__ import main as run_main

    return run_main()


def _cmd_sync_commands(args: argparse.Namespace) -> int:
    from bot.__main__ import sync_main

    return sync_main(force=not args.if_changed)


# --- govmod links: deny / allow list import and refresh (issue 19) -------------------------------------------
def _cmd_links(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot import link_feeds
    from bot.settings import Settings
    from bot.storage import Database

    settings = Settings()
    date = None
    if getattr(args, "date", None):
        try:
            date = datetime.fromisoformat(args.date).replace(tzinfo=UTC)
        except ValueError:
            print(f"govmod links import: --date must be YYYY-MM-DD, not {args.date!r}", file=sys.stderr)
            return 2

    async def go() -> int:
        db = await Database.open(args.db or settings.database.path)
        try:
            if args.links_command == "refresh":
                feeds = settings.link_feeds
                if not feeds.urls and not feeds.allow_urls:
                    print("govmod links refresh: no URLs in GOVMOD_LINK_FEEDS__URLS / __ALLOW_URLS", file=sys.stderr)
                    return 2
                results = await link_feeds.refresh(db, feeds.urls, allow_urls=feeds.allow_urls,
                                                   timeout=feeds.timeout_seconds)
                for r in results:
                    print(f"{'ok' if r.ok else 'FAILED (old list kept)'}  {r.name}: {r.detail}")
                return 0 if all(r.ok for r in results) else 1
            name, parsed = await link_feeds.import_file(db, args.file, scope=args.guild or "", name=args.name,
                                                        as_allow=args.allow, listed_on=date or db.clock())
        except link_feeds.FeedError as exc:
            print(f"govmod links: {exc}", file=sys.stderr)
            return 1
        finally:
            await db.close()
        where = f"guild {args.guild}" if args.guild else "every server"
        print(f"imported {name!r} ({parsed.format}) for {where}: {len(parsed.block)} blocked, "
              f"{len(parsed.allow)} allowed, {parsed.skipped} entries skipped")
        return 0

    return asyncio.run(go())


def _add_links_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("links", help="import deny / allow lists (polkadot-js, MetaMask, plain) or refresh feeds")
    links = p.add_subparsers(dest="links_command", required=True)
    imp = links.add_parser("import", help="load a list file into the global (or one guild's) lists")
    imp.add_argument("file", type=Path)
    imp.add_argument("--guild", help="guild id (default: every server)")
    imp.add_argument("--name", help="list name shown in evidence (default: the file name)")
    imp.add_argument("--allow", action="store_true", help="a plain list of trusted domains, not a deny list")
    imp.add_argument("--date", help="date of the list, YYYY-MM-DD (default: today)")
    imp.add_argument("--db", type=Path, help="SQLite database (default: GOVMOD_DATABASE__PATH)")
    ref = links.add_parser("refresh", help="fetch the lists named in GOVMOD_LINK_FEEDS__URLS once")
    ref.add_argument("--db", type=Path, help="SQLite database (default: GOVMOD_DATABASE__PATH)")
    p.set_defaults(func=_cmd_links)
# --- end govmod links ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the govmod command."""
    parser = argparse.ArgumentParser(prog="govmod", description=__doc__)
    parser.add_argument("--log-level", help="logging level (default INFO for train, eval and bench, which report "
                        "their progress on stderr; WARNING otherwise)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("scan", help="score posts from JSON Lines or DiscordChatExporter files into SQLite")
    p.add_argument("inputs", nargs="+", type=Path, help="input files (format detected automatically)")
    p.add_argument("--out", type=Path, help="write one JSON verdict per input message here")
    p.add_argument("--db", type=Path, help="SQLite database (default: GOVMOD_DATABASE__PATH or govmod.db)")
    p.add_argument("--batch-size", type=int, default=256, help="posts per pipeline call (bigger = less padding)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=_cmd_scan)

    p = sub.add_parser("demo", help="replay the bundled sample governance server and write its report")
    p.add_argument("--out-dir", type=Path, default=Path("demo-out"))
    p.set_defaults(func=_cmd_demo)

    for verb, table in (("train", TRAINABLE), ("eval", EVALUABLE)):
        p = sub.add_parser(verb, help=f"{verb} a model: {', '.join(table)}")
        p.add_argument("name")
        p.add_argument("rest", nargs="*", help="options passed to the model's script")
        p.set_defaults(func=lambda a, t=table, v=verb: _cmd_module(t, v, a))

    p = sub.add_parser("report", help="write the weekly manipulation report (Markdown + PNG charts)")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--guild", help="guild id (default: every guild in the database)")
    p.add_argument("--week", help="ISO week such as 2026-W47 (default: the last complete week)")
    p.add_argument("--out", type=Path, help="output folder (default: GOVMOD_REPORTS__OUT_DIR, 'reports')")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("bench", help="measure throughput, latency and memory of the real pipeline")
    p.add_argument("rest", nargs="*", help="options passed to the bench (see govmod bench --help)")
    p.set_defaults(func=_cmd_bench)

    _add_links_parser(sub)

    p = sub.add_parser("run", help="run the Discord bot (needs GOVMOD_DISCORD__TOKEN in .env)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("sync-commands", help="push the slash commands to Discord now (REST only, no models)")
    p.add_argument("--if-changed", action="store_true", help="only if they changed since the last sync")
    p.set_defaults(func=_cmd_sync_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the govmod command line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough = {"train": 2, "eval": 2, "bench": 1}  # words before the script's own options
    cut = next((i for i, word in enumerate(argv)
                if not word.startswith("-") and (i == 0 or argv[i - 1] != "--log-level")), len(argv))
    words = passthrough.get(argv[cut]) if cut < len(argv) else None
    head, rest = (argv[: cut + words], argv[cut + words :]) if words else (argv, [])
    args = build_parser().parse_args(head)  # argparse.REMAINDER would miss the scripts' leading --options
    if words:
        args.rest = rest
    _setup_logging(args.log_level or ("INFO" if args.command in PROGRESS_COMMANDS else "WARNING"))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a clear one-line message for operators; details at --log-level DEBUG
        from bot.loader import ModelLoadError
        from bot.storage import StorageError

        if isinstance(exc, ModelLoadError | StorageError | FileNotFoundError | PermissionError):
            print(f"govmod: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
