"""Read posts, reactions and member joins from JSON Lines or DiscordChatExporter JSON exports."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.domain import MAX_CONTENT_CHARS, Event, MemberJoin, Post, Reaction

log = logging.getLogger(__name__)

MAX_STORED_CHARS = 65_536  # beyond this even storage keeps only the head; scoring uses the first 4,000


class RecordError(ValueError):
    """A record that does not follow the input contract."""


@dataclass(frozen=True, slots=True)
class IngestProblem:
    """A skipped record: where it was and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        """Return `file:line: reason`, the form editors jump to."""
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(slots=True)
class IngestReport:
    """Counts for the scan summary."""

    records: int = 0
    problems: list[IngestProblem] = field(default_factory=list)
    formats: dict[str, str] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        """Return how many records were skipped."""
        return len(self.problems)


def parse_time(value: Any, name: str) -> datetime:
    """Parse an ISO 8601 time (a trailing Z allowed); naive times are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise RecordError(f"{name} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RecordError(f"{name} is not an ISO 8601 time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _opt_time(obj: dict[str, Any], name: str) -> datetime | None:
    return parse_time(obj[name], name) if obj.get(name) else None


def _req_id(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if value is None or value == "" or isinstance(value, bool | dict | list):
        raise RecordError(f"missing or invalid {name!r}")
    return str(value)


def _opt_id(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return None if value in (None, "") else str(value)


def _content(value: Any) -> tuple[str, bool]:
    if not isinstance(value, str):
        raise RecordError("'content' must be a string")
    return value[:MAX_STORED_CHARS], len(value) > MAX_CONTENT_CHARS


def record_to_event(obj: Any) -> Event:
    """Turn one input-contract object into a Post, Reaction or MemberJoin."""
    if not isinstance(obj, dict):
        raise RecordError("a record must be a JSON object")
    kind = obj.get("type", "message")
    guild = str(obj.get("guild_id") or "0")
    if kind == "message":
        content, truncated = _content(obj.get("content"))
        return Post(
            id=_req_id(obj, "id"), channel_id=_req_id(obj, "channel_id"), author_id=_req_id(obj, "author_id"),
            content=content, created_at=parse_time(obj.get("created_at"), "created_at"), guild_id=guild,
            author_name=obj.get("author_name"), author_created_at=_opt_time(obj, "author_created_at"),
            author_joined_at=_opt_time(obj, "author_joined_at"), thread_id=_opt_id(obj, "thread_id"),
            parent_id=_opt_id(obj, "parent_id"), reply_to=_opt_id(obj, "reply_to"),
            edited_at=_opt_time(obj, "edited_at"), is_bot=bool(obj.get("is_bot", False)), truncated=truncated,
        )
    if kind == "reaction":
        return Reaction(
            message_id=_req_id(obj, "message_id"), user_id=_req_id(obj, "user_id"), emoji=str(obj.get("emoji", "?")),
            created_at=parse_time(obj.get("created_at"), "created_at"), guild_id=guild,
            channel_id=_opt_id(obj, "channel_id"), user_created_at=_opt_time(obj, "user_created_at"),
            user_joined_at=_opt_time(obj, "user_joined_at"),
        )
    if kind == "member_join":
        return MemberJoin(
            user_id=_req_id(obj, "user_id"), created_at=parse_time(obj.get("created_at"), "created_at"),
            guild_id=guild, account_created_at=_opt_time(obj, "account_created_at"),
            user_name=obj.get("user_name"),
        )
    raise RecordError(f"unknown record type {kind!r}")


def _read_jsonl(path: Path, report: IngestReport) -> Iterator[Event]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                event = record_to_event(json.loads(line))
            except (json.JSONDecodeError, RecordError) as exc:
                reason = f"invalid JSON: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
                problem = IngestProblem(str(path), number, reason)
                report.problems.append(problem)
                log.warning("skipped %s", problem)
                continue
            report.records += 1
            yield event


def _dce_events(doc: dict[str, Any], path: Path, report: IngestReport) -> Iterator[Event]:
    """Translate a DiscordChatExporter JSON export (one channel or thread) into events."""
    guild = str(doc.get("guild", {}).get("id") or "0")
    channel = doc.get("channel", {})
    is_thread = "Thread" in str(channel.get("type", ""))
    channel_id = str(channel.get("id") or "0")
    for index, msg in enumerate(doc.get("messages", []), start=1):
        try:
            author = msg.get("author") or {}
            created = parse_time(msg.get("timestamp"), "timestamp")
            content, truncated = _content(msg.get("content", ""))
            post = Post(
                id=_req_id(msg, "id"), channel_id=channel_id, author_id=_req_id(author, "id"), content=content,
                created_at=created, guild_id=guild, author_name=author.get("nickname") or author.get("name"),
                thread_id=channel_id if is_thread else None,
                parent_id=_opt_id(channel, "categoryId") if is_thread else None,
                reply_to=_opt_id(msg.get("reference") or {}, "messageId"),
                edited_at=_opt_time(msg, "timestampEdited"), is_bot=bool(author.get("isBot", False)),
                truncated=truncated,
            )
        except (RecordError, AttributeError) as exc:
            problem = IngestProblem(str(path), index, f"message #{index}: {exc}")
            report.problems.append(problem)
            log.warning("skipped %s", problem)
            continue
        report.records += 1
        yield post
        for reaction in msg.get("reactions") or []:
            emoji = (reaction.get("emoji") or {}).get("name", "?")
            for user in reaction.get("users") or []:
                if user.get("id"):
                    yield Reaction(message_id=post.id, user_id=str(user["id"]), emoji=emoji, created_at=created,
                                   guild_id=guild, channel_id=channel_id)


def detect_format(path: Path) -> str:
    """Return 'dce' for a DiscordChatExporter JSON export, else 'jsonl'."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    first_line = head.lstrip().split("\n", 1)[0].strip()
    if not first_line.startswith("{"):
        return "jsonl"
    try:
        json.loads(first_line)
        return "jsonl"  # a whole object on the first line: JSON Lines
    except json.JSONDecodeError:
        return "dce" if '"guild"' in head or '"channel"' in head or '"messages"' in head else "jsonl"


def read_events(paths: list[Path], report: IngestReport) -> Iterator[Event]:
    """Yield every event of every input file, in file order; problems are recorded in report."""
    for path in paths:
        fmt = detect_format(path)
        report.formats[str(path)] = fmt
        if fmt == "jsonl":
            yield from _read_jsonl(path, report)
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except json.JSONDecodeError as exc:
            report.problems.append(IngestProblem(str(path), exc.lineno, f"invalid JSON export: {exc.msg}"))
            continue
        if not isinstance(doc, dict) or "messages" not in doc:
            report.problems.append(IngestProblem(str(path), 1, "not a DiscordChatExporter export (no 'messages')"))
            continue
        yield from _dce_events(doc, path, report)
