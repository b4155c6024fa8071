"""The word lists the Korean tools read, from ``suho/data/korean`` (all written for suho).

Everything is loaded once per process and never changes afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from suho.errors import SuhoInputError


@dataclass(frozen=True, slots=True)
class Term:
    """One key term: Korean, its Hanja spelling ("" when none), English, category."""

    korean: str
    hanja: str
    english: str
    category: str


def read_text(name: str) -> str:
    """The text of ``suho/data/korean/NAME``."""
    return resources.files("suho").joinpath("data", "korean", name).read_text(encoding="utf-8")


def _lines(name: str) -> list[str]:
    return [ln for ln in read_text(name).splitlines() if ln.strip() and not ln.startswith("#")]


def _words(name: str) -> frozenset[str]:
    return frozenset(w for ln in _lines(name) for w in ln.split())


@cache
def glossary() -> tuple[Term, ...]:
    """The key-term glossary (``glossary.tsv``)."""
    terms: list[Term] = []
    for no, ln in enumerate(_lines("glossary.tsv"), start=1):
        cols = ln.split("\t")
        if cols[0] == "korean":
            continue
        if len(cols) != 4:
            raise SuhoInputError("expected 4 tab-separated columns", path="glossary.tsv", line=no)
        terms.append(Term(*(c.strip() for c in cols)))
    return tuple(terms)


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words the QWERTY decoder leaves alone (base forms)."""
    return _words("english_words.txt")


@cache
def common_syllables() -> frozenset[str]:
    """Common modern syllables, plus every syllable of the glossary."""
    extra = {c for t in glossary() for c in t.korean if "\uac00" <= c <= "\ud7a3"}
    return _words("syllables.txt") | frozenset(extra)


@cache
def chat_jamo() -> frozenset[str]:
    """Jamo-only chat words (ㅋㅋ, ㅇㅋ, ㄱㅅ, ...)."""
    return _words("chat_jamo.txt")


@cache
def yamin_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(disguised word -> standard word, syllable -> look-alike syllable, both directions)."""
    words: dict[str, str] = {}
    pairs: dict[str, str] = {}
    section = ""
    for ln in _lines("yamin.tsv"):
        if ln.startswith("["):
            section = ln.strip("[] ")
            continue
        a, b = (c.strip() for c in ln.split("\t"))
        if section == "words":
            words[a] = b
        else:
            pairs[a] = b
            pairs[b] = a
    return words, pairs


def is_english(word: str) -> bool:
    """True when ``word`` (any case) is in the English list, directly or with a common suffix."""
    w = word.lower()
    words = english_words()
    if w in words:
        return True
    for suf, add in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"),
                     ("er", ""), ("er", "e"), ("est", ""), ("ly", ""), ("ies", "y"), ("ied", "y")):  # fmt: skip
        if w.endswith(suf) and len(w) > len(suf) + 1:
            stem = w[: -len(suf)] + add
            if stem in words:
                return True
            if (
                suf in ("ed", "ing", "er", "est")
                and len(stem) > 2
                and stem[-1] == stem[-2]
                and stem[:-1] in words
            ):
                return True  # stopped, running
    return False
