"""The Korean standard 2-beolsik keyboard: Hangul <-> the Latin keys that type it.

Typing Korean with the input method switched off gives Latin gibberish (폭발물 -> ``vhrqkfanf``)
that people and models can still read back; attackers use it to slip words past filters.
"""

from __future__ import annotations

import re

from suho.korean._hangul import COMPOUND_FINALS, COMPOUND_VOWELS, Segment, compose_run, decompose

#: Key -> jamo on the 2-beolsik layout (shifted keys give the tense consonants and ㅒ/ㅖ).
KEY_TO_JAMO: dict[str, str] = {
    "q": "ㅂ", "w": "ㅈ", "e": "ㄷ", "r": "ㄱ", "t": "ㅅ", "y": "ㅛ", "u": "ㅕ", "i": "ㅑ", "o": "ㅐ", "p": "ㅔ",
    "a": "ㅁ", "s": "ㄴ", "d": "ㅇ", "f": "ㄹ", "g": "ㅎ", "h": "ㅗ", "j": "ㅓ", "k": "ㅏ", "l": "ㅣ",
    "z": "ㅋ", "x": "ㅌ", "c": "ㅊ", "v": "ㅍ", "b": "ㅠ", "n": "ㅜ", "m": "ㅡ",
    "Q": "ㅃ", "W": "ㅉ", "E": "ㄸ", "R": "ㄲ", "T": "ㅆ", "O": "ㅒ", "P": "ㅖ",
}  # fmt: skip
# Other capitals type the same jamo as their lower-case key (shift has no effect on them).
for _k in "ASDFGHJKLZXCVBNMYUI":
    KEY_TO_JAMO[_k] = KEY_TO_JAMO[_k.lower()]
del _k

#: Jamo -> the key(s) that type it; compounds are two keystrokes.
JAMO_TO_KEYS: dict[str, str] = {
    j: k for k, j in KEY_TO_JAMO.items() if k.islower() or k in "QWERTOP"
}
for _c, _parts in (*COMPOUND_VOWELS.items(), *COMPOUND_FINALS.items()):
    JAMO_TO_KEYS[_c] = "".join(JAMO_TO_KEYS[p] for p in _parts)
del _c, _parts

_TO_KEYS = str.maketrans(JAMO_TO_KEYS)
_TO_JAMO = str.maketrans(KEY_TO_JAMO)
_LATIN_RUN = re.compile("[A-Za-z]+")


def to_qwerty(text: str) -> str:
    """Type ``text``'s Hangul on a QWERTY keyboard with the Korean input method off.

    ``to_qwerty("폭발물")`` is ``"vhrqkfanf"``. Non-Hangul characters are kept.
    """
    return decompose(text, split_compound=True).translate(_TO_KEYS)


def keys_to_jamo(keys: str) -> str:
    """Map each Latin key to its jamo, one character for one (no composition)."""
    return keys.translate(_TO_JAMO)


def decode_keys(keys: str) -> list[Segment]:
    """Decode one run of Latin keys into segments (text, start, end) of ``keys``.

    Segments that are still a single jamo are letters that formed no syllable.
    """
    return compose_run(keys.translate(_TO_JAMO))


def from_qwerty(text: str) -> str:
    """Decode every run of Latin letters as 2-beolsik keystrokes: ``"vhrqkfanf" -> "폭발물"``.

    This decodes blindly (English words become nonsense). The normaliser's ``qwerty`` stage is
    the careful version: it decodes only tokens that are not English and that form real Hangul.
    """
    return _LATIN_RUN.sub(lambda m: "".join(s[0] for s in decode_keys(m.group())), text)
