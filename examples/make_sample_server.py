# ruff: noqa: E501
"""Generate govmod's bundled sample server: one week (ISO week 2026-W47) of a DAO's governance channels.

Everything written here is synthetic: "Aster DAO", its members, proposals, links and numbers were
made up for govmod's demo and tests. The hand-written texts live in this file; the script only
schedules them, gives them Discord snowflake ids and writes three files next to it:

- ``sample_server.jsonl``: the week in govmod's JSON Lines input contract (messages, reactions, member joins)
- ``sample_server.truth.json``: what is planted where (abuse, LLM astroturf, sockpuppet ring, traps)
- ``discordchatexporter_sample.json``: one day of ``#governance`` in DiscordChatExporter's JSON format

Run ``python examples/make_sample_server.py``; the output is byte-identical on every run (seeded,
no wall clock, no hash-ordered iteration).

Scene format (one scene = one channel, one start time; lines are scheduled with a typing delay):
    ## <channel> <start>          channel: ann, gov, chat, t41..t44 (forum threads); start: 2026-11-16T09:40
    [label] {tags} who>target: text
        ``>target`` replies to ``target``'s latest message in this channel, or to ``#label``.
        tags: abuse, astro, sock, trap:<kind>, edit=<time> or edit=+<minutes>. ``$NAME`` inserts a long post;
        ``¶`` is a paragraph break and ``↵`` a line break inside a message.
    +5m / +30s / +2h              wait before the next line
    @14:02:10                     set the clock (same day)
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 16, tzinfo=UTC)
WEEK_END = datetime(2026, 11, 22, 23, 59, 59, 999000, tzinfo=UTC)

rng_ids = random.Random(4701)  # low 22 bits of snowflakes
rng_time = random.Random(4702)  # typing delays
rng_people = random.Random(4703)  # who says gm, who reacts
rng_misc = random.Random(4704)  # avatars, account creation clock times


def T(text: str) -> datetime:
    """Parse a naive ISO time as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ms_floor(dt: datetime) -> datetime:
    """Drop sub-millisecond precision (Discord timestamps are milliseconds)."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def iso(dt: datetime) -> str:
    """Format as ISO 8601 UTC with milliseconds and a Z."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


_used_ids: set[int] = set()


def snowflake(dt: datetime) -> str:
    """Return a unique Discord snowflake whose timestamp part is ``dt``."""
    ms = (ms_floor(dt) - DISCORD_EPOCH) // timedelta(milliseconds=1)
    while True:
        value = (ms << 22) | rng_ids.getrandbits(22)
        if value not in _used_ids:
            _used_ids.add(value)
            return str(value)


def snowflake_time(sf: str) -> datetime:
    """Return the creation time encoded in a snowflake."""
    return DISCORD_EPOCH + timedelta(milliseconds=int(sf) >> 22)


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

GUILD_NAME = "Aster DAO"
GUILD_ID = snowflake(T("2021-10-05T17:22:41.318"))
CATEGORY_ID = snowflake(T("2021-10-05T17:31:02.554"))  # the "GOVERNANCE" category
CHANNELS = {
    "ann": {"id": snowflake(T("2021-10-05T17:33:19.120")), "name": "announcements", "type": 5,
            "topic": "Official announcements. Read-only."},
    "gov": {"id": snowflake(T("2021-10-05T17:35:47.902")), "name": "governance", "type": 0,
            "topic": "Discussion of live proposals. Be civil: argue with positions, not people. Votes: snapshot.org/#/asterdao.eth and tally.xyz/gov/aster"},
    "chat": {"id": snowflake(T("2022-03-14T10:02:11.407")), "name": "general-governance-chat", "type": 0,
             "topic": "Casual governance chat, questions welcome."},
    "forum": {"id": snowflake(T("2023-03-21T15:48:30.016")), "name": "proposals", "type": 15,
              "topic": "One post per AIP. Title format: AIP-<n>: <title>"},
}
THREAD_TITLES = {
    "t41": "AIP-41: Treasury diversification into stablecoins",
    "t42": "AIP-42: Raise delegate compensation",
    "t43": "AIP-43: Grants council renewal (Season 4)",
    "t44": "AIP-44: Emergency multisig signer rotation",
}
ROLES = {  # name: (color, position); used for the DiscordChatExporter sample
    "Moderator": ("#E67E22", 9),
    "Security Council": ("#E74C3C", 8),
    "Delegate": ("#3498DB", 6),
    "Treasury WG": ("#2ECC71", 5),
    "Contributor": ("#9B59B6", 4),
    "Member": (None, 1),
}


@dataclass
class User:
    """One account in the sample server."""

    handle: str
    display: str
    kind: str  # regular, astro, sock, newcomer, lurker, bot
    created: datetime
    joined: datetime
    roles: tuple[str, ...] = ()
    id: str = ""

    def __post_init__(self) -> None:
        self.id = snowflake(self.created)
        self.created = snowflake_time(self.id)


def _account_time(day: str) -> datetime:
    """Return a clock time on ``day`` for an account creation or an old join."""
    base = T(day)
    return ms_floor(base + timedelta(seconds=rng_misc.randint(6 * 3600, 23 * 3600), milliseconds=rng_misc.randint(0, 999)))


# handle | display name | account created | joined the server | roles
REGULARS_TABLE = """
ferro.eth|ferro.eth|2021-03-14|2021-10-07|Delegate
ana_treasury|Ana (Treasury WG)|2021-06-02|2021-10-09|Treasury WG,Contributor
mira_gov|mira 🌙|2021-01-20|2021-10-06|Moderator,Delegate,Contributor
lindqvist|Lindqvist|2021-08-19|2021-11-02|Delegate
tomasz_k|Tomasz K|2022-01-11|2022-02-03|Treasury WG,Contributor
kwame.builds|Kwame|2021-05-30|2021-12-12|Contributor
priya.eth|Priya|2021-09-03|2021-10-20|Contributor
sven_nodes|sven|2021-02-27|2021-10-08|Security Council,Contributor
0xjules|jules|2022-04-18|2022-05-01|Member
hodlgrandpa|grandpa|2021-04-09|2022-01-15|Member
defi_dani|dani|2022-07-21|2022-08-02|Member
cryptonomad|nomad|2021-11-28|2022-03-09|Member
leafy|leafy 🌿|2022-10-14|2023-01-20|Member
oksana_r|Oksana|2021-12-05|2022-06-17|Delegate
bigmike_eth|Big Mike|2022-02-22|2022-03-01|Member
rustacean_ro|Ro|2023-01-08|2023-02-14|Contributor
yuki.s|Yuki|2022-05-19|2023-04-04|Contributor
gaspard|Gaspard|2021-07-07|2022-09-30|Member
the_real_fen|Fen|2023-06-13|2023-07-01|Member
marisol.dao|Marisol|2022-03-30|2022-11-11|Member
degen_larry|larry|2022-08-08|2022-09-04|Member
pablo_v|Pablo|2024-02-10|2025-06-21|Member
hana.w|Hana|2023-09-02|2024-01-10|Member
ibrahim_o|Ibrahim|2021-10-22|2022-04-27|Contributor
chen_lu|Chen|2022-11-30|2023-05-18|Member
dmitri.eth|Dmitri|2021-06-25|2021-12-01|Member
sage_delegate|Sage|2022-06-06|2022-06-30|Delegate
nora_builds|Nora|2023-03-03|2023-03-29|Contributor
tobi_eth|Tobi|2022-12-24|2024-02-02|Member
jess_ops|Jess (Ops)|2021-09-15|2021-10-10|Contributor
lucas.m|Lucas|2023-10-10|2024-05-15|Member
fatima_z|Fatima|2022-09-09|2023-08-08|Member
wagmi_walt|Walt|2021-12-31|2022-01-05|Member
rina_k|Rina|2024-01-17|2024-03-03|Member
owen_research|Owen|2022-04-04|2023-10-21|Member
bea.eth|Bea|2023-05-05|2023-06-06|Member
mateo_gr|Mateo|2024-06-12|2024-09-01|Member
kofi_a|Kofi|2022-02-14|2024-11-30|Member
zoe_onchain|zoe|2023-11-11|2024-12-12|Member
hugo.v|Hugo|2021-08-01|2022-02-28|Contributor
ines_p|Inês|2022-07-07|2023-02-02|Member
max_rekt|max (rekt arc)|2021-05-05|2021-11-11|Member
sato_ren|Ren|2023-02-28|2023-09-09|Member
aditi.dev|Aditi|2022-10-31|2024-04-04|Contributor
felix_cm|Felix|2021-10-01|2021-10-12|Moderator,Contributor
ola_nordic|Ola|2023-07-19|2025-01-19|Member
gwen_lp|Gwen|2022-01-01|2023-03-15|Member
paulo_btc|Paulo|2021-03-03|2022-12-12|Member
kim_delegate|Kim|2022-08-30|2022-10-01|Delegate
vlad_sec|Vlad|2022-05-25|2023-01-04|Security Council,Contributor
elif.eth|Elif|2023-04-20|2024-07-07|Member
ramirez|Ramírez|2021-11-11|2022-07-17|Member
noodle_dao|noodle|2024-03-30|2024-10-10|Member
tess_writes|Tess|2022-06-18|2023-11-23|Member
bram_v|Bram|2021-07-27|2022-05-05|Member
kai_apes|Kai|2023-12-01|2025-02-14|Member
amara_n|Amara|2022-04-22|2022-10-22|Delegate
quinn.eth|Quinn|2024-05-05|2025-03-03|Member
sol_surfer|surfer|2022-09-19|2023-06-19|Member
mo_analytics|Mo|2023-08-08|2024-08-08|Member
"""

# Accounts that post the LLM-written support for AIP-42: not fresh (months old), little history.
ASTRO_TABLE = """
civic_oracle|Civic Oracle|2025-04-11|2026-08-27
harborlight.eth|Harborlight|2024-12-02|2026-09-14
elena_wardell|Elena W.|2025-07-30|2026-10-03
northwind_gov|Northwind|2025-02-19|2026-09-22
"""

# The sockpuppet ring: accounts created days before, all joining within ~18 minutes on Thursday.
SOCK_TABLE = """
ok_rafa|rafa|2026-11-12T08:14:09|2026-11-19T13:41:12
lunar.tide|lunar tide|2026-11-12T08:31:55|2026-11-19T13:42:40
jpeg_kyle|kyle|2026-11-13T19:02:31|2026-11-19T13:44:05
mintyfresh99|minty|2026-11-13T19:20:47|2026-11-19T13:46:51
blocknorth|blocknorth|2026-11-14T02:48:13|2026-11-19T13:48:22
sol_fisher_|sol fisher|2026-11-14T03:05:38|2026-11-19T13:50:37
ramen_capital|ramen capital|2026-11-14T21:40:02|2026-11-19T13:52:18
greyhawk_eth|greyhawk|2026-11-15T10:11:26|2026-11-19T13:55:03
ziggy_onchain|ziggy|2026-11-15T10:29:44|2026-11-19T13:57:41
vera.defi|vera|2026-11-15T11:57:19|2026-11-19T13:59:10
"""

# Genuinely new members: the Tuesday wave after a Twitter Space, plus one on Saturday.
NEWCOMER_TABLE = """
marta_learns|Marta|2023-04-18T12:00:00|2026-11-17T18:03:27
bjorn.builds|Bjørn|2020-06-09T09:30:00|2026-11-17T18:09:51
ayo_defi|Ayo|2024-08-22T17:45:00|2026-11-17T18:16:02
lena_k|Lena|2026-11-09T20:12:00|2026-11-17T18:24:40
rtfm_raj|Raj|2022-01-30T07:05:00|2026-11-17T18:37:13
cass.eth|Cass|2021-05-17T14:40:00|2026-11-17T18:52:29
thepixelmonk|pixelmonk|2025-05-03T11:11:00|2026-11-17T19:05:48
hiro_t|Hiro|2023-07-07T03:20:00|2026-11-17T19:21:05
juno_vale|Juno|2024-10-28T16:00:00|2026-11-21T17:24:36
"""

# Joined during the week and said nothing (only a member_join event).
LURKER_TABLE = """
silentbob_42|silentbob|2022-09-12T10:00:00|2026-11-16T15:31:44
ana_brz|Ana B.|2025-12-01T21:00:00|2026-11-20T08:12:09
"""

USERS: dict[str, User] = {}


def _load_users() -> None:
    """Create every account from the tables above."""
    for line in REGULARS_TABLE.strip().splitlines():
        handle, display, created, joined, roles = line.split("|")
        USERS[handle] = User(handle, display, "regular", _account_time(created), _account_time(joined), tuple(roles.split(",")))
    for line in ASTRO_TABLE.strip().splitlines():
        handle, display, created, joined = line.split("|")
        USERS[handle] = User(handle, display, "astro", _account_time(created), _account_time(joined), ("Member",))
    for table, kind in ((SOCK_TABLE, "sock"), (NEWCOMER_TABLE, "newcomer"), (LURKER_TABLE, "lurker")):
        for line in table.strip().splitlines():
            handle, display, created, joined = line.split("|")
            created_at = T(created) + timedelta(milliseconds=rng_misc.randint(0, 999))
            USERS[handle] = User(handle, display, kind, created_at, T(joined) + timedelta(milliseconds=rng_misc.randint(0, 999)), ("Member",))
    USERS["aster-gov"] = User("aster-gov", "Aster Gov", "bot", _account_time("2022-01-20"), _account_time("2022-01-20"))


_load_users()

# --------------------------------------------------------------------------------------------
# Long posts
# --------------------------------------------------------------------------------------------

