"""The Hangul core, proven against hangul-jamo as an oracle and with property tests."""

from __future__ import annotations

import itertools
import unicodedata

import hangul_jamo
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suho.korean import (
    CHOSEONG,
    choseong,
    compose,
    compose_run,
    decompose,
    has_hangul,
    is_jamo,
    is_syllable,
    join_syllable,
    split_syllable,
)

ALL = "".join(chr(c) for c in range(0xAC00, 0xD7A4))


def test_all_syllables_decompose_like_the_oracle() -> None:
    assert len(ALL) == 11172
    for ch in ALL:
        assert decompose(ch) == hangul_jamo.decompose(ch), ch


def test_all_syllables_round_trip_in_every_form() -> None:
    for ch in ALL:
        assert compose(decompose(ch)) == ch
        assert compose(decompose(ch, split_compound=True)) == ch
        assert compose(decompose(ch, conjoining=True)) == ch
        assert decompose(ch, conjoining=True) == unicodedata.normalize("NFD", ch)


def test_compose_agrees_with_oracle_on_syllable_text() -> None:
    text = "한국어 폭발물 괜찮아 닭이 읽어 값을 않아 ㅋㅋ"
    assert compose(hangul_jamo.decompose(text)) == text
    assert hangul_jamo.compose(decompose(text)) == compose(decompose(text))


def test_split_and_join_every_syllable() -> None:
    for ch in ALL:
        assert join_syllable(*split_syllable(ch)) == ch
        assert split_syllable(ch) == (
            *hangul_jamo.decompose_syllable(ch)[:2],
            hangul_jamo.decompose_syllable(ch)[2] or "",
        )


@pytest.mark.parametrize("bad", ["a", "ㄱ", "가가"])
def test_split_syllable_rejects_non_syllables(bad: str) -> None:
    with pytest.raises(ValueError):
        split_syllable(bad)


def test_join_syllable_rejects_impossible_final() -> None:
    with pytest.raises(ValueError):
        join_syllable("ㄱ", "ㅏ", "ㄸ")


def test_known_decompositions() -> None:
    assert decompose("폭발물") == "ㅍㅗㄱㅂㅏㄹㅁㅜㄹ"
    assert decompose("괜찮아", split_compound=True) == "ㄱㅗㅐㄴㅊㅏㄴㅎㅇㅏ"
    assert decompose("괜찮아") == "ㄱㅙㄴㅊㅏㄶㅇㅏ"
    assert choseong("폭발물 만드는 법") == "ㅍㅂㅁ ㅁㄷㄴ ㅂ"
    assert len(CHOSEONG) == 19


def test_compose_is_an_input_method() -> None:
    assert compose("ㄷㅏㄹㄱㅇㅣ") == "닭이"
    assert compose("ㄷㅏㄹㄱㅣ") == "달기"
    assert compose("ㄷㅏㄺㅣ") == "달기"  # a compound final before a vowel splits, as an IME does
    assert compose("ㄱㅗㅏ") == "과"
    assert compose("ㅋㅋㅋ") == "ㅋㅋㅋ"
    assert compose("ㄸㅏㄸ") == "따ㄸ"  # ㄸ cannot be a final


def test_compose_run_spans_cover_the_run() -> None:
    run = "ㅍㅗㄱㅂㅏㄹㅁㅜㄹㅋ"
    segs = compose_run(run)
    assert [s[0] for s in segs] == ["폭", "발", "물", "ㅋ"]
    assert segs[0][1] == 0 and segs[-1][2] == len(run)
    assert all(a[2] == b[1] for a, b in itertools.pairwise(segs))


def test_conjoining_leftovers_become_compatibility_jamo() -> None:
    assert compose("\u1100") == "ㄱ"
    assert compose(unicodedata.normalize("NFD", "한글")) == "한글"


def test_predicates() -> None:
    assert is_syllable("가") and not is_syllable("ㄱ") and not is_syllable("가나")
    assert is_jamo("ㄱ") and is_jamo("ㅣ") and not is_jamo("가")
    assert has_hangul("abc ㅋ") and not has_hangul("abc")


mixed = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
        st.sampled_from(list("abc XYZ 123 .,!?\n\t😀")),
    ),
    max_size=200,
)


@given(mixed)
@settings(max_examples=300, deadline=None)
def test_round_trip_random_mixed_text(text: str) -> None:
    assert compose(decompose(text)) == text
    assert compose(decompose(text, split_compound=True)) == text
    assert decompose(text) == hangul_jamo.decompose(text)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_conjoining_round_trip_on_any_text_without_conjoining_jamo(text: str) -> None:
    text = "".join(
        c
        for c in text
        if not ("\u1100" <= c <= "\u11ff" or "\ua960" <= c <= "\ua97f" or "\ud7b0" <= c <= "\ud7ff")
    )
    assert compose(decompose(text, conjoining=True)) == compose(text)


def test_conjoining_and_split_cannot_be_combined() -> None:
    with pytest.raises(ValueError):
        decompose("가", split_compound=True, conjoining=True)
