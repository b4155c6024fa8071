"""Opening users' text files (probe files, datasets) in a named encoding, with errors that help.

Korean files in the wild are often CP949 (EUC-KR): when a file is not valid in the encoding asked
for, the error names the line of the first undecodable byte and says whether the file reads as
CP949, so the user knows to pass ``--encoding cp949``.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import TextIO

from suho.errors import SuhoInputError

DEFAULT_ENCODING = "utf-8"
# Encodings worth suggesting when a file does not decode: the Korean legacy one first.
_CANDIDATES = (("cp949", "CP949 (EUC-KR)"), ("utf-16", "UTF-16"))
_SNIFF_BYTES = 4 << 20  # how much of a file the encoding guess reads
_HANGUL = re.compile("[\uac00-\ud7a3]")


def check_encoding(encoding: str | None) -> str:
    """The codec name for ``--encoding`` (default UTF-8); an unknown one is a user error."""
    name = (encoding or DEFAULT_ENCODING).strip()
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise SuhoInputError(
            f"unknown encoding {name!r} for --encoding; e.g. utf-8, cp949, euc-kr"
        ) from None
    return info.name


def check_file(p: Path, what: str) -> None:
    """``p`` must be an existing regular file; a directory is said to be one."""
    if p.is_dir():
        raise SuhoInputError(f"is a directory, not a {what}", path=str(p))
    if not p.is_file():
        raise SuhoInputError(f"{what} not found", path=str(p))


def open_text(p: Path, encoding: str | None, *, newline: str | None = None) -> TextIO:
    """Open ``p`` for reading; UTF-8 skips a byte-order mark, as Excel writes one."""
    codec = check_encoding(encoding)
    return p.open(encoding="utf-8-sig" if codec == "utf-8" else codec, newline=newline)


def decode_error(p: Path, encoding: str | None, e: UnicodeDecodeError) -> SuhoInputError:
    """A ``SuhoInputError`` for a file that is not valid in ``encoding``: the line of the first
    undecodable byte, and the encoding it does decode as, if a likely one does."""
    codec = check_encoding(encoding)
    line = _bad_line(p, codec)
    label = "UTF-8" if codec == "utf-8" else codec
    hint = _suggest(p, codec)
    msg = f"not {label} text ({e.reason})"
    if hint:
        msg += f"; the file decodes as {hint[1]}: add --encoding {hint[0]}"
    else:
        msg += "; convert it to UTF-8, or name its encoding with --encoding"
    return SuhoInputError(msg, path=str(p), line=line)


def _bad_line(p: Path, codec: str) -> int | None:
    """The 1-based line holding the first byte ``codec`` cannot decode (for encodings that keep
    ``\\n`` a single byte, which covers UTF-8 and the Korean legacy ones)."""
    if codecs.lookup(codec).name.startswith("utf-16") or codec.startswith("utf-32"):
        return None
    decoder = codecs.getincrementaldecoder(codec)()
    with p.open("rb") as f:
        for no, raw in enumerate(f, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return no
    return None


def _suggest(p: Path, codec: str) -> tuple[str, str] | None:
    with p.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    for name, label in _CANDIDATES:
        if name == codec:
            continue
        if name == "utf-16" and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            continue  # without a byte-order mark almost anything "decodes" as UTF-16
        try:
            text = codecs.getincrementaldecoder(name)().decode(head, final=len(head) < _SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        if name == "cp949" and not _HANGUL.search(text):
            continue  # Latin-1 text can pass as CP949 byte pairs; Korean text reads as Hangul
        return name, label
    return None