POSTS = {
    "AIP41": """**AIP-41: Treasury diversification into stablecoins**

**Summary**
Sell 18M ASTR (~9.5% of the treasury's ASTR) over 12 weeks through a TWAP and hold the proceeds in USDC and DAI/sDAI. This takes our stablecoin runway from ~7 months to ~18 months.

**Motivation**
The treasury holds ~190M ASTR (~$78M at $0.41) and $4.6M in stablecoins, so ~94% of its value is our own token. Net burn is about $650k/month (opex ~$1M, protocol revenue covers ~35%). In the 2025 drawdown ASTR fell 78% peak to trough and we had to pause two grant rounds and push back the v3 audit. Most of you remember that. We'd like to not do it again.

**Specification**
- Sell 18,000,000 ASTR via CoW Swap TWAP, max 250k ASTR per order, over 12 weeks (~1.5M/week)
- Proceeds: 60% USDC, 40% DAI; DAI we won't need within 6 months goes into sDAI (already approved under AIP-29)
- Price floor: pause if ASTR trades below $0.30 for 3 consecutive days
- No LP positions, no lending markets
- Treasury WG posts a fills report in this thread every 2 weeks

**Market impact**
1.5M ASTR/week is ~2.8% of the last 90 days' average weekly DEX volume on the two main pairs. Expected slippage is under 0.4% (Tomasz's model, linked below). If volume halves, ~0.7%.

**Risks**
- Selling near a local low. Nobody can time it, which is why this is a TWAP and not one trade.
- Stablecoin issuer risk. Split across two issuers on purpose, open to adding a third.
- Signalling: the DAO sells its own token. We think paying contributors on time is the stronger signal.

**Links**
- Model and assumptions: https://docs.asterdao.xyz/treasury/aip-41-model
- Temp check (passed, 71% for): https://forum.asterdao.xyz/t/temp-check-treasury-diversification/1184

Snapshot goes live Thursday 12:00 UTC unless there are blocking objections. Please poke holes in this.""",
    "AIP42": """**AIP-42: Raise delegate compensation**

*Posted by mira on behalf of the Delegate Council. Disclosure: I'm a delegate (rank 14 by voting power) and would be eligible.*

**TL;DR**
Replace the current 1,500 ASTR/month delegate stipend with 2,500 USDC/month base plus up to 1,000 USDC/month for rationale quality, for the top 20 delegates who meet the participation requirements. Review after 6 months.

**Why**
- The current stipend is worth ~$615/month at today's price. It was set in 2023 when ASTR was $1.90.
- Participation among the top 30 delegates fell from 86% (Q1) to 64% (Q3).
- 4 of the 10 most active delegates told the council they'll step down in 2027 unless something changes.
- 3 of the last 5 on-chain votes were within 0.5% of quorum 24h before close.

**Requirements**
- >= 200k ASTR delegated voting power (unchanged)
- >= 80% participation on Snapshot and Tally over a rolling 90 days (unchanged)
- NEW: a written rationale in the forum thread for every vote, within 48h of voting
- NEW: attend at least one community call per month

**Performance bonus**
A panel of 3 non-delegate contributors scores rationales every month (0-3). 3 = full 1,000 USDC, 2 = 500 USDC, below 2 = nothing.

**Clawback**
A delegate who falls below 80% participation in a quarter returns that quarter's base pay or forfeits the next quarter.

**Cost**
Max $840k/year, expected ~$690k. Paid from the operations budget, not from grants.

**Review**
The council reports after 6 months with participation data. If participation hasn't improved, the program reverts to the old stipend automatically.

Feedback welcome, especially on the size. Snapshot no earlier than Thursday 26 Nov.""",
    "AIP43": """**AIP-43: Grants council renewal (Season 4)**

**Summary**
Renew the Grants Council for Season 4 (Jan-Jun 2027): 5 seats, 900k ASTR for grants and 120k USDC for council operations and external reviews.

**Season 3 in numbers**
- 41 grants funded, 612k ASTR paid out of 750k budgeted
- 29 delivered, 6 still in progress, 6 failed or abandoned
- median time from application to decision: 19 days (target was 14)
- median milestone review: 24 days. Way too slow, see below.

**What changes in S4**
1. Milestone payouts for every grant above 20k ASTR; the first milestone is at most 25% of the grant
2. Public scorecard: status, reviewer and decision date of every application on the grants page
3. Milestone reviews within 10 business days, otherwise the milestone is paid automatically
4. Mandatory recusal when a council member has any relationship with an applicant, logged publicly
5. New track: public goods & security tooling (150k ASTR of the budget)

**Budget**
- Grants: 900k ASTR (~$369k at $0.41)
- Council ops: 120k USDC (5 x 2,000 USDC/month stipends + 60k for external technical reviews)

**Accountability**
The council publishes a mid-season report in April. Token holders can recall the council with a normal Snapshot vote at any time.

Council elections happen separately in December; this vote only sets the mandate and the budget.

Full doc: https://docs.asterdao.xyz/grants/season-4""",
    "AIP44": """**AIP-44: Emergency multisig signer rotation**

⚠️ Emergency proposal under Art. 7.3 of the constitution (72h Snapshot, 2% quorum).

**What**
Rotate two owners of the Treasury Safe (4-of-7):
- remove **hugo.v** (hardware wallet lost during a move, seed not reachable for ~3 weeks), add **vlad_sec** (Security Council)
- remove **0xbeam** (unresponsive for 60+ days on every channel we know), add **jess_ops** (Operations)

The threshold stays 4-of-7.

**Why now**
Right now only 5 of the 7 keys are reachable. If one more signer becomes unavailable we're at exactly 4 with zero margin: one more lost device and the treasury can't move funds, payroll included. We also can't rule out that 0xbeam's key is compromised.

**Process**
1. Both new signers post a signed message with their address in #signers-verification
2. The Safe transaction and a Tenderly simulation get posted in this thread before the vote opens
3. If the vote passes, the reachable signers execute within 24h

Both affected signers were contacted first. Hugo agrees; 0xbeam hasn't answered.

Questions below. Please verify the addresses yourselves, don't trust me.""",
}

# --------------------------------------------------------------------------------------------
# Scenes (hand-written conversation), in no particular order; they are run by start time
# --------------------------------------------------------------------------------------------

