"""The detector registry: every shipped detector is named once, and the application derives from it."""

from __future__ import annotations

import importlib

from bot.alerts import LABELS
from bot.loader import DETECTORS
from bot.reporting.model import DETECTORS as REPORTED
from bot.reporting.threat_section import THREAT_DETECTORS
from bot.service import PROFILE_DETECTORS, group_key
from bot.settings import Settings
from models.registry import NAMES, REGISTRY, Grouping, Section, grouping
from models.types import Post


def test_every_entry_points_at_a_loadable_class_with_its_name() -> None:
    for spec in REGISTRY:
        cls = getattr(importlib.import_module(spec.module), spec.cls)
        assert getattr(cls, "name", spec.name) == spec.name and callable(cls.load)
    assert len(set(NAMES)) == len(NAMES)


def test_settings_loader_alerts_and_reports_follow_the_registry() -> None:
    assert Settings(_env_file=None).models.detectors == list(NAMES)  # type: ignore[call-arg]
    assert set(DETECTORS) == set(LABELS) == set(NAMES)
    assert set(REPORTED) | set(THREAT_DETECTORS) == set(NAMES)
    assert set(THREAT_DETECTORS) == {s.name for s in REGISTRY if s.section is Section.THREATS}
    assert PROFILE_DETECTORS == tuple(s.name for s in REGISTRY if s.judges_profiles)


def test_cases_group_as_the_registry_says() -> None:
    from datetime import UTC, datetime

    from bot.domain import Verdict

    post = Post(id="9", channel_id="1", author_id="42", content="x", created_at=datetime(2026, 11, 20, tzinfo=UTC))
    verdict = Verdict(post_id="9", guild_id="0", scores={}, flags=(), evidence={}, model_versions={}, cluster="c1")
    expected = {Grouping.POST: "post:9", Grouping.AUTHOR: "author:42", Grouping.CLUSTER: "campaign:c1"}
    for spec in REGISTRY:
        assert group_key(spec.name, verdict, post) == expected[spec.grouping]
    assert grouping("a_detector_nobody_registered") is Grouping.POST
