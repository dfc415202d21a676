"""Build the models once at start-up: the shared encoder and every enabled detector."""

from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path
from typing import Any

from bot.pipeline import Detector, Pipeline
from bot.settings import Settings
from models.registry import REGISTRY

log = logging.getLogger(__name__)

# detector name -> (module, class), from the registry; each class has `load(weights_dir, **opts)`
DETECTORS: dict[str, tuple[str, str]] = {spec.name: (spec.module, spec.cls) for spec in REGISTRY}


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says what to do."""


def default_weights_dir() -> Path:
    """Return the folder of the small trained heads shipped with govmod."""
    return Path(__file__).resolve().parent.parent / "models" / "weights"


def load_detector(name: str, weights_dir: Path | None = None, **opts: Any) -> Detector:
    """Import and load one detector by name (`opts` go to its `load`, e.g. `use_lm` for ai_generated)."""
    if name not in DETECTORS:
        raise ModelLoadError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}")
    module_name, class_name = DETECTORS[name]
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
        return cls.load(weights_dir or default_weights_dir(), **opts)
    except FileNotFoundError as exc:
        raise ModelLoadError(f"weights for {name} are missing ({exc}); retrain with `govmod train {name}`") from exc


def detector_options(name: str, settings: Settings) -> dict[str, Any]:
    """Return the settings that reach one detector's `load` (only the AI-text detector has any today)."""
    return {"use_lm": settings.models.long_form_lm} if name == "ai_generated" else {}


def load_pipeline(settings: Settings, detectors: list[str] | None = None) -> Pipeline:
    """Load the encoder and the enabled detectors (several seconds; call once)."""
    from models.encoder import Encoder, configure_torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    configure_torch(settings.models.torch_threads)
    names = detectors if detectors is not None else settings.models.detectors
    loaded = [load_detector(n, settings.models.weights_dir, **detector_options(n, settings)) for n in names]
    encoder = None
    if any(d.needs_embedding or getattr(d, "uses_encoder", False) for d in loaded):  # uses_encoder: embeds extras
        encoder = Encoder(batch_size=settings.models.batch_size, precision=settings.models.precision)
    log.info("pipeline ready: %s", ", ".join(d.name for d in loaded))
    return Pipeline(encoder, loaded)