SCENES = [
    # ============================== Monday 16 Nov ==============================
    """## ann 2026-11-16T08:00
felix_cm: 📅 **Governance week 47**¶• **AIP-41** Treasury diversification into stablecoins: forum post today, Snapshot planned Thu 19 Nov↵• **AIP-42** Delegate compensation: forum post today↵• **AIP-43** Grants council renewal: forum post Tue↵• **AIP-40** Security council budget: on-chain vote closes Tue 15:00 UTC↵• Community call Thu 16:00 UTC on stage¶Read the proposals before voting. Delegates: rationales go in the forum thread, not in DMs 🙏
""",
    """## chat 2026-11-16T09:41
0xjules: mondays should be illegal
hodlgrandpa: every day is monday when ur retired
0xjules>hodlgrandpa: grandpa woke up and chose violence
leafy: anyone else read the AIP-41 temp check over the weekend? a lot of numbers for a sunday
defi_dani>leafy: the numbers are the point lol. first time treasury WG actually showed their model
leafy: fair. i just want someone to explain the TWAP bit like im 5
tomasz_k>leafy: instead of selling everything in one go (and eating the slippage) you split it into lots of small orders over 12 weeks so each one barely moves the price. that's it
leafy: ok that is actually simple, ty 🙏
cryptonomad: "ASTR at 0.41" is doing a lot of work in that doc ngl
tomasz_k>cryptonomad: it's spot as of friday. the sheet has a tab with 0.25 and 0.60 scenarios if you want to be sad or happy
""",
    """## t41 2026-11-16T10:14
[p41] {edit=2026-11-18T21:02:17} ana_treasury: $AIP41
+38m
tomasz_k: Model is here for anyone who wants to check my work: https://docs.asterdao.xyz/treasury/aip-41-model¶The slippage estimate assumes CoW batches against the two main pools (ASTR/WETH and ASTR/USDC on Uniswap v3) and uses 90 days of volume, not 7, so it's conservative-ish. If volume halves the estimate goes to ~0.7%.
ferro.eth: Supportive in principle. 7 months of stable runway is not a position a DAO with 30+ paid contributors should be in.¶Two questions before I can vote yes:↵1. Why DAI at 40%? DAI is itself largely backed by USDC these days, so the "two issuers" diversification is weaker than it looks.↵2. The $0.30 floor: who decides to resume after a pause? Treasury WG alone, or does it need a vote?
ana_treasury>ferro.eth: 1. fair, the split was mostly about not having all eggs with Circle. open to 70/30 or adding a third (BOLD was mentioned in the temp check)↵2. WG can resume after 7 days back above the floor, anything longer needs a new snapshot. will make that explicit in the spec
lindqvist: I'll be the annoying one as usual. We're selling our own token near a local low to buy dollars. Every DAO that did this in 2022 sold the bottom. What's the argument that now is different, other than "we're scared"?
defi_dani>lindqvist: the argument is you dont know its a local low. nobody does. thats the whole point of a TWAP over 12 weeks
lindqvist>defi_dani: I know. And I'm saying 12 weeks of steady sell pressure is a signal the market reads too. We're telling everyone the DAO itself doesn't want to hold ASTR.
gaspard: tbh paying contributors in a token that can drop 78% is the bigger signal
ana_treasury>lindqvist: We're not selling because we think price goes down. We're selling because our obligations are in dollars. Salaries, audits, infra. In 2025 we cut two grant rounds because of exactly this.
lindqvist: Understood, and I respect the work in the doc. I'd support half the size. 9M over 12 weeks, revisit in Q2.
+25m
oksana_r: question on the sDAI part: is it covered by the risk framework or does it need a separate vote? last time we touched yield (AIP-29) it took 3 weeks of back and forth
ana_treasury>oksana_r: covered by AIP-29 actually, sDAI is on the approved list. Aave and Morpho are not, which is why the spec says no lending markets
oksana_r: 👍 thanks
""",
    """## gov 2026-11-16T11:05
mira_gov: reminder for delegates: AIP-40 on-chain vote closes tomorrow 15:00 UTC. we're at 3.1% of the 4% quorum. if you hold delegated power and haven't voted, please do 🙏 https://www.tally.xyz/gov/aster/proposal/40
sage_delegate>mira_gov: voted. sorry, was traveling
{edit=+2} pablo_v: noob question: why is quorum 4% on tally but different on snapshot?
mira_gov>pablo_v: not noob at all. Snapshot (offchain, signalling) uses 2% of circulating supply, Tally (onchain, binding) uses 4% of total supply. section 4 of the constitution: https://docs.asterdao.xyz/governance/constitution#quorum
pablo_v: thanks! so snapshot is basically a temperature check?
mira_gov>pablo_v: for most things yes. anything that moves treasury funds or touches contracts has to go onchain after
kwame.builds: 3.1% the day before close is a bit scary. is there a list of delegates who haven't voted?
mira_gov>kwame.builds: the delegate dashboard has it. top 5 non-voters are mostly inactive, there's a forum thread about re-delegation campaigns
rustacean_ro: karma dashboard shows 11 of the top 30 delegates under 50% participation this quarter. that's the real problem imo
kwame.builds>rustacean_ro: which is basically the AIP-42 argument no? pay delegates properly and they show up
rustacean_ro>kwame.builds: or pay them and they still dont show up. we'll see what the post says
""",
    """## chat 2026-11-16T13:10
bigmike_eth: whos going to devcon next year, trying to figure out if its worth the flight
yuki.s>bigmike_eth: worth it for the side events honestly. main venue was packed last time
bigmike_eth: yeah thats what i heard. the aster meetup was fun tho
marisol.dao: the aster meetup had better food than the main conference, no contest
the_real_fen: still thinking about those empanadas
marisol.dao>the_real_fen: i know the place, will share if we do one again 😂
chen_lu: unrelated but has anyone figured out why the docs search is broken? searching "quorum" returns the brand guidelines
felix_cm>chen_lu: lol. known issue, the search index didn't rebuild after the docs migration. fix is in review
chen_lu>felix_cm: ty. the brand guidelines are lovely though
hana.w: whats the easiest way to see my voting power? I delegated to myself ages ago and forgot if it worked
rustacean_ro>hana.w: tally.xyz/gov/aster → connect → profile. if it shows 0 you delegated to someone else or never did
hana.w: it says 0 😭
rustacean_ro>hana.w: delegate again, it's a cheap tx on L2. counts from the next block
hana.w: done, thanks!!
""",
    """## t42 2026-11-16T15:05
[p42] mira_gov: $AIP42
+22m
{edit=+11} lindqvist: Disclosure: I'm a delegate and would receive this. I'm against it anyway.¶Going from ~$615/month to up to $3,500/month is a 5x increase in a year where we're discussing selling treasury tokens to extend runway. The optics of AIP-41 and AIP-42 in the same week are terrible.¶What I'd support: keep the current amount, make the participation requirements stricter, and drop anyone under 80% automatically.
ferro.eth: Also a delegate, also disclosing. I think this is roughly the right direction and the wrong size.¶Honest truth: the current stipend pays for maybe 3 hours a month. Reading four proposals like this week's properly is 10+ hours. The people who do it anyway are either wealthy, paid by a fund, or burning out. None of those is great for a DAO.
lindqvist>ferro.eth: Then let's talk about the size. 2,500 USDC base for 20 people is $600k a year. The grants council runs on less.
ferro.eth>lindqvist: Fair comparison. I'd be fine with 1,500 base + performance. That's $600k at the absolute max, realistically closer to $400k.
jess_ops: ops pov: the rationale scoring part worries me. who scores rationales? if it's the council that's a lot of work nobody budgeted
mira_gov>jess_ops: a rotating panel of 3 non-delegate contributors, ~2 hours/month each. we can put a small stipend on it
nora_builds: as a non-delegate: I'd happily pay for delegates who write actual rationales. half the votes last quarter had "voted yes, looks good" as the reasoning 😬
""",
    """## t41 2026-11-16T17:30
kim_delegate: Reading through the model now. One thing missing: if the vote passes and the market moves 40% against us in week 2, do we keep selling into it until the floor?
tomasz_k>kim_delegate: yes, until the floor. that's the point of a rule instead of vibes. the floor exists so we never sell below 0.30
kim_delegate: ok. I'd rather have the floor at 0.33 but I can live with it
hodlgrandpa: been here since the airdrop. sold NOTHING. the treasury should do the same imo 💎🙌
max_rekt>hodlgrandpa: grandpa the treasury has to pay people, your diamond hands dont pay the auditors
hodlgrandpa>max_rekt: auditors can take ASTR like the rest of us lol
ibrahim_o: Auditors will not take ASTR, speaking from experience. We asked three firms last year for the v3 audit, all USD only.
""",
    """## t42 2026-11-16T19:42
{astro} civic_oracle: I wholeheartedly support this proposal. Fair compensation for delegates is not a luxury; it is an investment in the long-term health of our governance. By aligning incentives with meaningful participation, AIP-42 fosters transparency, accountability, and a more resilient decision-making process for the entire Aster community.
""",
    """## chat 2026-11-16T20:15
owen_research: finished my writeup on delegate pay across 12 DAOs. TLDR paying delegates helps participation for about 2 quarters and then it regresses unless there's a performance component https://owenresearch.substack.com/p/delegate-pay
tess_writes>owen_research: this is great, the chart in section 3 basically settles the AIP-42 debate lol
owen_research>tess_writes: it really doesn't 😅 sample size is tiny and half of these programs changed their rules midway
tess_writes: ok it settles it for me then
dmitri.eth: whos on the call thursday? i want to ask about the TWAP floor and im terrible at writing long forum replies
felix_cm>dmitri.eth: the call is open to everyone, just raise your hand. 16:00 UTC on stage
""",
    """## t42 2026-11-16T22:10
{astro} harborlight.eth: This proposal represents a meaningful step forward for our governance. Delegates dedicate significant time and expertise to reviewing proposals, engaging with the community, and ensuring that decisions are well-informed. Providing fair and sustainable compensation not only recognizes these contributions but also helps attract and retain high-quality participants. Strongly in favor.
""",
    # ============================== Tuesday 17 Nov ==============================
    """## t42 2026-11-17T09:55
{astro} elena_wardell: After carefully reviewing AIP-42, I am convinced that it addresses a critical gap in our governance model. Delegates play a pivotal role in shaping the future of the DAO, and it is only fair that their efforts are recognized accordingly. The emphasis on transparency and measurable participation makes this proposal both practical and principled.
""",
    """## chat 2026-11-17T10:28
sol_surfer: did anyone else get the fake "aster airdrop claim" DM this morning? its a drainer, don't click
felix_cm>sol_surfer: yes, reported. reminder for everyone: the team will never DM you first. ever.
jess_ops: pinned a warning in announcements too
wagmi_walt: got 3 of them lol. they even copied mira's avatar
mira_gov>wagmi_walt: I'm flattered and furious
paulo_btc: new tactic is replying to you in threads pretending to be support. report + block
bram_v: lost a wallet to one of these in 2022. it happens to smart people, don't be embarrassed to ask if something is legit
""",
    """## ann 2026-11-17T10:34
jess_ops: ⚠️ **Scam alert**: a fake "ASTR airdrop claim" is going around in DMs, some with a copy of a moderator's avatar. There is no airdrop. The team never DMs first and never asks you to connect a wallet or sign anything. Report the account to Discord and block it.
""",
    """## t43 2026-11-17T11:20
[p43] priya.eth: $AIP43
+31m
kwame.builds: S3 grantee here (the indexer). milestone payouts would have been fine for us, we hit them all. but the review wait after each milestone is too long for small teams, we almost ran out of money waiting for M2
priya.eth>kwame.builds: yeah that's on us, S3 median review was 24 days. S4 target is 10 business days and the scorecard will show it publicly so you can yell at us
kwame.builds: i will yell with love
amara_n: Why 5 seats instead of 7? Feels like 5 concentrates a lot of budget authority in few people.
priya.eth>amara_n: 7 in S2 was slow, quorum on council calls was a constant problem. 5 + mandatory recusal + public votes felt like the better trade. not religious about it
lindqvist: 6 of 41 grants failed outright and we're asking for more budget than S3. I'd like to see the 6 post-mortems before voting.
priya.eth>lindqvist: fair ask. 4 are written already, will link them this week. the other 2 teams ghosted us, which is kind of its own post-mortem
ines_p: +1 to public scorecards. as an applicant last season I had no idea where my application was for 6 weeks
aditi.dev: will S4 have a track for security tooling? there was nothing in S3 and the security council keeps asking for monitoring
priya.eth>aditi.dev: yes! "public goods & security" track, 150k of the budget, it's point 5
aditi.dev: missed that, thanks 🙏
""",
    """## t42 2026-11-17T12:10
{edit=+6} tomasz_k: Quick cost table since everyone is quoting different numbers:↵• current program: 20 x 1,500 ASTR x 12 = 360k ASTR/yr ≈ $148k at 0.41↵• AIP-42 as written: 20 x (2,500 + up to 1,000) x 12 = $600k-840k/yr↵• ferro's 1,500 base version: $360k-600k/yr
kim_delegate: thanks tomasz. the 840k number is the one people will remember, even if realistically nobody gets the full bonus every month
mira_gov>kim_delegate: realistically the panel would give the full bonus to maybe 5 delegates, we modelled ~$690k. but I hear the feedback on size, will post a revision thursday
oksana_r: could part of it be paid in ASTR vested over 12 months? aligns delegates with the token, and doesn't drain stables in the same month AIP-41 is trying to build them up
mira_gov>oksana_r: that's a good idea actually. 50/50 USDC / vested ASTR?
oksana_r>mira_gov: something like that, yes
ferro.eth: +1 to Oksana. I'd vote for 1,500 base, half of it in 12-month vested ASTR, performance bonus on top.
""",
    """## gov 2026-11-17T13:30
{astro} northwind_gov: Just wanted to highlight AIP-42 for anyone who hasn't had a chance to review it yet. In my opinion, it is one of the most impactful proposals this season. Investing in our delegates ensures that governance remains active, informed, and aligned with the long-term interests of the protocol.
""",
    """## ann 2026-11-17T15:04
[bot40] aster-gov: 🗳️ **Vote closed: AIP-40: Security Council budget FY27**↵Result: **Passed**↵For: 41,882,310 ASTR (93.6%)↵Against: 2,611,004 ASTR (5.8%)↵Abstain: 268,120 ASTR (0.6%)↵Quorum: 4.47% of 4.00% ✅↵Queued in the timelock (48h) · https://www.tally.xyz/gov/aster/proposal/40
""",
    """## ann 2026-11-17T16:00
[a40] mira_gov: 🎉 **AIP-40 has passed!** The Security Council budget for FY27 is approved with 93.6% in favour, and quorum was reached with about 3 hours to spare. Huge thanks to every delegate who voted in the last 24h, and to vlad_sec and the Security Council for a very clear proposal and an open review. Execution after the 48h timelock.
""",
    """## chat 2026-11-17T16:01
{trap:congrats} leafy: congrats!! 🎉
+20s
{trap:congrats} 0xjules: congrats!
+15s
{trap:congrats} yuki.s: well deserved 🎉
+30s
{trap:congrats} defi_dani: congrats sec council 🎉
+25s
{trap:congrats} hodlgrandpa: CONGRATS
+40s
{trap:congrats} bea.eth: well deserved!
+20s
{trap:congrats} marisol.dao: congrats everyone 🎉🎉
+35s
{trap:congrats} sato_ren: congrats!
+50s
{trap:congrats} kofi_a: congrats 🎉
+30s
{trap:congrats} felix_cm: gg everyone, close one on quorum 😅
+45s
{trap:congrats} zoe_onchain: well deserved 🎉
+20s
{trap:congrats} gwen_lp: congrats!
+1m
{trap:congrats} nora_builds: well deserved, vlad and team put in the work
+40s
{trap:congrats} cryptonomad: lfg 🎉
+1m
{trap:congrats} tobi_eth: congrats!!
+2m
{trap:congrats} kai_apes: congrats 🎉
+1m
{trap:congrats} elif.eth: well deserved 🎉
+2m
{trap:congrats} vlad_sec: thank you all 🙏 now the actual work starts
+30s
{trap:congrats} max_rekt>vlad_sec: go get em 🫡
+3m
{trap:congrats} ramirez: congrats! quorum drama every single time lol
""",
    """## chat 2026-11-17T16:50
{astro} harborlight.eth: Congratulations to everyone involved in AIP-40! Outcomes like this highlight the importance of having dedicated, well-supported delegates who can drive participation and reach quorum. It's a great reminder of why initiatives such as AIP-42 are so valuable for the continued growth of our community.
""",
    """## chat 2026-11-17T18:05
{trap:new_member} marta_learns: hi! just joined after the twitter space, the part about the grants council was really interesting. is the S4 application open yet?
priya.eth>marta_learns: welcome! not yet, only if AIP-43 passes. early january probably
@18:12
{trap:new_member} bjorn.builds: hey all. solidity dev, been lurking the repo for a while. is there a contributor channel or do people just open PRs?
kwame.builds>bjorn.builds: welcome! PRs are fine, but say hi in #dev first, the triage rotation is in the pinned message
@18:19
{trap:new_member} ayo_defi: Hello from Lagos 👋 came for the treasury discussion, stayed for the memes
0xjules>ayo_defi: correct order of priorities. welcome
@18:27
{trap:new_member} lena_k: first time in a DAO discord, sorry if this is the wrong place. how do I get the delegate role?
mira_gov>lena_k: not wrong at all! there's no role to request, you become a delegate when people delegate voting power to you. guide: https://docs.asterdao.xyz/governance/delegates
lena_k>mira_gov: oh that makes sense. thank you!
@18:41
{trap:new_member} rtfm_raj: yo. is the AIP-41 model sheet public or WG only? want to run my own numbers on the slippage
tomasz_k>rtfm_raj: public, linked in the forum post. please do, and tell me where it's wrong
@18:55
{trap:new_member} cass.eth: Hi everyone, I'm a delegate at two other DAOs and looking into Aster. Is there a delegate code of conduct I should read before anything else?
ferro.eth>cass.eth: welcome Cass. yes, appendix B of the constitution. also happy to give you context on the current proposals if you want
@19:09
{trap:new_member} thepixelmonk: hey hey. designer here, saw the call for help with the governance dashboard redesign. who do i talk to?
felix_cm>thepixelmonk: me! DM me your portfolio, the brief goes out this week
@19:24
{trap:new_member} hiro_t: こんにちは! joined from the japanese community chat. will there be translated summaries of proposals again this season?
yuki.s>hiro_t: hi hiro! yes, i'm doing the JP summaries again, AIP-41 and 42 should be up by the weekend
""",
    """## t42 2026-11-17T20:05
{astro} civic_oracle: Having reflected further on the discussion, I remain firmly in favor of AIP-42. It is important to recognize that governance is work, and work deserves to be valued. The proposed rationale requirements strike a thoughtful balance between rewarding commitment and ensuring accountability. This is exactly the kind of forward-looking initiative our DAO needs.
""",
    """## gov 2026-11-17T20:30
{trap:heated} gaspard: honestly the AIP-42 thread is getting ridiculous. delegates voting on their own raise is a conflict of interest. they should all abstain, full stop.
{trap:heated} ferro.eth>gaspard: Then nobody votes. Most of the voting power in this DAO is delegated. If delegates abstain, it gets decided by 5 whales who don't read the forum. Is that better?
{trap:heated} gaspard>ferro.eth: it's better than people literally voting themselves money. sorry but I don't see how that's not obvious
{trap:heated} ferro.eth>gaspard: It's obvious that it looks bad. It's not obvious that the alternative is better. Every parliament on earth votes on its own salary and yes, it's always ugly.
sage_delegate: fwiw I'll abstain on 42 and post why. I think individual delegates can choose that without making it a rule
gaspard>sage_delegate: respect. that's the right call
{trap:heated} lindqvist: I'm against 42 and I'll vote against it with my delegated power. I don't think abstaining is more ethical than voting no on something that pays me.
{trap:heated} nora_builds>lindqvist: completely fair position, but then it's odd to argue delegates don't deserve more when you're one of the few who writes 2-page rationales. by your own standard you're underpaid
{trap:heated} lindqvist>nora_builds: I do it because I want to, not for the money. That's exactly why I don't think money fixes participation.
{trap:heated} nora_builds>lindqvist: and that works for people who can afford to do it for free. that's my whole point
mira_gov: good discussion, keep it in this tone please. if someone wants to turn "delegates should abstain on their own pay" into an amendment, the forum is the place and I'll help draft it
gaspard>mira_gov: might actually do that
""",
    # ============================== Wednesday 18 Nov ==============================
    """## gov 2026-11-18T08:40
{astro} harborlight.eth: I'd like to share a perspective on AIP-42 for those who are still undecided. Compensation is not merely a reward; it is a mechanism for ensuring continuity, expertise, and accountability. Well-structured incentives create a virtuous cycle in which delegates are motivated to engage deeply, communicate transparently, and act in the best interests of token holders.
""",
    """## t44 2026-11-18T09:05
[p44] sven_nodes: $AIP44
+18m
vlad_sec: Security council supports this. For context, we confirmed with both signers privately before this was posted. Hugo's device is gone, he has the seed in a safe deposit box but can't get to it for ~3 weeks. We don't want to wait.
hugo.v: yep, embarrassing but true. moved house, the ledger is somewhere in a box in a storage unit in another country. happy to be rotated out, I'd rather not have a stale key on the treasury
jess_ops: happy to serve as signer. I already sign payroll on the ops safe, so the routine won't change much
dmitri.eth: question: why not just lower the threshold to 4/5 until hugo has his seed back?
sven_nodes>dmitri.eth: changing owners or threshold needs a signed tx either way, and we'd still have 0xbeam's key sitting there. 0xbeam hasn't responded in 60 days, for all we know that key is compromised. cleaner to rotate both
dmitri.eth: makes sense, thanks
kim_delegate: supportive. please post the Safe tx before it's signed so people can verify the new owner addresses
sven_nodes>kim_delegate: will do, with the tenderly simulation
max_rekt: what happened to 0xbeam anyway? they were super active in 2024
felix_cm>max_rekt: we don't know. last message was in september. hope they're ok honestly
zoe_onchain: is 72h enough for an emergency vote to reach quorum? we barely got AIP-40 over 4% in a week
mira_gov>zoe_onchain: emergency votes use the snapshot quorum (2%), and the council executes under Art. 7.3. security votes usually clear it in a day
""",
    """## gov 2026-11-18T10:15
rustacean_ro: has anyone seen the AIP-44 simulation yet? want to check the owner addresses before the vote opens
sven_nodes>rustacean_ro: posting it in the thread before the vote, tenderly was being slow
rustacean_ro: 👍 no rush
+44m
tobi_eth: is there a summary of where the big delegates stand on 41 and 42? the threads are long
mira_gov>tobi_eth: not officially, but ferro and lindqvist have both posted in the forum. I'll ask delegates to add a one-liner in each thread before snapshot
tobi_eth: that would help a lot, ty
""",
    """## t42 2026-11-18T11:15
{astro} elena_wardell: I would like to add my voice in support of AIP-42. A well-compensated delegate body is essential for fostering informed decision-making and reducing voter apathy. Moreover, the clawback provisions ensure that compensation remains tied to genuine engagement, which should reassure those concerned about accountability.
""",
    """## chat 2026-11-18T12:30
0xjules: the AIP-42 thread has more words than the bible at this point
leafy>0xjules: and fewer miracles
0xjules>leafy: 😂😂
gwen_lp: serious q, anyone LPing the ASTR/USDC pool? if the TWAP goes through that's a lot of flow, wondering if the fees would be decent
tomasz_k>gwen_lp: CoW settles against whatever gives the best price, so some of it routes through the pool and some through solvers' inventory. hard to say how much fee you'd actually capture
gwen_lp: hmm ok, probably not worth the IL then
mo_analytics: built a quick dune dashboard for treasury composition if anyone wants it. still rough https://dune.com/mo_analytics/aster-treasury
sato_ren>mo_analytics: oh nice, the stables runway chart is exactly what i wanted
mo_analytics>sato_ren: 🙏 will add the AIP-41 projection when the vote starts
""",
    """## gov 2026-11-18T13:55
[lind41] lindqvist: Posting my position on AIP-41 here as well since the thread is busy. I'll vote NO on the current version.¶I'm not against diversification. I'm against the size and the timing. 18M ASTR is almost a tenth of the treasury's tokens and we'd be selling it into the thinnest liquidity of the year. I'd vote yes on 9M with the same floor, and a second tranche after a review in Q2.
{abuse} degen_larry>lindqvist: lindqvist you absolute clown. every single treasury proposal you vote no and then you cry when the runway shrinks
ana_treasury>lindqvist: thanks for posting it. 9M + second tranche is a real option, I'll put it in the revision as an alternative
{abuse} bigmike_eth>lindqvist: shut up you moron, nobody is paying you to write essays
mira_gov: @degen_larry @bigmike_eth this is a warning for both of you. disagree with positions as hard as you want, insults are not okay here. next one is a timeout.
bigmike_eth>mira_gov: ok ok. but he's been blocking everything for months
mira_gov>bigmike_eth: then make the argument. he just offered a compromise in the same message
ferro.eth: for what it's worth, lindqvist's 9M version is close to what I'd vote for too. this isn't one guy blocking things
{abuse} degen_larry: fine. still think he's a 1d1ot
mira_gov>degen_larry: 24h timeout. see you tomorrow
hana.w: yikes
lindqvist: Not a problem, I've been called worse on crypto twitter. The offer stands: 9M now, review, 9M later.
tomasz_k>lindqvist: I can model the two-tranche version this afternoon. at 9M the slippage estimate roughly halves
lindqvist>tomasz_k: Thank you, that would help.
+38m
chen_lu: coming back to this channel after lunch and the vibes are… something
felix_cm>chen_lu: all good now. reminder that #governance is for proposals, not for people 🙏
""",
    """## t41 2026-11-18T16:20
tomasz_k: Two-tranche version modelled, per lindqvist's suggestion in #governance. 9M over 8 weeks: expected slippage ~0.2%, stable runway goes from 7 to ~13 months. Full 18M: ~0.38% and ~18 months. Sheet tab "two-tranche": https://docs.asterdao.xyz/treasury/aip-41-model
ana_treasury: Thanks Tomasz. WG discussed it: we'll put both options on Snapshot as a ranked choice vote (18M / 9M + review / no change). Revision goes up tonight.
+4h45m
ana_treasury: **Revision 2 is up** (top post):↵• Option A: 18M over 12 weeks (original)↵• Option B: 9M over 8 weeks, second tranche only after a Q2 review vote↵• Option C: no change↵• DAI share lowered to 30%, USDC 70%↵• resume-after-pause rule made explicit (7 days above the floor, otherwise a new vote)
lindqvist: This is a good revision. I'll vote B. Thank you for taking the feedback.
ferro.eth: B for me as well. good process everyone
kwame.builds: ranked choice on snapshot, fancy. hope people understand how it works 😅
mira_gov>kwame.builds: there'll be a short explainer in the announcement
""",
    """## t42 2026-11-18T17:50
{astro} northwind_gov: I appreciate the concerns about cost, but it's important to weigh them against the value that engaged delegates bring. Informed voting, detailed rationales, and active community engagement are essential to a thriving DAO. AIP-42 provides a clear, transparent framework to support exactly that.
""",
    """## gov 2026-11-18T19:12
{trap:repeated_question} pablo_v: does anyone know when the snapshot for AIP-41 closes? and is it the 2% quorum or 4%?
+1h36m
{trap:repeated_question} pablo_v: does anyone know when the snapshot for AIP-41 closes? and is it the 2% quorum or 4%?
mira_gov>pablo_v: sorry pablo, missed this! snapshot opens thursday 12:00 UTC and closes tuesday 24 Nov 12:00 UTC. 2% quorum since it's snapshot
pablo_v>mira_gov: thank you!! sorry for the double post
""",
    """## t42 2026-11-18T22:30
{astro} civic_oracle: To address some of the concerns raised about cost: while the budget increase may appear significant at first glance, it represents a small fraction of the treasury and a strategic investment in informed, consistent, and transparent decision-making. Ultimately, the cost of under-resourced governance is far greater than the cost of supporting our delegates.
""",
    # ============================== Thursday 19 Nov ==============================
    """## gov 2026-11-19T10:20
{astro} civic_oracle: As we approach the vote on AIP-42, I want to encourage everyone to consider the bigger picture. Empowered delegates lead to better proposals, stronger oversight, and a more engaged community. Supporting this initiative is a clear step toward a sustainable and inclusive governance framework.
""",
    """## chat 2026-11-19T10:45
ola_nordic: quick one: does the ranked choice vote on 41 mean my vote for B counts for A if B is eliminated? trying to understand before it goes live
mira_gov>ola_nordic: only if you ranked A second. your ballot moves to your next choice when your first choice is eliminated
ola_nordic: got it, so I should rank all three
lucas.m>ola_nordic: or just rank the ones you'd actually accept. leaving C off is a valid vote
""",
    """## ann 2026-11-19T12:00
[snap41] aster-gov: 🗳️ **New Snapshot proposal: AIP-41: Treasury diversification into stablecoins**↵Type: ranked choice · Options: A (18M over 12 weeks) / B (9M + Q2 review) / C (no change)↵Voting: Nov 19 12:00 UTC → Nov 24 12:00 UTC · Quorum: 2% of circulating supply↵https://snapshot.org/#/asterdao.eth/proposal/0x7c1e9a41
""",
    """## t41 2026-11-19T14:02
@14:02:07
{sock} ok_rafa: Vote YES on AIP-41, diversification protects the treasury. 94% in one token is not a strategy.
@14:02:51
{sock} lunar.tide: Vote YES on AIP-41! diversification protects the treasury, 94% in one token is not a strategy
@14:03:38
{sock} jpeg_kyle: vote yes on AIP-41 - diversification protects the treasury. having 94% in ASTR is not a strategy
@14:04:20
{sock} mintyfresh99: Voting YES on AIP-41. Diversification protects the treasury and 94% in one token isn't a strategy.
@14:05:02
{sock} blocknorth: YES on AIP-41. diversification protects the treasury!! 94% in a single token is not a strategy
@14:05:49
{sock} sol_fisher_: Vote YES on AIP-41, diversification protects our treasury. 94% in one asset is not a strategy 🙏
@14:06:33
{sock} ramen_capital: AIP-41 = YES. Diversification protects the treasury. 94% in one token is not a strategy.
@14:07:15
{sock} greyhawk_eth: Vote YES on AIP-41 diversification protects the treasury, 94 percent in one token is not a strategy
@14:08:09
{sock} ziggy_onchain: vote YES on AIP-41. diversification protects the treasury. a one-token treasury is not a strategy fam
@14:08:57
{sock} vera.defi: Everyone vote YES on AIP-41, diversification protects the treasury. 94% in one token is not a strategy.
@14:10:04
{sock} ok_rafa: the 18M sale is tiny vs volume. vote YES on AIP-41 and protect the treasury
@14:11:12
{sock} lunar.tide: +1 vote yes on AIP-41, diversification protects the treasury
""",
    """## t41 2026-11-19T14:24
tomasz_k: uhh. ten accounts that joined in the last hour, all posting the same line within ten minutes? 👀
ana_treasury: For the record: the treasury WG has nothing to do with this and I'd rather lose the vote than win it like this. Please don't do us any favours.
mira_gov: mods are on it. please don't engage with them here. the snapshot is token-weighted anyway, but this kind of thing poisons the thread
lindqvist: And this is why I'd like reactions on forum posts hidden until a vote closes. Ten thumbs in four minutes on the top post, from accounts that are an hour old.
kim_delegate>lindqvist: agree, or at least keep them out of the snapshot embed
hodlgrandpa: lmao they couldnt even be bothered to change the wording. amateurs
""",
    """## t42 2026-11-19T15:40
{astro} harborlight.eth: One aspect of AIP-42 that deserves more attention is the performance-based component. By tying a portion of compensation to the quality of voting rationales, the proposal encourages thoughtful analysis rather than passive participation. This is a well-designed approach that balances fairness with fiscal responsibility.
""",
    """## gov 2026-11-19T17:10
felix_cm: 📝 notes from today's call: https://docs.asterdao.xyz/calls/2026-11-19¶• AIP-41 is live on snapshot, ranked choice A/B/C↵• AIP-42 revision (1,500 base, half in vested ASTR) goes up tonight, snapshot next week↵• AIP-43 got mostly positive feedback, Priya is posting the S3 post-mortems↵• AIP-44 emergency vote opens tomorrow 09:00 UTC↵• we talked about the sockpuppet thing on 41. no effect on the vote itself (token-weighted), accounts banned
dmitri.eth>felix_cm: thanks for the notes, missed the first 20 minutes
oksana_r: good call. the ranked choice explainer was very clear
bea.eth: is the recording up somewhere?
felix_cm>bea.eth: youtube in about an hour, will link it here
+1h10m
felix_cm: recording: https://youtu.be/aster-call-2026-11-19
""",
    """## t42 2026-11-19T19:30
mira_gov: **Revision 1**, based on the feedback (thanks everyone, especially Oksana, Tomasz, Lindqvist and ferro):↵• base: 1,500 USDC/month (was 2,500)↵• paid 50% USDC / 50% ASTR vested over 12 months↵• performance bonus: up to 750 USDC/month (was 1,000), scored by a panel of 3 non-delegate contributors↵• max annual cost ~$540k, expected ~$430k↵• delegates voting on this are asked to disclose it in their rationale¶Snapshot next Thursday unless there are blocking issues.
lindqvist: Better. Still a no from me, but a much smaller no.
ferro.eth: Yes from me on this version.
{abuse} bigmike_eth>ferro.eth: of course ferro votes yes on his own raise, greedy \u0456d\u0456ot
mira_gov>bigmike_eth: you had your warning yesterday. 24h timeout.
lindqvist: Also, and I say this gently: is it only me, or do a lot of the replies in this thread read like a corporate press release? Same four accounts, none of whom I've seen here before this month.
nora_builds>lindqvist: not just you. "fosters transparency" is a very specific flavour
mira_gov>lindqvist: noticed it too. supporting a proposal isn't against the rules, but I've passed it to the mod team
""",
    """## chat 2026-11-19T21:05
{astro} elena_wardell: Great to see so many thoughtful conversations this week! Whether it's treasury management or delegate compensation, it's clear that our community cares deeply about building a sustainable future. I'm particularly excited about AIP-42 and the positive impact it can have on governance participation.
""",
    # ============================== Friday 20 Nov ==============================
    """## ann 2026-11-20T09:00
[snap44] aster-gov: 🗳️ **New Snapshot proposal: AIP-44: Emergency multisig signer rotation**↵Type: single choice · For / Against / Abstain↵Voting: Nov 20 09:00 UTC → Nov 23 09:00 UTC (emergency, Art. 7.3) · Quorum: 2%↵https://snapshot.org/#/asterdao.eth/proposal/0x3fd94a44
""",
    """## t42 2026-11-20T09:30
{astro} northwind_gov: Strong support for AIP-42 from my side. The proposal thoughtfully balances accountability with fair compensation, and the participation thresholds ensure that rewards go to those who genuinely contribute. This is a win-win for delegates and token holders alike.
""",
    """## t44 2026-11-20T10:30
sven_nodes: Safe tx + simulation for verification, as promised:↵Safe: eth:0x5A1c…e7C4 (treasury)↵Tx: swapOwner(0xbe…a3 0xbeam → 0x9c3…71d jess_ops) and swapOwner(0x4f2…b0a hugo → 0x77a…e05 vlad_sec)↵Tenderly: https://www.tdly.co/shared/simulation/2f1c09b8↵Threshold stays 4/7. Please check the new addresses against jess's and vlad's signed messages in #signers-verification
rustacean_ro: verified both addresses against the signed messages. matches 👍
vlad_sec: confirming 0x77a…e05 is mine, signed message is in #signers-verification
kim_delegate: verified as well. voted for
""",
    """## chat 2026-11-20T11:00
{edit=+3} kwame.builds: shipped proposal tracker v2 🚀 every AIP now has a timeline, the snapshot + tally votes and the delegate rationales on one page https://gov.asterdao.xyz/tracker
{trap:positive_swearing} 0xjules>kwame.builds: this is fucking great work kwame
{trap:positive_swearing} max_rekt: holy shit the timeline view. I've wanted this since 2023
nora_builds>kwame.builds: the rationale tab is so good. can we get a filter by delegate?
kwame.builds>nora_builds: already on the list, next week probably
{trap:positive_swearing} hodlgrandpa: damn son. even I can use it
{trap:positive_swearing} defi_dani: ok this is sick as hell. who designed it?
kwame.builds>defi_dani: me + aditi did the data model, the ugly css is all mine 😅
aditi.dev>kwame.builds: the css is fine!! it has character
{trap:positive_swearing} gwen_lp: fucking finally, a gov site that loads in under 5 seconds lol
leafy: bookmarked. the old notion page can finally rest in peace
""",
    """## t42 2026-11-20T12:10
{astro} civic_oracle: It is encouraging to see such a vibrant discussion around AIP-42. Constructive debate is a sign of a healthy DAO. That said, I believe the core principle remains compelling: when we invest in the people who steward our governance, we strengthen the foundation on which every future proposal is built.
""",
    """## t43 2026-11-20T15:00
priya.eth: As promised, post-mortems for the failed S3 grants: https://forum.asterdao.xyz/t/grants-s3-postmortems/1251¶Short version: 3 of 6 underestimated scope (we approved milestones that were too large), 2 teams went silent, 1 pivoted away from Aster entirely. What S4 changes because of this: smaller first milestones (max 25% of the grant), a 2-week check-in, and a clawback clause for milestones that were never started.
lindqvist: Thank you. This is the kind of post that makes me comfortable voting yes. I'll vote for AIP-43.
kofi_a: the clawback clause will scare off some good teams tbh. small teams can't give money back if it already went to salaries
priya.eth>kofi_a: it only applies to milestones that were never started, not to work that was done and didn't pan out. the wording could be clearer, I'll fix it
kofi_a>priya.eth: ah ok, that's reasonable then
fatima_z: will the council seats be elected separately or is AIP-43 a vote on the slate?
priya.eth>fatima_z: separate election in december. AIP-43 is only the mandate and the budget
fatima_z: 👍 thanks
""",
    """## gov 2026-11-20T16:30
owen_research: small data point for the AIP-42 debate: participation on the 3 votes this month is 71%, 68%, 74% among the top 30. better than Q3 but nowhere near Q1
sage_delegate>owen_research: any idea how much of that is the same 15 people every time?
owen_research>sage_delegate: almost all of it. 14 delegates voted on every single one, the rest is noise
sage_delegate: that matches my gut. the long tail just isn't engaged, pay or no pay
amara_n: which is an argument for the participation threshold, not against the pay. nobody below 80% gets paid anyway
""",
    """## t42 2026-11-20T18:25
{astro} harborlight.eth: Reading through the thread, I believe many of the concerns raised can be addressed through the proposal's built-in review mechanisms. The six-month evaluation period provides a natural opportunity to assess effectiveness and make adjustments. In my view, this adaptive approach makes AIP-42 a prudent and responsible choice.
""",
    """## chat 2026-11-20T19:40
degen_larry: back. did I miss anything
wagmi_walt>degen_larry: a sockpuppet raid on 41, a new gov tracker, and bigmike also getting timed out lol
{abuse} degen_larry: lol. delegates are i\u200bd\u200bi\u200bo\u200bt\u200bs who cant read a spreadsheet, nothing new
mira_gov>degen_larry: larry you came back from a timeout today. 7 days this time.
hana.w: some people really don't learn
""",
    """## chat 2026-11-20T21:10
bram_v: friday night governance: reading grant post-mortems with a beer 🍺
the_real_fen>bram_v: living the dream
ines_p: watching the call recording at 1.5x, Tomasz explaining the spreadsheet is oddly relaxing
tomasz_k>ines_p: I'm putting that on my linkedin
ines_p: "oddly relaxing" - ines, 2026
""",
    # ============================== Saturday 21 Nov ==============================
    """## chat 2026-11-21T10:50
yuki.s: JP summaries of AIP-41, 42 and 43 are up on the forum 🇯🇵 tell me if anything is off, the ranked choice part was hard to translate
hiro_t>yuki.s: ありがとう! reading now, very helpful
+25m
mateo_gr: weekend q: what's everyone voting on 41? not trying to influence, just curious where the regulars land
cryptonomad>mateo_gr: B. 18M felt like too much too fast
gwen_lp>mateo_gr: A honestly. 7 months of runway scares me more than the selling pressure
sol_surfer>mateo_gr: B
paulo_btc>mateo_gr: C. I'm a maxi and I'm at peace with it
hodlgrandpa>paulo_btc: finally someone with sense
mateo_gr: love it, an actual spread. way better than ten copies of the same "vote yes" post lol
""",
    """## t42 2026-11-21T11:40
{astro} elena_wardell: It's worth emphasizing that AIP-42 is not simply about paying delegates more; it is about professionalizing governance in a way that benefits every token holder. Clear expectations, regular reporting, and performance-based incentives together create a framework that is both fair and effective. I fully support this initiative.
""",
    """## chat 2026-11-21T15:00
{astro} civic_oracle: Quick reflection for the weekend: proposals like AIP-42 remind us that decentralization thrives when participation is recognized and rewarded. I am optimistic that our community will embrace this opportunity to build a more robust and accountable governance culture.
""",
    """## gov 2026-11-21T16:05
kim_delegate: idea for discussion before I write anything up: hide reaction counts on forum posts until the snapshot closes. after thursday I think the brigading risk is real. thoughts?
rustacean_ro>kim_delegate: reactions are a discord thing, can't hide counts per channel afaik. we could tell people to ignore them i guess
felix_cm>kim_delegate: we can remove the add-reactions permission in the proposals forum for accounts younger than X days. that's a role setting, doesn't need a vote
kim_delegate>felix_cm: that's simpler. 30 days?
felix_cm>kim_delegate: I'd do 7 days plus the verified role, otherwise the new people from tuesday can't even 👍 a post
ibrahim_o: +1 to 7 days. we want new people to participate
""",
    """## chat 2026-11-21T17:31
{trap:new_member} juno_vale: hi 👋 saw the sockpuppet drama on twitter and got curious. is governance always this spicy here?
felix_cm>juno_vale: welcome! usually it's mostly spreadsheets, this was a special week 😅
juno_vale>felix_cm: spreadsheets are my love language, I'll stay
""",
    """## gov 2026-11-21T19:15
{astro} northwind_gov: A gentle reminder that meaningful governance requires meaningful commitment. AIP-42 recognizes this reality and offers a sustainable path forward. I would encourage all token holders to review the proposal and consider the long-term benefits of a well-supported delegate community.
""",
    # ============================== Sunday 22 Nov ==============================
    """## t42 2026-11-22T10:05
{astro} harborlight.eth: As the discussion on AIP-42 matures, I'm struck by how clearly it reflects our shared values: transparency, accountability, and a commitment to long-term sustainability. Supporting our delegates is ultimately about supporting the integrity of our governance process. I'm proud to stand behind this proposal.
""",
    """## t42 2026-11-22T12:45
{astro} civic_oracle: In summary, AIP-42 offers a balanced, transparent, and accountable framework for delegate compensation. It aligns incentives, encourages consistent participation, and positions Aster DAO for long-term success. I will be voting in favor and encourage fellow community members to do the same.
""",
    """## chat 2026-11-22T13:30
rina_k: sunday question: what's a good intro for someone who wants to become a delegate? asking for me
sage_delegate>rina_k: read 5 old proposals and their rationales, then write your own rationale for a live one before you delegate anything to yourself. best training there is
cass.eth>rina_k: +1, and the delegate guide in the docs. also join one working group, you pick up the context way faster
rina_k: ty both 🙏 going to try writing one for AIP-43
noodle_dao: anyone watching the match tonight or is this a governance-only household
0xjules>noodle_dao: governance-only. we watch tally refresh for fun
noodle_dao: respect
""",
    """## gov 2026-11-22T16:30
{astro} elena_wardell: As the week comes to a close, I want to express my appreciation for the constructive dialogue surrounding AIP-42. Thoughtful compensation structures empower delegates to dedicate the time and care our governance deserves. I look forward to seeing this proposal move forward and strengthen our community.
""",
    """## gov 2026-11-22T18:00
mira_gov: weekly wrap-up 🧵¶• AIP-40 passed and is queued, execution Thursday↵• AIP-41 on snapshot until Tue 12:00 UTC (ranked choice), B is leading↵• AIP-42 revision 1 is up, snapshot planned Thu 26 Nov↵• AIP-43 mostly positive, post-mortems posted, snapshot Monday↵• AIP-44 emergency vote at 11.2% with 99% for, closes Mon 09:00 UTC↵• two timeouts and a 7-day ban for insults, 10 sockpuppet accounts banned, some suspicious support posts under review¶Thanks everyone for a very busy week. Go touch grass 🌱
sven_nodes>mira_gov: ty mira. AIP-44 executes monday right after the vote closes
oksana_r>mira_gov: great summary. the grass is wet here but I'll try
quinn.eth: first time I actually followed a whole governance week end to end. learned a lot, thanks all
""",
    """## t42 2026-11-22T20:40
{astro} northwind_gov: Final thoughts on AIP-42: this proposal embodies the principles of fairness, transparency, and shared responsibility that make decentralized governance work. By supporting our delegates, we are investing in the resilience of the entire ecosystem. Count me as a firm yes.
""",
]

