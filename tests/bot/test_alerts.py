"""Alert cards are plain data: what was flagged, scores, evidence in words, a jump link."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts import explain, jump_url, render_case, render_verdict
from bot.domain import Case, CaseStatus, Post, Severity, Verdict

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _case(**kw: object) -> Case:
    base: dict[str, object] = dict(
        id=7, guild_id="1", detector="coordination", status=CaseStatus.OPEN, severity=Severity.HIGH, score=0.91,
        post_ids=("11", "12"), author_ids=("21", "22"), channel_id="5",
        evidence={"summary": "2 accounts posted near-identical text within 3 minutes", "threshold": 0.6,
                  "mean_similarity": 0.97, "members": ["21", "22"], "excerpt": "VOTE YES"},
        model_versions={"coordination": "c-1"}, created_at=NOW, updated_at=NOW,
    )
    base.update(kw)
    return Case(**base)  # type: ignore[arg-type]


def _post(pid: str, author: str) -> Post:
    return Post(id=pid, channel_id="5", author_id=author, content="VOTE YES on DIP-9", created_at=NOW, guild_id="1")


def test_explain_puts_the_summary_first_and_skips_bookkeeping() -> None:
    lines = explain(_case().evidence)
    assert lines[0].startswith("2 accounts posted") and "mean similarity: 0.97" in lines
    assert not any(line.startswith(("members", "excerpt", "threshold")) for line in lines)


def test_campaign_card_lists_accounts_and_messages() -> None:
    card = render_case(_case(), [_post("11", "21"), _post("12", "22")])
    assert card.title == "Case #7: Coordinated posting (possible campaign)"
    assert card.description.startswith("2 posts by 2 accounts in <#5>.")
    assert card.url == jump_url("1", "5", "11") == "https://discord.com/channels/1/5/11"
    fields = {f.name: f.value for f in card.fields}
    assert fields["Score"] == "**0.91** (threshold 0.60)" and "<@21>, <@22>" == fields["Accounts"]
    assert "channels/1/5/12" in fields["Messages"] and "c-1" in card.footer


def test_single_post_card_quotes_the_stored_excerpt_when_text_expired() -> None:
    card = render_case(_case(detector="toxicity", post_ids=("11",), author_ids=("21",)))
    assert card.description.startswith("Post by <@21>") and "> VOTE YES" in card.description
    assert card.url is None


def test_verdict_card_marks_what_is_over_threshold() -> None:
    verdict = Verdict(post_id="1", guild_id="1", scores={"toxicity": 0.95, "ai_generated": 0.1},
                      flags=("toxicity",), evidence={"toxicity": {"summary": "insult"}},
                      model_versions={"toxicity": "t"})
    card = render_verdict(verdict, {"toxicity": 0.7, "ai_generated": 0.8})
    assert "0.95 (threshold 0.70, ⚠️ over)" in card.description and "Flagged: Toxic" in card.description


def test_evidence_names_the_place_a_text_channel_is_never_called_a_thread() -> None:
    from bot.alerts import Place, name_places

    summary = "3 accounts, posted near-identical text within under a minute on thread 1577415819451719747"
    channel = {"1577415819451719747": Place("1577415819451719747")}
    assert name_places(summary, channel).endswith("within under a minute in <#1577415819451719747>")
    thread = {"1577415819451719747": Place("1577415819451719747", "thread", "DIP-4 budget", "1577415819451719000")}
    assert name_places(summary, thread).endswith(
        "in thread **DIP-4 budget** (<#1577415819451719747>) in <#1577415819451719000>")
    unknown = name_places("brigade on 1577415819451719747 by <@1577415819451719747>", {})
    assert unknown == "brigade on 1577415819451719747 by <@1577415819451719747>"  # ids it cannot place stay


def test_a_case_in_a_thread_is_described_from_its_stored_posts() -> None:
    post = Post(id="11", channel_id="900000000000000001", thread_id="900000000000000001",
                parent_id="800000000000000001", author_id="21", content="hi", created_at=NOW, guild_id="1")
    card = render_case(_case(detector="toxicity", post_ids=("11",), author_ids=("21",),
                             channel_id="900000000000000001"), [post])
    assert card.description.startswith("Post by <@21> in thread <#900000000000000001> in <#800000000000000001>.")
