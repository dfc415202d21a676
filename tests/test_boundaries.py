"""Module boundaries: the detection core imports without discord, a token or a database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ["bot.domain", "bot.pipeline", "bot.storage", "bot.service", "bot.ingest", "bot.scan", "bot.reporting",
        "bot.live", "bot.loader", "bot.settings", "models.normalize", "models.encoder", "models.toxicity",
        "models.ai_text", "models.coordination"]


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
