"""Templated sentences that mention identity groups, neutral and hateful, against identity-term bias.

A classifier trained on tweets learns that words like "gay" or "muslim" go with abuse, because abuse
mentions them more often than other tweets do, and then flags "I am bisexual". Following Dixon et
al. (2018, "Measuring and Mitigating Unintended Bias in Text Classification"), the toxicity branch
also trains on the same identity terms in neutral sentences (label 0) and in hateful ones (label 1),
so the model has to read what is said about a group, not that a group is named. The templates were
written for this project; no evaluation sentence (ToxiGen) is among them.
"""

from __future__ import annotations

import itertools

TERMS = (
    "gay", "lesbian", "bisexual", "transgender", "trans", "queer", "nonbinary", "straight", "black",
    "white", "asian", "latino", "hispanic", "mexican", "chinese", "indian", "native american", "jewish",
    "muslim", "christian", "hindu", "atheist", "immigrant", "refugee", "disabled", "deaf", "blind",
    "autistic", "old", "young", "african", "arab", "middle eastern", "female", "male", "feminist",
    "lgbtq", "catholic", "mormon", "european",
)

NEUTRAL = (
    "I am {t}.",
    "I'm {t} and I have a question about the treasury report.",
    "As a {t} person, I support this proposal.",
    "As a {t} member of this DAO I think the quorum is too low.",
    "My best friend is {t}.",
    "My sister is {t} and works as a developer.",
    "Being {t} is part of who I am.",
    "{T} people are welcome in this community.",
    "We should hear more from {t} delegates before the vote.",
    "The {t} members of our forum organised a meetup last week.",
    "Our new moderator is {t}.",
    "There are many {t} people in this server.",
    "I grew up in a {t} family.",
    "Is anyone else here {t}? Would love to chat.",
    "Proud to be {t}.",
    "My neighbour is {t}, we go hiking together.",
    "The panel had two {t} speakers and they were great.",
    "Being {t} has nothing to do with how I vote.",
    "{T} people have the same rights as everyone else.",
    "Happy to see more {t} builders in web3.",
    # minimal pairs of the hateful templates below: same shape, neutral words, so that "<group> people
    # ..." in a short sentence is not itself the signal
    "{T} people are wonderful.",
    "I love {t} people.",
    "{T} people are human beings like everyone else.",
    "All {t} people are welcome in this server.",
    "{T} people improve everything they touch.",
    "Welcome to the server, my {t} friend.",
    "Everybody wants {t} people around here.",
    "{T} people are a blessing.",
    "Every {t} person is a valued member.",
    "Speak up, {t} friends.",
    "{T} people should be allowed to vote.",
    "Invite the {t} builders.",
    "{T} people.",
    "{T} people are here too.",
)

HATEFUL = (
    "{T} people are disgusting.",
    "I hate {t} people.",
    "{T} people are subhuman.",
    "All {t} people should be banned from this server.",
    "{T} people ruin everything they touch.",
    "Get out of here, you {t} freak.",
    "Nobody wants {t} people around here.",
    "{T} people are a disease.",
    "Every {t} person is a worthless idiot.",
    "Shut up, {t} trash.",
    "{T} people should not be allowed to vote.",
    "Kick out the {t} scum.",
)


def _fill(template: str, term: str) -> str:
    return template.replace("{T}", term[0].upper() + term[1:]).replace("{t}", term)


def identity_sentences() -> list[tuple[str, int]]:
    """Return (sentence, label) for every term and template: 0 neutral, 1 hateful."""
    neutral = [(_fill(t, term), 0) for term, t in itertools.product(TERMS, NEUTRAL)]
    hateful = [(_fill(t, term), 1) for term, t in itertools.product(TERMS, HATEFUL)]
    return neutral + hateful
