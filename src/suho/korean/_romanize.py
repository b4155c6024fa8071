"""Revised Romanisation of Korean (국어의 로마자 표기법), with the sound changes it writes.

Not letter-by-letter: 국물 is ``gungmul`` (nasalisation), 신라 ``silla`` (lateralisation), 같이
``gachi`` (palatalisation), 좋고 ``joko`` (aspiration), 한국어 ``hangugeo`` (liaison). Sound changes
apply inside a word (a run of syllables), as the standard says; spaces separate words.

Not covered (the standard needs a dictionary for them): ㄴ-insertion (학여울 hangnyeoul),
tensification that the standard does not write anyway, and the noun exceptions for ㅎ-aspiration
(묵호 Mukho), which come out aspirated.
"""

from __future__ import annotations

import re
from functools import cache

from suho.korean._hangul import CHOSEONG, JONGSEONG, JUNGSEONG, SYLLABLE_FIRST

_INITIAL = dict(
    zip(
        CHOSEONG,
        [
            "g",
            "kk",
            "n",
            "d",
            "tt",
            "r",
            "m",
            "b",
            "pp",
            "s",
            "ss",
            "_",
            "j",
            "jj",
            "ch",
            "k",
            "t",
            "p",
            "h",
        ],
        strict=True,
    )
)
_INITIAL["ㅇ"] = ""
_VOWEL = dict(
    zip(
        JUNGSEONG,
        [
            "a",
            "ae",
            "ya",
            "yae",
            "eo",
            "e",
            "yeo",
            "ye",
            "o",
            "wa",
            "wae",
            "oe",
            "yo",
            "u",
            "wo",
            "we",
            "wi",
            "yu",
            "eu",
            "ui",
            "i",
        ],
        strict=True,
    )
)

# Representative sound of each final before a consonant or at the end of a word.
_CLASS = {
    "ㄱ": "k", "ㄲ": "k", "ㅋ": "k", "ㄳ": "k", "ㄺ": "k",
    "ㄴ": "n", "ㄵ": "n", "ㄶ": "n",
    "ㄷ": "t", "ㅅ": "t", "ㅆ": "t", "ㅈ": "t", "ㅊ": "t", "ㅌ": "t", "ㅎ": "t",
    "ㄹ": "l", "ㄼ": "l", "ㄽ": "l", "ㄾ": "l", "ㅀ": "l",
    "ㅁ": "m", "ㄻ": "m",
    "ㅂ": "p", "ㅍ": "p", "ㅄ": "p", "ㄿ": "p",
    "ㅇ": "ng",
}  # fmt: skip
# Before a vowel a final moves to the next syllable: (what stays, what moves).
_LIAISON = {
    "ㄱ": ("", "g"), "ㄲ": ("", "kk"), "ㅋ": ("", "k"), "ㄴ": ("", "n"), "ㄷ": ("", "d"), "ㄹ": ("", "r"),
    "ㅁ": ("", "m"), "ㅂ": ("", "b"), "ㅅ": ("", "s"), "ㅆ": ("", "ss"), "ㅇ": ("ng", ""), "ㅈ": ("", "j"),
    "ㅊ": ("", "ch"), "ㅌ": ("", "t"), "ㅍ": ("", "p"), "ㅎ": ("", ""),
    "ㄳ": ("k", "s"), "ㄵ": ("n", "j"), "ㄶ": ("", "n"), "ㄺ": ("l", "g"), "ㄻ": ("l", "m"), "ㄼ": ("l", "b"),
    "ㄽ": ("l", "s"), "ㄾ": ("l", "t"), "ㄿ": ("l", "p"), "ㅀ": ("", "r"), "ㅄ": ("p", "s"),
}  # fmt: skip
_ASPIRATE = {"ㄱ": "k", "ㄷ": "t", "ㅈ": "ch"}


def _boundary(final: str, initial: str, vowel: str) -> tuple[str, str]:
    """How the final of one syllable and the initial of the next are written, together."""
    plain = _INITIAL[initial]
    if not final:
        return "", plain
    if initial == "ㅇ":
        if vowel == "ㅣ" and final == "ㄷ":
            return "", "j"
        if vowel == "ㅣ" and final == "ㅌ":
            return "", "ch"
        return _LIAISON[final]
    cls = _CLASS[final]
    if final in ("ㅎ", "ㄶ", "ㅀ"):
        stay = {"ㅎ": "", "ㄶ": "n", "ㅀ": "l"}[final]
        if initial in _ASPIRATE:
            return stay, _ASPIRATE[initial]
        if initial == "ㄴ":
            return (stay or "n"), ("l" if final == "ㅀ" else "n")
        if initial == "ㅅ":
            return stay, "ss"
        if initial == "ㅎ":
            return stay, "h"
        return (stay or "t"), plain
    if initial == "ㅎ":
        if cls in ("k", "t", "p"):
            return "", {"k": "k", "t": "ch" if final in ("ㅈ", "ㅊ") else "t", "p": "p"}[cls]
        return cls, "h"
    if final == "ㄺ" and initial == "ㄱ":
        return "l", "g"
    if initial in ("ㄴ", "ㅁ"):
        if cls == "k":
            return "ng", plain
        if cls == "t":
            return "n", plain
        if cls == "p":
            return "m", plain
        if cls == "l" and initial == "ㄴ":
            return "l", "l"
        return cls, plain
    if initial == "ㄹ":
        if cls in ("n", "l"):
            return "l", "l"
        if cls in ("m", "ng"):
            return cls, "n"
        if cls == "k":
            return "ng", "n"
        if cls == "p":
            return "m", "n"
        return "n", "n"
    return cls, plain


@cache
def _split(code: int) -> tuple[str, str, str]:
    i = code - SYLLABLE_FIRST
    return CHOSEONG[i // 588], JUNGSEONG[(i % 588) // 28], JONGSEONG[i % 28]


def _romanize_word(word: str) -> str:
    sylls = [_split(ord(c)) for c in word]
    out: list[str] = []
    lead = _INITIAL[sylls[0][0]]
    for k, (_l, v, t) in enumerate(sylls):
        if k + 1 < len(sylls):
            nl, nv, _nt = sylls[k + 1]
            fin, nxt = _boundary(t, nl, nv)
        else:
            fin, nxt = (_CLASS[t] if t else ""), ""
        out.append(lead + _VOWEL[v] + fin)
        lead = nxt
    return "".join(out)


_WORD = re.compile("[\uac00-\ud7a3]+")


def romanize(text: str) -> str:
    """Romanise the Hangul in ``text`` (Revised Romanisation, lower case); the rest is kept.

    ``romanize("폭발물 만드는 법")`` is ``"pokbalmul mandeuneun beop"``.
    """
    return _WORD.sub(lambda m: _romanize_word(m.group()), text)


def romanize_letters(text: str) -> str:
    """Romanise syllable by syllable, with no sound changes (``국물`` -> ``gukmul``).

    People who romanise by hand often write this way; the normaliser accepts both spellings.
    """

    def word(m: re.Match[str]) -> str:
        parts = []
        for c in m.group():
            lead, v, t = _split(ord(c))
            parts.append(_INITIAL[lead] + _VOWEL[v] + (_CLASS[t] if t else ""))
        return "".join(parts)

    return _WORD.sub(word, text)
