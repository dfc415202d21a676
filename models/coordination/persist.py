"""Persist the coordination window through the detector-state store, bounded by the window.

Records (keys under the guild's prefix `{guild}|`):
  e|{post}   one window post: author, time, account facts, MinHash signature, float16 embedding
             (representatives only), campaign id; deleted when the post leaves the window
  c|{camp}   one campaign (live or retired): aggregates, best score, member facts, post ids;
             deleted when it merges into an older campaign or is forgotten after the history horizon
  m|{user}   one member's post count, join and activity times; deleted when the account goes idle
  p|{day}    one closed day of phrase keys; p|today the current day's (written every 64 posts)
  j|{day}    one day of member joins (raid signal); meta: clock, start, reaction-brigade facts
Reactions themselves are not stored (their window is 6 hours; the brigade facts they produced are).
A campaign of more than 200 accounts is rewritten only when it grew by a tenth since its last write.
"""

from __future__ import annotations

import base64
import logging
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from models.coordination.state import Campaign, Entry, GuildState, Member, author_code

if TYPE_CHECKING:
    from models.coordination.detector import CoordinationDetector

log = logging.getLogger(__name__)

TODAY_EVERY = 64  # phrase keys of the current day are rewritten after this many new posts
BIG_CAMPAIGN = 200  # accounts above which a campaign record is rewritten only on 10% growth
MAX_JOINS_PER_DAY = 20_000


def _b64(arr: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def _arr(text: str, dtype: type) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).copy()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _author_row(e: Entry) -> list[Any]:
    return [e.post_id, _iso(e.at), _iso(e.account_created), _iso(e.joined), e.prior_posts, e.topic]


