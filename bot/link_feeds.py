"""Public deny / allow lists for the scam-link check: parse their formats, import files, refresh from URLs.

Formats (detected from the content): polkadot-js/phishing `all.json` ({"allow": [...], "deny": [...]}),
MetaMask eth-phishing-detect `config.json` ({"blacklist", "whitelist", "fuzzylist", ...}), and plain domain
lists (one host or URL per line, `#` comments, hosts-file lines such as `0.0.0.0 evil.com`). A refresh only
fetches (GET, nothing is sent about the server) and replaces a list in one transaction; a failed fetch or a
file that does not parse keeps the old list.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from bot.storage import Database, StorageError
from bot.storage.link_lists import LinkListRepo, clean_domain

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024 * 1024
_HOST = re.compile(r"^(?=.{3,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{2,59})$")
_HOSTS_FILE_IP = re.compile(r"^(?:0\.0\.0\.0|127\.0\.0\.1|::1?)\s+")


class FeedError(ValueError):
    """A list that cannot be read or parsed (the stored list is left as it was)."""


@dataclass(frozen=True, slots=True)
class ParsedList:
    """The domains of one deny / allow list file."""

    format: str  # "polkadot-js" | "metamask" | "plain"
    block: frozenset[str]
    allow: frozenset[str]
    skipped: int = 0  # entries that were not host names (wildcards, IPs, garbage)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What one refresh of one list did."""

    name: str
    ok: bool
    detail: str


def _hosts(entries: Iterable[object]) -> tuple[frozenset[str], int]:
    good: set[str] = set()
    skipped = 0
    for entry in entries:
        host = clean_domain(str(entry)) if isinstance(entry, str) else ""
        if host.startswith("*."):
            host = host[2:]
        try:
            host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
        except UnicodeError:
            host = ""
        if _HOST.match(host):
            good.add(host)
        else:
            skipped += 1
    return frozenset(good), skipped


def _string_list(doc: dict[str, object], key: str) -> list[object]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise FeedError(f"'{key}' should be a list of domains, not {type(value).__name__}")
    return value


def parse_list(data: bytes | str, *, as_allow: bool = False) -> ParsedList:
    """Parse a list in any supported format; plain lists are deny lists unless as_allow."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FeedError(f"not valid JSON: {exc}") from exc
        if isinstance(doc, list):
            return _plain(doc, as_allow, "plain")
        if not isinstance(doc, dict):
            raise FeedError("a JSON list file must be an object or an array of domains")
        if "blacklist" in doc or "whitelist" in doc or "fuzzylist" in doc:
            block, bad1 = _hosts(_string_list(doc, "blacklist"))
            allow, bad2 = _hosts(_string_list(doc, "whitelist") + _string_list(doc, "fuzzylist"))
            return _checked(ParsedList("metamask", block, allow, bad1 + bad2))
        if "deny" in doc or "allow" in doc:
            block, bad1 = _hosts(_string_list(doc, "deny"))
            allow, bad2 = _hosts(_string_list(doc, "allow"))
            return _checked(ParsedList("polkadot-js", block, allow, bad1 + bad2))
        raise FeedError("unknown JSON list: expected polkadot-js 'deny'/'allow' or MetaMask 'blacklist'/'whitelist'")
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("!"):  # '!' starts a comment in adblock-style lists
            lines.append(_HOSTS_FILE_IP.sub("", line).split()[0])
    return _plain(lines, as_allow, "plain")


def _plain(entries: Sequence[object], as_allow: bool, fmt: str) -> ParsedList:
    hosts, skipped = _hosts(entries)
    empty: frozenset[str] = frozenset()
    return _checked(ParsedList(fmt, empty if as_allow else hosts, hosts if as_allow else empty, skipped))


def _checked(parsed: ParsedList) -> ParsedList:
    if not parsed.block and not parsed.allow:
        raise FeedError(f"no domains found ({parsed.skipped} entries were not host names)")
    return parsed


def fetch(url: str, timeout: float = 20.0, max_bytes: int = MAX_BYTES) -> bytes:
    """GET a list over http(s) (nothing else is sent); raise FeedError on any failure or an oversized body."""
    if urlparse(url).scheme not in ("http", "https"):
        raise FeedError(f"{url}: only http:// and https:// URLs can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "govmod-feed-refresh"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            body = response.read(max_bytes + 1)
    except (OSError, ValueError) as exc:
        raise FeedError(f"{url}: {exc}") from exc
    if len(body) > max_bytes:
        raise FeedError(f"{url}: larger than {max_bytes} bytes")
    return body


def list_name(source: str) -> str:
    """Return a default list name for a file path or URL ("polkadot-js all.json" style: host and file name)."""
    parsed = urlparse(source)
    if parsed.scheme in ("http", "https"):
        return f"{parsed.netloc}{parsed.path}".rstrip("/")
    return Path(source).name


async def store(db: Database, parsed: ParsedList, *, name: str, source: str, scope: str,
                listed_on: datetime) -> None:
    """Replace the list `name` in `scope` ('' = every server) with the parsed domains, in one transaction."""
    async with db.transaction():
        await LinkListRepo(db).replace(scope, name, source, parsed.format, listed_on, parsed.block, parsed.allow)


async def import_file(db: Database, path: Path, *, scope: str = "", name: str | None = None,
                      as_allow: bool = False, listed_on: datetime) -> tuple[str, ParsedList]:
    """Parse a list file and store it; return (list name, parsed list). Bad files raise FeedError, nothing lost."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(f"cannot read {path}: {exc}") from exc
    parsed = parse_list(data, as_allow=as_allow)
    label = name or list_name(str(path))
    await store(db, parsed, name=label, source=str(path), scope=scope, listed_on=listed_on)
    return label, parsed


async def refresh(db: Database, urls: Sequence[str], *, allow_urls: Sequence[str] = (),
                  clock: Callable[[], datetime] | None = None, timeout: float = 20.0,
                  fetcher: Callable[[str, float], bytes] = fetch) -> list[RefreshResult]:
    """Fetch every URL once and replace its server-wide list; a failure keeps that list as it was.

    `clock` dates the lists (default: the database's clock).
    """
    now = clock or db.clock
    results: list[RefreshResult] = []
    for url, as_allow in [*((u, False) for u in urls), *((u, True) for u in allow_urls)]:
        name = list_name(url)
        try:
            body = await asyncio.to_thread(fetcher, url, timeout)
            parsed = parse_list(body, as_allow=as_allow)
            await store(db, parsed, name=name, source=url, scope="", listed_on=now())
        except (FeedError, StorageError) as exc:
            log.warning("link list %s not refreshed, the old copy stays: %s", name, exc)
            results.append(RefreshResult(name, False, str(exc)))
            continue
        results.append(RefreshResult(name, True, f"{len(parsed.block)} blocked, {len(parsed.allow)} allowed"))
    return results
