"""Weekly manipulation report: SQL over the govmod database, Markdown/HTML and PNG charts (no discord)."""

from bot.reporting.cli import ReportFiles, run_report, write_report
from bot.reporting.data import load_report
from bot.reporting.model import WeeklyReport
from bot.reporting.schedule import claim_week, due_week, last_sent_week, release_week, report_targets
from bot.reporting.weeks import iso_week_bounds, last_complete_week, previous_week, week_of

__all__ = [
    "ReportFiles", "WeeklyReport", "claim_week", "due_week", "iso_week_bounds", "last_complete_week",
    "last_sent_week", "load_report", "previous_week", "release_week", "report_targets", "run_report", "week_of",
    "write_report",
]
