"""Name the folders of the detection core: trained weights, bundled test data and the feature cache."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODELS_DIR.parent
WEIGHTS_DIR = MODELS_DIR / "weights"  # small trained heads and their JSON, shipped with the package
DATA_DIR = MODELS_DIR / "data"  # bundled held-out test sets and training material written for this project
CACHE_DIR = MODELS_DIR / "cache"  # features computed by the training and evaluation scripts (gitignored)
