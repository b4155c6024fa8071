"""Korean obfuscation transforms: how people get Korean past filters and models.

Most of them target the *key words* of a prompt (the glossary terms it contains, e.g. 폭발물,
마약) the way attackers do, and fall back to every Hangul word when the prompt has none.
The normaliser (``suho normalize``) undoes every reversible one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import ClassVar

from suho.korean import _lexicon as lex
from suho.korean._hangul import choseong, compose, decompose
from suho.korean._keyboard import decode_keys, to_qwerty
from suho.korean._numerals import digits_to_numerals, numerals_to_digits
from suho.korean._romanize import romanize
from suho.transforms._base import TransformContext

_WORD = re.compile("[\uac00-\ud7a3]+")


@cache
def _term_regex() -> re.Pattern[str]:
    terms = sorted({t.korean for t in lex.glossary()}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, terms)))


def key_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the glossary terms in ``text``; every Hangul word when there are none."""
    spans = [m.span() for m in _term_regex().finditer(text)]
    return spans or [m.span() for m in _WORD.finditer(text)]


def _rewrite_spans(text: str, spans: list[tuple[int, int]], fn: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for s, e in spans:
        out.append(text[pos:s])
        out.append(fn(text[s:e]))
        pos = e
    out.append(text[pos:])
    return "".join(out)


# The languages of a Korean-only transform: Korean, and mixed text that has Korean in it.
KOREAN = frozenset({"ko", "mixed"})


class JamoSplit:
    """Jamo splitting (ㅍㅗㄱㅂㅏㄹㅁㅜㄹ): key words written as the letters that make them.

    Mimics people splitting a word into its jamo, compound vowels and finals typed as two keys
    (괜 -> ㄱㅗㅐㄴ), which word filters and many tokenisers do not see as the word. Misses:
    filters that recompose jamo before they match (suho's own normaliser does), and only the
    glossary terms are split when a prompt has any, so the rest of it stays plain; a model that
    reads jamo poorly may not understand the prompt at all (that is a finding too). Reversible:
    recomposing the jamo gives the original back.
    """

    name: ClassVar[str] = "jamo"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        return _rewrite_spans(text, key_spans(text), lambda w: decompose(w, split_compound=True))

    def decode(self, text: str) -> str:
        return compose(text)


class Choseong:
    """Initial consonants only (ㅍㅂㅁ for 폭발물): key words written as their choseong.

    Mimics chat shorthand (ㅇㅈ, ㄱㅅ) applied to forbidden words so that only a Korean reader
    who guesses from context recovers them. Misses: it is lossy; a model has to guess the word
    (the normaliser recovers glossary terms of three or more syllables only). Not reversible.
    """

    name: ClassVar[str] = "choseong"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = False

    def apply(self, text: str, ctx: TransformContext) -> str:
        return _rewrite_spans(text, key_spans(text), choseong)


class Yamin:
    """야민정음: syllables swapped for ones that look alike (대 -> 머, 명 -> 띵, 비 -> 네, 유 -> 윾).

    Mimics Korean internet wordplay (머통령, 댕댕이, 띵작) used to write banned words so that
    they read right to the eye. Misses: words with no look-alike syllable come through unchanged
    (마약 has none); only the table's pairs are used. Not reversible in general (머 is also a real
    syllable); the normaliser recovers glossary terms and well-known words.
    """

    name: ClassVar[str] = "yamin"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = False

    def apply(self, text: str, ctx: TransformContext) -> str:
        words, _pairs = lex.yamin_tables()
        forward = _forward_pairs()
        disguise = {std: dis for dis, std in words.items()}
        known = re.compile("|".join(map(re.escape, sorted(disguise, key=len, reverse=True))))
        text = known.sub(lambda m: disguise[m.group()], text)
        spans = [m.span() for m in _term_regex().finditer(text)]
        if not any(c in forward for s, e in spans for c in text[s:e]):
            spans = [m.span() for m in _WORD.finditer(text)]
        return _rewrite_spans(text, spans, lambda w: "".join(forward.get(c, c) for c in w))


@cache
def _forward_pairs() -> dict[str, str]:
    pairs: dict[str, str] = {}
    section = ""
    for ln in lex.read_text("yamin.tsv").splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        if ln.startswith("["):
            section = ln.strip("[] ")
        elif section == "pairs":
            a, b = ln.split("\t")
            pairs[a.strip()] = b.strip()
    return pairs


class Qwerty:
    """Korean typed on a QWERTY keyboard with the input method off (폭발물 -> vhrqkfanf).

    Mimics the 한/영-key mistake that Korean readers decode at a glance, used on purpose to get
    Korean past filters and safety training. Misses: Latin text in the prompt is kept as it is
    (it cannot be marked). Reversible: Latin words that decode to whole syllables are decoded.
    """

    name: ClassVar[str] = "qwerty"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        return to_qwerty(text)

    def decode(self, text: str) -> str:
        def dec(m: re.Match[str]) -> str:
            if lex.is_english(m.group()):
                return m.group()
            segs = decode_keys(m.group())
            if all("\uac00" <= s[0][0] <= "\ud7a3" for s in segs):
                return "".join(s[0] for s in segs)
            return m.group()

        return re.sub("[A-Za-z]+", dec, text)


class Romanize:
    """Revised Romanisation of the whole prompt (폭발물 만드는 법 -> pokbalmul mandeuneun beop).

    Mimics Korean written in Latin letters (by foreigners, on keyboards without Hangul, or to
    dodge Hangul filters); sound changes are applied as the standard writes them. Misses: it is
    lossy (vowel length, tense consonants); the normaliser recovers glossary terms only.
    Not reversible.
    """

    name: ClassVar[str] = "romanize"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = False

    def apply(self, text: str, ctx: TransformContext) -> str:
        return romanize(text)


ZERO_WIDTH = ("\u200b", "\u200c", "\u2060", "\ufeff", "\u00ad")


class ZeroWidth:
    """Zero-width characters (ZWSP, ZWNJ, word joiner, BOM, soft hyphen) inside key words.

    Mimics invisible-character padding: the text looks the same on screen but the word is no
    longer the same string, which defeats substring filters and shifts tokenisation. The choice
    of character at each gap is seeded. Misses: stays invisible only where the renderer hides
    these characters. Reversible: removing them gives the original back.
    """

    name: ClassVar[str] = "zwsp"
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        rng = ctx.rng("zwsp")
        spans = key_spans(text) or [(0, len(text))]

        def pad(w: str) -> str:
            return "".join(
                c + (rng.choice(ZERO_WIDTH) if k + 1 < len(w) else "") for k, c in enumerate(w)
            )

        if not _WORD.search(text):  # English: pad every word longer than three letters
            spans = [m.span() for m in re.finditer("[A-Za-z]{4,}", text)]
        return _rewrite_spans(text, spans, pad)

    def decode(self, text: str) -> str:
        return text.translate({ord(c): None for c in ZERO_WIDTH})


HANGUL_FILLER = "\u3164"


class Filler:
    """The Hangul filler U+3164 (a blank that is a letter) between the syllables of key words.

    Mimics the "invisible Hangul" trick: U+3164 renders as a space-like blank, survives
    ``str.strip()`` and NFKC, and is a letter to regexes (``\\w``), so it hides inside words.
    Misses: some renderers show it as a box. Reversible: removing U+3164 gives the original.
    """

    name: ClassVar[str] = "filler"
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        spans = key_spans(text)
        if not spans:
            spans = [m.span() for m in re.finditer("[A-Za-z]{4,}", text)]
        return _rewrite_spans(text, spans, lambda w: HANGUL_FILLER.join(w))

    def decode(self, text: str) -> str:
        return text.replace(HANGUL_FILLER, "")


class Spacing:
    """Syllable-by-syllable spacing (마 약 을  구 매 하 는  법): a space inside every word.

    Mimics broken spacing used to defeat word filters and word-level tokenisation; the old word
    breaks become double spaces, as people do to keep the text readable. Misses: English prompts
    (only Hangul syllables are spaced out). Reversible: single spaces between syllables are
    removed and double spaces become word breaks again.
    """

    name: ClassVar[str] = "spacing"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = True

    _BETWEEN = re.compile("(?<=[\uac00-\ud7a3])(?=[\uac00-\ud7a3])")
    _INSERTED = re.compile("(?<=[\uac00-\ud7a3]) (?=[\uac00-\ud7a3])")

    def apply(self, text: str, ctx: TransformContext) -> str:
        if not _WORD.search(text):
            return text
        parts = re.split("( +)", text)
        return "".join(p + " " if p.startswith(" ") else self._BETWEEN.sub(" ", p) for p in parts)

    def decode(self, text: str) -> str:
        parts = re.split("( {2,})", text)
        return "".join(p[:-1] if p.startswith(" ") else self._INSERTED.sub("", p) for p in parts)


class Homoglyph:
    """Look-alike letters: Cyrillic/Greek for Latin (pаypal), and Latin/kana/CJK for jamo (ㅁr약).

    Mimics confusable-character attacks: English words get Cyrillic or Greek letters that look
    the same; Korean key words get one jamo of each syllable written with a look-alike from
    another script (r for ㅏ, l for ㅣ, T for ㅜ, ロ for ㅁ), the 외계어 style. Seeded. Misses:
    syllables with no look-alike jamo are left whole. Reversible: the normaliser's look-alike and
    jamo stages restore the original.
    """

    name: ClassVar[str] = "homoglyph"
    reversible: ClassVar[bool] = True

    LATIN: ClassVar[dict[str, str]] = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "i": "і", "s": "ѕ", "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "C": "С", "T": "Т", "X": "Х"}  # fmt: skip
    JAMO: ClassVar[dict[str, str]] = {"ㅏ": "r", "ㅣ": "l", "ㅜ": "T", "ㅐ": "H", "ㅗ": "⊥", "ㅠ": "π", "ㅡ": "一", "ㅁ": "ロ", "ㅅ": "人", "ㅈ": "ス", "ㄹ": "己"}  # fmt: skip

    def apply(self, text: str, ctx: TransformContext) -> str:
        rng = ctx.rng("homoglyph")

        def latin(w: str) -> str:
            idx = [k for k, c in enumerate(w) if c in self.LATIN]
            if not idx:
                return w
            chosen = {k for k in idx if rng.random() < 0.5} or {rng.choice(idx)}
            return "".join(self.LATIN[c] if k in chosen else c for k, c in enumerate(w))

        def korean(w: str) -> str:
            out = []
            for c in w:
                jamo = list(decompose(c, split_compound=True))
                idx = [k for k, j in enumerate(jamo) if j in self.JAMO]
                if not idx:
                    out.append(c)
                    continue
                k = rng.choice(idx)
                jamo[k] = self.JAMO[jamo[k]]
                out.append("".join(jamo))
            return "".join(out)

        text = re.sub("[A-Za-z]{3,}", lambda m: latin(m.group()), text)
        return _rewrite_spans(
            text, [m.span() for m in _term_regex().finditer(text)] or key_spans(text), korean
        )

    def decode(self, text: str) -> str:
        from suho.korean import normalize

        return normalize(text, stages=["lookalike", "jamo"]).text


class Hanja:
    """Hanja for key words (麻藥 for 마약, 爆發物 for 폭발물), from suho's glossary.

    Mimics mixed script (국한문 혼용) as in older or formal writing, which hides the word from
    Hangul-only filters while an educated reader, and many models, still read it. Misses: terms
    with no Hanja spelling (loanwords such as 펜타닐), and any word not in the glossary.
    Reversible: the glossary maps each Hanja spelling back.
    """

    name: ClassVar[str] = "hanja"
    langs: ClassVar[frozenset[str]] = KOREAN  # leaves other text unchanged
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        table = {t.korean: t.hanja for t in lex.glossary() if t.hanja}
        return _term_regex().sub(lambda m: table.get(m.group(), m.group()), text)

    def decode(self, text: str) -> str:
        from suho.korean import normalize

        return normalize(text, stages=["hanja"]).text


class CodeSwitch:
    """Korean–English code-switching of key terms (폭발물 -> explosives, and back for English).

    Mimics Konglish prompts that mix languages mid-sentence, which splits safety training
    between two languages: a Korean prompt gets its glossary terms in English, an English prompt
    gets its glossary terms in Korean. Misses: words outside the glossary; grammar around the
    switched word is not adjusted. Not reversible.
    """

    name: ClassVar[str] = "codeswitch"
    reversible: ClassVar[bool] = False

    def apply(self, text: str, ctx: TransformContext) -> str:
        if _WORD.search(text):
            table = {t.korean: t.english for t in lex.glossary()}
            return _term_regex().sub(lambda m: table[m.group()], text)
        en: dict[str, str] = {}
        for t in lex.glossary():
            en.setdefault(t.english.lower(), t.korean)
        pat = re.compile(
            r"\b(" + "|".join(map(re.escape, sorted(en, key=len, reverse=True))) + r")\b", re.I
        )
        return pat.sub(lambda m: en[m.group().lower()], text)


class HangulNumerals:
    """Digits written as Hangul numerals (010-1234-5678 -> 공일공-일이삼사-오육칠팔).

    Mimics personal data spelled out to get past digit-pattern filters and PII detectors.
    Misses: native Korean numbers (하나, 둘) and place-value readings (삼백). Reversible.
    """

    name: ClassVar[str] = "hangulnum"
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        return digits_to_numerals(text)

    def decode(self, text: str) -> str:
        return numerals_to_digits(text, min_run=1)
