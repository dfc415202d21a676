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


def test_a_bfloat16_pipeline_is_also_paired_with_a_bfloat16_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    rates = {"float32": iter([10.0, 20.0, 10.0]), "bfloat16": iter([30.0, 50.0, 25.0])}

    def reference(texts: list[str], batch: int, precision: str = "float32") -> dict[str, Any]:
        events.append(f"reference {precision}")
        return {"messages_per_s": next(rates[precision])}

    monkeypatch.setattr(bench, "time_bert_reference", reference)
    monkeypatch.setattr(bench, "load_pipeline", lambda settings: object())
    monkeypatch.setattr(bench, "time_whole", lambda pipeline, posts, batch: 60.0)
    out = bench.paired_rounds(Settings(_env_file=None), ["a"], batch=2, rounds=3,  # type: ignore[call-arg]
                              same_precision="bfloat16")
    assert events == ["reference float32", "reference bfloat16"] * 3
    assert out["median_ratio"] == 6.0  # ratios 6, 3, 6 against float32
    assert out["median_ratio_same_precision"] == 2.0  # 2, 1.2, 2.4 against the bfloat16 reference
    assert out["reference_precision"] == "bfloat16"


def test_each_timed_run_starts_with_empty_memos() -> None:
    from models.ai_text.lm_features import _style_row
    from models.lookalike import skeleton
    from models.threats.domain_features import split_host

    forgotten = []

    class Detector:
        def forget_memos(self) -> None:
            forgotten.append(True)

    class Pipe:
        detectors = [Detector(), object()]  # a detector without memos is left alone

    skeleton("Un1swap"), split_host("claim.uniswap-airdrop.xyz"), _style_row("gm, a short post.")
    assert min(f.cache_info().currsize for f in (skeleton, split_host, _style_row)) > 0
    bench.clear_memos(Pipe())  # type: ignore[arg-type]
    assert [f.cache_info().currsize for f in (skeleton, split_host, _style_row)] == [0, 0, 0]
    assert forgotten == [True]


def test_batch_timing_counts_the_posts_a_detector_read_a_second_time() -> None:
    from bot.bench import make_posts, time_pipeline
    from bot.pipeline import Pipeline
    from tests.models.test_spelling import _Encoder, _Reader

    pipeline = Pipeline(_Encoder(), [_Reader()])
    result = time_pipeline(pipeline, make_posts(["hello", "you iidot", "fine", "an iidot again"] * 3), batch=5)
    assert result["second_readings"] == {"reader": 6}
