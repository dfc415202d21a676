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
