"""Tests for the long-form path of the AI-text detector: windows, document structure, chunk aggregates."""

from __future__ import annotations

import numpy as np
import pytest

from models.ai_text.long import (
    CHUNK_AGG_NAMES,
    CHUNK_STRIDE,
    CHUNK_WORDS,
    LONG_NAMES,
    MAX_CHUNKS,
    STRUCTURE_NAMES,
    chunk_aggregates,
    chunk_texts,
    long_features,
    structure_features,
)

LISTY = """Here is why this proposal matters.

- It improves transparency for every delegate.
- It reduces operational risk for the treasury.
- It aligns incentives across contributors.

In conclusion, adopting this framework will foster a more robust and sustainable ecosystem."""
PLAIN = ("so i looked at the numbers again last night. we paid 40k for the last audit and two of the findings "
         "were already in the forum thread from march. not saying skip it, but maybe ask for a fixed quote first?")


def s(name: str) -> int:
    """Return the column of a structure feature."""
    return STRUCTURE_NAMES.index(name)


def test_windows_start_with_the_whole_text_and_overlap() -> None:
    words = [f"w{i}" for i in range(500)]
    text = " ".join(words)
    chunks = chunk_texts(text)
    assert chunks[0] == text  # the encoder truncates it: the same pass every post already gets
    assert chunks[1].split()[0] == f"w{CHUNK_STRIDE}"
    assert all(len(c.split()) <= CHUNK_WORDS for c in chunks[1:])
    assert CHUNK_STRIDE < CHUNK_WORDS  # consecutive windows overlap
    assert chunks[-1].split()[-1] == "w499"  # the end of the text is read


def test_short_texts_have_one_window_and_long_ones_are_capped() -> None:
    assert chunk_texts("just a few words here") == ["just a few words here"]
    assert len(chunk_texts(" ".join(["word"] * 5000))) == MAX_CHUNKS
    # a tail shorter than MIN_TAIL_WORDS after a second window is not a window of its own
    n = CHUNK_STRIDE * 2 + 10
    assert len(chunk_texts(" ".join(["w"] * n))) == 2


def test_structure_sees_lists_closers_and_stock_words() -> None:
    listy, plain = structure_features([LISTY, PLAIN])
    assert listy[s("list_line_rate")] > 0.5 and plain[s("list_line_rate")] == 0
    assert listy[s("closer_present")] == 1.0 and plain[s("closer_present")] == 0.0
    assert listy[s("stock_phrase_rate")] > plain[s("stock_phrase_rate")]


def test_balanced_paragraphs_have_low_spread() -> None:
    even = "\n\n".join(["This sentence has exactly seven words here."] * 4)
    uneven = "Short one.\n\n" + " ".join(["This paragraph goes on for a while."] * 8) + "\n\nOk."
    e, u = structure_features([even, uneven])
    assert e[s("paragraph_len_cv")] < 0.05 < u[s("paragraph_len_cv")]
    assert e[s("paragraph_count")] == pytest.approx(np.log1p(4))


def test_burstiness_measures_sentence_length_spread() -> None:
    uniform = " ".join(["The committee reviewed the budget carefully today."] * 6)
    bursty = "No. " + "The committee reviewed every single line of the budget for many hours today. " * 2 + "Why?"
    u, b = structure_features([uniform, bursty])
    assert u[s("sentence_len_sd")] == pytest.approx(0.0)
    assert b[s("sentence_len_sd")] > 3 and b[s("short_sentence_share")] > 0


@pytest.mark.parametrize("bad", ["", "   ", "12345 67890", "\n\n\n"])
def test_structure_is_finite_on_degenerate_input(bad: str) -> None:
    assert np.isfinite(structure_features([bad])).all()


def test_chunk_aggregates_and_feature_layout() -> None:
    agg = chunk_aggregates([np.array([1.0, 3.0]), np.array([-2.0])])
    assert agg.shape == (2, len(CHUNK_AGG_NAMES))
    assert agg[0].tolist()[:4] == pytest.approx([2.0, 3.0, 1.0, 1.0])
    assert agg[1, CHUNK_AGG_NAMES.index("chunk_spread")] == 0.0
    x = long_features([np.array([0.5])], [" ".join(LISTY.split())], [LISTY])
    assert x.shape == (1, len(LONG_NAMES)) and np.isfinite(x).all()


def test_orthography_counts_human_slips_and_not_abbreviations() -> None:
    sloppy = ("i think we should wait. the last audit was late becuase of the holidays. i'm not against it, "
              "just want the numbers first. anyway thats my take.")
    clean = ("We should wait. The last audit was late because of the holidays, e.g. the December freeze. "
             "I am not against it. See the forum thread (i) and the budget sheet, fig. 2 in the appendix.")
    sl, cl = structure_features([sloppy, clean])
    assert sl[s("lowercase_sentence_share")] == pytest.approx(1.0)  # all three sentences after a stop
    assert cl[s("lowercase_sentence_share")] == 0.0  # "e.g. the" and "fig. 2" are not sentence starts
    assert sl[s("lowercase_i_rate")] == pytest.approx(100 * 2 / 27)
    assert cl[s("lowercase_i_rate")] == 0.0  # "(i)" numbers a list item, "I" is capitalised
    assert sl[s("swapped_letters_rate")] == pytest.approx(100 * 1 / 27)  # "becuase"
    assert cl[s("swapped_letters_rate")] == 0.0
