"""The demo's comparison with the sample's ground truth counts every flag outside the planted sets as false."""

from __future__ import annotations

from types import SimpleNamespace

from bot.demo import truth_check


def _case(detector: str, *ids: str) -> SimpleNamespace:
    return SimpleNamespace(detector=detector, post_ids=list(ids))


def test_flags_outside_the_planted_sets_are_reported_as_false_cases() -> None:
    truth = {"abusive": ["a1", "a2"], "sockpuppet_campaign": {"message_ids": ["s1", "s2"]}, "traps": {"gm": ["t1"]}}
    cases = [_case("toxicity", "a1"), _case("toxicity", "x9"), _case("coordination", "s1", "s2"),
             _case("prompt_injection", "p1"), _case("toxicity", "s2")]  # s2 is planted, but not as abuse
    lines = truth_check(cases, truth)  # type: ignore[arg-type]
    assert any(line.startswith("abusive") and line.endswith(" 1") for line in lines)
    assert any(line.startswith("organic noise") and line.endswith(" 0") for line in lines)
    other = next(line for line in lines if line.startswith("any other post"))
    assert "flagged   3" in other and "prompt_injection 1" in other and "toxicity 2" in other


def test_no_false_case_says_so_plainly() -> None:
    lines = truth_check([_case("toxicity", "a1")], {"abusive": ["a1"]})  # type: ignore[arg-type]
    assert lines[-1].split() == ["any", "other", "post", "flagged", "0"]
