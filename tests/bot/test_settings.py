"""Settings: .env.example lists every setting and parses; env overrides work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _leaf_names(model: type, prefix: str = "GOVMOD_") -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        sub = field.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            names |= _leaf_names(sub, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def test_env_example_lists_every_setting_and_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(GOVMOD_[A-Z_]+)=", text, flags=re.M))
    assert listed == _leaf_names(Settings)
    (tmp_path / ".env").write_text(text)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.discord.token is None and settings.threshold_overrides() == {}
    assert settings.models.detectors == ["toxicity", "ai_generated", "coordination", "scam_link", "impersonation",
                                        "prompt_injection"]


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVMOD_DISCORD__TOKEN", "abc.def")
    monkeypatch.setenv("GOVMOD_THRESHOLDS__TOXICITY", "0.8")
    monkeypatch.setenv("GOVMOD_PIPELINE__QUEUE_MAX", "10")
    settings = Settings()
    assert settings.discord.token is not None and settings.discord.token.get_secret_value() == "abc.def"
    assert "abc.def" not in repr(settings)
    assert settings.threshold_overrides() == {"toxicity": 0.8}
    assert settings.pipeline.queue_max == 10
