"""A guild's scoring policy: thresholds and disabled detectors (stored in the database, edited by slash commands)."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.detector import Detector


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-guild thresholds and enabled detectors (stored in the database, edited by slash commands)."""

    thresholds: dict[str, float] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

    def threshold_for(self, detector: Detector) -> float:
        """Return the guild's threshold for a detector, or the detector's calibrated default."""
        return self.thresholds.get(detector.name, detector.default_threshold)
