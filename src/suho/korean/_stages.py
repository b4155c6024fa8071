"""The normaliser's stages. Each takes text and returns sorted, non-overlapping edits.

Every stage first looks for its trigger with one compiled regex, so ordinary text costs one scan
per stage. Stages are conservative: they change text only where the change forms real Hangul or
a known term, so that ordinary Korean, English, code, URLs and ㅋㅋ come back as they were.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import cache, lru_cache

from suho.korean import _lexicon as lex
from suho.korean._hangul import CONJOINING_TO_COMPAT, compose_run, is_syllable
from suho.korean._keyboard import decode_keys
from suho.korean._letters import korean_margin
from suho.korean._numerals import DIGIT_SYLLABLES, is_word_like
from suho.korean._romanize import romanize, romanize_letters

Edit = tuple[int, int, str]

_SYL = "\uac00-\ud7a3"
_JAMO = "\u3131-\u3163"


def _is_syl(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3"


def _is_hangulish(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u3163"


# ---------------------------------------------------------------------------------------------
# unicode

_ALWAYS_DROP = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufeff\uffa0\U0001bca0\U0001bca1\U0001bca2\U0001bca3"
)
_SPACES = frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_OVERLAYS = frozenset("\u0334\u0335\u0336\u0337\u0338\u20d2\u20d3\u20e5\u20e6")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u302e\u302f"
_SMALL_CAPS = dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnoprstuvwyz", strict=True))

_UNICODE_TRIGGER = re.compile(
    "(?P<conj>[\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]+)"
    "|(?P<tags>[\U000e0000-\U000e007f]+)"
    f"|(?P<marks>[{_MARKS}]+)"
    "|[\u00a0\u00ad\u034f\u061c\u1680\u17b4\u17b5\u180e\u2000-\u200f\u202a-\u202f\u205f-\u206f"
    "\u2100-\u214f\u249c-\u24e9\u3000\u3164\ufe00-\ufe0f\ufeff\uff01-\uff5e\uffa0-\uffdc"
    "\u1d00-\u1d22\ua730\ua731\u0262\u0280\u026a\u028f\u0299\u029c\u029f"
    "\U0001bca0-\U0001bca3\U0001d400-\U0001d7ff\U0001f130-\U0001f149\U000e0100-\U000e01ef]"
)


@cache
def _fold_table() -> dict[str, str]:
    """Styled letters -> ASCII (what NFKC does for them), and halfwidth jamo -> compatibility jamo.

    NFKC itself is not applied to whole texts: it turns compatibility jamo (ㄱ) into conjoining
    jamo (ᄀ) and ① into 1, which damages ordinary Korean.
    """
    table: dict[str, str] = {}
    ranges = [
        (0x1D400, 0x1D7FF),
        (0x24B6, 0x24E9),
        (0x249C, 0x24B5),
        (0x2100, 0x214F),
        (0x1F130, 0x1F149),
    ]
    for lo, hi in ranges:
        for cp in range(lo, hi + 1):
            n = unicodedata.normalize("NFKC", chr(cp))
            if len(n) == 1 and n.isascii() and n.isalnum():
                table[chr(cp)] = n
    for cp in range(0xFF01, 0xFF5F):
        table[chr(cp)] = chr(cp - 0xFEE0)
    for cp in range(0xFFA1, 0xFFDD):
        n = unicodedata.normalize("NFKC", chr(cp))
        if n in CONJOINING_TO_COMPAT:
            table[chr(cp)] = CONJOINING_TO_COMPAT[n]
    table.update(_SMALL_CAPS)
    return table


def _emojiish(c: str) -> bool:
    return (
        unicodedata.category(c) in ("So", "Sk")
        or c == "\ufe0f"
        or "\U0001f3fb" <= c <= "\U0001f3ff"
    )


def _conjoining_edits(run: str, base: int) -> list[Edit]:
    edits: list[Edit] = []
    i, n = 0, len(run)
    while i < n:
        c = run[i]
        if "\u1100" <= c <= "\u1112" and i + 1 < n and "\u1161" <= run[i + 1] <= "\u1175":
            j = i + 2
            if j < n and "\u11a8" <= run[j] <= "\u11c2":
                j += 1
            edits.append((base + i, base + j, unicodedata.normalize("NFC", run[i:j])))
            i = j
        elif c in ("\u115f", "\u1160"):
            edits.append((base + i, base + i + 1, ""))
            i += 1
        elif c in CONJOINING_TO_COMPAT:
            edits.append((base + i, base + i + 1, CONJOINING_TO_COMPAT[c]))
            i += 1
        else:  # archaic jamo: leave
            i += 1
    return edits


def unicode_stage(text: str) -> list[Edit]:
    """Invisible characters, fillers, bidi controls, odd spaces, styled/fullwidth letters, NFD."""
    edits: list[Edit] = []
    fold = None
    n = len(text)
    for m in _UNICODE_TRIGGER.finditer(text):
        s, e = m.span()
        if m.group("conj"):
            edits.extend(_conjoining_edits(m.group(), s))
            continue
        if m.group("tags"):
            if s > 0 and text[s - 1] == "\U0001f3f4":  # emoji flag tag sequence
                continue
            for k in range(s, e):
                cp = ord(text[k]) - 0xE0000
                edits.append((k, k + 1, chr(cp) if 0x20 <= cp <= 0x7E else ""))
            continue
        if m.group("marks"):
            base = text[s - 1] if s > 0 else ""
            run = m.group()
            if _is_hangulish(base) or len(run) >= 3:
                edits.append((s, e, ""))
            else:
                edits.extend(
                    (k, k + 1, "")
                    for k in range(s, e)
                    if text[k] in _OVERLAYS or text[k] in _ALWAYS_DROP
                )
            continue
        c = text[s]
        if c in _ALWAYS_DROP:
            edits.append((s, e, ""))
        elif c in _SPACES:
            edits.append((s, e, " "))
        elif c in ("\u200c", "\u200d"):
            prev = text[s - 1] if s > 0 else ""
            nxt = text[e] if e < n else ""
            if c == "\u200d" and prev and nxt and _emojiish(prev) and _emojiish(nxt):
                continue
            if c == "\u200c" and prev and "\u0590" <= prev <= "\u109f":
                continue
            edits.append((s, e, ""))
        elif "\ufe00" <= c <= "\ufe0f":
            prev = text[s - 1] if s > 0 else ""
            if prev and (_is_hangulish(prev) or (prev.isascii() and prev.isalpha())):
                edits.append((s, e, ""))
        elif "\U000e0100" <= c <= "\U000e01ef":
            prev = text[s - 1] if s > 0 else ""
            if not prev or unicodedata.category(prev) != "Lo" or _is_hangulish(prev):
                edits.append((s, e, ""))
        else:
            if fold is None:
                fold = _fold_table()
            rep = fold.get(c)
            if rep is not None:
                edits.append((s, e, rep))
    return edits


# ---------------------------------------------------------------------------------------------
# lookalike

_CONFUSABLE = {
    "а": "a", "в": "b", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "к": "k", "м": "m", "н": "h", "т": "t",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ı": "i", "ɑ": "a", "ɡ": "g",
}  # fmt: skip
# Lower-case Cyrillic в/к/м/н/т look like small capitals, not like the Latin lower case; they count
# as look-alikes only inside a word that already mixes scripts.
_WEAK = frozenset("вкмнт")
_FOREIGN_LETTER = re.compile("[\u0370-\u03ff\u0400-\u052f\u0131\u0251\u0261]")
_MIXED_TOKEN = re.compile("[A-Za-z\u0370-\u03ff\u0400-\u052f\u0131\u0251\u0261]+")

#: Look-alikes of jamo from other scripts, as used inside Korean (ㅁr약 = 마약, ㅎH = 해).
KOREAN_LOOKALIKES = {
    "r": "ㅏ", "H": "ㅐ", "F": "ㅑ", "l": "ㅣ", "I": "ㅣ", "|": "ㅣ", "i": "ㅣ", "o": "ㅇ", "O": "ㅇ",
    "T": "ㅜ", "L": "ㄴ", "C": "ㄷ", "E": "ㅌ", "π": "ㅠ", "⊥": "ㅗ",
    "ロ": "ㅁ", "口": "ㅁ", "人": "ㅅ", "ス": "ㅈ", "レ": "ㄴ", "ト": "ㅏ", "卜": "ㅏ", "一": "ㅡ", "ー": "ㅡ",
    "己": "ㄹ", "丄": "ㅗ", "丅": "ㅜ", "丁": "ㅜ",
}  # fmt: skip
_KO_LA = "".join(re.escape(c) for c in KOREAN_LOOKALIKES)
_KO_RUN = re.compile(f"[{_KO_LA}]*[{_JAMO}][{_JAMO}{_KO_LA}]*")
_HAS_JAMO = re.compile(f"[{_JAMO}]")


def _latin_lookalike_edits(text: str) -> list[Edit]:
    if not _FOREIGN_LETTER.search(text):
        return []
    tokens = list(_MIXED_TOKEN.finditer(text))
    genuine_foreign = any(
        any(_FOREIGN_LETTER.match(c) and c not in _CONFUSABLE for c in t.group()) for t in tokens
    )
    edits: list[Edit] = []
    for t in tokens:
        tok = t.group()
        has_latin = any(c.isascii() for c in tok)
        conf = [k for k, c in enumerate(tok) if c in _CONFUSABLE]
        if not conf:
            continue
        if not has_latin:
            if (
                genuine_foreign
                or len(tok) < 3
                or len(conf) != len(tok)
                or any(c in _WEAK for c in tok)
            ):
                continue
        elif any(_FOREIGN_LETTER.match(c) and c not in _CONFUSABLE for c in tok):
            continue
        edits.extend((t.start() + k, t.start() + k + 1, _CONFUSABLE[tok[k]]) for k in conf)
    return edits


def _expressive_neighbour(segs: list[tuple[str, int, int]], i: int, mapped: str) -> bool:
    """True when syllable segs[i] borrows a letter from a chat repeat: a stray jamo next to it
    equal to one of its own letters (ㅋㅋl would read as ㅋ키)."""
    own = set(mapped[segs[i][1] : segs[i][2]])
    for j in (i - 1, i + 1):
        if 0 <= j < len(segs) and not is_syllable(segs[j][0][0]) and segs[j][0] in own:
            return True
    return False


def _korean_lookalike_edits(text: str) -> list[Edit]:
    if not _HAS_JAMO.search(text):
        return []
    edits: list[Edit] = []
    for m in _KO_RUN.finditer(text):
        run = m.group()
        swapped = [k for k, c in enumerate(run) if c in KOREAN_LOOKALIKES]
        if not swapped or len(swapped) == len(run):
            continue
        mapped = "".join(KOREAN_LOOKALIKES.get(c, c) for c in run)
        segs = compose_run(mapped)
        ok = True
        for k in swapped:
            i = next(q for q, sg in enumerate(segs) if sg[1] <= k < sg[2])
            if (
                len(segs[i][0]) != 1
                or not is_syllable(segs[i][0])
                or _expressive_neighbour(segs, i, mapped)
            ):
                ok = False
                break
        if ok:
            edits.extend((m.start() + k, m.start() + k + 1, mapped[k]) for k in swapped)
    return edits


def lookalike_stage(text: str) -> list[Edit]:
    """Cyrillic/Greek look-alikes in Latin words; Latin/kana/CJK look-alikes of jamo in Korean."""
    return sorted(_latin_lookalike_edits(text) + _korean_lookalike_edits(text))


# ---------------------------------------------------------------------------------------------
# hanja

_IDEO = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IDEO_RUN = re.compile(f"[{_IDEO}]+")
_HAS_SYL = re.compile(f"[{_SYL}]")


@cache
def _hanja_tables() -> tuple[dict[str, str], int, dict[str, str]]:
    words: dict[str, str] = {}
    chars: dict[str, str] = {}
    for t in lex.glossary():
        if not t.hanja:
            continue
        words[t.hanja] = t.korean
        if len(t.hanja) == len(t.korean):
            for h, k in zip(t.hanja, t.korean, strict=True):
                if h != k:
                    chars.setdefault(h, k)
    return words, max(map(len, words)), chars


def hanja_stage(text: str) -> list[Edit]:
    """Hanja spellings of glossary terms, in text that has Korean in it."""
    if not _IDEO_RUN.search(text) or not _HAS_SYL.search(text):
        return []
    words, longest, chars = _hanja_tables()
    edits: list[Edit] = []
    pos = 0
    for m in _IDEO_RUN.finditer(text):
        if m.start() < pos:
            continue
        i = m.start()
        run_edits: list[Edit] = []
        leftovers: list[int] = []
        while i < m.end():
            for ln in range(min(longest, len(text) - i), 0, -1):
                w = text[i : i + ln]
                if w in words:
                    run_edits.append((i, i + ln, words[w]))
                    i += ln
                    break
            else:
                leftovers.append(i)
                i += 1
        pos = max(i, m.end())
        if not run_edits:
            continue
        # Characters between matched terms are read one by one when all are known.
        if all(text[k] in chars for k in leftovers):
            run_edits.extend((k, k + 1, chars[text[k]]) for k in leftovers)
        edits.extend(sorted(run_edits))
    return edits


# ---------------------------------------------------------------------------------------------
# jamo

_JAMO_RUN = re.compile(f"[{_JAMO}]+")
_SPACED_JAMO_HINT = re.compile(f"[{_JAMO}] [{_JAMO}] [{_JAMO}] [{_JAMO}]")
_SPACED_JAMO = re.compile(f"(?<![{_JAMO}\\S])[{_JAMO}](?: [{_JAMO}]){{3,}}(?![{_JAMO}\\S])")


def _strip_expressive(run: str) -> tuple[int, int]:
    """(start, end) of ``run`` without leading/trailing repeats such as ㅋㅋㅋ or ㅠㅠ."""
    s, e = 0, len(run)
    while e - s >= 2 and run[s] == run[s + 1]:
        c = run[s]
        while s < e and run[s] == c:
            s += 1
    while e - s >= 2 and run[e - 1] == run[e - 2]:
        c = run[e - 1]
        while e > s and run[e - 1] == c:
            e -= 1
    return s, e


def _compose_ok(run: str, touches_syllable: bool) -> list[tuple[str, int, int]] | None:
    segs = compose_run(run)
    if any(len(sg[0]) == 1 and not is_syllable(sg[0]) for sg in segs):
        return None
    syllables = sum(len(sg[0]) for sg in segs)
    if syllables >= 2 or len(run) >= 3 or touches_syllable:
        return segs
    return None


def jamo_stage(text: str) -> list[Edit]:
    """Recompose split jamo where the whole run forms syllables; chat jamo (ㅋㅋ, ㅠㅠ) stay."""
    if not _HAS_JAMO.search(text):
        return []
    chat = lex.chat_jamo()
    edits: list[Edit] = []
    n = len(text)
    for m in _JAMO_RUN.finditer(text):
        run = m.group()
        if run in chat:
            continue
        a, b = _strip_expressive(run)
        core = run[a:b]
        if not core or core in chat:
            continue
        touches = (a == 0 and m.start() > 0 and _is_syl(text[m.start() - 1])) or (
            b == len(run) and m.end() < n and _is_syl(text[m.end()])
        )
        segs = _compose_ok(core, touches)
        if segs is None:
            continue
        base = m.start() + a
        edits.extend((base + s, base + e, out) for out, s, e in segs)
    # Jamo typed with a space between every letter: ㅁ ㅏ ㅇ ㅑ ㄱ
    for m in _SPACED_JAMO.finditer(text) if _SPACED_JAMO_HINT.search(text) else ():
        letters = m.group()[::2]
        segs = compose_run(letters)
        if any(len(sg[0]) == 1 and not is_syllable(sg[0]) for sg in segs) or len(segs) < 2:
            continue
        for k, (out, s, _e) in enumerate(segs):
            end = m.start() + 2 * segs[k + 1][1] if k + 1 < len(segs) else m.end()
            edits.append((m.start() + 2 * s, end, out))
    edits.sort()
    return _drop_overlaps(edits)


def _drop_overlaps(edits: list[Edit]) -> list[Edit]:
    out: list[Edit] = []
    end = -1
    for ed in edits:
        if ed[0] >= end:
            out.append(ed)
            end = ed[1]
    return out


# ---------------------------------------------------------------------------------------------
# choseong

_CONSONANT_RUN = re.compile(f"(?<![{_JAMO}])[\u3131-\u314e]{{3,}}(?![{_JAMO}])")


@cache
def _choseong_terms() -> dict[str, str]:
    from suho.korean._hangul import choseong

    seen: dict[str, set[str]] = {}
    for t in lex.glossary():
        if len(t.korean) >= 3 and all(_is_syl(c) for c in t.korean):
            seen.setdefault(choseong(t.korean), set()).add(t.korean)
    chat = lex.chat_jamo()
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1 and k not in chat}


def choseong_stage(text: str) -> list[Edit]:
    """Initial-consonant spellings (ㅍㅂㅁ) of glossary terms of three or more syllables."""
    if not _HAS_JAMO.search(text):
        return []
    terms = _choseong_terms()
    return [
        (m.start(), m.end(), terms[m.group()])
        for m in _CONSONANT_RUN.finditer(text)
        if m.group() in terms
    ]


# ---------------------------------------------------------------------------------------------
# spacing

_LEFT_OK = "(?<![^\\s\"'(\\[{<«“‘])"
_RIGHT_OK = "(?![^\\s.,!?;:\"')\\]}>»”’])"
_SPACED = re.compile(f"{_LEFT_OK}[{_SYL}](?: [{_SYL}])+{_RIGHT_OK}")
# Text spaced out syllable by syllable with the word breaks widened to two spaces:
# 대 마 초 를  어 디 서  살  수  있 나 요?
_WORD_SPACED = f"[{_SYL}](?: [{_SYL}])*[^\\s{_SYL}]{{0,3}}"
_WIDE = re.compile(f"(?<!\\S){_WORD_SPACED}(?:  {_WORD_SPACED})+(?!\\S)")
_PUNCT_SPACED = re.compile(f"{_LEFT_OK}[{_SYL}]([.\\-_*/·~+,])[{_SYL}](?:\\1[{_SYL}])*{_RIGHT_OK}")


@cache
def _spacing_terms() -> tuple[frozenset[str], int]:
    terms = frozenset(
        t.korean for t in lex.glossary() if len(t.korean) >= 2 and all(_is_syl(c) for c in t.korean)
    )
    return terms, max(map(len, terms))


def _crosses_term(units: str) -> bool:
    """True when joining the syllables forms a glossary term spanning at least two of them."""
    terms, longest = _spacing_terms()
    n = len(units)
    for i in range(n - 1):
        for ln in range(2, min(longest, n - i) + 1):
            if units[i : i + ln] in terms:
                return True
    return False


#: Syllables that are never a word on their own (particles, verb endings): a run of single
#: syllables containing one is text spaced out letter by letter, not a string of short words.
BOUND_SYLLABLES = frozenset("을를는에의께습려까며겠었았했됩합")


def _kept_spaces(units: str, respace: Callable[[str], str] | None) -> set[int]:
    """Indexes i such that the space between units[i] and units[i+1] should stay."""
    if respace is None:
        return set()
    spaced = respace(units)
    keep: set[int] = set()
    i = 0
    for c in spaced:
        if c == " ":
            if 0 < i < len(units):
                keep.add(i - 1)
        elif i < len(units) and c == units[i]:
            i += 1
    return keep


def _join_run(r: re.Match[str], respace: Callable[[str], str] | None) -> list[Edit]:
    units = r.group()[::2]
    keep = _kept_spaces(units, respace)
    return [
        (r.start() + 2 * k + 1, r.start() + 2 * k + 2, "")
        for k in range(len(units) - 1)
        if k not in keep
    ]


_PARTICLE_TAILS = frozenset(
    [
        "을",
        "를",
        "이",
        "가",
        "은",
        "는",
        "와",
        "과",
        "의",
        "에",
        "도",
        "로",
        "으로",
        "에서",
        "만",
        "이나",
        "나",
        "하는",
        "하다",
        "하기",
        "한",
        "할",
        "해",
        "하고",
        "해서",
        "하여",
        "된",
        "되는",
    ]
)
_SPACED_TAIL = re.compile(f"{_LEFT_OK}((?:[{_SYL}] )+)([{_SYL}])([{_SYL}]{{1,2}}){_RIGHT_OK}")
_PUNCT_TAIL = re.compile(
    f"{_LEFT_OK}[{_SYL}]([.\\-_*/·~+])[{_SYL}](?:\\1[{_SYL}])*([{_SYL}]{{1,2}}){_RIGHT_OK}"
)


def _term_ends_at_last(units: str) -> bool:
    """True when a glossary term of 2+ units ends exactly at the last unit."""
    terms, longest = _spacing_terms()
    return any(units[-ln:] in terms for ln in range(2, min(longest, len(units)) + 1))


# Where any spaced run can start: a lone syllable followed by a separator. Every spacing pattern
# starts at one of these, so the patterns are tried only there.
_SEED = re.compile(f"{_LEFT_OK}[{_SYL}](?=[ .\\-_*/·~+]|[^\\s{_SYL}]{{1,3}}  )")


def _seeded(pattern: re.Pattern[str], text: str, seeds: list[int]) -> list[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` that start at seed positions."""
    out: list[re.Match[str]] = []
    end = -1
    for p in seeds:
        if p < end:
            continue
        m = pattern.match(text, p)
        if m is not None:
            out.append(m)
            end = m.end()
    return out


