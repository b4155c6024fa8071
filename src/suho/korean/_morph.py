"""The optional ``morph`` stage, backed by kiwipiepy (install ``suho[morph]``).

Kiwi's language model decides what the zero-dependency stages cannot:
- a run of single syllables (``위 조 지 폐 만 들 기``) that the ``spacing`` stage left alone is
  joined when Kiwi reads the joined text as clearly more probable and finds a content word of
  two or more syllables in it;
- text joined by either stage gets Kiwi's word spacing back (``위조지폐 만들기``) instead of
  running together (with ``morph`` on, the ``spacing`` stage re-spaces through Kiwi too).
Ordinary text is left alone: a run of real one-syllable words (``그 책 좀 줘``) does not read
better joined.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from typing import Any

from suho.errors import SuhoInputError

Edit = tuple[int, int, str]

_SYL = "\uac00-\ud7a3"
_SPACED = re.compile(f"(?<!\\S)[{_SYL}](?: [{_SYL}]){{2,}}(?![^\\s.,!?])")
#: Minimum gain in Kiwi's log-probability, per syllable, for joining a spaced run.
JOIN_GAIN = 2.0
_CONTENT = ("NNG", "NNP", "VV", "VA", "XR")


@cache
def kiwi() -> Any:
    """The shared Kiwi analyser (loaded once per process; about two seconds)."""
    try:
        from kiwipiepy import Kiwi
    except ImportError as e:
        raise SuhoInputError("the morph stage needs kiwipiepy: pip install 'suho[morph]'") from e
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Kiwi()


def available() -> bool:
    """True when kiwipiepy can be imported."""
    try:
        import kiwipiepy  # noqa: F401
    except ImportError:
        return False
    return True


def respace(text: str) -> str:
    """Kiwi's word spacing for ``text`` (only inserts spaces)."""
    out: str = kiwi().space(text, reset_whitespace=False)
    return out


def morph_stage(text: str) -> list[Edit]:
    """Join spaced syllables that Kiwi reads as words, keeping Kiwi's word breaks."""
    if not _SPACED.search(text):
        return []
    from suho.korean._stages import _join_run

    k = kiwi()
    edits: list[Edit] = []
    for m in _SPACED.finditer(text):
        spaced = m.group()
        joined = spaced.replace(" ", "")
        before = k.analyze(spaced)[0][1]
        tokens, after = k.analyze(joined)[0]
        if (after - before) / len(joined) < JOIN_GAIN:
            continue
        if not any(t.tag in _CONTENT and t.len >= 2 for t in tokens):
            continue
        edits.extend(_join_run(m, respace))
    return edits
