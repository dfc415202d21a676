"""Templated threats of violence aimed at a person, and twins that use the same words harmlessly.

DynaHate labels 75 rows of rounds 1-3 as threatening, all aimed at groups, so the threat output barely knew a
threat against one member ("I'll stab you if you vote yes") and took the words alone for the signal. These
templates (written for this project; no evaluation or test sentence is among them, and none uses the frame
or the words of the acceptance test's threat) pair each violent threat with sentences that keep its verbs in
their everyday governance senses ("I will kill this proposal in the vote", "shoot me a DM"). They train the
threat output only: a threat row is threat 1 and a twin threat 0, the other outputs unlabelled.
"""

from __future__ import annotations

import itertools

TARGETS = ("you", "the author of this proposal", "that delegate", "the treasurer", "every signer who votes no",
           "the mods", "him", "her")
_HARM = ("kill", "stab", "shoot", "strangle", "hurt", "smash the skull of", "break the neck of", "slit the throat of")
THREAT_FRAMES = (
    "I will {harm} {target}.",
    "I'm going to {harm} {target} after the vote.",
    "Vote yes or I will {harm} {target}.",
    "Keep posting this and I'll {harm} {target}.",
    "Someone should {harm} {target} for this.",
    "I know where {target} lives and I'm going to {harm} {target}.",
)
THREAT_SENTENCES = (
    "{Target} deserves to be shot.",
    "{Target} should be lined up against a wall and shot.",
    "{Target} should be hanged for what happened to the treasury.",
    "{Target} will not survive the week if this passes.",
    "Say that again and {target} will be found in a ditch.",
    "I'll burn down the house of {target} with everyone inside.",
    "Watch your back, I know where you live and I'm coming for you.",
    "One more post like this and you're dead, I promise.",
    "I'll put a bullet in your head if you block this again.",
    "Enjoy your last days, we will find you and make you bleed.",
    "I'm going to wait outside your house tonight with a knife.",
    "If the vote fails, I will come to your office and hurt you.",
)
# The threat frames with a harmless action: the frame and the target are not the signal, the harm is.
_HARMLESS = ("thank", "message", "tag", "call", "vote for", "back", "quote", "shoot a DM to")
TWIN_FRAMES = tuple(f.replace("I know where {target} lives", "I know where {target} posted") for f in THREAT_FRAMES)
# The same verbs where nobody is threatened: votes, bugs, idioms, chores.
TWINS = (
    "I will kill this proposal in the vote.",
    "I'm going to kill the old snapshot space after the vote.",
    "This bug will kill the protocol if we do not patch it.",
    "The gas fees are killing me this week.",
    "We are going to crush the quorum target this time.",
    "I'm going to shoot you a DM about the grant.",
    "Shoot me a message when the forum post is up.",
    "Someone should hang the banner for the AMA.",
    "This proposal deserves to be shot down in committee.",
    "The delay will hurt our chances with the grants council.",
    "Voting yes would hurt the treasury more than it helps.",
    "I know where the call is and I'm coming to it.",
    "Break a leg at the AMA tomorrow!",
    "I'll burn the old multisig keys after the rotation.",
    "Say that again in the forum so everyone sees it.",
    "Watch out, the vote closes tonight.",
    "The new dashboard absolutely kills it.",
    "That AMA was a killer, well done everyone.",
    "We will find you a reviewer for the grant.",
    "Enjoy your last days of holiday before the vote starts.",
    "I'm going to wait outside the venue for the others.",
    "If the vote fails, I will come to the office hours and ask why.",
    "The author of this proposal deserves a raise.",
    "Every signer who votes no should explain why in the forum.",
    "The treasurer should be thanked for the report.",
    "Keep posting updates like this, they help a lot.",
    "Vote yes or abstain, but please do vote.",
    "That delegate will not survive the week without coffee.",
    "I'll put a note in the proposal if you block this again.",
    "One more post like this and you're a legend, I promise.",
)


def threat_sentences() -> list[tuple[str, int]]:
    """Return (sentence, is_threat) pairs: the templated threats and their harmless twins."""
    out: list[tuple[str, int]] = []
    for frame, harm, target in itertools.product(THREAT_FRAMES, _HARM, TARGETS):
        out.append((frame.format(harm=harm, target=target), 1))
    for sentence, target in itertools.product(THREAT_SENTENCES, TARGETS):
        text = sentence.format(target=target, Target=target[0].upper() + target[1:])
        out.append((text, 1))
    for frame, action, target in itertools.product(TWIN_FRAMES, _HARMLESS, TARGETS):
        out.append((frame.format(harm=action, target=target), 0))
    out += [(t, 0) for t in TWINS]
    return sorted(set(out))