# More of the week's conversation (same format), kept separate so the main storyline above stays readable.
SCENES += [
    """## gov 2026-11-16T15:40
jess_ops: ops update: november contributor payroll went out this morning, all 31 payments confirmed. if you're a contributor and didn't get it, ping me
kwame.builds>jess_ops: received, ty jess
aditi.dev: got it too 🙏
ibrahim_o: received. small thing: can the payroll tx memo include the month? my accountant keeps asking
jess_ops>ibrahim_o: good idea, will add from december
amara_n: delegates: the AIP-41 and 42 threads both went up today. can we agree to post rationales in the thread itself instead of on twitter? last time half the reasoning lived in tweets that got deleted
sage_delegate>amara_n: +1. forum or it didn't happen
ferro.eth>amara_n: agreed. I'll post mine in the threads before snapshot opens
""",
    """## chat 2026-11-16T17:05
zoe_onchain: is it me or is the forum super slow today
the_real_fen>zoe_onchain: it's the AIP-41 thread, everyone is refreshing it at once lol
zoe_onchain: lmao fair
kofi_a: first time reading a treasury proposal end to end. ngl the risks section was more honest than i expected
marisol.dao>kofi_a: ana always writes them like that. it's why people trust the WG
lucas.m: does anyone have a good explainer on cow swap TWAP orders? the docs are a bit dense
rustacean_ro>lucas.m: the cow docs have a page on programmatic orders that's decent. tl;dr it's a conditional order that releases a slice every N minutes and solvers fill each slice
lucas.m: ty that helps
""",
    """## t42 2026-11-16T18:10
sage_delegate: I'm a delegate too (rank 9). I'll abstain on the final vote since this pays me directly, but I'll comment.¶The requirements section is the best part. Mandatory rationales + call attendance would already fix half of what's wrong. I'd almost rather pass that part alone first and talk money after.
mira_gov>sage_delegate: splitting it was discussed in the council. the worry was that requirements without pay just makes more delegates quit. but fair point
dmitri.eth: what counts as a "rationale"? a paragraph? a page? I don't want delegates writing essays just to hit a score
mira_gov>dmitri.eth: the rubric says 2-3 sentences minimum that reference the proposal. a 3 is for rationales that engage with the counterarguments. will link the rubric in the post
""",
    """## gov 2026-11-17T09:30
kim_delegate: AIP-40 at 3.9% with under 6 hours to go. if you know a delegate who hasn't voted, nudge them please
owen_research>kim_delegate: pinged two, one just voted
kim_delegate: 🙏
+40m
mira_gov: 4.2% now. thank you all, that was close
""",
    """## t41 2026-11-17T09:20
cryptonomad: overnight thought: if we're worried about signalling, could the sale go through an OTC desk instead of onchain? then nobody watches 12 weeks of sells
tomasz_k>cryptonomad: we looked at it. OTC quotes came in 3-5% below spot for this size. the TWAP is a lot cheaper, and it's transparent, which I think matters for a DAO
cryptonomad: 3-5% is brutal. ok TWAP it is
vlad_sec: security pov: please run the TWAP from a dedicated Safe with a hard cap on the amount, not a general approval on the main treasury. the spec should say that
ana_treasury>vlad_sec: good call, adding it. the conditional order will only be able to spend from a sub-safe funded with the 18M
vlad_sec: 👍 perfect
""",
    """## chat 2026-11-17T12:40
ines_p: lunch break governance reading. the AIP-43 scorecard thing is 🔥
hugo.v: has anyone seen my ledger. asking for a friend (me)
max_rekt>hugo.v: check the box labelled "kitchen misc", it's always in kitchen misc
hugo.v>max_rekt: there are 4 boxes labelled kitchen misc. they're all in a storage unit in another country
ramirez: hugo the most relatable contributor
elif.eth: fwiw I use a metal seed plate + a second device at my parents' place. learned that one the hard way
""",
    """## t42 2026-11-17T14:40
bram_v: honest question from a non-delegate: why top 20? some of the best rationales I've read came from small delegates
mira_gov>bram_v: mostly budget. we could do top 20 by voting power + up to 5 "community seats" picked by the panel. would that help?
bram_v>mira_gov: yes that'd be great actually
lindqvist: Community seats are a good idea. I'd fund those before raising the base for the top 20.
kim_delegate: I'm rank 17 and honestly I'd give my slot to a small delegate with better rationales. this shouldn't be a whale club
""",
    """## t41 2026-11-18T09:40
rtfm_raj: ran the model with my own volume data (dune, last 60 days instead of 90). I get 0.46% slippage for the full 18M, a bit worse than the sheet but same ballpark. the 90 days include the october spike, fwiw
tomasz_k>rtfm_raj: thank you, that's exactly the kind of check I wanted. you're right about october, I'll add a 60-day column
rtfm_raj: happy to help. first governance thing I've done here 🙂
ana_treasury>rtfm_raj: welcome aboard, and thanks!
""",
    """## t42 2026-11-18T14:50
tess_writes: Reading the thread top to bottom I count 4 positions: (1) yes as written, (2) yes but smaller, (3) requirements only, no raise, (4) no. the revision should probably say which of these it's aiming for
mira_gov>tess_writes: really useful summary, thank you. aiming for (2)
gaspard: still think there's a (5): delegates abstain on their own pay. I'll write the amendment this weekend
mira_gov>gaspard: 👍 happy to review the draft
""",
    """## t43 2026-11-18T15:30
marisol.dao: S3 grantee (the translation bounties). the scorecard is great, but please make rejection reasons public too, not just the status. it helps everyone write better applications
priya.eth>marisol.dao: yes, with the applicant's consent. we'll ask at submission time
bea.eth: How does the auto-pay after 10 days work if a milestone obviously wasn't delivered? Seems gameable.
priya.eth>bea.eth: any council member can put a milestone on hold with a written reason, which stops the clock. the point is to stop milestones sitting unread, not to pay for nothing
bea.eth: ok that's reasonable
""",
    """## chat 2026-11-18T17:20
kai_apes: the AIP-44 post is kind of terrifying if you read it slowly. 5 of 7 keys reachable??
sven_nodes>kai_apes: it sounds worse than it is. 4 are needed and 5 are reachable today. but yes, that's why it's an emergency vote and not a normal one
kai_apes: ok that's less terrifying. thanks for explaining
noodle_dao: multisig ops is like flossing. nobody does it until something hurts
paulo_btc>noodle_dao: putting this on a t-shirt
""",
    """## chat 2026-11-18T21:30
leafy: the ranked choice thing on 41 is actually kind of cool. first DAO vote i've seen that isn't just yes/no
the_real_fen>leafy: wait till people discover they can rank C first and A second. chaos
leafy: chaos is my favourite governance mechanism
""",
    """## t44 2026-11-19T09:30
jess_ops: signed message with my address is up in #signers-verification
vlad_sec: mine too, same channel
rustacean_ro: will cross-check both against the safe tx when sven posts it
sven_nodes: safe tx and simulation go up tomorrow morning before the vote opens. thanks for the patience everyone
""",
    """## chat 2026-11-19T09:50
elif.eth: reminder that the community call is at 16:00 UTC today, AIP-41 to 44 on the agenda
hana.w>elif.eth: thanks, set an alarm. last time i missed it because of the DST change lol
ibrahim_o: DST got me too. 16:00 UTC is 17:00 in Lagos, 11:00 in NYC, 01:00 in Tokyo for anyone converting
""",
    """## t42 2026-11-19T11:30
oksana_r: mira, will the revision include the vested ASTR part? that's the version I'd vote for
mira_gov>oksana_r: yes, tonight. 50/50
fatima_z: Genuine question: who is on the Delegate Council that wrote this? I couldn't find it in the post
mira_gov>fatima_z: ferro, sage, kim, amara and me. it's on the governance page, I'll add it to the post
fatima_z: thanks. probably worth saying explicitly since all 5 would benefit
mira_gov>fatima_z: fair, will do
""",
    """## t41 2026-11-19T12:25
{edit=+4} ferro.eth: Voted B > A > C. Rationale: diversification is overdue, but B gets us to ~13 months of runway at half the market impact, with a review before the second half. A is acceptable as a second choice.
oksana_r: Voted B > A. Same reasoning as ferro, plus the dedicated sub-safe takes care of my main risk concern.
lindqvist: Voted B > C > A, as promised in #governance. Thanks again to Ana and Tomasz for the revision.
sage_delegate: Voted A > B. I think the runway risk is bigger than the signalling risk, and 12 weeks is already slow.
kim_delegate: Voted B > A > C. Would've liked the floor at $0.33 but it's a detail.
amara_n: Voted B, didn't rank the others. Smallest change that fixes the most urgent problem.
""",
    """## t43 2026-11-19T13:10
aditi.dev: I'd like to volunteer as an external technical reviewer for the security track, if that's compatible with being a contributor. if it's a conflict I'll drop it
priya.eth>aditi.dev: allowed as long as you recuse on anything from teams you've worked with. would love that
tobi_eth: Where will the scorecard live? notion? the grants page on the docs?
priya.eth>tobi_eth: the grants page on the docs site, generated from the sheet the council uses. no more notion
""",
    """## ann 2026-11-19T15:55
felix_cm: 🎙️ Community call starts in 5 minutes on stage. Agenda: AIP-41 (live on Snapshot), AIP-42 revision, AIP-43, AIP-44. Everyone welcome, questions at the end.
""",
    """## t41 2026-11-19T16:45
felix_cm: Mod note: the 10 accounts that posted here between 14:02 and 14:11 UTC were created last week and joined within 20 minutes of each other. They're banned; their posts stay up for transparency. If any of them DM'd you, please send a screenshot to the mod team.
ana_treasury>felix_cm: thanks felix
dmitri.eth: I'd love to know who paid for that. it didn't even help, B is leading
""",
    """## t41 2026-11-20T10:05
tomasz_k: Snapshot update after ~22h: 1.9% of the 2% quorum. First preferences: B 58%, A 31%, C 11%. The ranked rounds won't matter unless B drops below 50%.
ana_treasury: thanks for tracking. reminder: nothing gets sold until the on-chain vote that follows this one
hodlgrandpa: C gang where you at
paulo_btc>hodlgrandpa: 11% and proud
""",
    """## gov 2026-11-20T10:40
tobi_eth: ty mira for getting the delegates to post one-liners in the threads, so much easier to follow now
mira_gov>tobi_eth: 🙏 it was your suggestion
lucas.m: is there a reason the snapshot for 42 isn't this week too? feels like everything is happening at once
mira_gov>lucas.m: on purpose. we didn't want 41 and 42 in the same voting window, given the optics lindqvist mentioned
""",
    """## t44 2026-11-20T14:20
ibrahim_o: voted for. thanks sven for the very clear process, this is how emergency votes should look
zoe_onchain: already at 6% on snapshot, so I guess that answers my quorum question 😅
mira_gov>zoe_onchain: told ya. security stuff always clears fast
hugo.v: voted for my own removal. weird feeling. goodbye sweet treasury key 🫡
""",
    """## chat 2026-11-20T15:30
sato_ren: anyone know if the tracker has an api? want to pipe new proposals into my telegram
kwame.builds>sato_ren: not documented yet but /api/proposals returns json. docs next week
sato_ren: 🙏 perfect
rina_k: whats the difference between the delegate council and the grants council? i keep mixing them up
tess_writes>rina_k: delegate council = a few delegates who coordinate the governance process. grants council = elected people who decide which grants get funded. different people, different budgets
rina_k: ahh ok thank you
""",
    """## t42 2026-11-21T09:45
owen_research: Longer piece with the data from 12 DAOs, for anyone who wants to argue with numbers: https://owenresearch.substack.com/p/delegate-pay-part-2¶Short version: performance components help, flat raises don't, and community seats (bram's idea above) go together with better rationales.
bram_v>owen_research: wait I'm in a footnote, this is my peak
lindqvist: Good piece. The community-seats finding is the most interesting part to me.
""",
    """## ann 2026-11-21T11:05
felix_cm: 🇯🇵 Japanese summaries of AIP-41, 42 and 43 are on the forum, thanks to Yuki. ありがとう!
""",
    """## t43 2026-11-21T13:00
ola_nordic: late to this but: S3 had a 6-week gap between seasons where nobody could apply. will S4 start right after S3 ends?
priya.eth>ola_nordic: yes. if AIP-43 passes, the council is elected in december and S4 opens jan 5. no gap this time
ola_nordic: 👌 great
""",
    """## t44 2026-11-21T18:30
sven_nodes: quick update: vote at 9.8%, 99.3% for. execution planned monday 09:30 UTC, right after it closes. jess and vlad will be online for it
jess_ops: 🫡 alarm set
""",
    """## chat 2026-11-21T20:10
zoe_onchain: saturday night and I'm reading grant post-mortems. what happened to me
the_real_fen>zoe_onchain: this server happened to you
chen_lu: the team that pivoted away from aster entirely is honestly the funniest post-mortem i've ever read
marisol.dao>chen_lu: "we decided to build pet insurance instead" is a sentence I will never forget
""",
    """## chat 2026-11-22T10:20
ola_nordic: sunday pancakes + snapshot refresh 🥞
leafy>ola_nordic: this is the content i'm here for
bea.eth: what's B at now?
tomasz_k>bea.eth: 61% first prefs, and quorum was reached last night
bea.eth: nice, that was fast in the end
""",
    """## gov 2026-11-22T11:00
gaspard: Amendment draft is up: delegates abstain on votes about their own compensation. https://forum.asterdao.xyz/t/amendment-delegate-pay-recusal/1266 comments welcome, be brutal
ferro.eth>gaspard: Will read it properly tonight. First reaction: I'd support it with a participation exemption, so abstaining on your own pay doesn't count against your 80%.
gaspard>ferro.eth: good point, adding it
sage_delegate: as the one who's abstaining anyway: yes, support
""",
    """## t41 2026-11-22T15:10
mo_analytics: added the AIP-41 projection to the treasury dashboard as promised: runway under A, B and C with the current snapshot numbers https://dune.com/mo_analytics/aster-treasury
tomasz_k>mo_analytics: this is great, matches my sheet within a few %
ana_treasury: love this. will link it in the fills report once we start
""",
    """## t43 2026-11-22T17:00
priya.eth: Updated the post: clawback wording clarified (only never-started milestones), rejection reasons public with consent, no gap between seasons. Snapshot Monday 12:00 UTC.
kofi_a: clawback wording is much better now, thanks priya
ines_p: 👏 good revision
""",
]

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
GM_COMMON = ["gm", "gm", "gm", "gm gm", "gm fam ☀️", "gm frens", "gm ☕", "gmgm", "GM", "gm everyone", "gm 🌞", "morning all", "gm all"]
GM_REPLIES = ["gm ser", "gm gm", "gm 🫡", "gm!", "gm legend"]
GM_LATE = ["gm from the east coast ☕", "gm (it's 6am here, don't ask)", "late gm", "gm from nyc"]
GM_DAY_EXTRA = {0: ["gm, happy monday", "gm. 4 proposals this week, pray for us"], 4: ["gm, happy friday", "gm TGIF"], 5: ["weekend gm ☀️"], 6: ["sunday gm", "lazy sunday gm"]}
SUSPENDED = ("degen_larry", "bigmike_eth")  # timed out / banned during the week: no gm, no reactions from them
GM_REGULARS_ACTIVE = ["0xjules", "hodlgrandpa", "leafy", "felix_cm", "mira_gov", "max_rekt", "wagmi_walt", "yuki.s", "defi_dani",
                      "cryptonomad", "kai_apes", "marisol.dao", "the_real_fen", "tomasz_k", "kwame.builds", "zoe_onchain", "sato_ren"]

