"""SQLite storage: the database, its migrations and the repositories."""

from bot.storage.db import Database, StorageError
from bot.storage.guilds import GuildConfig, GuildRepo, StateRepo
from bot.storage.repos import CaseRepo, PostRepo, ReviewRepo, content_hash, severity_for

__all__ = [
    "CaseRepo", "Database", "GuildConfig", "GuildRepo", "PostRepo", "ReviewRepo", "StateRepo", "StorageError",
    "content_hash", "severity_for",
]
