"""A guild's scoring policy: thresholds, disabled detectors and the categories that open cases.

Stored in the database and edited by slash commands. A detector with categories (toxicity: hate,
harassment, threat, profanity) scores each post per category; the policy picks which categories count for
this guild (default: the detector's own `case_categories`), and the post's score is the highest of those.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from models.detector import Detector


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-guild thresholds, enabled detectors and case-opening categories."""

    thresholds: dict[str, float] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    categories: dict[str, frozenset[str]] = field(default_factory=dict)  # detector -> categories that open cases

    def threshold_for(self, detector: Detector) -> float:
        """Return the guild's threshold for a detector, or the detector's calibrated default."""
        return self.thresholds.get(detector.name, detector.default_threshold)

    def categories_for(self, detector: Detector) -> frozenset[str]:
        """Return the categories of a detector that open cases in this guild (the detector's default if unset)."""
        chosen = self.categories.get(detector.name)
        if chosen is not None:
            return frozenset(chosen)
        return frozenset(getattr(detector, "case_categories", frozenset()))

    def score_of(self, detector: Detector, score: float, categories: Mapping[str, float]) -> float:
        """Return a post's score under this policy: the best chosen category, or the detector's score."""
        if not categories:
            return float(score)
        chosen = self.categories_for(detector)
        return max((float(v) for c, v in categories.items() if c in chosen), default=0.0)


def parse_categories(text: str, known: tuple[str, ...]) -> list[str] | None:
    """Return the categories named in a comma-separated list (None for 'default'); unknown names are an error."""
    if text.strip().lower() == "default":
        return None
    if not known:
        raise ValueError("this detector has no categories")
    chosen = [c.strip().lower() for c in text.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ValueError(f"unknown categories {', '.join(unknown)}; choose from {', '.join(known)} or 'default'")
    return sorted(set(chosen))
