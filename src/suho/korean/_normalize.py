"""The normaliser: undo Korean and Unicode obfuscation, keeping a map back to the original.

``normalize(text)`` runs a pipeline of stages. Each stage returns *edits* (start, end, replacement)
on its input; the engine applies them and keeps, per stage, where every output character came
from. ``Normalized.to_original(start, end)`` walks those maps back, so a detector that finds a
span in the normalised text can point at the right characters of the original.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypedDict

from suho.errors import SuhoInputError

Edit = tuple[int, int, str]
StageFn = Callable[[str], list[Edit]]


class Change(TypedDict):
    """One change a stage made: ``before`` (as the stage saw it) -> ``after``; ``start``/``end``
    locate it in the original text."""

    start: int
    end: int
    before: str
    after: str


class TraceStep(TypedDict):
    """What one stage changed."""

    stage: str
    changes: list[Change]


class _SpanMap:
    """Where the characters of a stage's output came from in its input."""

    __slots__ = ("ie", "ins", "oe", "os")

    def __init__(self, os: list[int], oe: list[int], ins: list[int], ie: list[int]) -> None:
        self.os, self.oe, self.ins, self.ie = os, oe, ins, ie

    def start(self, p: int) -> int:
        k = bisect_right(self.os, p) - 1
        if k < 0:
            return p
        if p < self.oe[k]:
            return self.ins[k]
        return p - self.oe[k] + self.ie[k]

    def end(self, e: int) -> int:
        """Input end (exclusive) of an output span ending (exclusive) at ``e`` > 0."""
        p = e - 1
        k = bisect_right(self.os, p) - 1
        if k >= 0 and p < self.oe[k]:
            return self.ie[k]
        return self.start(p) + 1

    def span(self, s: int, e: int) -> tuple[int, int]:
        if s >= e:
            m = self.start(s)
            return m, m
        return self.start(s), self.end(e)


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, _SpanMap]:
    """Apply sorted, non-overlapping edits; returns the new text and its span map."""
    pieces: list[str] = []
    os: list[int] = []
    oe: list[int] = []
    ins: list[int] = []
    ie: list[int] = []
    pos = 0
    out = 0
    for s, e, rep in edits:
        if s < pos or e < s:
            raise ValueError(f"overlapping or unsorted edit ({s}, {e}) after {pos}")
        pieces.append(text[pos:s])
        out += s - pos
        os.append(out)
        pieces.append(rep)
        out += len(rep)
        oe.append(out)
        ins.append(s)
        ie.append(e)
        pos = e
    pieces.append(text[pos:])
    return "".join(pieces), _SpanMap(os, oe, ins, ie)


@dataclass(frozen=True, slots=True)
class _StageRecord:
    name: str
    changes: list[tuple[int, int, str, str]]  # in the stage's input coordinates
    maps_before: int  # how many stage maps precede this stage