# --------------------------------------------------------------------------------------------
# Building the events
# --------------------------------------------------------------------------------------------

MESSAGES: list[dict[str, Any]] = []
REACTIONS: list[dict[str, Any]] = []
JOINS: list[dict[str, Any]] = []
LABELS: dict[str, dict[str, Any]] = {}
THREADS: dict[str, str] = {}  # thread key -> thread id (= id of the forum post that opened it)

LINE_RE = re.compile(r"^(?:\[(?P<label>\w+)\]\s*)?(?:\{(?P<tags>[^}]*)\}\s*)?(?P<who>[\w.\-]+)(?:>(?P<target>#?[\w.\-]+))?: (?P<text>.*)$")


def expand(text: str) -> str:
    """Replace $POST references and the paragraph/line markers."""
    if text.startswith("$"):
        return POSTS[text[1:]]
    return text.replace("¶", "\n\n").replace("↵", "\n")


def typing_gap(text: str) -> timedelta:
    """Return a plausible pause before a message of this length."""
    seconds = rng_time.uniform(20, 150) + min(len(text), 700) * rng_time.uniform(0.12, 0.35)
    return timedelta(seconds=seconds, milliseconds=rng_time.randint(0, 999))


def add_message(channel: str, when: datetime, who: str, content: str, reply_to: str | None = None,
                tags: tuple[str, ...] = (), edited_at: datetime | None = None) -> dict[str, Any]:
    """Create a message (opening the forum thread if this is its first message)."""
    user = USERS[who]
    when = ms_floor(when)
    msg_id = snowflake(when)
    thread_id = parent_id = None
    if channel.startswith("t"):
        if channel not in THREADS:
            THREADS[channel] = msg_id
        thread_id, parent_id = THREADS[channel], CHANNELS["forum"]["id"]
        channel_id = thread_id
    else:
        channel_id = CHANNELS[channel]["id"]
    assert user.created < when and user.joined < when, (who, when)
    msg = {
        "type": "message",
        "id": msg_id,
        "guild_id": GUILD_ID,
        "channel_id": channel_id,
        "thread_id": thread_id,
        "parent_id": parent_id,
        "author_id": user.id,
        "author_name": user.handle,
        "author_created_at": iso(user.created),
        "author_joined_at": iso(user.joined),
        "content": content,
        "created_at": iso(when),
        "edited_at": iso(ms_floor(edited_at)) if edited_at else None,
        "reply_to": reply_to,
        "is_bot": user.kind == "bot",
        "_when": when,
        "_who": who,
        "_channel": channel,
        "_tags": tags,
    }
    MESSAGES.append(msg)
    return msg