def _tail_edits(text: str, seeds: list[int]) -> list[Edit]:
    """Spaced terms followed by a particle: 필 로 폰을, 총-기를 (the particle stays attached)."""
    edits: list[Edit] = []
    for m in _seeded(_SPACED_TAIL, text, seeds):
        head, last, tail = m.group(1), m.group(2), m.group(3)
        if tail in _PARTICLE_TAILS and _term_ends_at_last(head[::2] + last):
            edits.extend((m.start() + k, m.start() + k + 1, "") for k in range(1, len(head), 2))
    for m in _seeded(_PUNCT_TAIL, text, seeds):
        body = text[m.start() : m.start(2)]
        units = body[::2]
        if m.group(2) in _PARTICLE_TAILS and _term_ends_at_last(units):
            edits.extend((m.start() + k, m.start() + k + 1, "") for k in range(1, len(body), 2))
    return edits


def spacing_stage(text: str, respace: Callable[[str], str] | None = None) -> list[Edit]:
    """Join words written one syllable at a time (마 약 구 매 -> 마약구매).

    A run of single syllables is joined when joining it spells a glossary term, when it has
    four or more syllables and one of them is a particle or ending that never stands alone
    (마 약 을 사 고 싶 어), or when the text has the shape of syllable-by-syllable spacing with
    the old word breaks widened to two spaces (then the double spaces become word breaks).
    Dot/dash/slash-separated runs (마.약) are joined only when they spell a glossary term.
    With ``respace`` (the morph stage's Kiwi), joined text gets real word spacing back.
    """
    seeds = [m.start() for m in _SEED.finditer(text)]
    if not seeds:
        return []
    edits: list[Edit] = []
    wide_spans: list[tuple[int, int]] = []
    for m in _seeded(_WIDE, text, seeds):
        words = m.group().split("  ")
        if sum(len(w.replace(" ", "")) for w in words) < 6 or not any(" " in w for w in words):
            continue
        wide_spans.append(m.span())
        pos = m.start()
        for k, w in enumerate(words):
            edits.extend((pos + q, pos + q + 1, "") for q, c in enumerate(w) if c == " ")
            pos += len(w)
            if k + 1 < len(words):
                edits.append((pos, pos + 2, " "))
                pos += 2
    for r in _seeded(_SPACED, text, seeds):
        if any(a <= r.start() < b for a, b in wide_spans):
            continue
        u = r.group()[::2]
        bound = len(u) >= 4 and any(c in BOUND_SYLLABLES for c in u[1:])
        if bound or _crosses_term(u):
            edits.extend(_join_run(r, respace))
    for m in _seeded(_PUNCT_SPACED, text, seeds):
        units = m.group()[::2]
        if _crosses_term(units):
            edits.extend((k, k + 1, "") for k in range(m.start() + 1, m.end(), 2))
    edits.extend(_tail_edits(text, seeds))
    edits.sort()
    return _drop_overlaps(edits)


