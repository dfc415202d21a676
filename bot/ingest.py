"""Read posts, reactions and member joins from JSON Lines or DiscordChatExporter JSON exports."""

from __future__ import annotations

import heapq
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.clock import parse_iso
from bot.domain import MAX_CONTENT_CHARS, Event, MemberJoin, Post, Reaction, valid_text

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
    out_of_order: int = 0  # events more than the reorder window out of time order (scored where they stood)

    @property
    def skipped(self) -> int:
        """Return how many records were skipped."""
        return len(self.problems)


def parse_time(value: Any, name: str) -> datetime:
    """Parse an ISO 8601 time (a trailing Z allowed); naive times are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise RecordError(f"{name} must be an ISO 8601 string")
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise RecordError(f"{name} is not an ISO 8601 time: {value!r}") from exc


def _opt_time(obj: dict[str, Any], name: str) -> datetime | None:
    return parse_time(obj[name], name) if obj.get(name) is not None else None


def _req_id(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise RecordError(f"missing or invalid {name!r}")
    return valid_text(str(value).strip())


def _opt_id(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"{name!r} must be an id (a string or a number), not {_type(value)}")
    return valid_text(str(value))


def _opt_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is None or isinstance(value, str):
        return valid_text(value) if value else value
    raise RecordError(f"{name!r} must be a string, not {_type(value)}")


def _opt_bool(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name, False)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise RecordError(f"{name!r} must be true or false, not {_type(value)}")


def _type(value: Any) -> str:
    """Name a JSON value's type the way the input contract does."""
    return ("null" if value is None else "a boolean" if isinstance(value, bool) else
            "a number" if isinstance(value, int | float) else "a list" if isinstance(value, list) else
            "an object" if isinstance(value, dict) else "a string")


def _content(value: Any) -> tuple[str, bool]:
    if not isinstance(value, str):
        raise RecordError(f"'content' must be a string, not {_type(value)}")
    return valid_text(value[:MAX_STORED_CHARS]), len(value) > MAX_CONTENT_CHARS


