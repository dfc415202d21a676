"""The weekly report's "Threat signals" section: scam links, staff impersonation and prompt injection."""

from __future__ import annotations

from bot.reporting.blocks import Block, Bullets, Heading, Para, Table
from bot.reporting.model import WeeklyReport
from models.registry import REGISTRY, Section, in_section, label

THREAT_DETECTORS = in_section(Section.THREATS)
_WHAT = {spec.name: spec.what for spec in REGISTRY}


def threat_blocks(report: WeeklyReport) -> list[Block]:
    """Return the section (empty when no threat detector flagged anything in the period shown)."""
    shown = [d for d in THREAT_DETECTORS if d in report.detectors]
    if not shown:
        return []
    by_detector = {p.detector: p.outcomes for p in report.precision}
    rows = []
    for det in shown:
        o = by_detector.get(det)
        flagged = report.totals.flags.get(det, 0)
        rows.append((label(det), str(flagged), *(
            (str(o.total), str(o.confirmed), str(o.dismissed), str(o.open)) if o else ("0", "0", "0", "0"))))
    return [
        Heading("Threat signals"),
        Para("Scam links, staff impersonation and prompt injection aimed at AI agents. Every case waits for a "
             "moderator; impersonation cases about a name (a join or a rename) have no message to delete."),
        Table(("Signal", "Flagged posts", "Cases", "Confirmed", "Dismissed", "Open"), tuple(rows)),
        Bullets(tuple(f"{label(d)}: {_WHAT[d]}." for d in shown)),
    ]
