"""Long SMS in UCS-2: 70 characters in one message, 67 per segment after the UDH, never a
surrogate pair cut in half, and the pieces join back to the text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.notify.sms import join_segments, segment_count, ucs2_segments


def test_seventy_chinese_characters_are_one_message_and_seventy_one_are_two() -> None:
    assert segment_count("满" * 70) == 1
    assert ucs2_segments("满" * 70, 1) == [("满" * 70).encode("utf-16-be")]
    two = ucs2_segments("满" * 71, 7)
    assert [len(p) for p in two] == [6 + 67 * 2, 6 + 4 * 2]
    assert [p[:6] for p in two] == [bytes([5, 0, 3, 7, 2, 1]), bytes([5, 0, 3, 7, 2, 2])]
    assert segment_count("满" * 134) == 2 and segment_count("满" * 135) == 3


def test_an_emoji_is_never_cut_in_half() -> None:
    text = "满" * 66 + "😀" + "意" * 5  # 73 code units: two segments
    first, second = ucs2_segments(text, 300)
    assert first[3] == 300 % 256
    assert first[6:].decode("utf-16-be") == "满" * 66  # the emoji did not fit beside them
    assert second[6:].decode("utf-16-be") == "😀" + "意" * 5


def test_empty_and_too_long_texts_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one character"):
        ucs2_segments("", 1)
    with pytest.raises(ValueError, match="at most 255"):
        ucs2_segments("满" * (67 * 255 + 1), 1)


@given(st.text(min_size=1, max_size=600), st.integers(0, 10_000))
def test_segments_join_back_to_the_text_and_fit_140_bytes(text: str, reference: int) -> None:
    payloads = ucs2_segments(text, reference)
    assert all(len(p) <= 140 for p in payloads)
    assert join_segments(payloads) == text
    assert len(payloads) == segment_count(text)
