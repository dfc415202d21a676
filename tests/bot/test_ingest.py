"""Ingest: JSON Lines and DiscordChatExporter exports, malformed lines, oversized content."""

from __future__ import annotations

import json
from pathlib import Path

from bot.domain import MAX_CONTENT_CHARS, MemberJoin, Post, Reaction
from bot.ingest import IngestReport, detect_format, read_events

MSG = {"id": "1", "channel_id": "10", "author_id": "100", "content": "hello", "created_at": "2026-11-16T09:00:00Z"}


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_reads_all_three_record_types(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [
        json.dumps(MSG),
        json.dumps({"type": "reaction", "message_id": "1", "user_id": "101", "emoji": "👍",
                    "created_at": "2026-11-16T09:01:00Z"}),
        json.dumps({"type": "member_join", "user_id": "102", "created_at": "2026-11-16T08:00:00+00:00",
                    "account_created_at": "2026-11-10T00:00:00Z"}),
    ])
    report = IngestReport()
    events = list(read_events([path], report))
    assert [type(e) for e in events] == [Post, Reaction, MemberJoin]
    assert events[0].content == "hello" and events[0].created_at.tzinfo is not None
    assert report.records == 3 and report.skipped == 0 and report.formats[str(path)] == "jsonl"


def test_malformed_lines_are_reported_with_line_numbers_and_the_rest_goes_through(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "in.jsonl", [
        json.dumps(MSG),
        "{not json",
        json.dumps({**MSG, "id": "2", "created_at": "yesterday"}),
        json.dumps({**MSG, "id": "3", "content": None}),
        json.dumps({"type": "poll", "id": "4"}),
        json.dumps({**MSG, "id": "5"}),
        "[1, 2]",
    ])
    report = IngestReport()
    ids = [e.id for e in read_events([path], report)]
    assert ids == ["1", "5"]
    assert [p.line for p in report.problems] == [2, 3, 4, 5, 7]
    assert report.skipped == 5
    assert "ISO 8601" in report.problems[1].reason
    assert str(report.problems[0]).startswith(f"{path}:2:")


def test_oversized_content_is_flagged_truncated_for_scoring(tmp_path: Path) -> None:
    big = "word " * 3000
    path = _write_jsonl(tmp_path / "in.jsonl", [json.dumps({**MSG, "content": big})])
    (post,) = list(read_events([path], IngestReport()))
    assert post.truncated
    assert len(post.scoring_text) == MAX_CONTENT_CHARS
    assert post.content == big  # the original is kept


