"""`govmod scan` end to end with the real models on the bundled sample server (slow)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("scan")
    broken = tmp / "broken.jsonl"
    good = json.dumps({"id": "1", "channel_id": "2", "author_id": "3", "content": "hi",
                       "created_at": "2026-11-16T00:00:00Z"})
    bad = json.dumps({"id": "4", "content": "x", "created_at": "2026-11-16T00:00:00Z"})
    base = {"channel_id": "2", "author_id": "3", "created_at": "2026-11-16T00:01:00Z"}
    null, number = json.dumps({**base, "id": "7", "content": None}), json.dumps({**base, "id": "8", "content": 3})
    surrogate = json.dumps({**base, "id": "6", "content": "half an emoji \ud83d here"})  # a good record
    wrong = json.dumps({**base, "id": "9", "content": "x", "thread_id": {"id": 1}})
    broken.write_text(f"{good}\n{{oops\n{bad}\n{null}\n{number}\n{surrogate}\n{wrong}\n{good[:30]}",
                      encoding="utf-8")  # the last line is cut off mid-record
    inputs = [EXAMPLES / "sample_server.jsonl", EXAMPLES / "discordchatexporter_sample.json", broken]
    out, db = tmp / "out.jsonl", tmp / "g.db"
    govmod = shutil.which("govmod") or str(Path(sys.executable).with_name("govmod"))
    proc = subprocess.run([govmod, "scan", *map(str, inputs), "--out", str(out), "--db", str(db), "--quiet"],
                          capture_output=True, text=True, timeout=1800, cwd=tmp)
    return {"proc": proc, "out": out, "db": db, "inputs": inputs}


def test_scan_succeeds_and_reports_malformed_lines(scanned: dict) -> None:
    proc = scanned["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "broken.jsonl:2: invalid JSON" in proc.stderr
    assert "broken.jsonl:3: missing or invalid 'channel_id'" in proc.stderr
    assert "broken.jsonl:4: 'content' must be a string, not null" in proc.stderr
    assert "broken.jsonl:5: 'content' must be a string, not a number" in proc.stderr
    assert "broken.jsonl:7: 'thread_id' must be an id" in proc.stderr
    assert "broken.jsonl:8: invalid JSON" in proc.stderr and "Traceback" not in proc.stderr
    assert "malformed lines skipped" in proc.stdout and "posts per second" in proc.stdout


def test_output_has_one_verdict_per_input_message_with_every_detector(scanned: dict) -> None:
    rows = [json.loads(line) for line in scanned["out"].read_text().splitlines()]
    sample = [json.loads(line) for line in (EXAMPLES / "sample_server.jsonl").read_text().splitlines()]
    messages = [m for m in sample if m.get("type", "message") == "message"]
    export = json.loads((EXAMPLES / "discordchatexporter_sample.json").read_text())
    expected_ids = [m["id"] for m in messages] + [m["id"] for m in export["messages"]] + ["1", "6"]
    assert [r["id"] for r in rows] == expected_ids
    for row, msg in zip(rows, messages, strict=False):
        if msg.get("is_bot"):
            continue
        assert set(row["scores"]) == set(Settings(_env_file=None).models.detectors)  # type: ignore[call-arg]
        assert {"toxicity", "ai_generated", "coordination"} <= set(row["scores"])
        assert all(0.0 <= v <= 1.0 for v in row["scores"].values())
        assert set(row["flags"]) <= set(row["scores"])


def test_planted_abuse_including_evasions_is_flagged(scanned: dict) -> None:
    truth = json.loads((EXAMPLES / "sample_server.truth.json").read_text())
    rows = {json.loads(line)["id"]: json.loads(line) for line in scanned["out"].read_text().splitlines()}
    abusive = truth["abusive"]["message_ids"]
    flagged = [i for i in abusive if "toxicity" in rows[i]["flags"]]
    assert len(flagged) >= len(abusive) - 1, f"flagged {len(flagged)}/{len(abusive)} planted abusive posts"


def test_sockpuppet_campaign_is_one_cluster_and_traps_stay_clean(scanned: dict) -> None:
    truth = json.loads((EXAMPLES / "sample_server.truth.json").read_text())
    rows = {json.loads(line)["id"]: json.loads(line) for line in scanned["out"].read_text().splitlines()}
    campaign = truth["sockpuppet_campaign"]["message_ids"]
    clusters = {rows[i]["cluster"] for i in campaign if "coordination" in rows[i]["flags"]}
    assert len([i for i in campaign if "coordination" in rows[i]["flags"]]) >= 0.8 * len(campaign)
    assert len(clusters) == 1
    traps = {i for ids in truth["traps"].values() for i in ids}
    wrongly = sorted(i for i in traps if "coordination" in rows[i]["flags"])
    assert not wrongly, f"organic noise flagged as coordination: {wrongly}"
