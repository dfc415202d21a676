"""Scan service end to end with fake detectors: output contract, cases, revisions, crash safety."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import CaseStatus
from bot.pipeline import Pipeline
from bot.scan import scan
from bot.storage import CaseRepo, Database, StateRepo
from tests.fakes import CountingAuthorDetector, KeywordDetector, PhraseCampaignDetector

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def message(i: int, author: str, content: str, **extra: object) -> dict:
    return {"id": str(1000 + i), "channel_id": "10", "guild_id": "1", "author_id": author, "content": content,
            "created_at": (T0 + timedelta(seconds=i)).isoformat(), **extra}


def write_input(path: Path, n: int) -> Path:
    lines = []
    for i in range(n):
        if i % 50 == 7:
            text = "you are an 1d1ot"
        elif i % 200 in (11, 12, 13, 14):
            text = f"VOTE YES on AIP-41 friends #{i}"
        else:
            text = f"ordinary governance chat number {i}"
        lines.append(json.dumps(message(i, f"u{i % 37}", text)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_scan_writes_the_output_contract_in_input_order(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([
        json.dumps(message(0, "a", "hello all")),
        "garbage line",
        json.dumps(message(1, "b", "VOTE YES now")),
        json.dumps(message(2, "c", "you idiot")),
        json.dumps({"type": "reaction", "message_id": "1001", "user_id": "z", "emoji": "👍",
                    "created_at": T0.isoformat(), "guild_id": "1"}),
        json.dumps(message(3, "d", "vote yes please")),
        json.dumps(message(4, "bot", "I am a bot", is_bot=True)),
        json.dumps(message(5, "e", "Vote yes!")),
    ]) + "\n")
    db = await Database.open(tmp_path / "g.db")
    campaign = PhraseCampaignDetector()
    out = tmp_path / "out.jsonl"
    summary = await scan([src], db, Pipeline(None, [KeywordDetector(), campaign]), out=out, batch_size=2)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["1000", "1001", "1002", "1003", "1004", "1005"]
    assert set(rows[0]["scores"]) == {"toxicity", "coordination"}
    assert rows[2]["flags"] == ["toxicity"]
    # the first campaign post was scored before the campaign existed; the output carries its final verdict
    assert rows[1]["cluster"] == rows[3]["cluster"] == rows[5]["cluster"] is not None
    assert "coordination" in rows[1]["flags"]
    assert rows[4]["scores"] == {} and rows[4]["evidence"]["skipped"] == "bot account"
    assert summary.ingest.skipped == 1 and summary.posts == 5 and summary.bots_skipped == 1
    assert summary.flags["coordination"] == 3 and summary.cases_opened["coordination"] == 1
    assert len(campaign.events) == 1  # the reaction reached the stateful detector
    cases = await CaseRepo(db).list(guild_id="1", statuses=list(CaseStatus))
    by_detector = {c.detector: c for c in cases}
    assert len(cases) == 2
    assert set(by_detector["coordination"].post_ids) == {"1001", "1003", "1005"}
    await db.close()


async def test_rescanning_creates_no_duplicate_cases(tmp_path: Path) -> None:
    src = write_input(tmp_path / "in.jsonl", 400)
    db = await Database.open(tmp_path / "g.db")
    await scan([src], db, Pipeline(None, [KeywordDetector(), PhraseCampaignDetector()]))
    first = await CaseRepo(db).count()
    await scan([src], db, Pipeline(None, [KeywordDetector(), PhraseCampaignDetector()]))
    assert await CaseRepo(db).count() == first > 0
    await db.close()


async def test_author_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    for i in range(2):
        src = tmp_path / f"in{i}.jsonl"
        src.write_text(json.dumps(message(i, "same-author", f"post {i}")) + "\n")
        db = await Database.open(path)
        await scan([src], db, Pipeline(None, [CountingAuthorDetector()]))  # a new detector = a restart
        await db.close()
    db = await Database.open(path)
    assert await StateRepo(db).load("ai_generated", ["1:same-author"]) == {"1:same-author": {"n": 2}}
    await db.close()


async def _case_rows(path: Path) -> list[tuple]:
    db = await Database.open(path)
    async with db.conn.execute(
        "SELECT c.detector, c.group_key, cp.post_id FROM cases c JOIN case_posts cp ON cp.case_id = c.id "
        "ORDER BY 1, 2, 3") as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    await db.close()
    return rows


async def test_database_survives_a_crash_mid_scan(tmp_path: Path) -> None:
    """Kill -9 a scan half-way, rerun it: the same cases as a clean run, no duplicates, none lost."""
    src = write_input(tmp_path / "in.jsonl", 600)
    worker = Path(__file__).with_name("_scan_worker.py")
    crashed = tmp_path / "crashed.db"
    proc = subprocess.Popen([sys.executable, str(worker), str(crashed), str(src), "0.05"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some batches are committed, then kill
        time.sleep(0.2)
        if crashed.exists() and len(await _case_rows(crashed)) >= 3:
            break
    proc.kill()
    proc.wait()
    partial = await _case_rows(crashed)
    assert 0 < len(partial), "the killed scan should have committed some cases"
    subprocess.run([sys.executable, str(worker), str(crashed), str(src), "0"], check=True)
    clean = tmp_path / "clean.db"
    subprocess.run([sys.executable, str(worker), str(clean), str(src), "0"], check=True)
    after = await _case_rows(crashed)
    assert after == await _case_rows(clean)
    assert len(after) == len(set(after))
    assert set(partial) <= set(after)
    assert len(partial) < len(after), "the scan should have been killed before it finished"


def test_revising_one_detector_keeps_the_others_decisions() -> None:
    from bot.domain import DetectorOutput, Post, Verdict
    from bot.pipeline import Policy

    pipeline = Pipeline(None, [KeywordDetector(), PhraseCampaignDetector()])
    post = Post(id="1", channel_id="c", author_id="a", content="x", created_at=T0, guild_id="1")
    old = Verdict(post_id="1", guild_id="1", scores={"toxicity": 0.95, "coordination": 0.1}, flags=(),
                  evidence={}, model_versions={})
    revised = pipeline.revise(post, old, {"coordination": DetectorOutput(0.9, {}, "camp-1")}, Policy())
    # toxicity was not flagged before (e.g. the detector said the post was too short to judge): it stays unflagged
    assert revised.flags == ("coordination",) and revised.cluster == "camp-1"
    flagged_before = Verdict(post_id="1", guild_id="1", scores=old.scores, flags=("toxicity",), evidence={},
                             model_versions={})
    kept = pipeline.revise(post, flagged_before, {"coordination": DetectorOutput(0.9, {}, "camp-1")}, Policy())
    assert kept.flags == ("toxicity", "coordination")


class OrderRecorder:
    """Remember the order in which posts and events reach the detectors, and the batch sizes."""

    name = "recorder"
    version = "rec-1"
    needs_embedding = False
    default_threshold = 0.99

    def __init__(self) -> None:
        """Start empty."""
        self.seen: list[str] = []
        self.batches: list[int] = []

    def score(self, posts: list, ctx: object) -> list:
        """Record the posts of a batch."""
        from bot.domain import DetectorOutput

        self.batches.append(len(posts))
        self.seen += [p.id for p in posts]
        return [DetectorOutput(0.0) for _ in posts]

    def observe(self, event: object) -> None:
        """Record an event."""
        self.seen.append(f"r:{event.message_id}")  # type: ignore[attr-defined]

    def revisions(self) -> dict:
        """Nothing is ever revised."""
        return {}


async def test_inputs_are_merged_in_time_order_and_reactions_do_not_cut_batches(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"  # two channels' logs whose times interleave
    a.write_text("\n".join(json.dumps(message(i, "u1", f"a{i}")) for i in range(0, 40, 2)) + "\n")
    lines = [json.dumps(message(i, "u2", f"b{i}")) for i in range(1, 40, 2)]
    lines.insert(3, json.dumps({"type": "reaction", "message_id": "1004", "user_id": "z", "emoji": "x",
                                "created_at": (T0 + timedelta(seconds=5.5)).isoformat(), "guild_id": "1"}))
    b.write_text("\n".join(lines) + "\n")
    db = await Database.open(tmp_path / "g.db")
    recorder, sizes = OrderRecorder(), KeywordDetector()
    out = tmp_path / "out.jsonl"
    batches: list[int] = []
    score = sizes.score
    sizes.score = lambda posts, ctx: batches.append(len(posts)) or score(posts, ctx)  # type: ignore[method-assign]
    summary = await scan([a, b], db, Pipeline(None, [sizes, recorder]), out=out, batch_size=16)
    await db.close()
    assert batches == [16, 16, 8]  # the reaction did not cut a batch short
    assert [s for s in recorder.seen if not s.startswith("r:")] == [str(1000 + i) for i in range(40)]  # time order
    assert recorder.seen.index("r:1004") == recorder.seen.index("1005") + 1  # in its place: after 1005 (5.0 s)
    assert summary.posts == 40 and summary.events == 1
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [str(1000 + i) for i in range(0, 40, 2)] + [str(1000 + i) for i in range(1, 40, 2)]  # input order


async def test_a_file_out_of_time_order_is_put_right_within_the_window(tmp_path: Path) -> None:
    from bot.ingest import IngestReport, read_in_time_order

    src = tmp_path / "shuffled.jsonl"
    order = [3, 1, 2, 0, 7, 5, 6, 4, 9, 8]
    src.write_text("\n".join(json.dumps(message(i, "u", f"m{i}")) for i in order) + "\n")
    report = IngestReport()
    got = [e.id for _, e in read_in_time_order([src], report, window=4)]
    assert got == [str(1000 + i) for i in range(10)] and report.out_of_order == 0
    report = IngestReport()
    got = [e.id for _, e in read_in_time_order([src], report, window=1)]  # too small a window: counted
    assert sorted(got) == [str(1000 + i) for i in range(10)] and report.out_of_order > 0