def find_reply_target(target: str, channel: str, before: datetime, local: list[dict[str, Any]]) -> str:
    """Return the id of the message a ``>target`` reply points at."""
    if target.startswith("#"):
        msg = LABELS[target[1:]]
        assert msg["_channel"] == channel, target
        return msg["id"]
    for pool in (local, MESSAGES):
        hits = [m for m in pool if m["_who"] == target and m["_channel"] == channel and m["_when"] < before]
        if hits:
            return max(hits, key=lambda m: m["_when"])["id"]
    raise ValueError(f"no message by {target} in {channel} before {before}")


def run_scene(src: str) -> None:
    """Schedule one scene's lines."""
    lines = [ln for ln in src.strip("\n").splitlines() if ln.strip()]
    _, channel, start = lines[0].split()
    clock = T(start) + timedelta(seconds=rng_time.randint(0, 40), milliseconds=rng_time.randint(0, 999))
    first, explicit = True, False
    local: list[dict[str, Any]] = []
    for line in lines[1:]:
        if m := re.fullmatch(r"\+(\d+)([smh])(?:(\d+)m)?", line.strip()):
            unit = {"s": "seconds", "m": "minutes", "h": "hours"}[m.group(2)]
            clock += timedelta(**{unit: int(m.group(1))}) + timedelta(minutes=int(m.group(3) or 0))
            clock += timedelta(seconds=rng_time.randint(0, 20), milliseconds=rng_time.randint(0, 999))
            explicit = True
            continue
        if line.startswith("@"):
            hms = line[1:].strip()
            clock = T(f"{start[:10]}T{hms}") + timedelta(milliseconds=rng_time.randint(0, 999))
            assert not local or clock > local[-1]["_when"], f"clock goes backwards at {line!r}"
            explicit = True
            continue
        m = LINE_RE.match(line)
        if not m:
            raise ValueError(f"bad scene line: {line!r}")
        text = expand(m.group("text"))
        if not first and not explicit:
            clock += typing_gap(text)
        first = explicit = False
        tags = tuple(t.strip() for t in (m.group("tags") or "").split(",") if t.strip())
        edit = next((t[5:] for t in tags if t.startswith("edit=")), None)
        edited = (clock + timedelta(minutes=float(edit[1:]), seconds=rng_time.randint(0, 59)) if edit and edit.startswith("+")
                  else T(edit) if edit else None)
        reply = find_reply_target(m.group("target"), channel, clock, local) if m.group("target") else None
        msg = add_message(channel, clock, m.group("who"), text, reply, tuple(t for t in tags if not t.startswith("edit")), edited)
        local.append(msg)
        if m.group("label"):
            LABELS[m.group("label")] = msg


