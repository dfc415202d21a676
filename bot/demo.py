"""`govmod demo`: replay the bundled sample governance server through the whole pipeline."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from bot.domain import Case, CaseStatus
from bot.loader import load_pipeline
from bot.scan import Progress, scan
from bot.settings import Settings
from bot.storage import CaseRepo, Database

log = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLE = EXAMPLES / "sample_server.jsonl"
TRUTH = EXAMPLES / "sample_server.truth.json"


def case_line(case: Case) -> str:
    """Return one row of the open-cases table."""
    summary = str(case.evidence.get("summary") or case.evidence.get("excerpt") or "")[:70].replace("\n", " ")
    accounts = len(case.author_ids)
    return (f"#{case.id:<4} {case.detector:<13} {case.severity.value:<7} {case.score:5.2f} "
            f"{len(case.post_ids):>3} posts {accounts:>3} accts  {summary}")


def truth_check(cases: list[Case], truth: dict) -> list[str]:
    """Compare what was flagged with the sample's planted ground truth."""
    flagged: dict[str, set[str]] = {}
    for case in cases:
        flagged.setdefault(case.detector, set()).update(case.post_ids)
    every = set().union(*flagged.values()) if flagged else set()
    lines = []
    expected: dict[str, set[str]] = {}
    for label, detector in (("abusive", "toxicity"), ("llm_astroturf", "ai_generated"),
                            ("sockpuppet_campaign", "coordination")):
        planted = truth.get(label, {})
        ids = set(planted.get("message_ids", []) if isinstance(planted, dict) else planted)
        expected.setdefault(detector, set()).update(ids)
        if ids:
            hit = len(ids & flagged.get(detector, set()))
            lines.append(f"{label:<22} planted {len(ids):>3}  flagged by {detector:<13} {hit:>3}")
    traps = truth.get("traps", {})
    trap_ids = {i for v in traps.values() for i in v} if isinstance(traps, dict) else set(traps)
    if trap_ids:
        lines.append(f"{'organic noise (traps)':<22} planted {len(trap_ids):>3}  flagged by any detector "
                     f"{len(trap_ids & every):>3}")
    # every other flag is a false case too: a post nothing was planted in, or planted for another detector
    false = {det: ids - expected.get(det, set()) for det, ids in sorted(flagged.items())}
    false = {det: ids for det, ids in false.items() if ids}
    detail = ", ".join(f"{det} {len(ids)}" for det, ids in false.items())
    lines.append(f"{'any other post':<22} flagged {sum(len(v) for v in false.values()):>3}"
                 + (f"  ({detail}; false cases: posts nothing was planted in for that detector)" if false else ""))
    return lines


async def run_demo(out_dir: Path) -> int:
    """Scan the sample server into a fresh database, print the open cases and write the report."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "govmod-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    settings = Settings()
    print(f"loading models ({', '.join(settings.models.detectors)}) ...")
    pipeline = load_pipeline(settings)
    db = await Database.open(db_path)
    try:
        summary = await scan([SAMPLE], db, pipeline, out=out_dir / "verdicts.jsonl",
                             defaults=settings.threshold_overrides(), progress=Progress())
        print(summary.table())
        cases = await CaseRepo(db).list(statuses=[CaseStatus.OPEN], limit=1000)
        print(f"\n{len(cases)} open cases for human review (oldest first):")
        for case in cases:
            print("  " + case_line(case))
        if TRUTH.is_file():
            print("\nagainst the sample's planted ground truth:")
            for line in truth_check(cases, json.loads(TRUTH.read_text(encoding="utf-8"))):
                print("  " + line)
        await _write_report(db, out_dir, settings)
    finally:
        await db.close()
    print(f"\ndatabase: {db_path}\nverdicts: {out_dir / 'verdicts.jsonl'}")
    return 0


async def _write_report(db: Database, out_dir: Path, settings: Settings) -> None:
    from bot.reporting import week_of, write_report

    async with db.conn.execute("SELECT guild_id, MAX(created_at) FROM posts GROUP BY guild_id") as cur:
        guilds = [(r[0], r[1]) for r in await cur.fetchall()]
    for guild_id, last in guilds:
        week = week_of(datetime.fromisoformat(last))
        files = await write_report(db, guild_id, week, out_dir / "report", settings.reports.show_names)
        print(f"\nweekly report for guild {guild_id}, {week}: {files.markdown}")
