"""The govmod command line: dispatch and clear errors (no models loaded)."""

from __future__ import annotations

import sys
import types

import pytest

from bot import cli


def test_model_script_options_are_passed_through(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType("fake_eval")
    fake.main = lambda argv: seen.append(argv) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_eval", fake)
    monkeypatch.setitem(cli.EVALUABLE, "fake", "fake_eval")
    assert cli.main(["--log-level", "ERROR", "eval", "fake", "--json", "out.json", "--seeds", "1,2"]) == 0
    assert seen == [["--json", "out.json", "--seeds", "1,2"]]


def test_unknown_model_and_missing_input_give_clear_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["eval", "nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert cli.main(["scan", "/no/such/file.jsonl"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_scan_rejects_unknown_options() -> None:
    with pytest.raises(SystemExit):
        cli.main(["scan", "--bogus", "x"])


@pytest.mark.parametrize(("argv", "progress_shown"), [
    (["train", "fake"], True), (["eval", "fake"], True), (["--log-level", "WARNING", "train", "fake"], False),
])
def test_long_commands_show_their_progress_lines(monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                 progress_shown: bool) -> None:
    import logging

    shown: list[bool] = []
    fake = types.ModuleType("fake_train")
    fake.main = lambda argv: shown.append(logging.getLogger("models.fake").isEnabledFor(logging.INFO)) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_train", fake)
    monkeypatch.setitem(cli.TRAINABLE, "fake", "fake_train")
    monkeypatch.setitem(cli.EVALUABLE, "fake", "fake_train")
    root = logging.getLogger()
    monkeypatch.setattr(root, "level", root.level)  # restored after the test
    assert cli.main(argv) == 0
    assert shown == [progress_shown]
