"""Open the SQLite database with safe pragmas and bring its schema up to date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.clock import Clock, utc_now
from bot.storage.migrations import MIGRATIONS

log = logging.getLogger(__name__)


class StorageError(RuntimeError):
    """A database problem explained for an operator (full disk, read-only file, ...)."""


class Database:
    """One aiosqlite connection with WAL, foreign keys and a busy timeout."""

    def __init__(self, conn: aiosqlite.Connection, path: str, clock: Clock = utc_now) -> None:
        """Wrap an open connection; use `Database.open`. `clock` stamps every record (injected in tests)."""
        self.conn = conn
        self.path = path
        self.clock = clock
        self._tx_lock = asyncio.Lock()  # one connection: transactions from concurrent tasks take turns

    @classmethod
    async def open(cls, path: str | Path, clock: Clock = utc_now) -> Database:
        """Open (creating if needed) and migrate the database at path (or ':memory:')."""
        target = str(path)
        try:
            if target != ":memory:":
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(target, isolation_level=None)
        except (aiosqlite.Error, OSError) as exc:
            raise StorageError(f"cannot open database {target}: {exc}") from exc
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA busy_timeout=5000")
            await _switch_to_wal(conn)
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, target, clock)
            await db.migrate()
        except BaseException as exc:
            await conn.close()  # never leave the connection's thread running: the process could not exit
            if isinstance(exc, aiosqlite.Error | OSError):
                raise StorageError(f"cannot open database {target}: {exc}") from exc
            raise
        return db

    async def close(self) -> None:
        """Close the connection (pending transactions were committed by their context)."""
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run a block in one IMMEDIATE transaction: all of it lands, or none of it (not re-entrant)."""
        async with self._tx_lock:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
            except aiosqlite.Error as exc:
                raise StorageError(f"database {self.path} is not writable: {exc}") from exc
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            try:
                await self.conn.execute("COMMIT")
            except aiosqlite.OperationalError as exc:
                await self.conn.execute("ROLLBACK")
                hint = " (is the disk full?)" if "full" in str(exc).lower() else ""
                raise StorageError(f"could not save to {self.path}: {exc}{hint}") from exc

    async def schema_version(self) -> int:
        """Return the highest applied migration number (0 for a new database)."""
        async with self.conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the migrations this database has not seen, each in its own write transaction.

        The version is read *inside* the transaction that applies a migration (BEGIN IMMEDIATE takes the
        write lock first), so two processes opening a new database at once never apply one migration twice:
        the second waits for the lock (busy_timeout), then sees the migration recorded and skips it.
        """
        for number, sql in MIGRATIONS:
            async with self.transaction() as conn:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
                )
                async with conn.execute("SELECT 1 FROM schema_version WHERE version = ?", (number,)) as cur:
                    if await cur.fetchone() is not None:
                        continue  # applied already (a migration that lands later with a lower number still runs)
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                                   (number, self.clock().isoformat()))
            log.info("applied migration %d to %s", number, self.path)


async def _switch_to_wal(conn: aiosqlite.Connection, attempts: int = 50) -> None:
    """Put the database in WAL mode, waiting while another process holds it (SQLite does not wait here itself).

    Switching journal mode needs the database to itself; a second process opening a new database at the same
    moment gets SQLITE_BUSY at once, whatever busy_timeout says, so retry for up to about five seconds.
    """
    for attempt in range(attempts):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except aiosqlite.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping CREATE TRIGGER ... END bodies whole."""
    statements: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        stripped = line.split("--", 1)[0].rstrip()
        if not stripped.strip():
            continue
        buf.append(stripped)
        text = "\n".join(buf)
        in_trigger = "CREATE TRIGGER" in text.upper() and not text.upper().rstrip().endswith("END;")
        if stripped.endswith(";") and not in_trigger:
            statements.append(text)
            buf = []
    if buf:
        statements.append("\n".join(buf))
    return statements
