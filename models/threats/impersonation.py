"""Staff impersonation: names that fold to a moderator's, admin's or the bot's, or claim "support" when new."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from models.detector import BatchContext
from models.lookalike import NameMatch, fold_name, match_name, name_tokens
from models.paths import WEIGHTS_DIR
from models.threats.guild_context import GuildContexts, GuildThreatContext
from models.types import PROFILE_POST_PREFIX, DetectorOutput, Post, is_profile_post

log = logging.getLogger(__name__)

WEIGHTS_DIR = WEIGHTS_DIR
STAFF_WORDS = frozenset({"support", "admin", "admins", "administrator", "mod", "mods", "moderator", "moderators",
                         "team", "official", "helpdesk", "staff", "dev", "devs", "core", "helper", "security",
                         "announcement", "announcements", "customer", "service", "care", "manager"})
_LONG_STAFF = ("support", "admin", "moderator", "helpdesk", "official", "customercare")
REASONS = {"join": "Joined the server", "rename": "Changed their name", "post": "First post"}
_PROFILE = re.compile(r"display name “(?P<display>[^”]*)”, username “(?P<username>[^”]*)”")
MAX_SEEN = 100_000
MATCH_WEIGHT = {"homoglyph": 0.97, "same": 0.95, "near": 0.85}


def profile_subject(*, guild_id: str, user_id: str, display_name: str, username: str, reason: str, at: datetime,
                    account_created_at: datetime | None = None, joined_at: datetime | None = None,
                    previous_name: str | None = None) -> Post:
    """Return the stand-in Post that carries a member's names through cases and alerts (join or rename)."""
    before = f" (was “{previous_name}”)" if previous_name and previous_name != display_name else ""
    text = f"{REASONS.get(reason, reason)}: display name “{display_name}”, username “{username}”{before}"
    return Post(
        id=f"{PROFILE_POST_PREFIX}{user_id}:{int(at.timestamp() * 1000)}", channel_id=guild_id, author_id=user_id,
        content=text, created_at=at, guild_id=guild_id, author_name=display_name,
        author_created_at=account_created_at, author_joined_at=joined_at,
    )


def names_of(post: Post) -> list[str]:
    """Return the names to check: the display name, plus the username for profile subjects."""
    names = [post.author_name] if post.author_name else []
    if is_profile_post(post.id):
        found = _PROFILE.search(post.content)
        if found:
            names = [found["display"], found["username"]]
    return list(dict.fromkeys(n for n in names if n))


def staff_words(name: str) -> list[str]:
    """Return the staff-sounding words in a name ("Uniswap Support" -> ["support"])."""
    words = [t for t in name_tokens(name) if t in STAFF_WORDS]
    compact = re.sub(r"[^a-z0-9]", "", fold_name(name))
    words += [w for w in _LONG_STAFF if w in compact and w not in words and not compact.startswith("mod")]
    return list(dict.fromkeys(words))



class ImpersonationDetector:
    """Score a member's names against the guild's staff names and staff-sounding words (no discord here)."""

    name = "impersonation"
    needs_embedding = False

    def __init__(self, meta: dict[str, Any]) -> None:
        """Keep metadata; staff names arrive per guild through `configure`."""
        self.meta = dict(meta)
        self.version = str(meta.get("version", "impersonation-unknown"))
        self.default_threshold = float(meta.get("default_threshold", 0.6))
        self.fresh_days = float(meta.get("fresh_account_days", 30))
        self.guilds = GuildContexts()
        self._seen: set[tuple[str, str, str]] = set()

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ImpersonationDetector:
        """Load the metadata from models/weights/ (or weights_dir)."""
        path = (weights_dir or WEIGHTS_DIR) / "impersonation.json"
        if not path.exists():
            path = WEIGHTS_DIR / "impersonation.json"
        meta = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        return cls(meta)

    def configure(self, guild_id: str, context: GuildThreatContext) -> None:
        """Take a guild's staff names and ids."""
        self.guilds.set(guild_id, context)

    def judge(self, names: Sequence[str], staff: frozenset[str], age: float | None) -> tuple[float, list[str]]:
        """Return a score and plain-words reasons for a member's names."""
        weight, reasons = 0.0, []
        for name in names:
            match: NameMatch | None = match_name(name, staff)
            words = staff_words(name)
            if match and match.kind in MATCH_WEIGHT:
                w = MATCH_WEIGHT[match.kind]
                how = {"same": "is the same as", "homoglyph": "uses look-alike letters to copy",
                       "near": f"is {match.edits} letter(s) away from"}[match.kind]
                reasons.append(f"name “{name}” {how} staff member “{match.target}”")
            elif match:  # contains a staff name
                w = 0.9 if words else 0.55
                reasons.append(f"name “{name}” contains staff member “{match.target}”"
                               + (f" plus “{words[0]}”" if words else ""))
            elif words:
                w = 0.3 if age is None or age >= self.fresh_days else (0.8 if age < 7 else 0.7)
                when = "" if age is None else f" on an account {max(age, 0):.1f} days old"
                reasons.append(f"name “{name}” claims a staff role ({', '.join(words)}){when}")
            else:
                continue
            weight = max(weight, w)
        return weight, reasons

    def score_one(self, post: Post) -> DetectorOutput:
        """Score one post or profile subject."""
        guild = self.guilds.get(post.guild_id)
        if post.is_bot or post.author_id in guild.staff_ids:
            return DetectorOutput(0.0, eligible=False)
        names = names_of(post)
        if not names:
            return DetectorOutput(0.0, eligible=False)
        age = post.account_age_days
        score, reasons = self.judge(names, guild.staff_names, age)
        key = (post.guild_id, post.author_id, "|".join(fold_name(n) for n in names))
        first = key not in self._seen
        if len(self._seen) >= MAX_SEEN:
            self._seen.clear()
        self._seen.add(key)
        if not reasons:
            return DetectorOutput(0.0, eligible=first)
        evidence: dict[str, Any] = {"summary": reasons[0], "signals": reasons[1:], "names": names}
        if age is not None:
            evidence["account_age"] = f"{max(age, 0):.1f} days"
        return DetectorOutput(round(score, 4), evidence, eligible=first or is_profile_post(post.id))

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; only a member's first post under a name (or a name change) can flag."""
        return [self.score_one(post) for post in posts]