def test_discordchatexporter_export_is_detected_and_read(tmp_path: Path) -> None:
    doc = {
        "guild": {"id": "900", "name": "DAO"},
        "channel": {"id": "910", "type": "GuildTextChat", "categoryId": "905", "name": "governance"},
        "messages": [
            {"id": "1001", "type": "Default", "timestamp": "2026-11-16T10:00:00.123+00:00", "timestampEdited": None,
             "content": "gm", "author": {"id": "50", "name": "alice", "nickname": "Alice", "isBot": False},
             "reactions": [{"emoji": {"name": "👍"}, "count": 1, "users": [{"id": "51", "name": "bob"}]}]},
            {"id": "1002", "type": "Reply", "timestamp": "not a time", "content": "x", "author": {"id": "51"}},
            {"id": "1003", "type": "Reply", "timestamp": "2026-11-16T10:05:00+00:00", "content": "you idiot",
             "author": {"id": "52", "name": "troll", "isBot": False}, "reference": {"messageId": "1001"}},
        ],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    assert detect_format(path) == "dce"
    report = IngestReport()
    events = list(read_events([path], report))
    posts = [e for e in events if isinstance(e, Post)]
    assert [p.id for p in posts] == ["1001", "1003"]
    assert posts[0].guild_id == "900" and posts[0].channel_id == "910" and posts[0].author_name == "Alice"
    assert posts[1].reply_to == "1001"
    assert any(isinstance(e, Reaction) and e.user_id == "51" for e in events)
    assert report.skipped == 1 and "message #2" in report.problems[0].reason


def test_bundled_examples_parse_without_problems() -> None:
    root = Path(__file__).resolve().parents[2] / "examples"
    inputs = sorted(p for p in root.glob("*") if p.suffix in {".jsonl", ".json"} and "truth" not in p.name)
    assert inputs, "examples/ should hold the sample server"
    report = IngestReport()
    events = list(read_events(inputs, report))
    assert report.skipped == 0
    assert sum(isinstance(e, Post) for e in events) >= 100


def test_every_field_is_checked_and_text_is_made_valid_unicode(tmp_path: Path) -> None:
    """Null/number content, wrong field types and a truncated line are skipped by line; a lone surrogate is mended."""
    lines = [
        json.dumps(MSG),                                                  # 1 good
        json.dumps({**MSG, "id": "2", "content": None}),                  # 2 null content
        json.dumps({**MSG, "id": "3", "content": 42}),                    # 3 number content
        '{"id": "4", "channel_id": "10", "author_id": "100", "content": "bad \\ud800 half", '
        '"created_at": "2026-11-16T09:00:00Z", "author_name": "x\\udfffy"}',   # 4 good, lone surrogates
        json.dumps({**MSG, "id": "5", "author_id": {"id": 1}}),           # 5 author_id an object
        json.dumps({**MSG, "id": "6", "thread_id": ["t"]}),               # 6 thread_id a list
        json.dumps({**MSG, "id": "7", "is_bot": "no"}),                   # 7 is_bot a string
        json.dumps({**MSG, "id": "8", "author_name": 5}),                 # 8 author_name a number
        json.dumps({**MSG, "id": "9", "created_at": 1763283600}),         # 9 time as a number
        json.dumps({**MSG, "id": 10, "channel_id": 10}),                  # 10 good: numeric ids are ids
        json.dumps({"type": "reaction", "message_id": "1", "user_id": "7", "emoji": {"name": "x"},
                    "created_at": MSG["created_at"]}),                    # 11 emoji an object
        json.dumps(MSG)[:40],                                             # 12 truncated line
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")  # no newline after the truncated last line
    report = IngestReport()
    events = list(read_events([path], report))
    assert [e.id for e in events if isinstance(e, Post)] == ["1", "4", "10"]
    assert [p.line for p in report.problems] == [2, 3, 5, 6, 7, 8, 9, 11, 12]
    reasons = {p.line: p.reason for p in report.problems}
    assert reasons[2] == "'content' must be a string, not null" and reasons[3].endswith("not a number")
    assert "invalid JSON" in reasons[12] and "'is_bot' must be true or false" in reasons[7]
    mended = next(e for e in events if isinstance(e, Post) and e.id == "4")
    assert mended.content == "bad \ufffd half" and mended.author_name == "x\ufffdy"
    mended.content.encode("utf-8")  # what a tokenizer and SQLite need


def test_export_with_odd_shapes_keeps_good_messages_and_counts_the_rest(tmp_path: Path) -> None:
    msg = {"id": "1", "timestamp": "2026-11-16T09:00:00+00:00", "content": "hi", "author": {"id": "5", "name": "a"}}
    doc = {"guild": {"id": "9"}, "channel": {"id": "10", "type": "GuildTextChat"}, "messages": [
        {**msg, "reactions": [{"emoji": {"name": "👍"}, "users": [{"id": "6"}]}, "🔥", {"users": "everyone"}]},
        {**msg, "id": "2", "content": None},
        {**msg, "id": "3", "author": None},
        {**msg, "id": "4", "author": {"name": "no id"}},
        "not a message",
        {**msg, "id": "6", "content": "lone \udc00"},
    ]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = IngestReport()
    events = list(read_events([path], report))
    assert [(type(e).__name__, getattr(e, "id", None)) for e in events] == [
        ("Post", "1"), ("Reaction", None), ("Post", "6")]
    assert [p.reason.split(":")[0] for p in report.problems] == [
        "message #1", "message #1", "message #2", "message #3", "message #4", "message #5"]
    assert "reaction 2 left out" in report.problems[0].reason
    assert events[2].content == "lone \ufffd"
