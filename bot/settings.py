"""Process-wide settings from the environment / .env (prefix GOVMOD_, nested with __)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.registry import NAMES


class DiscordSettings(BaseModel):
    """Connection to Discord."""

    token: SecretStr | None = None
    dev_guild_id: int | None = None  # sync slash commands to this guild only (instant); else global


class DatabaseSettings(BaseModel):
    """Where cases live."""

    path: Path = Path("govmod.db")
    retention_days: int = 30  # message text kept this long; its hash is kept forever


class ModelSettings(BaseModel):
    """Which detectors run and how inference uses the CPU."""

    weights_dir: Path | None = None  # default: models/weights inside the package
    detectors: list[str] = Field(default_factory=lambda: list(NAMES))  # every detector of the registry
    torch_threads: int = 2  # intra-op threads; the machines this targets have two cores
    batch_size: int = 32
    # matrix products of the encoder: bfloat16 where the CPU has bfloat16 matrix units (AMX, AVX512-BF16), else
    # float32; or pin "float32" / "bfloat16" (README, Speed)
    precision: Literal["auto", "float32", "bfloat16"] = "auto"
    # the SmolLM2 stage of the AI-text long-form path: long posts near the flag line are read by a small causal
    # LM (about 250 MB more memory once loaded, 0.2-0.4 s per post it reads); false turns it off (model card)
    long_form_lm: bool = True


class PipelineSettings(BaseModel):
    """Live micro-batching between the gateway and the models."""

    queue_max: int = 2000  # bounded: beyond this the watcher waits (back-pressure), never grows
    batch_max: int = 32
    batch_wait_ms: int = 50  # how long the first post of a batch may wait for company


ThresholdSettings = create_model(  # one optional float per registry detector, e.g. GOVMOD_THRESHOLDS__TOXICITY
    "ThresholdSettings",
    __doc__="Server-wide threshold overrides; unset means the detector's calibrated default.",
    **{name: (float | None, None) for name in NAMES},
)


class ReportSettings(BaseModel):
    """Weekly manipulation report."""

    weekday: int = 0  # 0 = Monday (UTC)
    hour: int = 9  # UTC hour
    out_dir: Path = Path("reports")
    show_names: bool = False  # account names in reports only when moderators opt in


class LinkFeedSettings(BaseModel):
    """Deny / allow lists fetched on a schedule (off unless URLs are set; only fetched, nothing is sent)."""

    urls: list[str] = Field(default_factory=list)  # polkadot-js all.json, MetaMask config.json or plain lists
    allow_urls: list[str] = Field(default_factory=list)  # plain lists of trusted domains
    refresh_hours: float = 24.0  # how often the bot refetches them while it runs
    timeout_seconds: float = 20.0


class Settings(BaseSettings):
    """All of govmod's settings; every variable is listed in .env.example."""

    model_config = SettingsConfigDict(
        env_prefix="GOVMOD_", env_nested_delimiter="__", env_file=".env", extra="ignore",
        env_ignore_empty=True,
    )

    log_level: str = "INFO"
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    link_feeds: LinkFeedSettings = Field(default_factory=LinkFeedSettings)

    def threshold_overrides(self) -> dict[str, float]:
        """Return the thresholds set server-wide, by detector name."""
        return {k: v for k, v in self.thresholds.model_dump().items() if v is not None}
