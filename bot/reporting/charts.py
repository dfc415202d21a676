"""Draw the report's PNG charts with matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter, DayLocator
from matplotlib.figure import Figure

from bot.reporting.model import WeeklyReport
from bot.reporting.render_md import detector_label
from models.registry import REGISTRY

COLORS = {s.name: s.colour for s in REGISTRY if s.colour}
STATUS_COLORS = {"open": "#868e96", "confirmed": "#2b8a3e", "dismissed": "#1c7ed6", "escalated": "#e67700"}
_FALLBACK = ("#495057", "#0b7285", "#a61e4d", "#5c940d")
_MARKERS = ("o", "s", "^", "D")
DPI = 110


def _color(detector: str, index: int) -> str:
    return COLORS.get(detector, _FALLBACK[index % len(_FALLBACK)])


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def flags_per_day(report: WeeklyReport) -> bytes:
    """Draw flagged posts per day as bars stacked by detector."""
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    days = [d.day.strftime("%a\n%d %b") for d in report.daily]
    bottom = [0] * len(days)
    for i, detector in enumerate(report.detectors):
        values = [d.counts.get(detector, 0) for d in report.daily]
        ax.bar(days, values, bottom=bottom, label=detector_label(detector), color=_color(detector, i))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("flagged posts")
    ax.set_title(f"Flags per day, {report.week} (UTC)")
    ax.set_ylim(0, max(3, max(bottom) * 1.15))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", frameon=False, ncols=len(report.detectors))
    if not any(bottom):
        ax.text(0.5, 0.5, "no flags this week", transform=ax.transAxes, ha="center", color="#868e96")
    return _png(fig)


def campaign_timeline(report: WeeklyReport) -> bytes:
    """Draw one row per campaign: its span and each post, coloured by the moderators' outcome."""
    campaigns = report.campaigns
    fig = _figure(7.5, max(2.2, 0.9 + 0.42 * len(campaigns)))
    ax = fig.add_subplot()
    for row, c in enumerate(campaigns):
        color = STATUS_COLORS.get(c.status, "#495057")
        ax.hlines(row, c.first_at, c.last_at, color=color, linewidth=6, alpha=0.35)
        ax.plot(list(c.post_times), [row] * c.posts, "o", color=color, markersize=4)
    ax.set_yticks(range(len(campaigns)), [f"#{c.case_id} ({len(c.accounts)} acc.)" for c in campaigns])
    ax.set_ylim(len(campaigns) - 0.5 if campaigns else 0.5, -0.5)
    ax.set_xlim(report.start, report.end)
    ax.xaxis.set_major_locator(DayLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%a %d"))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Campaigns, {report.week} (UTC), coloured by outcome", fontsize=10, pad=14)
    for i, (status, color) in enumerate(STATUS_COLORS.items()):
        ax.text(0.01 + 0.14 * i, 1.0, status, transform=ax.transAxes, color=color, fontsize=8, va="bottom")
    if not campaigns:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no coordinated campaign this week", transform=ax.transAxes, ha="center",
                color="#868e96")
    return _png(fig)


def precision_by_week(report: WeeklyReport) -> bytes:
    """Draw each detector's precision (confirmed / decided) over the last weeks."""
    fig = _figure(7.5, 3.6)
    ax = fig.add_subplot()
    weeks = [h.week for h in report.history]
    drawn = False
    for i, detector in enumerate(report.detectors):
        values = [h.precision.get(detector) for h in report.history]
        ys = [math.nan if v is None else v * 100 for v in values]
        xs = [x + (i - (len(report.detectors) - 1) / 2) * 0.07 for x in range(len(weeks))]  # keep ties visible
        drawn = drawn or any(v is not None for v in values)
        ax.plot(xs, ys, marker=_MARKERS[i % len(_MARKERS)], label=detector_label(detector),
                color=_color(detector, i))
    ax.set_xticks(range(len(weeks)), [w.split("-")[1] for w in weeks])
    ax.set_xlim(-0.5, len(weeks) - 0.5)
    ax.set_ylim(-5, 105)
    ax.set_ylabel("precision (%)")
    ax.set_title("Precision by detector, as judged by moderators (gaps: nothing decided)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False, ncols=len(report.detectors))
    if not drawn:
        ax.text(0.5, 0.5, "no reviewed cases yet", transform=ax.transAxes, ha="center", color="#868e96")
    return _png(fig)


CHARTS: dict[str, Callable[[WeeklyReport], bytes]] = {
    "flags_per_day": flags_per_day,
    "campaign_timeline": campaign_timeline,
    "precision_by_week": precision_by_week,
}


def render_charts(report: WeeklyReport) -> dict[str, bytes]:
    """Draw every chart; return PNG bytes by chart key."""
    return {key: draw(report) for key, draw in CHARTS.items()}