def record_to_event(obj: Any) -> Event:
    """Turn one input-contract object into a Post, Reaction or MemberJoin (every field is checked)."""
    if not isinstance(obj, dict):
        raise RecordError("a record must be a JSON object")
    kind = obj.get("type", "message")
    guild = _opt_id(obj, "guild_id") or "0"
    if kind == "message":
        content, truncated = _content(obj.get("content"))
        return Post(
            id=_req_id(obj, "id"), channel_id=_req_id(obj, "channel_id"), author_id=_req_id(obj, "author_id"),
            content=content, created_at=parse_time(obj.get("created_at"), "created_at"), guild_id=guild,
            author_name=_opt_str(obj, "author_name"), author_created_at=_opt_time(obj, "author_created_at"),
            author_joined_at=_opt_time(obj, "author_joined_at"), thread_id=_opt_id(obj, "thread_id"),
            parent_id=_opt_id(obj, "parent_id"), reply_to=_opt_id(obj, "reply_to"),
            edited_at=_opt_time(obj, "edited_at"), is_bot=_opt_bool(obj, "is_bot"), truncated=truncated,
        )
    if kind == "reaction":
        return Reaction(
            message_id=_req_id(obj, "message_id"), user_id=_req_id(obj, "user_id"),
            emoji=_opt_str(obj, "emoji") or "?", created_at=parse_time(obj.get("created_at"), "created_at"),
            guild_id=guild, channel_id=_opt_id(obj, "channel_id"), user_created_at=_opt_time(obj, "user_created_at"),
            user_joined_at=_opt_time(obj, "user_joined_at"),
        )
    if kind == "member_join":
        return MemberJoin(
            user_id=_req_id(obj, "user_id"), created_at=parse_time(obj.get("created_at"), "created_at"),
            guild_id=guild, account_created_at=_opt_time(obj, "account_created_at"),
            user_name=_opt_str(obj, "user_name"),
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
                _problem(report, path, number,
                         f"invalid JSON: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc))
                continue
            report.records += 1
            yield event


def _dce_events(doc: dict[str, Any], path: Path, report: IngestReport) -> Iterator[Event]:
    """Translate a DiscordChatExporter JSON export (one channel or thread) into events."""
    guild_doc, channel = doc.get("guild"), doc.get("channel")
    guild_doc, channel = guild_doc if isinstance(guild_doc, dict) else {}, channel if isinstance(channel, dict) else {}
    guild = str(guild_doc.get("id") or "0")
    is_thread = "Thread" in str(channel.get("type", ""))
    channel_id = str(channel.get("id") or "0")
    messages = doc.get("messages")
    for index, msg in enumerate(messages if isinstance(messages, list) else [], start=1):
        try:
            post = _dce_post(msg, guild, channel, channel_id, is_thread)
        except RecordError as exc:
            _problem(report, path, index, f"message #{index}: {exc}")
            continue
        report.records += 1
        yield post
        for n, reaction in enumerate(msg.get("reactions") or [], start=1):
            try:
                yield from _dce_reactions(reaction, post, channel_id)
            except RecordError as exc:  # the message is kept; only this reaction is left out, and counted
                _problem(report, path, index, f"message #{index}: reaction {n} left out: {exc}")


def _dce_post(msg: Any, guild: str, channel: dict[str, Any], channel_id: str, is_thread: bool) -> Post:
    if not isinstance(msg, dict):
        raise RecordError("a message must be a JSON object")
    author = msg.get("author")
    if not isinstance(author, dict):
        raise RecordError("missing or invalid 'author'")
    content, truncated = _content(msg.get("content", ""))
    return Post(
        id=_req_id(msg, "id"), channel_id=channel_id, author_id=_req_id(author, "id"), content=content,
        created_at=parse_time(msg.get("timestamp"), "timestamp"), guild_id=guild,
        author_name=_opt_str(author, "nickname") or _opt_str(author, "name"),
        thread_id=channel_id if is_thread else None,
        parent_id=_opt_id(channel, "categoryId") if is_thread else None,
        reply_to=_opt_id(msg["reference"], "messageId") if isinstance(msg.get("reference"), dict) else None,
        edited_at=_opt_time(msg, "timestampEdited"), is_bot=_opt_bool(author, "isBot"), truncated=truncated,
    )


def _dce_reactions(reaction: Any, post: Post, channel_id: str) -> Iterator[Reaction]:
    if not isinstance(reaction, dict):
        raise RecordError("a reaction must be a JSON object")
    emoji = reaction.get("emoji")
    name = emoji.get("name") if isinstance(emoji, dict) else emoji
    users = reaction.get("users") or []
    if not isinstance(users, list):
        raise RecordError("'users' must be a list")
    for user in users:
        if isinstance(user, dict) and user.get("id") not in (None, ""):
            yield Reaction(message_id=post.id, user_id=_req_id(user, "id"),
                           emoji=valid_text(name) if isinstance(name, str) and name else "?",
                           created_at=post.created_at, guild_id=post.guild_id, channel_id=channel_id)


def _problem(report: IngestReport, path: Path, line: int, reason: str) -> None:
    problem = IngestProblem(str(path), line, reason)
    report.problems.append(problem)
    log.warning("skipped %s", problem)


def detect_format(path: Path) -> str:
    """Return 'dce' for a DiscordChatExporter JSON export, else 'jsonl'."""
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = fh.read(4096)
    first_line = head.lstrip().split("\n", 1)[0].strip()
    if not first_line.startswith("{"):
        return "jsonl"
    try:
        first = json.loads(first_line)
        is_export = isinstance(first, dict) and "messages" in first and ("guild" in first or "channel" in first)
        return "dce" if is_export else "jsonl"  # a whole object on the first line: JSON Lines, or a minified export
    except json.JSONDecodeError:
        return "dce" if '"guild"' in head or '"channel"' in head or '"messages"' in head else "jsonl"


def read_events(paths: list[Path], report: IngestReport) -> Iterator[Event]:
    """Yield every event of every input file, in file order; problems are recorded in report."""
    for path in paths:
        yield from _read_file(path, report)


def _read_file(path: Path, report: IngestReport) -> Iterator[Event]:
    fmt = detect_format(path)
    report.formats[str(path)] = fmt
    if fmt == "jsonl":
        yield from _read_jsonl(path, report)
        return
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        report.problems.append(IngestProblem(str(path), exc.lineno, f"invalid JSON export: {exc.msg}"))
        return
    if not isinstance(doc, dict) or "messages" not in doc:
        report.problems.append(IngestProblem(str(path), 1, "not a DiscordChatExporter export (no 'messages')"))
        return
    yield from _dce_events(doc, path, report)


Position = tuple[int, int]  # (input file index, event index in that file): where an event stood in the input
REORDER_WINDOW = 4096  # events held per file to put a file that is only roughly in time order right


def read_in_time_order(paths: list[Path], report: IngestReport,
                       window: int = REORDER_WINDOW) -> Iterator[tuple[Position, Event]]:
    """Yield the events of all inputs merged by `created_at` (ties keep input order), with their input position.

    A streaming merge: each file is read lazily through a reorder buffer of `window` events (exports and
    logs are nearly sorted, and a thread's export follows its parent's), so memory stays bounded however
    large the inputs; an event later than that window is yielded where it is, and counted in
    `report.out_of_order`.
    """
    streams = [_with_window(_positioned(i, _read_file(path, report)), window, report)
               for i, path in enumerate(paths)]
    yield from heapq.merge(*streams, key=_order_key)


def _positioned(file_index: int, events: Iterable[Event]) -> Iterator[tuple[Position, Event]]:
    for n, event in enumerate(events):
        yield (file_index, n), event


def _order_key(item: tuple[Position, Event]) -> tuple[datetime, Position]:
    return item[1].created_at, item[0]


def _with_window(items: Iterable[tuple[Position, Event]], window: int,
                 report: IngestReport) -> Iterator[tuple[Position, Event]]:
    """Sort a nearly sorted stream with a heap of at most `window` events (counting what it cannot fix)."""
    heap: list[tuple[datetime, Position, Event]] = []
    last: datetime | None = None

    def pop() -> tuple[Position, Event]:
        nonlocal last
        when, pos, event = heapq.heappop(heap)
        if last is not None and when < last:
            report.out_of_order += 1
        last = when if last is None else max(last, when)
        return pos, event

    for pos, event in items:
        heapq.heappush(heap, (event.created_at, pos, event))
        if len(heap) > window:
            yield pop()
    while heap:
        yield pop()


T = TypeVar("T")


async def merge_in_order(sources: Sequence[AsyncIterator[T]], key: Callable[[T], Any]) -> AsyncIterator[T]:
    """Merge sorted async streams (e.g. a channel's history and each thread's) into one, by `key`.

    Streaming: one item per source is held, so memory grows with the number of sources, not their length.
    """
    heads: list[tuple[Any, int, T]] = []
    for index, source in enumerate(sources):
        async for item in source:
            heapq.heappush(heads, (key(item), index, item))
            break
    while heads:
        _, index, item = heapq.heappop(heads)
        yield item
        async for following in sources[index]:
            heapq.heappush(heads, (key(following), index, following))
            break