class WindowStore:
    """Track what changed in the detector's state and turn it into storage records (off until started)."""

    def __init__(self, detector: CoordinationDetector) -> None:
        """Bind to a detector; nothing is recorded until `prefixes` is first called."""
        self.det = detector
        self.enabled = False
        self.restored: set[str] = set()
        self._entries: dict[str, Entry] = {}
        self._camps: dict[str, tuple[GuildState, Campaign]] = {}
        self._members: dict[str, tuple[GuildState, str]] = {}
        self._gone: set[str] = set()
        self._guilds: dict[str, GuildState] = {}
        self._written_n: dict[str, int] = {}
        self._since_today: dict[str, int] = {}
        self._days: dict[str, set[int]] = {}

    # ---- change tracking (called by the detector) -----------------------------------------

    def entry(self, state: GuildState, e: Entry) -> None:
        """Note a new or changed window post."""
        if self.enabled:
            key = f"{state.guild}|e|{e.post_id}"
            self._entries[key] = e
            self._gone.discard(key)
            self._guilds[state.guild] = state
            self._since_today[state.guild] = self._since_today.get(state.guild, 0) + 1

    def entry_gone(self, state: GuildState, post_id: str) -> None:
        """Note a post that left the window."""
        if self.enabled:
            key = f"{state.guild}|e|{post_id}"
            self._entries.pop(key, None)
            self._gone.add(key)

    def campaign(self, state: GuildState, camp: Campaign) -> None:
        """Note a campaign that changed."""
        if self.enabled:
            self._camps[f"{state.guild}|c|{camp.id}"] = (state, camp)

    def camp_gone(self, state: GuildState, camp_id: str) -> None:
        """Note a campaign merged away or forgotten."""
        if self.enabled:
            key = f"{state.guild}|c|{camp_id}"
            self._camps.pop(key, None)
            self._written_n.pop(key, None)
            self._gone.add(key)

    def member(self, state: GuildState, user: str) -> None:
        """Note a member whose record changed."""
        if self.enabled:
            self._members[f"{state.guild}|m|{user}"] = (state, user)
            self._guilds[state.guild] = state

    def member_gone(self, state: GuildState, user: str) -> None:
        """Note a member dropped from the book."""
        if self.enabled:
            key = f"{state.guild}|m|{user}"
            self._members.pop(key, None)
            self._gone.add(key)

    # ---- the storage side ------------------------------------------------------------------

    def prefixes(self, guild_ids: Iterable[str]) -> list[str]:
        """Start recording; return the key prefixes of guilds whose state was not restored yet."""
        self.enabled = True
        todo = sorted(set(guild_ids) - self.restored)
        self.restored.update(todo)
        return [f"{g}|" for g in todo]

    def delta(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Return (records to upsert, keys to delete) since the last call."""
        up: dict[str, dict[str, Any]] = {k: self._entry_record(e) for k, e in self._entries.items() if not e.dead}
        for key, (_state, camp) in self._camps.items():
            last = self._written_n.get(key, 0)
            if len(camp.authors) <= BIG_CAMPAIGN or camp.n - last >= 0.1 * max(last, 1) or camp.live <= 0:
                up[key] = self._campaign_record(camp)
                self._written_n[key] = camp.n
        for key, (state, user) in self._members.items():
            m = state.members.peek(user)
            if m is not None:
                up[key] = {"n": m.posts, "s": _iso(m.last_seen), "j": _iso(m.joined), "c": _iso(m.created)}
        gone = set(self._gone)
        for g, state in self._guilds.items():
            up[f"{g}|meta"] = {"now": _iso(state.now), "started": _iso(state.started), "brigades": state.brigades}
            self._phrases(g, state, up, gone)
            self._joins(g, state, up)
        self._entries, self._camps, self._members, self._gone, self._guilds = {}, {}, {}, set(), {}
        return up, sorted(gone - set(up))

    def _phrases(self, g: str, state: GuildState, up: dict[str, dict[str, Any]], gone: set[str]) -> None:
        saved = self._days.setdefault(g, set())
        closed = state.phrases.closed()
        held = {day for day, _ in closed}
        for day, arr in closed:
            if day not in saved:
                up[f"{g}|p|{day}"] = {"day": day, "keys": _b64(arr)}
        gone.update(f"{g}|p|{day}" for day in saved - held)
        self._days[g] = held
        today, keys = state.phrases.today()
        if today is not None and (self._since_today.get(g, 0) >= TODAY_EVERY or today not in saved):
            up[f"{g}|p|today"] = {"day": today, "keys": _b64(keys)}
            self._since_today[g] = 0
            saved.add(today)

    @staticmethod
    def _joins(g: str, state: GuildState, up: dict[str, dict[str, Any]]) -> None:
        if not state.joins.times:
            return
        day = int(state.joins.times[-1].timestamp() // 86400)
        rows = [[_iso(t), k] for t, k in zip(state.joins.times, state.joins.keys, strict=True)
                if int(t.timestamp() // 86400) == day][-MAX_JOINS_PER_DAY:]
        up[f"{g}|j|{day}"] = {"day": day, "joins": rows}

    def _entry_record(self, e: Entry) -> dict[str, Any]:
        state = self._guild_of(e)
        rec: dict[str, Any] = {
            "a": e.author, "t": e.topic, "at": _iso(e.at), "w": e.words, "s": _b64(e.sig),
            "c": _iso(e.account_created), "j": _iso(e.joined), "p": e.prior_posts, "m": e.commonness,
            "l": e.linkable, "k": str(e.key), "x": e.camp, "q": str(e.quote),
        }
        if e.slot >= 0 and state is not None:
            rec["v"] = _b64(state.matrix.emb[e.slot].astype(np.float16))
        return rec

    def _guild_of(self, e: Entry) -> GuildState | None:
        return next((s for s in self.det._guilds.values() if s.entries.get(e.post_id) is e), None)

    @staticmethod
    def _campaign_record(c: Campaign) -> dict[str, Any]:
        return {
            "id": c.id, "f": _iso(c.first_at), "l": _iso(c.last_at), "posts": c.post_ids,
            "authors": {a: [*_author_row(e), list(c.flags.get(a, (0, 0, 0, 0)))] for a, e in c.authors.items()},
            "topics": c.topics, "sim": c.sim_sum, "copy": c.copy_edges, "edges": c.edges,
            "words": c.words_sum, "common": c.common_sum, "n": c.n, "best": c.best, "live": c.live > 0,
        }

    # ---- restore ---------------------------------------------------------------------------

    def restore(self, records: dict[str, dict[str, Any]]) -> None:
        """Rebuild guild states from stored records (guilds already holding posts are left alone)."""
        by_guild: dict[str, dict[str, dict[str, Any]]] = {}
        for key, rec in records.items():
            g, _, rest = key.partition("|")
            by_guild.setdefault(g, {})[rest] = rec
        for g, recs in by_guild.items():
            state = self.det._guild(g)
            if state.window or state.campaigns:
                continue
            self._restore_guild(state, recs)
            log.info("coordination: restored %d posts and %d campaigns for guild %s",
                     len(state.window), len(state.campaigns) + len(state.retired), g)

    def _restore_guild(self, state: GuildState, recs: dict[str, dict[str, Any]]) -> None:
        meta = recs.get("meta", {})
        state.now, state.started = _dt(meta.get("now")), _dt(meta.get("started"))
        state.brigades = dict(meta.get("brigades", {}))
        closed = [(int(r["day"]), _arr(r["keys"], np.uint32)) for k, r in recs.items()
                  if k.startswith("p|") and k != "p|today"]
        today = recs.get("p|today")
        state.phrases.load(closed, int(today["day"]) if today else None,
                           _arr(today["keys"], np.uint32) if today else np.zeros(0, np.uint32))
        self._days[state.guild] = {d for d, _ in closed} | ({int(today["day"])} if today else set())
        members = sorted(((k[2:], r) for k, r in recs.items() if k.startswith("m|")),
                         key=lambda kv: kv[1].get("s") or "")
        for user, r in members:
            state.members.put(user, Member(posts=int(r["n"]), last_seen=_dt(r["s"]), joined=_dt(r["j"]),
                                           created=_dt(r["c"])))
        for k, r in sorted(recs.items()):
            if k.startswith("j|"):
                for at, user in r["joins"]:
                    state.joins.add(datetime.fromisoformat(at), user)
        entries = sorted((self._entry(k[2:], r) for k, r in recs.items() if k.startswith("e|")),
                         key=lambda er: (er[0].at, er[0].post_id))
        for e, vec in entries:
            self._place(state, e, vec)
        live = Counter(e.camp for e in state.window if e.camp)
        for k, r in recs.items():
            if k.startswith("c|"):
                self._campaign(state, r, live)

    @staticmethod
    def _entry(post_id: str, r: dict[str, Any]) -> tuple[Entry, np.ndarray | None]:
        e = Entry(post_id=post_id, author=r["a"], topic=r["t"], at=datetime.fromisoformat(r["at"]),
                  words=int(r["w"]), sig=_arr(r["s"], np.uint32), slot=-1, account_created=_dt(r["c"]),
                  joined=_dt(r["j"]), prior_posts=int(r["p"]), commonness=float(r["m"]), linkable=bool(r["l"]),
                  camp=r.get("x"), key=int(r["k"]), quote=int(r.get("q", 0)))
        vec = _arr(r["v"], np.float16).astype(np.float32) if r.get("v") else None
        return e, vec

    @staticmethod
    def _place(state: GuildState, e: Entry, vec: np.ndarray | None) -> None:
        state.window.append(e)
        state.entries[e.post_id] = e
        if vec is not None:
            e.slot = state.matrix.put(vec, author_code(e.author))
            state.by_slot[e.slot] = e
        if not e.linkable:
            return
        group = state.exact.get(e.key)
        if group:
            group.append(e)
        else:
            state.exact[e.key] = deque([e])
            state.lsh.add(e.post_id, e.sig)
            e.indexed = True

    @staticmethod
    def _campaign(state: GuildState, r: dict[str, Any], live: Counter[str]) -> None:
        c = Campaign(id=r["id"], first_at=datetime.fromisoformat(r["f"]), last_at=datetime.fromisoformat(r["l"]),
                     post_ids=list(r["posts"]), topics={k: int(v) for k, v in r["topics"].items()},
                     sim_sum=float(r["sim"]), copy_edges=int(r["copy"]), edges=int(r["edges"]),
                     words_sum=int(r["words"]), common_sum=float(r["common"]), n=int(r["n"]),
                     best=float(r["best"]))
        for author, (pid, at, created, joined, prior, topic, flags) in r["authors"].items():
            e = state.entries.get(pid) or Entry(
                post_id=pid, author=author, topic=topic, at=datetime.fromisoformat(at), words=0,
                sig=np.zeros(0, np.uint32), slot=-1, account_created=_dt(created), joined=_dt(joined),
                prior_posts=int(prior), commonness=0.0, linkable=False)
            c.authors[author] = e
            c.flags[author] = tuple(int(f) for f in flags)  # type: ignore[assignment]
            for i, f in enumerate(flags):
                c.counts[i] += int(f)
        c.live = live.get(c.id, 0)
        if c.live > 0:
            state.campaigns[c.id] = c
        else:
            state.retired[c.id] = c
