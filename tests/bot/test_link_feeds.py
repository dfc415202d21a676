"""Deny / allow list import (`govmod links import`) and refresh from a local HTTP server; list hits in evidence."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import link_feeds
from bot.cli import main as cli_main
from bot.domain import Post
from bot.pipeline import BatchContext
from bot.storage import Database
from bot.storage.link_lists import LinkListRepo
from bot.threat_context import load_context, load_global_lists
from models.threats.scam_link import ScamLinkDetector

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)
POLKADOT = {"allow": ["polkadot.network", "vercel.app"], "deny": ["polkadot-claim.xyz", "dot-airdrop.xyz"]}
METAMASK = {"version": 2, "tolerance": 2, "fuzzylist": ["metamask.io"], "whitelist": ["metamask-legit.xyz"],
            "blacklist": ["metamask-restore.xyz", "*.wallet-sync.xyz", "not a domain"]}
PLAIN = "# scam links\nhttps://nitro-gift.xyz/claim\n0.0.0.0 steam-trade.xyz\n\nbad..entry\n"


class _Pipeline:
    """The part of a pipeline the list loader uses: its detectors."""

    def __init__(self, *detectors: object) -> None:
        self.detectors = list(detectors)


def _score(det: ScamLinkDetector, text: str, guild: str = "g") -> tuple[float, str]:
    post = Post(id="1", channel_id="c", author_id="9", content=text, created_at=WHEN, guild_id=guild,
                author_created_at=WHEN - timedelta(days=400))
    out = det.score([post], BatchContext([text], None))[0]
    return out.score, json.dumps(out.evidence)


def test_parse_each_format() -> None:
    pk = link_feeds.parse_list(json.dumps(POLKADOT))
    assert pk.format == "polkadot-js" and pk.block == {"polkadot-claim.xyz", "dot-airdrop.xyz"}
    assert pk.allow == {"polkadot.network", "vercel.app"}
    mm = link_feeds.parse_list(json.dumps(METAMASK).encode())
    assert mm.format == "metamask" and mm.block == {"metamask-restore.xyz", "wallet-sync.xyz"}
    assert mm.allow == {"metamask.io", "metamask-legit.xyz"} and mm.skipped == 1
    plain = link_feeds.parse_list(PLAIN)
    assert plain.format == "plain" and plain.block == {"nitro-gift.xyz", "steam-trade.xyz"}
    assert plain.skipped == 1 and not plain.allow
    assert link_feeds.parse_list("ourdao.org\n", as_allow=True).allow == {"ourdao.org"}


@pytest.mark.parametrize("bad", ["", "{\"deny\": 3}", "{\"foo\": []}", "{not json", "not a domain at all\n"])
def test_bad_lists_raise_a_clear_error(bad: str) -> None:
    with pytest.raises(link_feeds.FeedError):
        link_feeds.parse_list(bad)


@pytest.mark.parametrize(("name", "content", "domain"), [
    ("all.json", json.dumps(POLKADOT), "dot-airdrop.xyz"),
    ("config.json", json.dumps(METAMASK), "app.wallet-sync.xyz"),
    ("scam-links.txt", PLAIN, "nitro-gift.xyz"),
])
def test_cli_import_each_format_then_a_listed_domain_is_flagged_with_the_list_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, domain: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    db_path = tmp_path / "g.db"
    assert cli_main(["links", "import", str(path), "--db", str(db_path), "--date", "2026-02-20"]) == 0
    assert f"imported {name!r}" in capsys.readouterr().out
    det = ScamLinkDetector.load()
    assert "deny list" not in _score(det, f"new docs at https://{domain}/start")[1]

    async def load() -> None:
        db = await Database.open(db_path)
        try:
            assert await load_global_lists(db, _Pipeline(det, object())) > 0  # type: ignore[arg-type]
        finally:
            await db.close()

    asyncio.run(load())
    score, evidence = _score(det, f"new docs at https://{domain}/start")
    assert score >= 0.95
    assert f"deny list: {name} (2026-02-20)" in evidence


def test_cli_import_of_a_broken_file_fails_clearly_and_keeps_the_old_list(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad, db_path = tmp_path / "list.txt", tmp_path / "broken.json", tmp_path / "g.db"
    good.write_text("old-scam.xyz\n", encoding="utf-8")
    bad.write_text("{broken", encoding="utf-8")
    assert cli_main(["links", "import", str(good), "--db", str(db_path), "--name", "dsp"]) == 0
    assert cli_main(["links", "import", str(bad), "--db", str(db_path), "--name", "dsp"]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    assert cli_main(["links", "import", str(tmp_path / "missing.txt"), "--db", str(db_path)]) == 1
    assert cli_main(["links", "import", str(good), "--db", str(db_path), "--date", "last week"]) == 2
    assert asyncio.run(_blocked(db_path, "")) == {"old-scam.xyz": "dsp"}


async def _blocked(db_path: Path, scope: str) -> dict[str, str]:
    db = await Database.open(db_path)
    try:
        listed = await LinkListRepo(db).domains(scope)
    finally:
        await db.close()
    return {d: label.split(" (")[0] for d, label in listed.block.items()}


async def test_guild_import_and_allow_list_reach_that_guild_only(tmp_path: Path) -> None:
    deny, allow = tmp_path / "deny.txt", tmp_path / "ours.txt"
    deny.write_text("ourdao-rewards.xyz\n", encoding="utf-8")
    allow.write_text("ourdao-vote.xyz\n", encoding="utf-8")
    db = await Database.open(tmp_path / "g.db")
    try:
        await link_feeds.import_file(db, deny, scope="g1", listed_on=WHEN)
        await link_feeds.import_file(db, allow, scope="g1", as_allow=True, listed_on=WHEN)
        det = ScamLinkDetector.load()
        det.configure("g1", await load_context(db, "g1"))
        det.configure("g2", await load_context(db, "g2"))
    finally:
        await db.close()
    score, evidence = _score(det, "https://ourdao-rewards.xyz/claim", guild="g1")
    assert score >= 0.95 and "deny list: deny.txt (2026-03-01)" in evidence
    assert _score(det, "https://ourdao-rewards.xyz/claim", guild="g2")[1].find("deny.txt") == -1
    assert _score(det, "vote at https://ourdao-vote.xyz", guild="g1")[0] == 0.0


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serve whatever the test put in `server.body` (status `server.status`)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body, status = self.server.body, self.server.status  # type: ignore[attr-defined]
        self.server.requests.append((self.command, self.path, self.headers.get("Content-Length")))  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@contextlib.contextmanager
def _serving(body: bytes = b"") -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    server.body, server.status, server.requests = body, 200, []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def feed_server_at(body: bytes) -> Iterator[str]:
    """Serve one list body on 127.0.0.1 and yield its URL (also used by the cog test)."""
    with _serving(body) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/feeds/all.json"


@pytest.fixture
def feed_server() -> Iterator[http.server.HTTPServer]:
    with _serving() as server:
        yield server


async def test_refresh_from_local_server_replaces_atomically_and_failure_keeps_old_list(
        tmp_path: Path, feed_server: http.server.HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{feed_server.server_address[1]}/polkadot/all.json"
    db = await Database.open(tmp_path / "g.db")
    try:
        feed_server.body = json.dumps(POLKADOT).encode()  # type: ignore[attr-defined]
        (first,) = await link_feeds.refresh(db, [url], clock=lambda: WHEN)
        assert first.ok and (await LinkListRepo(db).domains("")).block.keys() == set(POLKADOT["deny"])
        feed_server.body = json.dumps({"deny": ["new-drainer.xyz"], "allow": []}).encode()  # type: ignore[attr-defined]
        (second,) = await link_feeds.refresh(db, [url], clock=lambda: WHEN + timedelta(days=1))
        listed = await LinkListRepo(db).domains("")
        assert second.ok and set(listed.block) == {"new-drainer.xyz"} and not listed.allow
        assert "(2026-03-02)" in listed.block["new-drainer.xyz"]
        for status, body in ((500, b"oops"), (200, b"{half a json")):
            feed_server.status, feed_server.body = status, body  # type: ignore[attr-defined]
            (failed,) = await link_feeds.refresh(db, [url], clock=lambda: WHEN + timedelta(days=2))
            assert not failed.ok and set((await LinkListRepo(db).domains("")).block) == {"new-drainer.xyz"}
        # a crash in the middle of the replacement rolls back to the old list, never a half-written one
        feed_server.status, feed_server.body = 200, json.dumps({"deny": ["third.xyz"]}).encode()  # type: ignore[attr-defined]

        async def boom(*args: object) -> None:
            raise RuntimeError("disk gone")

        monkeypatch.setattr(db.conn, "executemany", boom)
        with pytest.raises(RuntimeError):
            await link_feeds.refresh(db, [url], clock=lambda: WHEN)
        monkeypatch.undo()
        assert set((await LinkListRepo(db).domains("")).block) == {"new-drainer.xyz"}
        (stored,) = await LinkListRepo(db).lists("")
        assert stored.listed_on.startswith("2026-03-02") and stored.source == url
    finally:
        await db.close()
    assert all(method == "GET" and length is None for method, _, length in feed_server.requests)  # type: ignore[attr-defined]


def test_refresh_refuses_non_http_urls() -> None:
    with pytest.raises(link_feeds.FeedError):
        link_feeds.fetch("file:///etc/passwd")


def test_a_scan_uses_the_imported_lists(tmp_path: Path) -> None:
    """`govmod scan` gives the detectors the imported deny lists, as the bot does at start-up."""
    from bot.pipeline import Pipeline
    from bot.scan import scan

    listing = tmp_path / "deny.txt"
    listing.write_text("quiet-drainer.xyz\n", encoding="utf-8")
    db_path = tmp_path / "g.db"
    assert cli_main(["links", "import", str(listing), "--db", str(db_path), "--date", "2026-02-20"]) == 0
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "1", "channel_id": "5", "guild_id": "9", "author_id": "77",
                               "created_at": "2026-11-18T10:00:00Z",
                               "content": "docs moved: https://quiet-drainer.xyz/start"}) + "\n", encoding="utf-8")

    async def run() -> None:
        db = await Database.open(db_path)
        try:
            await scan([src], db, Pipeline(None, [ScamLinkDetector.load()]), out=tmp_path / "out.jsonl")
        finally:
            await db.close()

    asyncio.run(run())
    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert "scam_link" in row["flags"] and "deny list: deny.txt (2026-02-20)" in json.dumps(row["evidence"])
