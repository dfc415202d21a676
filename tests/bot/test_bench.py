"""`govmod bench` pairs each pipeline run with a reference run seconds before it and reports the median ratio."""

from __future__ import annotations

from typing import Any

import pytest

from bot import bench
from bot.settings import Settings


def test_paired_rounds_pair_adjacent_runs_and_take_the_median(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    references = iter([10.0, 20.0, 40.0])  # the machine slows down and speeds up between rounds
    wholes = iter([40.0, 60.0, 100.0])

    def reference(texts: list[str], batch: int) -> dict[str, Any]:
        events.append("reference")
        return {"messages_per_s": next(references)}

    def load(settings: Settings) -> object:
        events.append("load")
        return object()

    def whole(pipeline: object, posts: list, batch: int) -> float:
        events.append("whole")
        assert len(posts) == 3 and batch == 2
        return next(wholes)

    monkeypatch.setattr(bench, "time_bert_reference", reference)
    monkeypatch.setattr(bench, "load_pipeline", load)
    monkeypatch.setattr(bench, "time_whole", whole)
    out = bench.paired_rounds(Settings(_env_file=None), ["a", "b", "c"], batch=2, rounds=3)  # type: ignore[call-arg]
    assert events == ["reference", "load", "whole"] * 3  # fresh models for every round, each right after its reference
    assert [r["ratio"] for r in out["rounds"]] == [4.0, 3.0, 2.5]
    assert out["median_ratio"] == 3.0  # not the ratio of the mean rates (200/70 = 2.86) nor the first round's 4.0
