"""Tests for the detection-time text normalisation."""

from __future__ import annotations

import pytest

from models.normalize import fold_confusables, normalize, strip_invisible


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ｆｕｌｌｗｉｄｔｈ", "Fullwidth"),  # NFKC folds fullwidth forms
        ("ﬁne", "fine"),  # NFKC folds ligatures
        ("i\u200bd\u200bi\u200bo\u200bt", "idiot"),  # zero-width spaces
        ("id\u2060iot\ufeff", "idiot"),  # word joiner and BOM
        ("i\u00addiot", "idiot"),  # soft hyphen
        ("\u202eidiot\u202c", "idiot"),  # bidi overrides
        ("іdіot", "idiot"),  # Cyrillic і (U+0456)
        ("ѕtuрid", "stupid"),  # Cyrillic ѕ and р
        ("ιdιοt", "idiot"),  # Greek iota and omicron
        ("ᴍᴏʀᴏɴ", "moron"),  # small capitals
        ("1d1ot", "idiot"),
        ("st00pid", "stoopid"),
        ("h4te", "hate"),
        ("b!tch", "bitch"),
        ("@sshole", "asshole"),
        ("i d i o t", "idiot"),  # spelled out letter by letter
        ("noooooooo", "noo"),  # long runs squashed to two
        ("!!!!!!!!", "!!"),
        ("idiooooot", "idioot"),
    ],
)
def test_evasions_fold(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "sentence",
    ["you are an 1d1ot", "you are an іdіot", "you are an i\u200bd\u200bi\u200bo\u200bt", "you are an IDIOT"],
)
def test_evasions_in_a_sentence_match_plain(sentence: str) -> None:
    assert normalize(sentence).lower() == "you are an idiot"


@pytest.mark.parametrize(
    "text",
    [
        "AIP-42",
        "1st",
        "2nd round of voting on AIP-42 ends 2024-06-01 at 15:00 UTC",
        "https://snapshot.org/#/ens.eth/proposal/0x5f3a9c1e7b",
        "see www.example.org/p1a3 for details",
        "<@123456789012345678> and <#987654321098765432> and <@&42>",
        "@user thanks for the write-up",
        "@everyone vote closes soon",
        "0x5f3a9c1e7b2d4a6f8e0c1b3d5f7a9c1e3b5d7f90",
        "commit deadbeef1234",
        "quorum is 4% and 1.5M tokens",
        "$ETH and $ARB holders",
        "v1.2.3 ships L2 support",
        "GM frens, proposal looks good",
    ],
)
def test_normal_text_is_not_mangled(text: str) -> None:
    assert normalize(text) == text


def test_keeps_newlines_and_strips_controls() -> None:
    assert strip_invisible("a\x00b\nc\td\x07") == "ab\nc\td"


def test_fold_confusables_drops_accents() -> None:
    assert fold_confusables("café naïve") == "cafe naive"


def test_empty_and_whitespace() -> None:
    assert normalize("") == ""
    assert normalize(" \u200b\n ") == ""


def test_idempotent() -> None:
    once = normalize("Y0u are an іd1ot!!!!! https://x.org/a1b2 <@1>")
    assert normalize(once) == once


def test_long_text_is_handled() -> None:
    out = normalize("word " * 5000)
    assert out.startswith("word word") and len(out) > 20000


@pytest.mark.parametrize(
    "text",
    [
        "Привет всем, голосование закрывается завтра",  # Russian: no Latin folding of в, с, е, м
        "Ты идиот",
        "Ελληνικά κείμενα για την ψηφοφορία",  # Greek
        "नमस्ते दुनिया, क्या हाल है? प्रस्ताव स्वीकार्य है",  # Hindi: viramas and vowel signs kept
        "क्\u200dष and می\u200cخواهم",  # ZWJ / ZWNJ inside Devanagari and Persian words are spelling
        "Tiếng Việt có dấu thanh: người dùng đã bỏ phiếu",  # Vietnamese tone marks kept
        "Søren and Straße, café naïve",  # Latin letters of other languages are not look-alikes
        "日本語のテキスト、투표는 내일",  # CJK, kana and Hangul
        "👨\u200d👩\u200d👧 family emoji stay joined",
        "Hello всем",  # too little text to call the Cyrillic word a disguise
    ],
)
def test_single_script_text_is_unchanged(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("you are а сорt", "you are a copt"),  # look-alike-only tokens inside Latin text
        ("уоu аrе ѕtuріd", "you are stupid"),  # every token mixes Cyrillic into Latin
        ("z\u0337\u0322a\u0334l\u0338g\u0335o\u0336 idiot", "zalgo idiot"),  # marks piled on Latin letters
        ("i\u200dd\u200ciot", "idiot"),  # joiners between Latin letters are a split, not spelling
        ("и д и о т", "идиот"),  # letter-by-letter spelling in Cyrillic joins too
    ],
)
def test_mixed_script_attacks_fold(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_fold_confusables_on_its_own_still_folds_everything() -> None:
    assert fold_confusables("всем") == "bcem"  # impersonation's name matching wants the aggressive form
