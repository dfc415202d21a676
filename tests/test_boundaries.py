"""Module boundaries: the detection core imports without discord, a token or a database."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ["models.types", "models.detector", "models.registry", "bot.domain", "bot.pipeline", "bot.storage",
        "bot.service", "bot.ingest", "bot.scan", "bot.reporting",
        "bot.live", "bot.loader", "bot.settings", "models.normalize", "models.encoder", "models.toxicity.detector",
        "models.ai_text.detector", "models.coordination.detector"]


def test_core_never_imports_discord() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'discord' or m.startswith('discord.'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"core modules pulled in discord: {proc.stdout}"


def test_every_module_imports_without_side_effects() -> None:
    names = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for folder in ("bot", "cogs", "models")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "__main__.py" or folder != "bot"
    )
    code = (
        "import importlib\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name.removesuffix('.__init__'))\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert proc.returncode == 0, proc.stderr[-2000:]


def _imports(path: Path) -> set[str]:
    """Return the top-level package of every module a file imports (at any depth, lazy imports included)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("models", {"bot", "cogs", "discord"}),  # the detection core stands alone
    ("bot", {"cogs"}),  # the application never reaches up into the Discord extensions
])
def test_dependencies_run_one_way(folder: str, forbidden: set[str]) -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & forbidden) for p in _sources(folder)}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_cogs_the_client_and_the_entry_point_import_discord() -> None:
    allowed = {ROOT / "bot" / "client.py", ROOT / "bot" / "__main__.py"}
    offenders = [str(p.relative_to(ROOT)) for p in _sources("bot") if p not in allowed and "discord" in _imports(p)]
    assert offenders == []


# Training, evaluation, tuning and simulation code, and the material they read, is recognisable by its name.
RESEARCH = re.compile(r"\.(train|eval|tune|simulate)[a-z_]*$|_data$|_dataset$|^models\.training(\.|$)")


@pytest.fixture(scope="module")
def runtime_modules() -> set[str]:
    """Return the models.* modules the bot's runtime path loads: entry point, every cog, the loaded pipeline."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.__main__, bot.scan, bot.demo, bot.reporting, cogs\n"
        "from bot.loader import load_pipeline\n"
        "from bot.settings import Settings\n"
        "load_pipeline(Settings())  # every registry detector with its shipped weights, lazy imports included\n"
        "for info in pkgutil.iter_modules(cogs.__path__):\n"
        "    importlib.import_module('cogs.' + info.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m == 'models' or m.startswith('models.'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


def test_the_runtime_path_never_loads_training_or_evaluation_code(runtime_modules: set[str]) -> None:
    assert {"models.toxicity.branch", "models.threats.scam_link"} <= runtime_modules  # the probe loaded detectors
    assert sorted(m for m in runtime_modules if RESEARCH.search(m)) == []


def test_every_detection_module_is_on_the_runtime_path_or_named_as_research(runtime_modules: set[str]) -> None:
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
               for p in _sources("models")}
    unplaced = sorted(m for m in modules - runtime_modules
                      if not RESEARCH.search(m) and not m.startswith("models.weights"))
    assert unplaced == [], "name training/evaluation modules train_*/eval_*/*_data, or put them in models/training"