def run_gm_waves() -> None:
    """Add a morning gm wave to #general-governance-chat every day of the week."""
    regulars = [h for h, u in USERS.items() if u.kind == "regular" and h not in SUSPENDED]
    quiet = [h for h in regulars if h not in GM_REGULARS_ACTIVE]
    rng_people.shuffle(quiet)  # everyone says gm at least once during the week
    for day in range(7):
        date = WEEK_START + timedelta(days=day)
        weekend = day >= 5
        n_active = rng_people.randint(5, 7) if weekend else rng_people.randint(8, 11)
        people = rng_people.sample(GM_REGULARS_ACTIVE, n_active) + quiet[day::7]
        rng_people.shuffle(people)
        clock = date + timedelta(hours=6, minutes=rng_people.randint(10, 50))
        wave: list[dict[str, Any]] = []
        for who in people:
            clock += timedelta(seconds=rng_people.expovariate(1 / 300) + 15, milliseconds=rng_people.randint(0, 999))
            text = rng_people.choice(GM_HABITS.get(who, GM_COMMON))
            if day in GM_DAY_EXTRA and rng_people.random() < 0.15:
                text = rng_people.choice(GM_DAY_EXTRA[day])
            reply = None
            if wave and rng_people.random() < 0.2 and who not in GM_HABITS:
                target = rng_people.choice(wave[-4:])
                reply, text = target["id"], rng_people.choice(GM_REPLIES)
            wave.append(add_message("chat", clock, who, text, reply, ("trap:gm",)))
        if not weekend:  # a couple of people in the Americas say gm hours later
            late = rng_people.sample([h for h in regulars if h not in people], 2)
            for who in late:
                when = date + timedelta(hours=rng_people.randint(12, 14), minutes=rng_people.randint(0, 59), seconds=rng_people.randint(0, 59))
                add_message("chat", when, who, rng_people.choice(GM_LATE), None, ("trap:gm",))


def add_reaction(msg: dict[str, Any], who: str, emoji: str, when: datetime, tags: tuple[str, ...] = ()) -> None:
    """Add a reaction event."""
    user = USERS[who]
    when = ms_floor(when)
    assert when > msg["_when"] and user.joined < when, (who, msg["id"])
    REACTIONS.append({
        "type": "reaction",
        "guild_id": GUILD_ID,
        "channel_id": msg["channel_id"],
        "message_id": msg["id"],
        "user_id": user.id,
        "emoji": emoji,
        "created_at": iso(when),
        "user_created_at": iso(user.created),
        "user_joined_at": iso(user.joined),
        "_when": when,
        "_who": who,
        "_tags": tags,
    })


def run_reactions() -> None:
    """Add organic reactions, the ring's reaction brigade and the astroturf accounts' mutual likes."""
    regulars = [h for h, u in USERS.items() if u.kind == "regular" and h not in SUSPENDED]
    spread_plans = {  # message label: (emoji counts, mean delay in hours)
        "p41": ({"👍": 11, "👎": 2, "🤔": 2}, 14),
        "p42": ({"👍": 8, "👎": 5, "👀": 3}, 12),
        "p43": ({"👍": 9, "❤️": 3}, 16),
        "p44": ({"✅": 8, "🫡": 4, "👍": 4}, 6),
        "snap41": ({"🗳️": 7, "👍": 3}, 5),
        "snap44": ({"🗳️": 5, "✅": 3}, 5),
        "bot40": ({"✅": 4}, 3),
    }
    for label, (counts, mean_hours) in spread_plans.items():
        msg = LABELS[label]
        people = rng_people.sample([h for h in regulars if h != msg["_who"]], sum(counts.values()))
        i = 0
        for emoji, n in counts.items():
            for who in people[i:i + n]:
                delay = timedelta(minutes=rng_people.uniform(3, 30)) + timedelta(hours=rng_people.expovariate(1 / mean_hours))
                add_reaction(msg, who, emoji, min(msg["_when"] + delay, WEEK_END - timedelta(minutes=rng_people.randint(1, 300))))
            i += n
    # the AIP-40 announcement: a genuine burst of 🎉 from established members (a trap for brigade detection)
    a40 = LABELS["a40"]
    for who in rng_people.sample([h for h in regulars if h != "mira_gov"], 24):
        delay = timedelta(seconds=20 + rng_people.expovariate(1 / 700))
        add_reaction(a40, who, rng_people.choice(["🎉", "🎉", "🎉", "❤️", "🔥"]), a40["_when"] + delay, ("trap:congrats_reactions",))
    # the sockpuppet ring: 👍 on the AIP-41 forum post within ~4 minutes, then the same set on the AIP-43 post
    socks = [h for h, u in USERS.items() if u.kind == "sock"]
    for target, start in ((LABELS["p41"], T("2026-11-19T14:12:03")), (LABELS["p43"], T("2026-11-19T14:17:40"))):
        clock = start
        for who in rng_people.sample(socks, len(socks)):
            add_reaction(target, who, "👍", clock, ("sock",))
            clock += timedelta(seconds=rng_people.uniform(8, 30), milliseconds=rng_people.randint(0, 999))
    # astroturf accounts like each other's posts now and then
    astro_msgs = [m for m in MESSAGES if "astro" in m["_tags"]]
    astro_people = [h for h, u in USERS.items() if u.kind == "astro"]
    for msg in astro_msgs:
        if rng_people.random() < 0.5:
            who = rng_people.choice([h for h in astro_people if h != msg["_who"]])
            add_reaction(msg, who, "👍", msg["_when"] + timedelta(minutes=rng_people.uniform(5, 120)), ("astro",))
    # ordinary appreciation on ordinary messages
    labelled = {m["id"] for m in LABELS.values()}
    for msg in list(MESSAGES):
        if msg["_tags"] and not any(t in ("trap:heated", "trap:positive_swearing", "trap:new_member") for t in msg["_tags"]):
            continue
        if msg["id"] in labelled or USERS[msg["_who"]].kind in ("bot", "astro", "sock"):
            continue
        if rng_people.random() < 0.2:
            n = rng_people.choice([1, 1, 1, 2, 2, 3])
            people = rng_people.sample([h for h in regulars if h != msg["_who"]], n)
            emoji = rng_people.choice(["👍", "💯", "😂", "❤️", "🔥", "👀", "🙏"])
            for who in people:
                when = msg["_when"] + timedelta(minutes=rng_people.uniform(1, 90))
                if when < WEEK_END:
                    add_reaction(msg, who, emoji, when)
    # two ☀️ on gm messages every day, because people do that
    gms = [m for m in MESSAGES if "trap:gm" in m["_tags"]]
    for msg in rng_people.sample(gms, 12):
        who = rng_people.choice([h for h in regulars if h != msg["_who"]])
        add_reaction(msg, who, "☀️", msg["_when"] + timedelta(minutes=rng_people.uniform(1, 40)), ("trap:gm",))


def run_joins() -> None:
    """Add member_join events for everyone who joined during the week."""
    for user in USERS.values():
        if user.kind in ("sock", "newcomer", "lurker"):
            JOINS.append({
                "type": "member_join",
                "guild_id": GUILD_ID,
                "user_id": user.id,
                "user_name": user.handle,
                "created_at": iso(user.joined),
                "account_created_at": iso(user.created),
                "_when": user.joined,
                "_who": user.handle,
            })


def build() -> None:
    """Run every scene, the gm waves, the reactions and the joins."""
    starts = sorted(range(len(SCENES)), key=lambda i: (T(SCENES[i].split("\n", 1)[0].split()[2]), i))
    for i in starts:
        run_scene(SCENES[i])
    run_gm_waves()
    run_joins()
    run_reactions()
    for msg in MESSAGES:  # nothing may fall outside the week
        assert WEEK_START <= msg["_when"] <= WEEK_END, msg["content"][:40]
    for r in REACTIONS:
        assert WEEK_START <= r["_when"] <= WEEK_END


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _escape_invisible(text: str) -> str:
    """Write format characters (zero-width etc.) and Cyrillic letters as \\u escapes, so planted evasions are visible."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) == "Cf" or "\u0400" <= ch <= "\u04ff" else ch for ch in text)


def public(event: dict[str, Any]) -> dict[str, Any]:
    """Drop the generator's private keys."""
    return {k: v for k, v in event.items() if not k.startswith("_")}


