"""Generate govmod's bundled sample server: one week (ISO week 2026-W47) of a DAO's governance channels.

Everything written here is synthetic: "Aster DAO", its members, proposals, links and numbers were
made up for govmod's demo and tests. The hand-written texts (accounts, long posts, the scenes of the
conversation) live in plain text files in ``examples/sample_server/``, each explaining its format at the top.
This script schedules them, gives them Discord snowflake ids and writes three files next to it:

- ``sample_server.jsonl``: the week in govmod's JSON Lines input contract (messages, reactions, member joins)
- ``sample_server.truth.json``: what is planted where (abuse, LLM astroturf, sockpuppet ring, traps)
- ``discordchatexporter_sample.json``: one day of ``#governance`` in DiscordChatExporter's JSON format

Run ``python examples/make_sample_server.py``; the output is byte-identical on every run (seeded,
no wall clock, no hash-ordered iteration). The code is split over ``sample_server_texts.py`` (reading the
text files), ``sample_server_model.py`` (ids, accounts, events), this file (scheduling) and
``sample_server_export.py`` (writing).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sample_server_export import build_dce, build_truth, write_json, write_jsonl
from sample_server_model import WEEK_END, WEEK_START, T, Week, add_message, add_reaction, iso, new_week
from sample_server_texts import load_texts

HERE = Path(__file__).resolve().parent

# gm waves: everyone has a habit; a few people always say the same thing
GM_HABITS = {
    "0xjules": ["gm fam ☀️"],
    "hodlgrandpa": ["GM GM", "gm all. coffee first", "GM"],
    "leafy": ["gm 🌿", "gm gm"],
    "felix_cm": ["gm everyone!", "gm gm"],
    "mira_gov": ["gm ☕", "gm all"],
    "max_rekt": ["gm (is it though)", "gm"],
    "wagmi_walt": ["gm wagmi", "GM frens"],
    "yuki.s": ["gm from tokyo (well, good evening)", "gm 🌸"],
    "kai_apes": ["gm apes 🦍", "gm"],
    "defi_dani": ["gm gm gm", "gm"],
}
GM_COMMON = ["gm", "gm", "gm", "gm gm", "gm fam ☀️", "gm frens", "gm ☕", "gmgm", "GM", "gm everyone", "gm 🌞",
             "morning all", "gm all"]
GM_REPLIES = ["gm ser", "gm gm", "gm 🫡", "gm!", "gm legend"]
GM_LATE = ["gm from the east coast ☕", "gm (it's 6am here, don't ask)", "late gm", "gm from nyc"]
GM_DAY_EXTRA = {0: ["gm, happy monday", "gm. 4 proposals this week, pray for us"], 4: ["gm, happy friday", "gm TGIF"],
                5: ["weekend gm ☀️"], 6: ["sunday gm", "lazy sunday gm"]}
SUSPENDED = ("degen_larry", "bigmike_eth")  # timed out / banned during the week: no gm, no reactions from them
GM_REGULARS_ACTIVE = ["0xjules", "hodlgrandpa", "leafy", "felix_cm", "mira_gov", "max_rekt", "wagmi_walt", "yuki.s",
                      "defi_dani", "cryptonomad", "kai_apes", "marisol.dao", "the_real_fen", "tomasz_k", "kwame.builds",
                      "zoe_onchain", "sato_ren"]

LINE_RE = re.compile(r"^(?:\[(?P<label>\w+)\]\s*)?(?:\{(?P<tags>[^}]*)\}\s*)?(?P<who>[\w.\-]+)"
                     r"(?:>(?P<target>#?[\w.\-]+))?: (?P<text>.*)$")


def expand(text: str, posts: dict[str, str]) -> str:
    """Replace $POST references and the paragraph/line markers."""
    if text.startswith("$"):
        return posts[text[1:]]
    return text.replace("¶", "\n\n").replace("↵", "\n")


def typing_gap(week: Week, text: str) -> timedelta:
    """Return a plausible pause before a message of this length."""
    seconds = week.rng_time.uniform(20, 150) + min(len(text), 700) * week.rng_time.uniform(0.12, 0.35)
    return timedelta(seconds=seconds, milliseconds=week.rng_time.randint(0, 999))


def find_reply_target(week: Week, target: str, channel: str, before: datetime, local: list[dict[str, Any]]) -> str:
    """Return the id of the message a ``>target`` reply points at."""
    if target.startswith("#"):
        msg = week.labels[target[1:]]
        assert msg["_channel"] == channel, target
        return msg["id"]
    for pool in (local, week.messages):
        hits = [m for m in pool if m["_who"] == target and m["_channel"] == channel and m["_when"] < before]
        if hits:
            return max(hits, key=lambda m: m["_when"])["id"]
    raise ValueError(f"no message by {target} in {channel} before {before}")


def run_scene(week: Week, src: str) -> None:
    """Schedule one scene's lines."""
    rng = week.rng_time
    lines = [ln for ln in src.strip("\n").splitlines() if ln.strip()]
    _, channel, start = lines[0].split()
    clock = T(start) + timedelta(seconds=rng.randint(0, 40), milliseconds=rng.randint(0, 999))
    first, explicit = True, False
    local: list[dict[str, Any]] = []
    for line in lines[1:]:
        if m := re.fullmatch(r"\+(\d+)([smh])(?:(\d+)m)?", line.strip()):
            unit = {"s": "seconds", "m": "minutes", "h": "hours"}[m.group(2)]
            clock += timedelta(**{unit: int(m.group(1))}) + timedelta(minutes=int(m.group(3) or 0))
            clock += timedelta(seconds=rng.randint(0, 20), milliseconds=rng.randint(0, 999))
            explicit = True
            continue
        if line.startswith("@"):
            hms = line[1:].strip()
            clock = T(f"{start[:10]}T{hms}") + timedelta(milliseconds=rng.randint(0, 999))
            assert not local or clock > local[-1]["_when"], f"clock goes backwards at {line!r}"
            explicit = True
            continue
        m = LINE_RE.match(line)
        if not m:
            raise ValueError(f"bad scene line: {line!r}")
        text = expand(m.group("text"), week.posts)
        if not first and not explicit:
            clock += typing_gap(week, text)
        first = explicit = False
        tags = tuple(t.strip() for t in (m.group("tags") or "").split(",") if t.strip())
        edit = next((t[5:] for t in tags if t.startswith("edit=")), None)
        edited = None
        if edit and edit.startswith("+"):
            edited = clock + timedelta(minutes=float(edit[1:]), seconds=rng.randint(0, 59))
        elif edit:
            edited = T(edit)
        reply = find_reply_target(week, m.group("target"), channel, clock, local) if m.group("target") else None
        msg = add_message(week, channel, clock, m.group("who"), text, reply,
                          tuple(t for t in tags if not t.startswith("edit")), edited)
        local.append(msg)
        if m.group("label"):
            week.labels[m.group("label")] = msg


