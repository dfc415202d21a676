"""Tests for the stylometric features and the SmolLM2 statistics of the AI-text detector."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from models.ai_text.lm_features import LM_NAMES, STYLE_NAMES, strip_platform, style_features, word_count


def col(name: str) -> int:
    """Return the column of a style feature."""
    return STYLE_NAMES.index(name)


def test_shape_and_dtype() -> None:
    x = style_features(["hello there", "", "One. Two three four. Five six seven eight nine."])
    assert x.shape == (3, len(STYLE_NAMES))
    assert x.dtype == np.float32
    assert np.isfinite(x).all()


def test_strip_platform_removes_urls_and_mentions() -> None:
    text = "see https://snapshot.org/#/prop/1 and <@1234567890> @alice thanks"
    assert strip_platform(text) == "see and thanks"
    assert word_count(text) == 3


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Embrace the future of governance! #DAO #Web3 🚀", "trailing_tag_block", 2.0),
        ("we voted on #DAO stuff yesterday and it was fine", "trailing_tag_block", 0.0),
        ("lol idk tbh im not gonna vote", "lowercase_start", 1.0),
        ("This proposal is sound.", "ends_with_period", 1.0),
        ("this is sooo bad...", "ellipsis_or_repeat", 1.0),
    ],
)
def test_table_of_single_features(text: str, name: str, expected: float) -> None:
    assert style_features([text])[0, col(name)] == pytest.approx(expected)


def test_casual_markers_and_rhythm() -> None:
    casual, formal = style_features([
        "lol idk tbh im gonna vote no, its kinda dumb",
        "The proposal improves treasury transparency. It also reduces operational risk. "
        "It aligns incentives across contributors.",
    ])
    assert casual[col("casual_rate")] > 0.3
    assert formal[col("casual_rate")] == 0.0
    uneven = style_features(["No. This is a much longer sentence that keeps going for a long while. Ok."])[0]
    assert formal[col("sentence_len_cv")] < uneven[col("sentence_len_cv")]


def test_emoji_counted_after_url_removed() -> None:
    with_emoji, without = style_features(["great work team 🎉🎉 https://x.co/a", "great work team"])
    assert with_emoji[col("emoji_count")] > 0
    assert without[col("emoji_count")] == 0
    assert with_emoji[col("log_words")] == without[col("log_words")]


@pytest.mark.slow
def test_smollm_statistics_prefer_fluent_text() -> None:
    from models.ai_text.lm_features import LmScorer

    scorer = LmScorer()
    feats = scorer.features([
        "The quick brown fox jumps over the lazy dog.",
        "dog lazy the over jumps fox brown quick The.",
    ])
    assert feats.shape == (2, len(LM_NAMES))
    logp = LM_NAMES.index("lm_logp")
    assert feats[0, logp] > feats[1, logp]  # fluent text is more likely under the model
    assert feats[0, LM_NAMES.index("lm_logrank")] < feats[1, LM_NAMES.index("lm_logrank")]
    top1, top10 = LM_NAMES.index("lm_top1_share"), LM_NAMES.index("lm_top10_share")
    assert 0.0 <= feats[1, top1] < feats[0, top1] <= feats[0, top10] <= 1.0  # the model guesses fluent text
    assert (feats[:, LM_NAMES.index("lm_logp_sd")] > 0).all()
    # statistics are per text: scoring one alone or beside a longer text gives the same row (one pass per text)
    alone = scorer.features(["The quick brown fox jumps over the lazy dog."])
    np.testing.assert_allclose(alone[0], feats[0], rtol=1e-4, atol=1e-4)
    longer = "The committee met on Tuesday and agreed to fund the audit before the next vote on the treasury."
    padded = scorer.features(["The quick brown fox jumps over the lazy dog.", longer])
    assert padded[1, LM_NAMES.index("lm_log_tokens")] > padded[0, LM_NAMES.index("lm_log_tokens")]
    np.testing.assert_allclose(padded[0], alone[0], rtol=1e-4, atol=1e-4)


def test_statistics_in_chunks_equal_one_pass_and_the_definitions(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from models.ai_text import lm_features

    scorer = object.__new__(lm_features.LmScorer)  # the statistics need torch, not the model
    scorer._torch = torch
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(300, 500, generator=gen, dtype=torch.float32).to(torch.bfloat16)
    target = torch.randint(0, 500, (300,), generator=gen)
    monkeypatch.setattr(lm_features, "STAT_CHUNK", 1000)
    whole = scorer._statistics(logits, target).numpy()
    monkeypatch.setattr(lm_features, "STAT_CHUNK", 7)  # 300 positions in 43 uneven chunks
    chunked = scorer._statistics(logits, target).numpy()
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)
    logp = torch.log_softmax(logits.float(), dim=-1)
    tok = logp[torch.arange(300), target]
    rank = (logp > tok[:, None]).sum(-1) + 1
    assert chunked[LM_NAMES.index("lm_logp")] == pytest.approx(float(tok.mean()), rel=1e-5)
    assert chunked[LM_NAMES.index("lm_entropy")] == pytest.approx(float(-(logp.exp() * logp).sum(-1).mean()), rel=1e-5)
    assert chunked[LM_NAMES.index("lm_top1_share")] == pytest.approx(float((rank == 1).float().mean()))
    assert chunked[LM_NAMES.index("lm_log_tokens")] == pytest.approx(np.log(300))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("We should fund the audit before the vote.", 8),
        ("Нам нужно оплатить аудит до голосования.", 6),  # Cyrillic
        ("हमें मतदान से पहले ऑडिट का भुगतान करना चाहिए।", 9),  # Devanagari: vowel signs stay inside words
        ("我们应该在投票前支付审计费用。", 14),  # Han: one word per character (no spaces between words)
        ("Il faut financer l'audit avant le vote, déjà prévu.", 9),
        ("x2y a_b 1234", 4),  # digits and underscores are not letters
    ],
)
def test_words_are_counted_in_any_script(text: str, words: int) -> None:
    assert word_count(text) == words


def test_non_english_prose_is_not_measured_as_empty() -> None:
    en, ru, zh = style_features([
        "We should fund the audit before the vote. The last one was late. Who signs off?",
        "Нам нужно оплатить аудит до голосования. Прошлый был поздно. Кто подписывает?",
        "我们应该在投票前支付审计费用。上次太晚了。谁来签字？",
    ])
    for row in (ru, zh):
        assert row[col("sentence_count")] == pytest.approx(en[col("sentence_count")])
        assert row[col("mean_word_len")] > 0.9 and row[col("type_token_ratio")] > 0.5
    assert abs(ru[col("log_words")] - en[col("log_words")]) < 0.5


def test_a_failed_conversion_falls_back_to_the_gguf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    from models.ai_text import lm_features

    monkeypatch.setattr(lm_features, "converted_location", lambda: tmp_path / "copy")
    monkeypatch.setattr(lm_features.sys, "executable", "/bin/false")  # the child process fails
    with caplog.at_level(logging.WARNING, logger="models.ai_text.lm_features"):
        assert lm_features.prepared_smollm() is None
    assert "loading the GGUF in this process instead" in caplog.text
    assert not (tmp_path / "copy").exists()


def test_conversion_into_an_unusable_folder_fails_with_a_message(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from models.ai_text.lm_features import main

    (tmp_path / "a-file").write_text("not a folder")
    assert main(["--convert", str(tmp_path / "a-file" / "copy")]) == 1
    assert "could not write" in capsys.readouterr().err


@pytest.mark.slow
def test_conversion_writes_a_bfloat16_copy_that_loads(tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from models.ai_text.lm_features import convert_smollm

    out = tmp_path / "copy"
    convert_smollm(out)
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["copy"]  # the temporary folder is gone
    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.bfloat16)
    assert next(model.parameters()).dtype == torch.bfloat16
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()  # still tied
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    convert_smollm(out)  # a second conversion (another process got there first) keeps the copy in place
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_a_damaged_copy_falls_back_to_the_gguf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    from models.ai_text import lm_features

    damaged = tmp_path / "copy"
    damaged.mkdir()
    (damaged / "config.json").write_text("{not json")
    (damaged / "model.safetensors").write_bytes(b"\x00" * 64)
    monkeypatch.setattr(lm_features, "converted_location", lambda: damaged)
    with caplog.at_level(logging.WARNING, logger="models.ai_text.lm_features"):
        scorer = lm_features.LmScorer()
    assert "could not read the bfloat16 copy" in caplog.text
    feats = scorer.features(["The quick brown fox jumps over the lazy dog."])
    assert feats.shape == (1, len(LM_NAMES)) and np.isfinite(feats).all()


def test_prepare_reports_the_copy_or_says_the_bot_will_load_the_gguf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from models.ai_text import lm_features

    monkeypatch.setattr(lm_features, "prepared_smollm", lambda: tmp_path / "copy")
    assert lm_features.main(["--prepare"]) == 0
    assert f"SmolLM2 copy: {tmp_path / 'copy'}" in capsys.readouterr().out
    monkeypatch.setattr(lm_features, "prepared_smollm", lambda: None)
    assert lm_features.main(["--prepare"]) == 1
    assert "the bot will load the GGUF" in capsys.readouterr().out
