"""Letter-trigram models that tell English words from Korean typed on a QWERTY keyboard.

Both are trained, once per process, on suho's own word lists: English on ``english_words.txt``,
Korean keystrokes on the 2-beolsik spelling of ``syllables.txt`` and the glossary. English
letters follow English patterns (``formal``: f-o-r-m-a-l); Korean keystrokes do not
(``vhrqkfanf``: v-h, h-r, r-q, q-k). The QWERTY stage decodes a token only when the Korean
model explains it better than the English one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import cache

from suho.korean import _lexicon as lex


class TrigramModel:
    """An interpolated letter-trigram model with word-boundary marks."""

    def __init__(self, words: Iterable[str]) -> None:
        self.tri: Counter[str] = Counter()
        self.bi: Counter[str] = Counter()
        self.uni: Counter[str] = Counter()
        for w in words:
            s = "^^" + w + "$"
            for i in range(2, len(s)):
                self.tri[s[i - 2 : i + 1]] += 1
                self.bi[s[i - 1 : i + 1]] += 1
                self.uni[s[i]] += 1
        self.ctx2: Counter[str] = Counter()
        self.ctx1: Counter[str] = Counter()
        for k, v in self.tri.items():
            self.ctx2[k[:2]] += v
        for k, v in self.bi.items():
            self.ctx1[k[0]] += v
        self.total = sum(self.uni.values())

    def logprob(self, word: str) -> float:
        """Average log-probability per letter (end mark included)."""
        s = "^^" + word + "$"
        t = 0.0
        for i in range(2, len(s)):
            c2, c1 = self.ctx2[s[i - 2 : i]], self.ctx1[s[i - 1]]
            p3 = self.tri[s[i - 2 : i + 1]] / c2 if c2 else 0.0
            p2 = self.bi[s[i - 1 : i + 1]] / c1 if c1 else 0.0
            p1 = (self.uni[s[i]] + 1) / (self.total + 60)
            t += math.log(0.6 * p3 + 0.3 * p2 + 0.1 * p1)
        return t / (len(s) - 2)


@cache
def _models() -> tuple[TrigramModel, TrigramModel]:
    from suho.korean._keyboard import to_qwerty

    english = TrigramModel(sorted(lex.english_words()))
    korean_words = {to_qwerty(c) for c in lex.common_syllables()} | {
        to_qwerty(t.korean) for t in lex.glossary()
    }
    return english, TrigramModel(sorted(korean_words))


def korean_margin(keys: str) -> float:
    """How much better (log-probability per letter) Korean keystrokes explain ``keys`` than
    English does; positive means "more Korean than English"."""
    english, korean = _models()
    return korean.logprob(keys) - english.logprob(keys.lower())
