"""SQLite storage: the database, its migrations and the repositories."""

from bot.storage.db import Database, StorageError
from bot.storage.delivery import BotStateRepo, OutboxRepo, OutboxSummary, PendingAlert, ResumeRepo
from bot.storage.guilds import GuildConfig, GuildRepo, StateRepo
from bot.storage.repos import CaseRepo, PostRepo, ReviewRepo, content_hash, severity_for

__all__ = [
    "BotStateRepo", "CaseRepo", "Database", "GuildConfig", "GuildRepo", "OutboxRepo", "OutboxSummary",
    "PendingAlert", "PostRepo", "ResumeRepo", "ReviewRepo", "StateRepo", "StorageError", "content_hash", "severity_for",
]