def _regulars(week: Week) -> list[str]:
    """Return the handles of the regular members who are not suspended during the week."""
    return [u.handle for u in week.kind("regular") if u.handle not in SUSPENDED]


def run_gm_waves(week: Week) -> None:
    """Add a morning gm wave to #general-governance-chat every day of the week."""
    rng = week.rng_people
    regulars = _regulars(week)
    quiet = [h for h in regulars if h not in GM_REGULARS_ACTIVE]
    rng.shuffle(quiet)  # everyone says gm at least once during the week
    for day in range(7):
        date = WEEK_START + timedelta(days=day)
        weekend = day >= 5
        n_active = rng.randint(5, 7) if weekend else rng.randint(8, 11)
        people = rng.sample(GM_REGULARS_ACTIVE, n_active) + quiet[day::7]
        rng.shuffle(people)
        clock = date + timedelta(hours=6, minutes=rng.randint(10, 50))
        wave: list[dict[str, Any]] = []
        for who in people:
            clock += timedelta(seconds=rng.expovariate(1 / 300) + 15, milliseconds=rng.randint(0, 999))
            text = rng.choice(GM_HABITS.get(who, GM_COMMON))
            if day in GM_DAY_EXTRA and rng.random() < 0.15:
                text = rng.choice(GM_DAY_EXTRA[day])
            reply = None
            if wave and rng.random() < 0.2 and who not in GM_HABITS:
                target = rng.choice(wave[-4:])
                reply, text = target["id"], rng.choice(GM_REPLIES)
            wave.append(add_message(week, "chat", clock, who, text, reply, ("trap:gm",)))
        if not weekend:  # a couple of people in the Americas say gm hours later
            late = rng.sample([h for h in regulars if h not in people], 2)
            for who in late:
                hours, minutes, seconds = rng.randint(12, 14), rng.randint(0, 59), rng.randint(0, 59)
                when = date + timedelta(hours=hours, minutes=minutes, seconds=seconds)
                add_message(week, "chat", when, who, rng.choice(GM_LATE), None, ("trap:gm",))


