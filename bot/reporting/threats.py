"""The weekly report's "Threat signals" section: scam links, staff impersonation and prompt injection."""

from __future__ import annotations

from bot.reporting.blocks import Block, Bullets, Heading, Para, Table
from bot.reporting.model import WeeklyReport

THREAT_DETECTORS = ("scam_link", "impersonation", "prompt_injection")
THREAT_LABELS = {"scam_link": "Scam links", "impersonation": "Impersonation", "prompt_injection": "Prompt injection"}
WHAT = {
    "scam_link": "look-alike or blocked domains, lures, shorteners and fresh accounts posting links",
    "impersonation": "names that copy a moderator, admin or bot, or claim a staff role on a new account",
    "prompt_injection": "posts that address an AI agent with instructions (override, role-play, transfers, "
                        "hidden payloads)",
}


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
        rows.append((THREAT_LABELS[det], str(flagged), *(
            (str(o.total), str(o.confirmed), str(o.dismissed), str(o.open)) if o else ("0", "0", "0", "0"))))
    return [
        Heading("Threat signals"),
        Para("Scam links, staff impersonation and prompt injection aimed at AI agents. Every case waits for a "
             "moderator; impersonation cases about a name (a join or a rename) have no message to delete."),
        Table(("Signal", "Flagged posts", "Cases", "Confirmed", "Dismissed", "Open"), tuple(rows)),
        Bullets(tuple(f"{THREAT_LABELS[d]}: {WHAT[d]}." for d in shown)),
    ]