# ---------------------------------------------------------------------------------------------
# qwerty and roman: Latin tokens

_LATIN_TOKEN = re.compile("[A-Za-z]+(?:-[A-Za-z]+)*")
_URLISH = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S+|\S+@\S+\.\S+|`[^`\n]*`", re.I)
_GLUE = set("_@/\\:=#&%+$'\"<>{}[]()^~*|")
_CLOSERS = set(".,!?;:")
# Identifiers in code: `x = ...`, `f(...)`, `const x`, `def f`, `obj.attr`.
_CODE_AFTER = re.compile(r"\s*(?:[=(\[]|:=|->)")
_CODE_BEFORE = re.compile(
    r"(?:\b(?:const|let|var|def|class|function|fn|func|int|return|import|from|new|val)\s+|=\s*)\Z"
)


@lru_cache(maxsize=2)
def _latin_tokens(text: str) -> list[re.Match[str]]:
    """Latin words that stand alone: not inside URLs, e-mails, code, identifiers or numbers."""
    masked = [(m.start(), m.end()) for m in _URLISH.finditer(text)]
    starts = [a for a, _b in masked]
    out: list[re.Match[str]] = []
    n = len(text)
    for m in _LATIN_TOKEN.finditer(text):
        s, e = m.span()
        k = bisect_right(starts, s) - 1
        if k >= 0 and s < masked[k][1]:
            continue
        prev = text[s - 1] if s > 0 else " "
        nxt = text[e] if e < n else " "
        if prev.isdigit() or prev in _GLUE or prev == "." or prev == "-":
            continue
        if nxt.isdigit() or nxt in _GLUE or nxt == "-":
            continue
        if nxt in _CLOSERS and e + 1 < n and text[e + 1].isalnum():  # foo.bar, a.b.c
            continue
        if _CODE_AFTER.match(text, e) or _CODE_BEFORE.search(text, max(0, s - 24), s):
            continue
        out.append(m)
    return out


def _camel(tok: str) -> bool:
    """True for identifiers like getUser (a non-shift capital after a lower-case letter)."""
    return any(
        tok[k].isupper() and tok[k - 1].islower() and tok[k] not in "QWERTOP"
        for k in range(1, len(tok))
    )


@lru_cache(maxsize=8192)
def _decode_token(tok: str) -> tuple[list[tuple[str, int, int]], float, float] | None:
    """(segments, share of common syllables, Korean-over-English margin), or None."""
    if "-" in tok or lex.is_english(tok) or _camel(tok):
        return None
    keys = tok.lower() if tok.isupper() else tok
    segs = decode_keys(keys)
    if any(not is_syllable(sg[0][0]) for sg in segs):
        return None
    n = sum(len(sg[0]) for sg in segs)
    if n < 2:
        return None
    common = lex.common_syllables()
    score = sum(1 for sg in segs for c in sg[0] if c in common) / n
    return segs, score, korean_margin(keys)


def qwerty_stage(text: str) -> list[Edit]:
    """Latin words that are Korean typed with the IME off, when they decode to plausible Hangul.

    A token is decoded only when it is not English (word list), not an identifier, URL, e-mail
    or code, decodes to whole syllables with no stray letter, its letters look more like Korean
    keystrokes than English (letter-trigram models), and its syllables are common ones (looser
    when the text around it is Korean or when most of the Latin words decode).
    """
    tokens = _latin_tokens(text)
    if not tokens:
        return []
    decoded = [_decode_token(m.group()) for m in tokens]
    valid = [d for d in decoded if d is not None]
    if not valid:
        return []
    korean_ctx = bool(_HAS_SYL.search(text))
    mostly = len(valid) >= 2 and len(valid) * 2 > len([m for m in tokens if len(m.group()) > 1])
    accepted: dict[int, list[tuple[str, int, int]]] = {}
    for k, d in enumerate(decoded):
        if d is None:
            continue
        segs, score, margin = d
        if mostly:  # the text is Korean typed on QWERTY: trust it more
            ok = score >= 0.5 and margin > -1.0
        elif korean_ctx:
            ok = score >= 0.6 and margin > 0
        else:
            ok = score >= 0.8 and margin > 0.5
        if ok:
            accepted[k] = segs
    # One-syllable words (tkf = 살, qjq = 법) only next to words already decoded: one sweep
    # forward and one backward extend every chain of them.
    if accepted:
        common = lex.common_syllables()
        n_tok = len(tokens)
        for order, step in ((range(n_tok), -1), (range(n_tok - 1, -1, -1), 1)):
            for k in order:
                j = k + step
                if k in accepted or j not in accepted or not _adjacent(text, tokens, min(k, j)):
                    continue
                segs1 = _one_syllable(tokens[k].group(), common)
                if segs1 is not None:
                    accepted[k] = segs1
    edits: list[Edit] = []
    for k in sorted(accepted):
        base = tokens[k].start()
        edits.extend((base + s, base + e, out) for out, s, e in accepted[k])
    return edits


def _one_syllable(tok: str, common: frozenset[str]) -> list[tuple[str, int, int]] | None:
    if lex.is_english(tok) or _camel(tok):
        return None
    segs = decode_keys(tok.lower() if tok.isupper() else tok)
    if len(segs) == 1 and len(segs[0][0]) == 1 and segs[0][0] in common:
        return segs
    return None


def _adjacent(text: str, tokens: list[re.Match[str]], k: int) -> bool:
    """True when tokens k and k+1 are separated only by spaces and punctuation."""
    if k < 0 or k + 1 >= len(tokens):
        return False
    return _GAP.fullmatch(text, tokens[k].end(), tokens[k + 1].start()) is not None


_GAP = re.compile(r"[\s,.!?;:]*")


#: Particles that follow a noun; romanised together with the term (대마초와 -> daemachowa).
PARTICLES = (
    "",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "와",
    "과",
    "의",
    "에",
    "도",
    "로",
    "으로",
    "에서",
    "만",
    "이나",
    "나",
)


@cache
def _roman_terms() -> dict[str, tuple[str, int]]:
    """romanised spelling -> (Korean, number of syllables of the term itself)."""
    out: dict[str, tuple[str, int]] = {}
    for t in lex.glossary():
        if len(t.korean) < 2 or not all(_is_syl(c) for c in t.korean):
            continue
        for p in PARTICLES:
            if p:
                last = t.korean[-1]
                has_final = (ord(last) - 0xAC00) % 28 != 0
                if p in ("을", "이", "은", "과", "으로", "이나") and not has_final:
                    continue
                if p in ("를", "가", "는", "와", "로", "나") and has_final:
                    continue
            word = t.korean + p
            for r in (romanize(word), romanize_letters(word)):
                for v in {r, r.replace("eo", "o"), r.replace("eu", "u")}:
                    if len(v) >= 4 and not lex.is_english(v):
                        out.setdefault(v, (word, len(t.korean)))
    return out


def roman_stage(text: str) -> list[Edit]:
    """Romanised glossary terms (pokbalmul, pok-bal-mul, mayak) written in Latin letters."""
    tokens = _latin_tokens(text)
    if not tokens:
        return []
    terms = _roman_terms()
    edits: list[Edit] = []
    for m in tokens:
        key = m.group().replace("-", "").lower()
        if key in terms and not lex.is_english(key):
            edits.append((m.start(), m.end(), terms[key][0]))
    return edits


# ---------------------------------------------------------------------------------------------
# yamin


@cache
def _yamin_index() -> tuple[dict[str, list[tuple[int, str, str]]], re.Pattern[str]]:
    """disguised syllable -> [(offset in form, disguised form, standard form)], and a trigger."""
    words, pairs = lex.yamin_tables()
    forms: dict[str, str] = dict(words)
    glossary = {t.korean for t in lex.glossary()}
    for t in lex.glossary():
        w = t.korean
        pos = [k for k, c in enumerate(w) if c in pairs]
        for mask in range(1, 1 << len(pos)):
            chars = list(w)
            for bit, k in enumerate(pos):
                if mask >> bit & 1:
                    chars[k] = pairs[w[k]]
            form = "".join(chars)
            if form not in glossary:
                forms.setdefault(form, w)
    disguised = set(pairs.values())
    index: dict[str, list[tuple[int, str, str]]] = {}
    for form, std in forms.items():
        for k, c in enumerate(form):
            if c in disguised or (form in words and k == 0):
                index.setdefault(c, []).append((k, form, std))
    trigger = re.compile("[" + "".join(sorted(index)) + "]")
    return index, trigger


def yamin_stage(text: str) -> list[Edit]:
    """야민정음 spellings: known words (댕댕이, 띵작) and look-alike forms of glossary terms."""
    if not _HAS_SYL.search(text):
        return []
    index, trigger = _yamin_index()
    edits: list[Edit] = []
    end = 0
    for m in trigger.finditer(text):
        p = m.start()
        if p < end:
            continue
        best: tuple[int, int, str] | None = None
        for off, form, std in index[m.group()]:
            s = p - off
            if (
                s >= end
                and text.startswith(form, s)
                and (best is None or len(form) > best[1] - best[0])
            ):
                best = (s, s + len(form), std)
        if best is not None:
            s, e, std = best
            edits.extend((s + k, s + k + 1, std[k]) for k in range(e - s) if text[s + k] != std[k])
            end = e
    return edits


# ---------------------------------------------------------------------------------------------
# numerals

# A run of digit syllables, standing alone or followed by a particle (오육칠팔로, 일이삼사번).
_NUM_RUN = re.compile(
    f"(?<![{_SYL}])[{''.join(DIGIT_SYLLABLES)}]+"
    f"(?=(?:로|으로|가|은|는|을|를|에|와|과|도|만|번|입니다|이에요|예요|이요|요)?(?![{_SYL}]))"
)
_SEP = set("-. ")


def numerals_stage(text: str) -> list[Edit]:
    """Hangul digits read one by one (공일공 일이삼사 -> 010 1234), in runs of three or more, or
    shorter runs that sit next to other digit groups (02-일이삼-4567)."""
    runs = list(_NUM_RUN.finditer(text))
    if not runs:
        return []
    n = len(text)

    def digit_neighbour(s: int, e: int) -> bool:
        if s >= 2 and text[s - 1] in _SEP and text[s - 2].isdigit():
            return True
        return e + 1 < n and text[e] in _SEP and text[e + 1].isdigit()

    strong = [len(r.group()) >= 3 and not is_word_like(r.group()) for r in runs]
    edits: list[Edit] = []
    for k, r in enumerate(runs):
        s, e = r.span()
        ok = strong[k]
        if not ok and len(r.group()) >= 2:
            near = any(
                strong[j] and 0 < (runs[j].start() - e if j > k else s - runs[j].end()) <= 1
                for j in (k - 1, k + 1)
                if 0 <= j < len(runs)
            )
            ok = near or digit_neighbour(s, e)
        if ok:
            edits.extend((s + i, s + i + 1, DIGIT_SYLLABLES[c]) for i, c in enumerate(r.group()))
    return edits