@dataclass(eq=False)
class Normalized:
    """The result of :func:`normalize`.

    Attributes:
        text: the normalised text.
        original: the text as given.
        trace: for each stage that changed something, ``{"stage", "changes"}``; each change has
            ``before``/``after`` and its ``start``/``end`` in the original text (computed on
            first access).
    """

    text: str
    original: str
    _records: tuple[_StageRecord, ...] = field(default=(), repr=False)
    _maps: tuple[_SpanMap, ...] = field(default=(), repr=False)
    _trace: list[TraceStep] | None = field(default=None, repr=False)

    @property
    def trace(self) -> list[TraceStep]:
        if self._trace is None:
            out: list[TraceStep] = []
            for rec in self._records:
                changes: list[Change] = []
                for s, e, before, after in rec.changes:
                    for m in reversed(self._maps[: rec.maps_before]):
                        s, e = m.span(s, e)
                    changes.append({"start": s, "end": e, "before": before, "after": after})
                out.append({"stage": rec.name, "changes": changes})
            self._trace = out
        return self._trace

    @property
    def changed(self) -> bool:
        """True when any stage changed the text."""
        return self.text != self.original

    @property
    def stages(self) -> list[str]:
        """Names of the stages that changed something, in order."""
        return [r.name for r in self._records]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``text[start:end]`` came from.

        Raises:
            ValueError: when the span is not inside the normalised text.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(
                f"span ({start}, {end}) is outside the normalised text (length {len(self.text)})"
            )
        s, e = start, end
        for m in reversed(self._maps):
            s, e = m.span(s, e)
        return s, e

    def to_dict(self, *, trace: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {"normalized": self.text}
        if trace:
            d["trace"] = self.trace
        return d


@cache
def _stage_fns() -> dict[str, StageFn]:
    from suho.korean import _stages

    return {
        "unicode": _stages.unicode_stage,
        "lookalike": _stages.lookalike_stage,
        "hanja": _stages.hanja_stage,
        "jamo": _stages.jamo_stage,
        "choseong": _stages.choseong_stage,
        "spacing": _stages.spacing_stage,
        "qwerty": _stages.qwerty_stage,
        "roman": _stages.roman_stage,
        "yamin": _stages.yamin_stage,
        "numerals": _stages.numerals_stage,
    }


#: Every stage, in the order they run.
STAGES: tuple[str, ...] = (
    "unicode",
    "lookalike",
    "hanja",
    "jamo",
    "choseong",
    "spacing",
    "qwerty",
    "roman",
    "yamin",
    "numerals",
    "morph",
)
#: The stages ``normalize`` runs by default: all but ``morph`` (which needs kiwipiepy).
DEFAULT_STAGES: tuple[str, ...] = STAGES[:-1]

STAGE_HELP: dict[str, str] = {
    "unicode": "invisible characters, Hangul fillers, bidi controls, odd spaces, fullwidth and styled letters, NFD jamo",
    "lookalike": "Cyrillic/Greek letters inside Latin words; Latin/kana/CJK look-alikes inside Korean jamo (ㅁr약)",
    "hanja": "Hanja spellings of glossary terms (麻藥 -> 마약) in Korean text",
    "jamo": "split jamo recomposed where they form real syllables (ㅍㅗㄱㅂㅏㄹㅁㅜㄹ -> 폭발물); ㅋㅋ, ㅠㅠ stay",
    "choseong": "initial-consonant spellings of glossary terms (ㅍㅂㅁ -> 폭발물)",
    "spacing": "syllable-by-syllable spaced words joined (마 약 구 매 -> 마약구매)",
    "qwerty": "Korean typed on a QWERTY layout with the IME off (vhrqkfanf -> 폭발물)",
    "roman": "romanised glossary terms (pokbalmul -> 폭발물)",
    "yamin": "야민정음 look-alike spellings (댕댕이 -> 멍멍이, 머리 stays)",
    "numerals": "Hangul digits (공일공 -> 010)",
    "morph": "kiwipiepy: re-space long unspaced runs and join spaced words it reads as one (optional)",
}


def _resolve(stages: Iterable[str] | None, morph: bool) -> list[str]:
    if stages is None:
        return list(STAGES) if morph else list(DEFAULT_STAGES)
    else:
        chosen = set()
        for s in stages:
            s = s.strip()
            if not s:
                continue
            if s not in STAGES:
                raise SuhoInputError(f"unknown normaliser stage {s!r}; known: {', '.join(STAGES)}")
            chosen.add(s)
    if morph:
        chosen.add("morph")
    return [s for s in STAGES if s in chosen]


def _merge(edits: list[Edit], text: str) -> list[tuple[int, int, str, str]]:
    """Adjacent edits merged, for a readable trace: (start, end, before, after)."""
    out: list[tuple[int, int, str, str]] = []
    for s, e, rep in edits:
        if out and out[-1][1] == s:
            ps, _pe, pb, pa = out[-1]
            out[-1] = (ps, e, pb + text[s:e], pa + rep)
        else:
            out.append((s, e, text[s:e], rep))
    return out


def normalize(text: str, *, stages: Iterable[str] | None = None, morph: bool = False) -> Normalized:
    """Undo obfuscation in ``text``; benign text comes back unchanged.

    Args:
        stages: names of the stages to run (see :data:`STAGES`); ``None`` runs
            :data:`DEFAULT_STAGES`. Stages always run in the canonical order.
        morph: also run the ``morph`` stage (needs the ``morph`` extra: kiwipiepy).

    Raises:
        SuhoInputError: for an unknown stage, or ``morph`` without kiwipiepy installed.
    """
    names = _resolve(stages, morph)
    fns = _stage_fns()
    maps: list[_SpanMap] = []
    records: list[_StageRecord] = []
    cur = text
    for name in names:
        if name == "morph":
            from suho.korean._morph import morph_stage

            edits = morph_stage(cur)
        elif name == "spacing" and "morph" in names:
            from suho.korean._morph import respace
            from suho.korean._stages import spacing_stage

            edits = spacing_stage(cur, respace)
        else:
            edits = fns[name](cur)
        edits = [ed for ed in edits if cur[ed[0] : ed[1]] != ed[2]]
        if not edits:
            continue
        new, smap = apply_edits(cur, edits)
        records.append(_StageRecord(name, _merge(edits, cur), len(maps)))
        maps.append(smap)
        cur = new
    return Normalized(text=cur, original=text, _records=tuple(records), _maps=tuple(maps))
