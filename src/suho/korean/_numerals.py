"""Hangul numerals read digit by digit: 공일공 -> 010, 팔오공삼일이 -> 850312.

People read phone numbers and ID numbers aloud this way, and write them so to get personal data
past filters that look for digits.
"""

from __future__ import annotations

import re

#: Sino-Korean digit syllables (공 and 영 are both zero; 륙 is 육 after a vowel in some writing).
DIGIT_SYLLABLES: dict[str, str] = {
    "공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4",
    "오": "5", "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9",
}  # fmt: skip
_TO_SYLLABLE = {
    "0": "공",
    "1": "일",
    "2": "이",
    "3": "삼",
    "4": "사",
    "5": "오",
    "6": "육",
    "7": "칠",
    "8": "팔",
    "9": "구",
}

_SYL = "".join(DIGIT_SYLLABLES)
#: A run of digit syllables that is not part of a longer Hangul word.
RUN = re.compile(f"(?<![\uac00-\ud7a3])[{_SYL}]+(?![\uac00-\ud7a3])")
# Runs that are ordinary words or counts, not digits, when they stand alone.
_WORDS = frozenset({"사이사이", "일일이", "이일이"})
_DAY_SPAN = re.compile("(?:일이|이삼|삼사|사오|오륙|육칠|칠팔|팔구)일")


def is_word_like(run: str) -> bool:
    """True when a standalone run reads as a word rather than digits (e.g. 이삼일 "two or three
    days", 사이사이, a repeated exclamation like 오오오)."""
    return run in _WORDS or bool(_DAY_SPAN.fullmatch(run)) or len(set(run)) == 1


def numerals_to_digits(text: str, *, min_run: int = 3) -> str:
    """Replace standalone runs of at least ``min_run`` digit syllables with ASCII digits.

    A run must not touch another Hangul syllable (so 일이 in 일이삼사 converts but 일 in 일요일
    does not). Runs that read as words (see :func:`is_word_like`) are kept.
    """

    def sub(m: re.Match[str]) -> str:
        run = m.group()
        if len(run) < min_run or is_word_like(run):
            return run
        return "".join(DIGIT_SYLLABLES[c] for c in run)

    return RUN.sub(sub, text)


def digits_to_numerals(text: str, *, zero: str = "공") -> str:
    """Write every ASCII digit as its Sino-Korean syllable: ``"010" -> "공일공"``."""
    table: dict[str, str | int | None] = dict(_TO_SYLLABLE)
    table["0"] = zero
    return text.translate(str.maketrans(table))
