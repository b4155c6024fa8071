"""The Hangul core: syllables <-> jamo, choseong, composition as a 2-beolsik IME does it.

Everything here is table-driven: decomposition is one ``str.translate`` over a precomputed table of
the 11,172 modern syllables, and composition scans only the runs of jamo that a single regex finds.

Vocabulary:
- *syllable*: a precomposed Hangul syllable, U+AC00..U+D7A3 (가..힣).
- *compatibility jamo*: the letters people type and see alone, U+3131..U+3163 (ㄱ..ㅣ).
- *conjoining jamo*: the letters Unicode composes (U+1100.., U+1161.., U+11A8..); NFD text uses them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

SYLLABLE_FIRST = 0xAC00
SYLLABLE_LAST = 0xD7A3
N_SYLLABLES = 11172

#: Initial consonants (choseong) in Unicode order, as compatibility jamo.
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
#: Medial vowels (jungseong) in Unicode order.
JUNGSEONG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
#: Final consonants (jongseong) in Unicode order; index 0 is "no final".
JONGSEONG = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")

#: Compound vowels and the two keystrokes that make them.
COMPOUND_VOWELS: dict[str, str] = {
    "ㅘ": "ㅗㅏ",
    "ㅙ": "ㅗㅐ",
    "ㅚ": "ㅗㅣ",
    "ㅝ": "ㅜㅓ",
    "ㅞ": "ㅜㅔ",
    "ㅟ": "ㅜㅣ",
    "ㅢ": "ㅡㅣ",
}
#: Compound final consonants and their two parts.
COMPOUND_FINALS: dict[str, str] = {
    "ㄳ": "ㄱㅅ",
    "ㄵ": "ㄴㅈ",
    "ㄶ": "ㄴㅎ",
    "ㄺ": "ㄹㄱ",
    "ㄻ": "ㄹㅁ",
    "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ",
    "ㅀ": "ㄹㅎ",
    "ㅄ": "ㅂㅅ",
}

_L_INDEX = {c: i for i, c in enumerate(CHOSEONG)}
_V_INDEX = {c: i for i, c in enumerate(JUNGSEONG)}
_T_INDEX = {c: i for i, c in enumerate(JONGSEONG) if c}
_V_COMBINE = {(v[0], v[1]): c for c, v in COMPOUND_VOWELS.items()}
_T_COMBINE = {(t[0], t[1]): c for c, t in COMPOUND_FINALS.items()}

#: Compatibility jamo (modern letters only).
COMPAT_JAMO_FIRST = 0x3131
COMPAT_JAMO_LAST = 0x3163
_VOWELS = frozenset(JUNGSEONG)
_CONSONANTS = frozenset(chr(c) for c in range(0x3131, 0x314F))

# Conjoining jamo <-> compatibility jamo.
_CONJ_L = {chr(0x1100 + i): c for i, c in enumerate(CHOSEONG)}
_CONJ_V = {chr(0x1161 + i): c for i, c in enumerate(JUNGSEONG)}
_CONJ_T = {chr(0x11A7 + i): c for i, c in enumerate(JONGSEONG) if c}
#: Conjoining jamo (modern) -> the compatibility jamo that looks the same.
CONJOINING_TO_COMPAT: dict[str, str] = {**_CONJ_L, **_CONJ_V, **_CONJ_T}

_JAMO_RUN = re.compile("[\u3131-\u3163]+")
_CONJOINING_RUN = re.compile("[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]+")


def is_syllable(ch: str) -> bool:
    """True for one precomposed modern Hangul syllable (가..힣)."""
    return len(ch) == 1 and SYLLABLE_FIRST <= ord(ch) <= SYLLABLE_LAST


def is_jamo(ch: str) -> bool:
    """True for one modern compatibility jamo (ㄱ..ㅣ)."""
    return len(ch) == 1 and COMPAT_JAMO_FIRST <= ord(ch) <= COMPAT_JAMO_LAST


def is_vowel(ch: str) -> bool:
    """True for a compatibility vowel jamo (ㅏ..ㅣ)."""
    return ch in _VOWELS


def is_consonant(ch: str) -> bool:
    """True for a compatibility consonant jamo (ㄱ..ㅎ, compounds included)."""
    return ch in _CONSONANTS


def has_hangul(text: str) -> bool:
    """True when ``text`` has a syllable or a compatibility jamo."""
    return any(0xAC00 <= ord(c) <= 0xD7A3 or 0x3131 <= ord(c) <= 0x3163 for c in text)


def split_syllable(ch: str) -> tuple[str, str, str]:
    """(initial, vowel, final) of one syllable as compatibility jamo; final is "" when absent.

    Raises:
        ValueError: when ``ch`` is not a modern Hangul syllable.
    """
    if not is_syllable(ch):
        raise ValueError(f"{ch!r} is not a Hangul syllable")
    i = ord(ch) - SYLLABLE_FIRST
    return CHOSEONG[i // 588], JUNGSEONG[(i % 588) // 28], JONGSEONG[i % 28]


def join_syllable(initial: str, vowel: str, final: str = "") -> str:
    """The syllable made of compatibility jamo ``initial`` + ``vowel`` (+ ``final``).

    Raises:
        ValueError: when the jamo cannot stand in those positions (e.g. ㄸ as a final).
    """
    try:
        idx = _L_INDEX[initial] * 588 + _V_INDEX[vowel] * 28 + (_T_INDEX[final] if final else 0)
    except KeyError:
        raise ValueError(f"no syllable {initial!r}+{vowel!r}+{final!r}") from None
    return chr(SYLLABLE_FIRST + idx)


@cache
def _identity_prefix() -> list[int | str]:
    """Identity entries for U+0000..U+ABFF: ``str.translate`` with a list indexed by code point
    is about twice as fast as with a dict (code points past the list are left as they are)."""
    return list(range(SYLLABLE_FIRST))


@cache
def _decompose_table(split_compound: bool, conjoining: bool) -> list[int | str]:
    table: list[int | str] = list(_identity_prefix())
    for i in range(N_SYLLABLES):
        li, vi, ti = i // 588, (i % 588) // 28, i % 28
        if conjoining:
            s = chr(0x1100 + li) + chr(0x1161 + vi) + (chr(0x11A7 + ti) if ti else "")
        else:
            v, t = JUNGSEONG[vi], JONGSEONG[ti]
            if split_compound:
                v = COMPOUND_VOWELS.get(v, v)
                t = COMPOUND_FINALS.get(t, t)
            s = CHOSEONG[li] + v + t
        table.append(s)
    return table


def decompose(text: str, *, split_compound: bool = False, conjoining: bool = False) -> str:
    """Replace every Hangul syllable with its jamo; everything else is kept.

    Args:
        split_compound: write compound vowels and finals as the two letters typed on a keyboard
            (ㅘ -> ㅗㅏ, ㄳ -> ㄱㅅ), as people do when they split words to dodge filters.
        conjoining: emit conjoining jamo (U+1100 block, what NFD produces) instead of
            compatibility jamo. Cannot be combined with ``split_compound``.

    ``decompose("폭발물")`` is ``"ㅍㅗㄱㅂㅏㄹㅁㅜㄹ"``; :func:`compose` reverses it.
    """
    if split_compound and conjoining:
        raise ValueError("split_compound applies to compatibility jamo only")
    return text.translate(_decompose_table(split_compound, conjoining))


@cache
def _choseong_table() -> list[int | str]:
    return [*_identity_prefix(), *(CHOSEONG[i // 588] for i in range(N_SYLLABLES))]


def choseong(text: str) -> str:
    """Replace every syllable with its initial consonant: ``"폭발물" -> "ㅍㅂㅁ"``."""
    return text.translate(_choseong_table())


Segment = tuple[str, int, int]
"""(output text, start, end): output produced from ``run[start:end]``."""


def compose_run(run: str) -> list[Segment]:
    """Compose one run of compatibility jamo the way a 2-beolsik input method does.

    Returns the output as segments, each with the span of ``run`` it came from, so callers can
    keep offsets. A consonant followed by a vowel opens a syllable; two vowels that form a
    compound vowel merge (ㅗ+ㅏ -> ㅘ); a consonant after the vowel becomes the final unless a vowel
    follows it (then it opens the next syllable); two finals that form a compound merge unless a
    vowel follows. Letters that cannot join a syllable come out as they are.
    """
    out: list[Segment] = []
    n = len(run)
    i = 0
    carry: str | None = None  # second half of a split compound final, opening the next syllable
    while i < n:
        if carry is not None:
            lead, j, start = carry, i, out[-1][1]
            carry = None
            merge = True
        else:
            c = run[i]
            if c in _L_INDEX and i + 1 < n and run[i + 1] in _V_INDEX:
                lead, j, start = c, i + 1, i
                merge = False
            else:
                out.append((c, i, i + 1))
                i += 1
                continue
        vowel = run[j]
        j += 1
        if j < n and (vowel, run[j]) in _V_COMBINE:
            vowel = _V_COMBINE[(vowel, run[j])]
            j += 1
        final = ""
        if j < n:
            t = run[j]
            nxt = run[j + 1] if j + 1 < n else ""
            if t in _T_INDEX:
                if nxt in _V_INDEX:
                    parts = COMPOUND_FINALS.get(t)
                    if parts is not None:  # ㄺ + vowel: ㄹ closes this syllable, ㄱ opens the next
                        final, carry = parts[0], parts[1]
                        j += 1
                elif nxt and (t, nxt) in _T_COMBINE and not (j + 2 < n and run[j + 2] in _V_INDEX):
                    final = _T_COMBINE[(t, nxt)]
                    j += 2
                else:
                    final = t
                    j += 1
        syl = chr(
            SYLLABLE_FIRST
            + _L_INDEX[lead] * 588
            + _V_INDEX[vowel] * 28
            + (_T_INDEX[final] if final else 0)
        )
        if merge:
            prev = out.pop()
            out.append((prev[0] + syl, start, j))
        else:
            out.append((syl, start, j))
        i = j
    return out


def _compose_conjoining(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        s = unicodedata.normalize("NFC", m.group())
        return "".join(CONJOINING_TO_COMPAT.get(c, c) for c in s)

    return _CONJOINING_RUN.sub(fix, text)


def compose(text: str) -> str:
    """Compose jamo into syllables wherever they form them; everything else is kept.

    Compatibility jamo are composed as a 2-beolsik input method would (split compounds such as
    ㅗㅏ or ㄹㄱ are merged); conjoining jamo (NFD text) are composed canonically, and any that
    are left alone become compatibility jamo. Letters that form no syllable stay as they are,
    so ``compose("ㅋㅋㅋ")`` is ``"ㅋㅋㅋ"``. The normaliser adds guards on top of this (it leaves
    ``ㅋㅋ큐ㅠ``-style chat alone); this function composes everything it can.
    """
    if _CONJOINING_RUN.search(text):
        text = _compose_conjoining(text)
    pieces: list[str] = []
    last = 0
    for m in _JAMO_RUN.finditer(text):
        pieces.append(text[last : m.start()])
        pieces.extend(seg[0] for seg in compose_run(m.group()))
        last = m.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)