SPREAD_PLANS = {  # message label: (emoji counts, mean delay in hours) of the organic reactions to it
    "p41": ({"👍": 11, "👎": 2, "🤔": 2}, 14),
    "p42": ({"👍": 8, "👎": 5, "👀": 3}, 12),
    "p43": ({"👍": 9, "❤️": 3}, 16),
    "p44": ({"✅": 8, "🫡": 4, "👍": 4}, 6),
    "snap41": ({"🗳️": 7, "👍": 3}, 5),
    "snap44": ({"🗳️": 5, "✅": 3}, 5),
    "bot40": ({"✅": 4}, 3),
}


APPRECIATED_TRAPS = ("trap:heated", "trap:positive_swearing", "trap:new_member")  # tagged, but still get likes


def run_reactions(week: Week) -> None:
    """Add organic reactions, the ring's reaction brigade and the astroturf accounts' mutual likes."""
    rng, labels = week.rng_people, week.labels
    regulars = _regulars(week)
    for label, (counts, mean_hours) in SPREAD_PLANS.items():
        msg = labels[label]
        people = rng.sample([h for h in regulars if h != msg["_who"]], sum(counts.values()))
        i = 0
        for emoji, n in counts.items():
            for who in people[i:i + n]:
                delay = timedelta(minutes=rng.uniform(3, 30)) + timedelta(hours=rng.expovariate(1 / mean_hours))
                when = min(msg["_when"] + delay, WEEK_END - timedelta(minutes=rng.randint(1, 300)))
                add_reaction(week, msg, who, emoji, when)
            i += n
    # the AIP-40 announcement: a genuine burst of 🎉 from established members (a trap for brigade detection)
    a40 = labels["a40"]
    for who in rng.sample([h for h in regulars if h != "mira_gov"], 24):
        delay = timedelta(seconds=20 + rng.expovariate(1 / 700))
        add_reaction(week, a40, who, rng.choice(["🎉", "🎉", "🎉", "❤️", "🔥"]), a40["_when"] + delay,
                     ("trap:congrats_reactions",))
    # the sockpuppet ring: 👍 on the AIP-41 forum post within ~4 minutes, then the same set on the AIP-43 post
    socks = [u.handle for u in week.kind("sock")]
    for target, start in ((labels["p41"], T("2026-11-19T14:12:03")), (labels["p43"], T("2026-11-19T14:17:40"))):
        clock = start
        for who in rng.sample(socks, len(socks)):
            add_reaction(week, target, who, "👍", clock, ("sock",))
            clock += timedelta(seconds=rng.uniform(8, 30), milliseconds=rng.randint(0, 999))
    # astroturf accounts like each other's posts now and then
    astro_msgs = [m for m in week.messages if "astro" in m["_tags"]]
    astro_people = [u.handle for u in week.kind("astro")]
    for msg in astro_msgs:
        if rng.random() < 0.5:
            who = rng.choice([h for h in astro_people if h != msg["_who"]])
            add_reaction(week, msg, who, "👍", msg["_when"] + timedelta(minutes=rng.uniform(5, 120)), ("astro",))
    # ordinary appreciation on ordinary messages
    labelled = {m["id"] for m in labels.values()}
    for msg in list(week.messages):
        if msg["_tags"] and not any(t in APPRECIATED_TRAPS for t in msg["_tags"]):
            continue
        if msg["id"] in labelled or week.users[msg["_who"]].kind in ("bot", "astro", "sock"):
            continue
        if rng.random() < 0.2:
            n = rng.choice([1, 1, 1, 2, 2, 3])
            people = rng.sample([h for h in regulars if h != msg["_who"]], n)
            emoji = rng.choice(["👍", "💯", "😂", "❤️", "🔥", "👀", "🙏"])
            for who in people:
                when = msg["_when"] + timedelta(minutes=rng.uniform(1, 90))
                if when < WEEK_END:
                    add_reaction(week, msg, who, emoji, when)
    # two ☀️ on gm messages every day, because people do that
    gms = [m for m in week.messages if "trap:gm" in m["_tags"]]
    for msg in rng.sample(gms, 12):
        who = rng.choice([h for h in regulars if h != msg["_who"]])
        add_reaction(week, msg, who, "☀️", msg["_when"] + timedelta(minutes=rng.uniform(1, 40)), ("trap:gm",))