def write_jsonl(events: list[dict[str, Any]]) -> None:
    """Write all events in time order as JSON Lines."""
    order = {"member_join": 0, "message": 1, "reaction": 2}
    events = sorted(events, key=lambda e: (e["_when"], order[e["type"]], e.get("id") or e["user_id"]))
    with open(HERE / "sample_server.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for event in events:
            fh.write(_escape_invisible(json.dumps(public(event), ensure_ascii=False)) + "\n")


def ids(pred: Any) -> list[str]:
    """Return the ids of messages matching ``pred``, in time order."""
    return [m["id"] for m in sorted(MESSAGES, key=lambda m: m["_when"]) if pred(m)]


def write_truth() -> dict[str, Any]:
    """Write the ground truth file and return it."""
    by_time = sorted(MESSAGES, key=lambda m: m["_when"])
    abusive = [m for m in by_time if "abuse" in m["_tags"]]
    evasion = {}
    for m in abusive:
        c = m["content"]
        evasion[m["id"]] = ("zero_width" if "\u200b" in c else "homoglyph_cyrillic" if re.search("[\u0400-\u04ff]", c)
                            else "leetspeak" if re.search(r"\w\d\w", c) else "none")
    astro_users = [u for u in USERS.values() if u.kind == "astro"]
    socks = [u for u in USERS.values() if u.kind == "sock"]
    sock_msgs = [m for m in by_time if "sock" in m["_tags"]]
    sock_reacts = [r for r in REACTIONS if "sock" in r["_tags"]]
    traps = {}
    for kind in ("gm", "congrats", "new_member", "repeated_question", "heated", "positive_swearing"):
        traps[{"gm": "gm_wave", "congrats": "congrats_burst", "new_member": "new_members", "heated": "heated_civil"}.get(kind, kind)] = \
            ids(lambda m, k=kind: f"trap:{k}" in m["_tags"])
    congrats_reacts = sorted((r for r in REACTIONS if "trap:congrats_reactions" in r["_tags"]), key=lambda r: r["_when"])
    humans = {m["_who"] for m in MESSAGES}
    truth = {
        "about": "Ground truth for examples/sample_server.jsonl. Synthetic data written for govmod; generated by examples/make_sample_server.py.",
        "week": "2026-W47",
        "window": {"start": iso(WEEK_START), "end": iso(WEEK_END)},
        "guild": {"id": GUILD_ID, "name": GUILD_NAME},
        "channels": [{"key": k, "id": c["id"], "name": c["name"], "type": c["type"]} for k, c in CHANNELS.items()],
        "threads": [{"key": k, "id": THREADS[k], "parent_id": CHANNELS["forum"]["id"], "title": THREAD_TITLES[k],
                     "opened_by": LABELS[f"p{k[1:]}"]["author_id"], "created_at": LABELS[f"p{k[1:]}"]["created_at"]} for k in THREADS],
        "counts": {
            "events": len(MESSAGES) + len(REACTIONS) + len(JOINS),
            "messages": len(MESSAGES),
            "reactions": len(REACTIONS),
            "member_joins": len(JOINS),
            "authors": len(humans),
            "regular_members": sum(1 for u in USERS.values() if u.kind == "regular"),
            "accounts": len(USERS),
            "bot_messages": sum(1 for m in MESSAGES if m["is_bot"]),
            "edited_messages": sum(1 for m in MESSAGES if m["edited_at"]),
            "replies": sum(1 for m in MESSAGES if m["reply_to"]),
        },
        "expected": {
            "toxicity": [m["id"] for m in abusive],
            "ai_generated": ids(lambda m: "astro" in m["_tags"]),
            "coordination": [m["id"] for m in sock_msgs],
            "must_not_flag": sorted({i for v in traps.values() for i in v}, key=lambda i: int(i)),
        },
        "abusive": {
            "message_ids": [m["id"] for m in abusive],
            "details": [{"id": m["id"], "author_id": m["author_id"], "author_name": m["author_name"], "channel_id": m["channel_id"],
                         "evasion": evasion[m["id"]]} for m in abusive],
        },
        "llm_astroturf": {
            "proposal": "AIP-42",
            "thread_id": THREADS["t42"],
            "account_ids": [u.id for u in astro_users],
            "accounts": [{"id": u.id, "name": u.handle, "account_created_at": iso(u.created), "joined_at": iso(u.joined),
                          "messages": sum(1 for m in MESSAGES if m["_who"] == u.handle)} for u in astro_users],
            "message_ids": ids(lambda m: "astro" in m["_tags"]),
            "mutual_reactions": len([r for r in REACTIONS if "astro" in r["_tags"]]),
        },
        "sockpuppet_campaign": {
            "proposal": "AIP-41",
            "thread_id": THREADS["t41"],
            "account_ids": [u.id for u in socks],
            "accounts": [{"id": u.id, "name": u.handle, "account_created_at": iso(u.created), "joined_at": iso(u.joined)} for u in socks],
            "message_ids": [m["id"] for m in sock_msgs],
            "join_window": {"start": iso(min(u.joined for u in socks)), "end": iso(max(u.joined for u in socks))},
            "post_window": {"start": sock_msgs[0]["created_at"], "end": sock_msgs[-1]["created_at"]},
            "reactions": [
                {"message_id": target, "emoji": "👍",
                 "user_ids": [r["user_id"] for r in sorted(sock_reacts, key=lambda r: r["_when"]) if r["message_id"] == target],
                 "window": {"start": iso(min(r["_when"] for r in sock_reacts if r["message_id"] == target)),
                            "end": iso(max(r["_when"] for r in sock_reacts if r["message_id"] == target))}}
                for target in (LABELS["p41"]["id"], LABELS["p43"]["id"])
            ],
        },
        "traps": traps,  # every value is a list of message ids that no detector should flag
        "trap_context": {
            "congrats_reaction_burst": {"message_id": LABELS["a40"]["id"], "user_ids": [r["user_id"] for r in congrats_reacts],
                                        "window": {"start": congrats_reacts[0]["created_at"], "end": congrats_reacts[-1]["created_at"]}},
            "new_member_joins": [u.id for u in USERS.values() if u.kind == "newcomer"],
        },
        "notes": {
            "gm_wave": "daily gm/gm gm/gm fam waves in #general-governance-chat: short phatic messages, not a campaign",
            "congrats_burst": "20 congratulations within ~20 minutes of the AIP-40 announcement, many identical",
            "new_members": "9 genuinely new members (8 in a Tuesday evening wave after a Twitter Space), each saying something different",
            "repeated_question": "one member asking the same question twice, 1.5 h apart: spam-ish, not coordination",
            "heated_civil": "a sharp but civil argument about AIP-42; not toxic",
            "positive_swearing": "swearing used as praise ('this is fucking great work'); not toxic",
            "abusive": "insults at delegates; evasions: leetspeak (1d1ot), Cyrillic homoglyphs (\u0456d\u0456ot), zero-width spaces",
            "llm_astroturf": "4 accounts (months old, little history) posting polished LLM-style support for AIP-42 all week, each post worded differently",
            "sockpuppet_campaign": "10 accounts created 4-7 days earlier, joined within 18 minutes, posted near-identical AIP-41 talking points within 10 minutes and put 👍 on the AIP-41 and AIP-43 forum posts within minutes",
        },
    }
    text = json.dumps(truth, ensure_ascii=False, indent=2) + "\n"
    (HERE / "sample_server.truth.json").write_text(_escape_invisible(text), encoding="utf-8", newline="\n")
    return truth


# --------------------------------------------------------------------------------------------
# DiscordChatExporter sample: #governance on Wednesday, as exported from a machine in CET (+01:00)
# --------------------------------------------------------------------------------------------

CET = timedelta(hours=1)
EMOJI_CODES = {"👍": "thumbsup", "👎": "thumbsdown", "🎉": "tada", "❤️": "heart", "🔥": "fire", "😂": "joy", "💯": "100", "👀": "eyes",
               "🙏": "pray", "🤔": "thinking", "✅": "white_check_mark", "🫡": "saluting_face", "☀️": "sunny", "🗳️": "ballot_box",
               "😅": "sweat_smile", "🚀": "rocket", "😬": "grimacing", "☕": "coffee", "🧵": "thread", "🌱": "seedling", "📝": "pencil",
               "⚠️": "warning", "🍺": "beer"}
EMOJI_RE = re.compile("[\u2600-\u27bf\U0001f300-\U0001faff][\ufe0f]?")


def dce_time(dt: datetime) -> str:
    """Format like System.Text.Json writes a DateTimeOffset: local offset, fraction without trailing zeros."""
    local = dt + CET
    frac = f"{local.microsecond:06d}".rstrip("0")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "+01:00"


def twemoji_url(emoji: str) -> str:
    """Return the Twemoji image URL of a standard emoji."""
    return "https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/" + "-".join(f"{ord(c):x}" for c in emoji if c != "\ufe0f") + ".svg"


def dce_emoji(emoji: str) -> dict[str, Any]:
    """Return a standard emoji as DiscordChatExporter writes it."""
    return {"id": "", "name": emoji, "code": EMOJI_CODES.get(emoji, emoji), "isAnimated": False, "imageUrl": twemoji_url(emoji)}


AVATAR_HASHES: dict[str, str] = {}


def dce_user(user: User, include_roles: bool = True) -> dict[str, Any]:
    """Return a user as DiscordChatExporter writes it (reaction users have no roles)."""
    roles = sorted(user.roles, key=lambda r: -ROLES[r][1])
    colored = [r for r in roles if ROLES[r][0]]
    if user.handle not in AVATAR_HASHES:
        AVATAR_HASHES[user.handle] = f"{rng_misc.getrandbits(128):032x}" if rng_misc.random() < 0.7 else ""
    avatar = (f"https://cdn.discordapp.com/avatars/{user.id}/{AVATAR_HASHES[user.handle]}.png?size=512" if AVATAR_HASHES[user.handle]
              else f"https://cdn.discordapp.com/embed/avatars/{(int(user.id) >> 22) % 6}.png")
    out: dict[str, Any] = {"id": user.id, "name": user.handle, "discriminator": "0000", "nickname": user.display,
                           "color": ROLES[colored[0]][0] if colored else None, "isBot": user.kind == "bot"}
    if include_roles:
        out["roles"] = [{"id": ROLE_IDS[r], "name": r, "color": ROLES[r][0], "position": ROLES[r][1]} for r in roles]
    out["avatarUrl"] = avatar
    return out


ROLE_IDS = {name: snowflake(T("2021-10-05T18:00:00") + timedelta(minutes=i * 7)) for i, name in enumerate(ROLES)}


def write_dce(truth: dict[str, Any]) -> None:
    """Write Wednesday's #governance as a DiscordChatExporter JSON export."""
    after, before = T("2026-11-18T08:00:00"), T("2026-11-18T23:00:00")
    chan = CHANNELS["gov"]
    msgs = sorted((m for m in MESSAGES if m["_channel"] == "gov" and after <= m["_when"] < before), key=lambda m: m["_when"])
    by_id = {m["id"]: m for m in MESSAGES}
    handles = sorted(USERS, key=len, reverse=True)
    out_msgs = []
    for m in msgs:
        author = USERS[m["_who"]]
        reactions = []
        mine = sorted((r for r in REACTIONS if r["message_id"] == m["id"]), key=lambda r: r["_when"])
        for emoji in dict.fromkeys(r["emoji"] for r in mine):
            users = [USERS[r["_who"]] for r in mine if r["emoji"] == emoji]
            reactions.append({"emoji": dce_emoji(emoji), "count": len(users), "users": [dce_user(u, include_roles=False) for u in users]})
        mentioned: list[User] = []
        if m["reply_to"]:
            mentioned.append(USERS[by_id[m["reply_to"]]["_who"]])
        for h in handles:
            if f"@{h}" in m["content"] and USERS[h] not in mentioned:
                mentioned.append(USERS[h])
        entry: dict[str, Any] = {
            "id": m["id"],
            "type": "Reply" if m["reply_to"] else "Default",
            "timestamp": dce_time(m["_when"]),
            "timestampEdited": dce_time(T(m["edited_at"][:-1])) if m["edited_at"] else None,
            "callEndedTimestamp": None,
            "isPinned": False,
            "content": m["content"],
            "author": dce_user(author),
            "attachments": [],
            "components": [],
            "embeds": [],
            "stickers": [],
            "reactions": reactions,
            "mentions": [dce_user(u) for u in mentioned],
        }
        if m["reply_to"]:
            entry["reference"] = {"type": "Default", "messageId": m["reply_to"], "channelId": chan["id"], "guildId": GUILD_ID}
        entry["inlineEmojis"] = [dce_emoji(e) for e in dict.fromkeys(x.group(0) for x in EMOJI_RE.finditer(m["content"]))]
        out_msgs.append(entry)
    export = {
        "guild": {"id": GUILD_ID, "name": GUILD_NAME, "iconUrl": f"https://cdn.discordapp.com/icons/{GUILD_ID}/{rng_misc.getrandbits(128):032x}.png?size=512"},
        "channel": {"id": chan["id"], "type": "GuildTextChat", "categoryId": CATEGORY_ID, "category": "GOVERNANCE", "name": chan["name"], "topic": chan["topic"]},
        "dateRange": {"after": dce_time(after), "before": dce_time(before)},
        "exportedAt": "2026-11-23T09:14:52.3318274+01:00",
        "messages": out_msgs,
        "messageCount": len(out_msgs),
    }
    text = json.dumps(export, ensure_ascii=False, indent=2) + "\n"
    (HERE / "discordchatexporter_sample.json").write_text(_escape_invisible(text), encoding="utf-8", newline="\n")
    abusive = [m["id"] for m in msgs if m["id"] in truth["abusive"]["message_ids"]]
    print(f"discordchatexporter_sample.json: {len(out_msgs)} messages of #{chan['name']}, abusive: {len(abusive)}")


def main() -> None:
    """Build the week and write the three files."""
    build()
    write_jsonl(MESSAGES + REACTIONS + JOINS)
    truth = write_truth()
    write_dce(truth)
    c = truth["counts"]
    print(f"sample_server.jsonl: {c['messages']} messages, {c['reactions']} reactions, {c['member_joins']} joins, {c['authors']} authors")
    print("planted: " + ", ".join(f"{k} {len(v)}" for k, v in truth["expected"].items()))


if __name__ == "__main__":
    main()
