"""Tests for a guild's policy: thresholds, and the categories of a detector that open cases."""

from __future__ import annotations

import pytest

from bot.policy import Policy, parse_categories
from bot.storage import Database, GuildRepo


class _Categorised:
    name = "toxicity"
    version = "toy"
    needs_embedding = False
    default_threshold = 0.5
    categories = ("hate", "harassment", "threat", "profanity")
    case_categories = frozenset({"hate", "harassment", "threat"})


class _Plain:
    name = "scam_link"
    default_threshold = 0.6


def test_policy_scores_by_the_chosen_categories() -> None:
    det = _Categorised()
    cats = {"hate": 0.2, "harassment": 0.1, "threat": 0.3, "profanity": 0.9}
    assert Policy().categories_for(det) == det.case_categories  # type: ignore[arg-type]
    assert Policy().score_of(det, 0.3, cats) == pytest.approx(0.3)  # type: ignore[arg-type]
    with_swearing = Policy(categories={"toxicity": frozenset({"profanity", "hate"})})
    assert with_swearing.score_of(det, 0.3, cats) == pytest.approx(0.9)  # type: ignore[arg-type]
    assert Policy(categories={"toxicity": frozenset()}).score_of(det, 0.3, cats) == 0.0  # type: ignore[arg-type]
    assert Policy().score_of(_Plain(), 0.7, {}) == 0.7  # type: ignore[arg-type]
    assert Policy().categories_for(_Plain()) == frozenset()  # type: ignore[arg-type]


def test_parse_categories_accepts_known_names_and_default() -> None:
    known = _Categorised.categories
    assert parse_categories(" Profanity, hate ,hate", known) == ["hate", "profanity"]
    assert parse_categories("default", known) is None
    with pytest.raises(ValueError, match="unknown categories slurs"):
        parse_categories("hate, slurs", known)
    with pytest.raises(ValueError, match="no categories"):
        parse_categories("hate", ())


async def test_guild_categories_are_stored_and_reach_the_policy() -> None:
    db = await Database.open(":memory:")
    guilds = GuildRepo(db)
    await guilds.set_categories("1", "toxicity", ["threat", "hate", "profanity"])
    await guilds.set_threshold("1", "toxicity", 0.6)
    config = await guilds.get("1")
    assert config.categories == {"toxicity": frozenset({"hate", "threat", "profanity"})}
    policy = config.policy({"toxicity": 0.5})
    assert policy.categories_for(_Categorised()) == {"hate", "threat", "profanity"}  # type: ignore[arg-type]
    assert policy.thresholds["toxicity"] == 0.6
    await guilds.set_categories("1", "toxicity", None)
    assert (await guilds.get("1")).policy().categories_for(_Categorised()) == _Categorised.case_categories  # type: ignore[arg-type]
    assert (await guilds.get("2")).categories == {}
    await db.close()
