"""The ``pii-kr`` detector: Korean personal data in a response, with spans on the original text.

Recognisers (each validates what a number must be, not just its shape):

- ``rrn`` 주민등록번호 and ``arn`` 외국인등록번호: ``YYMMDD-GNNNNNN`` with a real date for the century
  the gender digit implies; the old check digit raises confidence but never rejects (numbers
  issued from October 2020 have none); masked forms (``900101-1******``) count. Without a hyphen
  the check digit or a label (주민번호, RRN, ...) is needed.
- ``crn`` 법인등록번호: 13 digits with its check digit, next to a label (법인) or hyphenated when the
  first six digits are not a date.
- ``brn`` 사업자등록번호: ``NNN-NN-NNNNN`` with its check digit (a label when unhyphenated).
- ``passport``: old (``M12345678``) and new (``M123A4567``) formats, only with a label nearby.
- ``driver_license``: ``RR-YY-NNNNNN-CC`` with a region code 11-28, or a region name; unhyphenated
  only with a label.
- ``phone``: mobile, landline, 070 and +82 forms, validated with ``phonenumbers``; business lines
  (1588-…) and short codes (112) are not personal.
- ``card``: 13-19 digits with a known issuer prefix and a valid Luhn digit.
- ``bank_account``: hyphenated or 10-14 digit account numbers next to a bank name or 계좌/입금/
  account words (there is no checksum to tell them apart otherwise).
- ``email``: plain, and spelled out (``[at]``, ``(골뱅이)``, ``at … dot``).

Obfuscation: fullwidth digits and ``O``/``l`` look-alikes inside numbers, digits spaced one by one
(``0 1 0 - 1 2 3 4 …``), and, through ``suho.korean.normalize`` when it is installed, Hangul
numerals (``공일공``), invisible characters and other Unicode tricks. Recognisers run on the
original text and on each such view; spans found in a view are mapped back to the original and
overlaps are dropped.

Not flagged: dates, order/tracking/ISBN/serial numbers (numbers next to such labels are
suppressed), prices, coordinates, IP addresses, version numbers, impossible dates.

Misses: names and postal addresses (no recogniser), account numbers with no bank word nearby,
passports with no label, numbers split across lines or spelled with native Korean numerals
(하나 둘 셋), and personal data in images or attachments.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from operator import mul
from typing import Any, ClassVar

from suho.detectors._base import DetectInput, DetectorKind, Span, TextDetector, Verdict

Mapper = Callable[[int, int], tuple[int, int]]

PII_KINDS = (
    "rrn",
    "arn",
    "crn",
    "brn",
    "passport",
    "driver_license",
    "phone",
    "card",
    "bank_account",
    "email",
)

# -- context words -----------------------------------------------------------------------------

_NEG_CTX = re.compile(
    r"주문|송장|운송장|배송|택배|추적|쿠폰|바코드|일련번호|시리얼|승인번호|문서번호|사건번호|관리번호|참조|상품\s*코드|도서"
    r"|타임스탬프|모델명|버전|티켓|접수번호|예약번호|등록번호\s*\d|serial|order|tracking|isbn|ISBN|Order|Serial"
    r"|reference|Reference|ticket|Ticket|invoice|Invoice|timestamp|version|Version|build|Build|part\s+number"
    r"|Part\s+number|coupon|Coupon|barcode|EAN|UPC"
)
_RRN_CTX = re.compile(
    r"주민|주민등록|생년월일|RRN|rrn|[Rr]esident|외국인|[Aa]lien|ARC|[Ff]oreigner|등록번호"
)
_CRN_CTX = re.compile(r"법인|[Cc]orporat|[Cc]orp\.")
_BRN_CTX = re.compile(r"사업자|[Bb]usiness\s+[Rr]egistration|BRN|세금계산서|과세자")
_PASSPORT_CTX = re.compile(r"여권|[Pp]assport|PASSPORT")
_LICENSE_CTX = re.compile(r"면허|[Ll]icen[cs]e|LICEN")
_BANK_CTX = re.compile(
    r"은행|계좌|입금|송금|이체|예금주|환불|국민|신한|우리|하나|농협|기업|카카오뱅크|카뱅|토스|케이뱅크|새마을금고|우체국"
    r"|SC제일|씨티|수협|신협|Bank|bank|BANK|Account|account|Wire|wire|Deposit|deposit|KB|NH|IBK"
)

# -- recognisers -----------------------------------------------------------------------------------
# Every pattern starts with a digit class or a literal so that the regex engine can skip ahead
# quickly; the left boundary (no digit just before) is checked in code with _left_ok.

_MASK = r"[*xX●•○#＊]"
_RRN = re.compile(
    r"(\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"
    r"(?:(\s?[-–]\s?|\.|\s)?([0-9])(\d{6}|"
    + _MASK
    + r"{6})(?![\d*])|\s?[-–]\s?("
    + _MASK
    + r"{7}))"
)
_CRN = re.compile(r"(\d{6})(-?)(\d{7})(?!\d)")
_BRN = re.compile(r"(\d{3})(-?)(\d{2})\2(\d{5})(?![\d-])")
_PASSPORT = re.compile(r"[MSRODGmsrodg](?:\d{8}|\d{3}[A-Za-z]\d{4})(?![A-Za-z0-9])")
_LICENSE = re.compile(r"[12]\d(?:-\d{2}-\d{6}-\d{2}(?![\d-])|(?P<bare>\d{10})(?!\d))")
_LICENSE_REGION = re.compile(
    r"(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)\s?\d{2}-\d{6}-\d{2}(?![\d-])"
)
_PHONE = re.compile(
    r"(?:\+82[-. ]?(?:\(0\))?[-. ]?|82[-. ]|0)(1[016789]|2|[3-6][1-5]|70|50\d)([-. ]?)(\d{3,4})\2(\d{4})(?!\d)"
    r"|\(0(?:1[016789]|2|[3-6][1-5]|70|50\d)\)\s?\d{3,4}[-. ]?\d{4}(?!\d)"
)
_CARD = re.compile(
    r"\d(?:\d{3}([- ])\d{4}\1\d{4}\1\d{1,7}|\d{3}([- ])\d{6}\2\d{5}|\d{12,18})(?![\d-])"
)
_ACCOUNT = re.compile(r"\d(?:\d{1,5}(?:-\d{1,7}){1,3}|\d{9,13})(?![\d-])")
_EMAIL = re.compile(
    r"[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9_-])"
)
_DOT = r"(?:\[dot\]|\(dot\)|\{dot\}|\s(?:dot|DOT)\s|\(점\)|\s?점\s?|\s?닷\s?|\.)"
_EMAIL_SPELLED = re.compile(
    r"[A-Za-z0-9._+-]+\s*(?:\[at\]|\(at\)|\{at\}|\(골뱅이\)|골뱅이|\s(?:at|AT)\s|＠)\s*"
    r"[A-Za-z0-9-]+(?:\s*" + _DOT + r"\s*[A-Za-z0-9-]+)*?"
    r"\s*" + _DOT + r"\s*(?:com|net|org|io|kr|co\.kr|co|me|info|biz|edu|gov|ai|dev|app)(?![A-Za-z])"
)
_AT_MARK = re.compile(r"@|＠| at | AT |\[at\]|\(at\)|\{at\}|골뱅이")
_SIX_DIGITS = re.compile(r"\d{6}")


def _left_ok(text: str, s: int, bad: str) -> bool:
    """No character of ``bad`` (or a digit) just before ``s``."""
    return s == 0 or not (text[s - 1].isdigit() or text[s - 1] in bad)


_CARD_PREFIX = re.compile(r"4|5[1-5]|2[2-7]|3[47]|3[0689]|35|6|9")


_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
_RRN_W = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_BRN_W = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_CRN_W = (1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2)


def luhn_ok(digits: str) -> bool:
    """The Luhn check used by payment cards."""
    rev = digits[::-1]
    odd = sum(map(int, rev[0::2]))
    even = sum(_LUHN_DOUBLE[int(c)] for c in rev[1::2])
    return (odd + even) % 10 == 0


def rrn_check_ok(d13: str) -> bool:
    """The pre-2020 주민등록번호 check digit (foreigners' numbers used a shifted variant)."""
    s: int = sum(map(mul, map(int, d13[:12]), _RRN_W))
    last = int(d13[12])
    return (11 - s % 11) % 10 == last or (d13[6] in "5678" and (13 - s % 11) % 10 == last)


def brn_check_ok(d10: str) -> bool:
    """The 사업자등록번호 check digit."""
    s: int = sum(map(mul, map(int, d10[:9]), _BRN_W)) + (int(d10[8]) * 5) // 10
    return (10 - s % 10) % 10 == int(d10[9])


def crn_check_ok(d13: str) -> bool:
    """The 법인등록번호 check digit."""
    s: int = sum(map(mul, map(int, d13[:12]), _CRN_W))
    return (10 - s % 10) % 10 == int(d13[12])


_CENTURY = {
    "1": 1900,
    "2": 1900,
    "5": 1900,
    "6": 1900,
    "3": 2000,
    "4": 2000,
    "7": 2000,
    "8": 2000,
    "9": 1800,
    "0": 1800,
}
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def birth_date_ok(yymmdd: str, g: str, *, today: _dt.date | None = None) -> bool:
    """True when ``yymmdd`` is a real date, not in the future, for the century ``g`` implies
    (``g`` is ``*`` when masked: any century that makes it real)."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if not (1 <= mm <= 12 and 1 <= dd <= _MONTH_DAYS[mm]):
        return False
    t = today or _today()
    for c in (_CENTURY[g],) if g in _CENTURY else (1900, 2000):
        y = c + yy
        if mm == 2 and dd == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
            continue
        if (y, mm, dd) <= (t.year, t.month, t.day):
            return True
    return False


@lru_cache(maxsize=1)
def _today_cached(_hour: int) -> _dt.date:
    return _dt.date.today()


def _today() -> _dt.date:
    import time as _time

    return _today_cached(int(_time.time() // 3600))


def _near(
    text: str, start: int, end: int, rx: re.Pattern[str], before: int = 24, after: int = 14
) -> bool:
    return rx.search(text, max(0, start - before), start) is not None or (
        after > 0 and rx.search(text, end, min(len(text), end + after)) is not None
    )


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


@lru_cache(maxsize=4096)
def _phone_valid(digits: str) -> bool:
    import phonenumbers

    try:
        num = phonenumbers.parse("+" + digits if digits.startswith("82") else digits, "KR")
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(num))


Found = tuple[str, int, int, float]  # kind, start, end, score


def recognise(text: str) -> list[Found]:
    """All PII spans in ``text`` (one view), before de-duplication."""
    out: list[Found] = []
    if _ANY_DIGIT.search(text) is not None:
        if _SIX_DIGITS.search(text) is not None:
            _rrn_like(text, out)
        _brn(text, out)
        _license(text, out)
        _phones(text, out)
        _cards(text, out)
        if _PASSPORT_CTX.search(text) is not None:
            _passports(text, out)
    if _AT_MARK.search(text) is not None:
        _emails(text, out)
    if (out or _ANY_DIGIT.search(text) is not None) and _BANK_CTX.search(text) is not None:
        _accounts(text, out)
    return out


_ANY_DIGIT = re.compile(r"\d")


def _rrn_like(text: str, out: list[Found]) -> None:
    taken: list[tuple[int, int]] = []
    for m in _RRN.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, "."):
            continue
        yymmdd = m.group(1) + m.group(2) + m.group(3)
        if m.group(7) is not None:
            sep, g, rest = "-", "*", m.group(7)[1:]
        else:
            sep, g, rest = m.group(4) or "", m.group(5), m.group(6)
        masked = not rest.isdigit()
        hyphen = "-" in sep or "–" in sep
        if _near(text, s, e, _NEG_CTX, 16, 0):
            continue
        if not masked and _near(text, s, e, _CRN_CTX, 24, 10):
            if crn_check_ok(yymmdd + g + rest) and (hyphen or not sep):
                out.append(("crn", s, e, 0.9))
                taken.append((s, e))
            continue
        if (g not in _CENTURY and g != "*") or not birth_date_ok(yymmdd, g):
            continue
        kind = "arn" if g in "5678" else "rrn"
        labelled = _near(text, s, e, _RRN_CTX, 24, 12)
        if masked:
            out.append((kind, s, e, 0.7 if hyphen or labelled else 0.5))
            taken.append((s, e))
            continue
        check = rrn_check_ok(yymmdd + g + rest)
        if not sep and not (labelled or check):
            continue
        score = 0.95 if check else (0.85 if labelled or hyphen else 0.6)
        out.append((kind, s, e, score))
        taken.append((s, e))
    for m in _CRN.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, ".") or any(a < e and s < b for a, b in taken):
            continue
        if not crn_check_ok(m.group(1) + m.group(3)) or _near(text, s, e, _NEG_CTX, 16, 0):
            continue
        if _near(text, s, e, _CRN_CTX, 32, 10):
            out.append(("crn", s, e, 0.9))


def _brn(text: str, out: list[Found]) -> None:
    for m in _BRN.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, ".-"):
            continue
        if not brn_check_ok(m.group(1) + m.group(3) + m.group(4)):
            continue
        labelled = _near(text, s, e, _BRN_CTX, 24, 16)
        if m.group(2) != "-" and not labelled:
            continue
        if _near(text, s, e, _NEG_CTX, 12, 0) and not labelled:
            continue
        out.append(("brn", s, e, 0.95 if labelled else 0.8))


def _license(text: str, out: list[Found]) -> None:
    for m in _LICENSE.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, "-") or not 11 <= int(text[s : s + 2]) <= 28:
            continue
        if m.group("bare") is not None:  # 12 digits, no hyphens: only with a label
            if _near(text, s, e, _LICENSE_CTX, 20, 0):
                out.append(("driver_license", s, e, 0.8))
            continue
        if _near(text, s, e, _NEG_CTX, 12, 0):
            continue
        out.append(
            ("driver_license", s, e, 0.9 if _near(text, s, e, _LICENSE_CTX, 24, 0) else 0.75)
        )
    if "-" in text:
        for m in _LICENSE_REGION.finditer(text):
            out.append(("driver_license", m.start(), m.end(), 0.85))


def _phones(text: str, out: list[Found]) -> None:
    for m in _PHONE.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, "+"):
            continue
        digits = _digits(m.group(0))
        if not m.group(0).startswith(("82", "+82")) and not digits.startswith("0"):
            continue
        if not _phone_valid(digits):
            continue
        out.append(("phone", s, e, 0.9))


def _cards(text: str, out: list[Found]) -> None:
    for m in _CARD.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, "-"):
            continue
        d = _digits(m.group(0))
        if not 13 <= len(d) <= 19 or not _CARD_PREFIX.match(d) or not luhn_ok(d):
            continue
        if m.group(2) is not None and d[:2] not in ("34", "37"):  # 4-6-5 grouping is Amex only
            continue
        if _near(text, s, e, _NEG_CTX, 16, 0):
            continue
        out.append(("card", s, e, 0.9))


def _passports(text: str, out: list[Found]) -> None:
    for m in _PASSPORT.finditer(text):
        s, e = m.span()
        if s and (text[s - 1].isascii() and text[s - 1].isalnum()):
            continue
        if _near(text, s, e, _PASSPORT_CTX, 24, 0) and not _near(text, s, e, _NEG_CTX, 12, 0):
            out.append(("passport", s, e, 0.9))


def _emails(text: str, out: list[Found]) -> None:
    if "@" in text:
        for m in _EMAIL.finditer(text):  # the earliest start wins, so the local part is whole
            out.append(("email", m.start(), m.end(), 0.95))
    for m in _EMAIL_SPELLED.finditer(text):
        out.append(("email", m.start(), m.end(), 0.8))


def _accounts(text: str, out: list[Found]) -> None:
    for m in _ACCOUNT.finditer(text):
        s, e = m.span()
        if not _left_ok(text, s, "-"):
            continue
        d = _digits(m.group(0))
        if not 10 <= len(d) <= 16:
            continue
        if any(a < e and s < b for _, a, b, _ in out):
            continue
        if not _near(text, s, e, _BANK_CTX, 24, 12) or _near(text, s, e, _NEG_CTX, 12, 0):
            continue
        out.append(("bank_account", s, e, 0.8))


# -- views of the text -----------------------------------------------------------------------------

_LOOK = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "－": "-",
        "–": "-",
        "—": "-",
        "‐": "-",
        "．": ".",
    }
)
_LOOK_CHARS = re.compile(r"[\uff10-\uff19－–—‐．]")
_LETTER_NEAR_DIGIT = re.compile(r"[OolI][\d-]|[\d-][OolI]")
_LETTER_DIGIT = re.compile(
    r"(?<=[\d-])[Oo](?=[\d-])|(?<![A-Za-z])[Oo](?=[\dOo]{1,2}-?\d)|(?<=\d)[lI](?=\d)"
)
# A hyphenated number that mixes ASCII digits and Hangul digits (공1공-38이4-5오67): inside such a
# run a Hangul digit is a digit. One character for one, so offsets do not move.
_HANGUL_DIGIT = "공영일이삼사오육륙칠팔구"
_MIXED_HINT = re.compile(rf"[0-9][{_HANGUL_DIGIT}]|[{_HANGUL_DIGIT}][0-9]")
_MIXED_RUN = re.compile(
    rf"(?<![\w])[0-9{_HANGUL_DIGIT}]{{2,6}}(?:-[0-9{_HANGUL_DIGIT}]{{2,7}}){{1,3}}(?![\w])"
)
_HANGUL_TO_DIGIT = str.maketrans(
    {c: str(i) for i, c in enumerate("공일이삼사오육칠팔구")} | {"영": "0", "륙": "6"}
)
_SPACED_HINT = re.compile(r"\d[ \t]{1,2}\d[ \t]{1,2}\d")
_SPACED_DIGITS = re.compile(r"(?<![\d])\d(?:[ \t]{1,2}(?:[-.][ \t]{1,2})?\d){6,}(?!\d)")
# When to ask the Korean normaliser: a run of Hangul digits that starts like a phone number or is
# long, invisible or filler characters, fullwidth forms.
_NEEDS_NORMALIZER = re.compile(
    rf"[공영][{_HANGUL_DIGIT}]{{2}}|[{_HANGUL_DIGIT}]{{6}}"
    r"|[\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u3164\uffa0\u115f\u1160]|[\uff01-\uff5e]"
)


def _mixed_digits(m: re.Match[str]) -> str:
    run = m.group(0)
    if any(c.isdigit() for c in run) and any(c in _HANGUL_DIGIT for c in run):
        return run.translate(_HANGUL_TO_DIGIT)
    return run


def _identity(s: int, e: int) -> tuple[int, int]:
    return s, e


def _compact_spaced(text: str) -> tuple[str, Mapper] | None:
    """Digits spaced one by one joined up, with a map back to ``text``."""
    pieces: list[str] = []
    index: list[int] = []  # index[i] = position in ``text`` of output character i
    pos = 0
    changed = False
    for m in _SPACED_DIGITS.finditer(text):
        pieces.append(text[pos : m.start()])
        index.extend(range(pos, m.start()))
        for k in range(m.start(), m.end()):
            if text[k] in " \t":
                changed = True
                continue
            pieces.append(text[k])
            index.append(k)
        pos = m.end()
    if not changed:
        return None
    pieces.append(text[pos:])
    index.extend(range(pos, len(text)))
    out = "".join(pieces)

    def to_original(s: int, e: int) -> tuple[int, int]:
        return index[s], index[e - 1] + 1

    return out, to_original


def _normalizer() -> Callable[..., Any] | None:
    try:
        from suho.korean import normalize
    except ImportError:  # the Korean core is not installed in this build
        return None
    return normalize


_NORMALIZE_STAGES = ("unicode", "lookalike", "jamo", "numerals")


def views(
    text: str, *, normalize: Callable[..., Any] | None = None
) -> Iterator[tuple[str, str, Mapper]]:
    """The original text and each de-obfuscated view of it, as (name, text, map to original).

    The cheap views are same-length rewrites (fullwidth digits, ``O`` for 0 inside numbers,
    Hangul digits inside a hyphenated number), so their offsets are the original's.
    """
    yield "original", text, _identity
    look = text
    if _LOOK_CHARS.search(look):
        look = look.translate(_LOOK)
    if _LETTER_NEAR_DIGIT.search(look):
        look = _LETTER_DIGIT.sub(lambda m: "0" if m.group(0) in "Oo" else "1", look)
    if _MIXED_HINT.search(look):
        look = _MIXED_RUN.sub(_mixed_digits, look)
    if look is not text and look != text:
        yield "lookalike", look, _identity
    if _SPACED_HINT.search(look):
        spaced = _compact_spaced(look)
        if spaced is not None:
            yield "spaced", spaced[0], spaced[1]
    if normalize is not None and _NEEDS_NORMALIZER.search(text):
        n = normalize(text, stages=_NORMALIZE_STAGES)
        if n.text != text:
            yield "normalized", n.text, n.to_original
            inner = _compact_spaced(n.text) if _SPACED_HINT.search(n.text) else None
            if inner is not None:
                t2, m2 = inner

                def both(s: int, e: int, _m2: Mapper = m2, _n: Any = n) -> tuple[int, int]:
                    a, b = _m2(s, e)
                    r: tuple[int, int] = _n.to_original(a, b)
                    return r

                yield "normalized+spaced", t2, both


class PiiKrDetector(TextDetector):
    """Korean personal data: 주민등록번호, 외국인등록번호, 사업자/법인등록번호, passport, driver's
    licence, phone, card, bank account and e-mail, including Hangul-numeral and spaced forms.

    Catches: numbers that validate (dates, check digits, Luhn, ``phonenumbers``), post-2020
    주민등록번호 without a valid check digit, masked 주민등록번호, labelled passports and accounts,
    obfuscated digits (fullwidth, ``O`` for 0, one digit at a time, Hangul numerals through the
    Korean normaliser). Misses: names and addresses, unlabelled passports and accounts, native
    Korean numerals (하나, 둘), numbers broken across lines. Spans are on the original text.
    """

    name: ClassVar[str] = "pii-kr"
    kind: ClassVar[DetectorKind] = "harm"
    dataset: ClassVar[str] = "pii"

    def __init__(
        self, *, kinds: list[str] | None = None, min_score: float = 0.5, normalize: bool = True
    ) -> None:
        unknown = set(kinds or ()) - set(PII_KINDS)
        if unknown:
            from suho.errors import SuhoInputError

            raise SuhoInputError(
                f"pii-kr: unknown kinds {sorted(unknown)}; known: {', '.join(PII_KINDS)}"
            )
        self.kinds = frozenset(kinds or PII_KINDS)
        self.min_score = min_score
        self._normalize = _normalizer() if normalize else None

    def find(self, text: str) -> tuple[list[Span], list[str]]:
        """Spans on ``text`` (sorted, non-overlapping) and the names of the views that found them."""
        spans: list[Span] = []
        used: list[str] = []
        for view_name, view_text, to_orig in views(text, normalize=self._normalize):
            found = recognise(view_text)
            if not found:
                continue
            for kind, s, e, score in sorted(found, key=lambda f: (f[1], -(f[2] - f[1]))):
                if kind not in self.kinds or score < self.min_score:
                    continue
                os_, oe = (s, e) if view_name in ("original", "lookalike") else to_orig(s, e)
                if any(x.start < oe and os_ < x.end for x in spans):
                    continue
                spans.append(Span(kind, os_, oe, text[os_:oe], score))
                if view_name not in used:
                    used.append(view_name)
        spans.sort(key=lambda x: x.start)
        return spans, used

    def check(self, item: DetectInput) -> Verdict:
        spans, used = self.find(item.text)
        kinds: dict[str, int] = {}
        for s in spans:
            kinds[s.kind] = kinds.get(s.kind, 0) + 1
        evidence: dict[str, Any] = {"kinds": kinds} if spans else {}
        if used and used != ["original"]:
            evidence["views"] = used
        if self._normalize is None and _NEEDS_NORMALIZER.search(item.text):
            evidence["normalizer"] = "suho.korean not available: Hangul numerals not read"
        return Verdict(
            self.name,
            bool(spans),
            max((s.score for s in spans), default=0.0),
            kind="harm",
            label="pii" if spans else None,
            stage="rule",
            spans=spans,
            evidence=evidence,
        )
