"""Text material for the coordination simulator: campaign talking points, edits, traps' phrases."""

from __future__ import annotations

import random

# Twenty talking points, each written five ways by hand: paraphrase campaigns draw from one set
# and then vary words further with SYNONYMS, prefixes and suffixes.
TALKING_POINTS: list[list[str]] = [
    ["Vote YES on {p}, the treasury diversification is long overdue and protects everyone's tokens.",
     "{p} finally diversifies the treasury. This protects all token holders, voting yes.",
     "Diversifying the treasury like {p} proposes is overdue, it keeps our tokens safe. Yes from me.",
     "Supporting {p}: a diversified treasury protects every holder and it should have happened long ago.",
     "Long overdue. {p} diversifies the treasury and shields holders, so I'm voting for it."],
    ["{p} is a cash grab by the core team, vote NO and keep the funds with the community.",
     "Voting against {p}. It just moves community money to the core team.",
     "Don't let the core team grab the treasury, reject {p} and keep funds in community hands.",
     "{p} hands our money to insiders. NO vote, the funds belong to the community.",
     "Say no to {p}, it's the core team helping themselves to community funds."],
    ["The grants committee has delivered nothing in a year, {p} to defund it is the right call.",
     "A full year and zero results from the grants committee. Support {p} and defund them.",
     "{p} defunds a grants committee that shipped nothing for twelve months, easy yes.",
     "Nothing delivered by the grants committee all year, so yes to {p} and stop the funding.",
     "Time to stop paying a grants committee with no results: I back {p}."],
    ["Lowering the quorum in {p} lets a few whales pass anything, this is dangerous.",
     "{p} cuts quorum so a handful of whales can push any vote through. Dangerous idea.",
     "With the lower quorum from {p}, a couple of big holders could pass whatever they want.",
     "Reject {p}: a smaller quorum means whales decide everything alone.",
     "Dropping the quorum like {p} does gives whales total control over proposals."],
    ["We need {p} to fund the security audit before the v3 launch, no audit no launch.",
     "No launch without an audit. {p} pays for the v3 security review, vote for it.",
     "{p} funds the audit that v3 needs before going live, we can't skip this.",
     "Launching v3 unaudited would be reckless; {p} covers the security audit. Yes.",
     "Fund the v3 audit through {p} first, launching without one is asking for an exploit."],
    ["The emissions cut in {p} will kill liquidity, LPs will leave within a week.",
     "If {p} cuts emissions, liquidity providers are gone in days. Bad proposal.",
     "{p} slashes emissions and our liquidity will dry up as LPs exit fast.",
     "Cutting rewards like {p} wants means LPs pull liquidity almost immediately.",
     "Liquidity will collapse after the emission cut in {p}, LPs won't stay."],
    ["{p} gives the delegates fair pay for their work, the current setup burns them out.",
     "Delegates are burning out unpaid; {p} finally compensates them fairly.",
     "Fair compensation for delegates is what {p} delivers, they deserve it for the hours they put in.",
     "Our delegates work for free and burn out. Support {p} to pay them properly.",
     "{p} pays delegates fairly for real work, the way it is now just exhausts them."],
    ["Partnering with that bridge in {p} is a huge risk, they were exploited twice last year.",
     "That bridge got hacked twice last year and {p} wants to partner with them? No.",
     "{p} ties us to a bridge with two exploits in a year, far too risky.",
     "Two hacks last year and {p} still picks that bridge. Vote against this risk.",
     "A bridge exploited twice in twelve months is not a partner, reject {p}."],
    ["{p} moves the DAO to a proper legal wrapper, which protects every member from liability.",
     "A legal wrapper like in {p} shields all members from personal liability. Support.",
     "Members are personally liable right now; {p} fixes that with a real legal entity.",
     "Vote for {p}: the legal wrapper protects each of us from lawsuits.",
     "{p} gives the DAO a legal structure so members aren't personally exposed."],
    ["The marketing budget in {p} is way too high for what is basically influencer shilling.",
     "{p} spends a fortune on influencers shilling the token. Too expensive.",
     "Paying influencers this much like {p} proposes is a waste of treasury money.",
     "Way too much money in {p} for influencer promotions, cut the marketing budget.",
     "{p} is mostly an overpriced influencer campaign, vote it down."],
    ["Buybacks from {p} are the only thing that will restore confidence in the token price.",
     "Only buybacks can fix confidence in the price, which is why {p} matters.",
     "{p} starts token buybacks, exactly what's needed to win back confidence.",
     "Confidence in the token comes back with buybacks, support {p}.",
     "Restoring trust in the price needs the buybacks in {p}, nothing else will work."],
    ["{p} finally adds vesting for the team, no more dumping on the community.",
     "Team tokens need vesting and {p} delivers it, no more dumps on holders.",
     "With {p} the team's tokens vest over time so they can't dump on us.",
     "Vesting for the team in {p} stops insiders from selling on the community. Yes.",
     "{p} locks team tokens under vesting, good, no more insider dumps."],
    ["Moving to {p} on-chain voting is the only way to stop the multisig from ignoring votes.",
     "The multisig keeps ignoring results; {p} puts votes on-chain so they can't.",
     "{p} enforces votes on-chain, the multisig won't be able to override us anymore.",
     "On-chain execution via {p} ends the multisig ignoring what the DAO decided.",
     "Support {p}: binding on-chain votes instead of a multisig that disregards us."],
    ["{p} rushes the vote with a two day window, nobody can read a proposal this big that fast.",
     "Two days to vote on something as big as {p}? That's rushing it on purpose.",
     "Nobody can review {p} properly in a two-day vote, extend the window.",
     "The two day voting period on {p} is way too short for a proposal this large.",
     "{p} is being pushed through in two days, far too fast to read it properly."],
    ["Fees going to stakers in {p} rewards the people who actually commit to the protocol.",
     "{p} sends fees to stakers, rewarding those who commit long term.",
     "Long-term stakers deserve the fees and {p} gives it to them. Yes.",
     "Committed stakers get the protocol fees under {p}, that's fair.",
     "{p} rewards real commitment by routing fees to stakers."],
    ["The new council in {p} is just the same five insiders with a new name.",
     "{p} creates a council, but it's the same five insiders as always.",
     "Renaming the insider group a council like {p} changes nothing, same five people.",
     "Same five insiders, new title: that's all the council in {p} is.",
     "{p}'s council is the usual five insiders rebranded, vote no."],
    ["{p} funds the community hackathon, the best way to bring in new builders.",
     "Want new builders? Fund the hackathon like {p} proposes.",
     "A hackathon is how we attract developers, supporting {p}.",
     "{p} pays for the hackathon that will bring fresh builders into the ecosystem.",
     "Backing {p}: hackathons bring in builders better than anything else."],
    ["Reducing the proposal threshold in {p} opens the floodgates to spam proposals.",
     "{p} lowers the proposal threshold and we'll drown in spam proposals.",
     "With the lower threshold from {p}, anyone can flood governance with junk.",
     "Spam proposals everywhere is what {p}'s lower threshold will bring.",
     "Keep the threshold, {p} would let spammers swamp governance."],
    ["{p} is exactly the transparency we need, monthly treasury reports should be mandatory.",
     "Mandatory monthly treasury reports, as in {p}, are the transparency we lack.",
     "Yes to {p}: the treasury must report every month, transparency matters.",
     "Monthly treasury reporting from {p} is overdue transparency.",
     "{p} makes treasury reports mandatory each month, finally some transparency."],
    ["Selling ETH for stablecoins in {p} right before the upgrade is terrible timing.",
     "{p} dumps ETH into stables just before the upgrade, worst possible timing.",
     "Terrible timing in {p}: converting ETH to stablecoins right ahead of the upgrade.",
     "Why sell ETH for stables days before the upgrade like {p} says? Bad timing.",
     "{p} swaps ETH to stablecoins at the worst moment, right before the upgrade."],
]

