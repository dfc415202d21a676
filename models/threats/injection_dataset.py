"""Read the real prompt-injection data (../shared/data/threats/prompt_injection) and cache its embeddings."""

from __future__ import annotations

import csv
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.normalize import normalize
from models.paths import MODELS_DIR
from models.training import feature_cache

log = logging.getLogger(__name__)

ROOT = MODELS_DIR
CSV_PATH = Path("threats") / "prompt_injection" / "prompt_injection.csv"
CACHE_DIR = ROOT / "cache" / "prompt_injection"
# Real sources of injections; each is held out in turn by `govmod eval prompt_injection`.
ATTACK_SOURCES = ("jailbreak_llms", "tensor_trust_hijacking", "tensor_trust_extraction", "injecagent",
                  "agentdojo", "bipia_table_code", "pint_via_injecguard")

# Sources cut from one benchmark (an injected document and its clean twin, one game's attacks) leave together.
FAMILY = {"bipia_clean": "bipia", "bipia_table_code": "bipia", "agentdojo_clean": "agentdojo",
          "injecagent_user": "injecagent", "tensor_trust_hijacking": "tensor_trust",
          "tensor_trust_extraction": "tensor_trust"}


def family(source: str) -> str:
    """Return the benchmark family a source belongs to (its own name for a stand-alone source)."""
    return FAMILY.get(source, source)


@dataclass(frozen=True, slots=True)
class InjectionRow:
    """One labelled text of the shared prompt-injection file."""

    text: str
    label: int
    kind: str
    source: str
    split: str
    group: str


def shared_csv(shared: Path | None = None) -> Path:
    """Return the path of the shared CSV, with a clear error when the data folder is missing."""
    from models.training.datasets import data_root

    path = (shared or data_root()) / CSV_PATH
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; set GOVMOD_DATA_DIR to the shared data folder")
    return path


def read_rows(path: Path | None = None) -> list[InjectionRow]:
    """Read every row of the shared prompt-injection CSV."""
    csv.field_size_limit(sys.maxsize)
    with (path or shared_csv()).open(encoding="utf-8", newline="") as fh:
        return [InjectionRow(r["text"], int(r["label"]), r["kind"], r["source"], r["split"], r["group"])
                for r in csv.DictReader(fh)]


def cached_rows(texts: Sequence[str], tag: str, compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Return compute(texts) row by row, reusing rows stored in models/cache/prompt_injection/<tag>.npz."""
    return feature_cache.cached_rows(texts, CACHE_DIR / f"{tag}.npz", compute)


def _encode(texts: list[str]) -> np.ndarray:
    from models.encoder import Encoder, configure_torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configure_torch(2)
    return Encoder(batch_size=32, cache_size=0, precision="float32").encode(texts)  # cached features


def embed(texts: Sequence[str]) -> np.ndarray:
    """Return the shared MiniLM embeddings of the normalised texts (as the pipeline computes them), cached."""
    return cached_rows([normalize(t) for t in texts], "minilm", _encode)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    rows = read_rows()
    print(embed([r.text for r in rows]).shape)