def run_joins(week: Week) -> None:
    """Add member_join events for everyone who joined during the week."""
    for user in week.users.values():
        if user.kind in ("sock", "newcomer", "lurker"):
            week.joins.append({
                "type": "member_join",
                "guild_id": week.guild_id,
                "user_id": user.id,
                "user_name": user.handle,
                "created_at": iso(user.joined),
                "account_created_at": iso(user.created),
                "_when": user.joined,
                "_who": user.handle,
            })


def build(scenes: list[str], week: Week) -> None:
    """Run every scene (by start time), the gm waves, the joins and the reactions."""
    starts = sorted(range(len(scenes)), key=lambda i: (T(scenes[i].split("\n", 1)[0].split()[2]), i))
    for i in starts:
        run_scene(week, scenes[i])
    run_gm_waves(week)
    run_joins(week)
    run_reactions(week)
    for msg in week.messages:  # nothing may fall outside the week
        assert WEEK_START <= msg["_when"] <= WEEK_END, msg["content"][:40]
    for r in week.reactions:
        assert WEEK_START <= r["_when"] <= WEEK_END


def main() -> None:
    """Build the week and write the three files."""
    texts = load_texts()
    week = new_week(texts.accounts, texts.posts)
    build(texts.scenes, week)
    write_jsonl(HERE / "sample_server.jsonl", week.messages + week.reactions + week.joins)
    truth = build_truth(week)
    write_json(HERE / "sample_server.truth.json", truth)
    export = build_dce(week)
    write_json(HERE / "discordchatexporter_sample.json", export)
    abusive = [m["id"] for m in export["messages"] if m["id"] in truth["abusive"]["message_ids"]]
    print(f"discordchatexporter_sample.json: {export['messageCount']} messages of #{export['channel']['name']}, "
          f"abusive: {len(abusive)}")
    c = truth["counts"]
    print(f"sample_server.jsonl: {c['messages']} messages, {c['reactions']} reactions, {c['member_joins']} joins, "
          f"{c['authors']} authors")
    print("planted: " + ", ".join(f"{k} {len(v)}" for k, v in truth["expected"].items()))


if __name__ == "__main__":
    main()