SYNONYMS: dict[str, list[str]] = {
    "vote": ["vote", "voting"], "huge": ["huge", "massive", "big"], "risk": ["risk", "danger"],
    "money": ["money", "funds"], "funds": ["funds", "money"], "proposal": ["proposal", "motion"],
    "team": ["team", "devs"], "community": ["community", "holders"], "fast": ["fast", "quickly"],
    "finally": ["finally", "at last"], "bad": ["bad", "terrible"], "support": ["support", "back"],
    "dangerous": ["dangerous", "risky"], "overdue": ["overdue", "late"], "whales": ["whales", "big holders"],
}
PREFIXES = ["", "", "Honestly, ", "Imo ", "Tbh ", "Look, ", "Seriously, ", "Real talk: ", "Fr ", "Ngl "]
SUFFIXES = ["", "", " 🚀", " !!", " imo", " Simple as that.", " 💯", " Let's go.", " Period.", " 👇"]

GM = ["gm", "gm!", "gm gm", "GM", "gm fam", "gm ☀️", "good morning", "gm everyone", "gm frens",
      "morning all", "gm gm gm", "gm frens, have a great day", "gm everyone, have a great day!",
      "good morning fam, let's have a great day", "gm gm, happy building everyone", "gm, coffee first ☕"]
CONGRATS = ["congrats!", "Congrats team!", "congratulations 🎉", "huge congrats", "let's gooo",
            "Congrats to the whole team on shipping this, well deserved!",
            "Congratulations everyone, this is a huge milestone for the DAO",
            "massive congrats to everyone who worked on this release",
            "So proud of this community, congrats on the launch!",
            "congrats!! been waiting for this one", "well deserved, congrats all 🙌",
            "Amazing work team, congratulations on getting this live", "🎉🎉🎉", "wagmi", "+1 congrats",
            "huge milestone, congrats to the devs and everyone involved",
            "congrats, the launch went super smooth"]
ANNOUNCEMENT = "📣 v2 is live on mainnet! Thank you to every contributor who made this happen."


def light_edit(text: str, rng: random.Random) -> str:
    """Return a light edit: a typo, a dropped or doubled word, changed case or added emoji."""
    toks = text.split()
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(5)
        i = rng.randrange(len(toks))
        if op == 0 and len(toks[i]) > 3:
            j = rng.randrange(len(toks[i]) - 1)
            toks[i] = toks[i][:j] + toks[i][j + 1] + toks[i][j] + toks[i][j + 2:]
        elif op == 1 and len(toks) > 6:
            toks.pop(i)
        elif op == 2:
            toks.insert(i, toks[i])
        elif op == 3:
            toks[i] = toks[i].upper() if rng.random() < 0.5 else toks[i].lower()
        else:
            toks.append(rng.choice(["🔥", "!!", "👍", "✅", "🙏"]))
    return " ".join(toks)


def paraphrase(variants: list[str], rng: random.Random) -> str:
    """Return one hand-written variant with synonym swaps and a random prefix/suffix."""
    toks = rng.choice(variants).split()
    for i, tok in enumerate(toks):
        key = tok.lower().strip(".,:!?")
        if key in SYNONYMS and rng.random() < 0.5:
            toks[i] = tok.replace(key, rng.choice(SYNONYMS[key])) if tok.islower() else tok
    text = " ".join(toks)
    prefix = rng.choice(PREFIXES)
    if prefix:
        text = prefix + text[0].lower() + text[1:]
    return text + rng.choice(SUFFIXES)
