"""The Korean text core: Hangul syllables and jamo, the 2-beolsik keyboard, romanisation,
Hangul numerals, and the normaliser that sees through Korean obfuscation.

Zero-dependency; the normaliser's optional ``morph`` stage uses kiwipiepy (``suho[morph]``).

    >>> from suho.korean import decompose, compose, to_qwerty, normalize
    >>> decompose("폭발물")
    'ㅍㅗㄱㅂㅏㄹㅁㅜㄹ'
    >>> to_qwerty("폭발물")
    'vhrqkfanf'
    >>> n = normalize("vhrqkfanf 만드는 법")
    >>> n.text, n.to_original(0, 3)
    ('폭발물 만드는 법', (0, 9))
"""

from suho.korean._hangul import (
    CHOSEONG,
    COMPOUND_FINALS,
    COMPOUND_VOWELS,
    JONGSEONG,
    JUNGSEONG,
    choseong,
    compose,
    compose_run,
    decompose,
    has_hangul,
    is_consonant,
    is_jamo,
    is_syllable,
    is_vowel,
    join_syllable,
    split_syllable,
)
from suho.korean._keyboard import from_qwerty, to_qwerty
from suho.korean._lexicon import Term, glossary
from suho.korean._normalize import (
    DEFAULT_STAGES,
    STAGE_HELP,
    STAGES,
    Change,
    Normalized,
    TraceStep,
    normalize,
)
from suho.korean._numerals import digits_to_numerals, numerals_to_digits
from suho.korean._romanize import romanize, romanize_letters

__all__ = [
    "CHOSEONG",
    "COMPOUND_FINALS",
    "COMPOUND_VOWELS",
    "DEFAULT_STAGES",
    "JONGSEONG",
    "JUNGSEONG",
    "STAGES",
    "STAGE_HELP",
    "Change",
    "Normalized",
    "Term",
    "TraceStep",
    "choseong",
    "compose",
    "compose_run",
    "decompose",
    "digits_to_numerals",
    "from_qwerty",
    "glossary",
    "has_hangul",
    "is_consonant",
    "is_jamo",
    "is_syllable",
    "is_vowel",
    "join_syllable",
    "normalize",
    "numerals_to_digits",
    "romanize",
    "romanize_letters",
    "split_syllable",
    "to_qwerty",
]
