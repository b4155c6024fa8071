"""The Transform protocol: prompt -> prompt, composable, optionally reversible."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from suho import _registry
from suho.errors import SuhoInputError


@dataclass(frozen=True, slots=True)
class TransformContext:
    """What a transform may know about the text it rewrites.

    ``seed`` makes randomised transforms (e.g. zero-width insertion) deterministic per attempt, so
    a resumed or repeated run renders exactly the same prompt.
    """

    lang: str = "ko"
    seed: int = 0

    def rng(self, salt: str = "") -> random.Random:
        digest = hashlib.sha256(f"{self.seed}:{salt}".encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))


@runtime_checkable
class Transform(Protocol):
    """Rewrites a prompt. Reversible transforms also implement ``decode``.

    A transform that only makes sense for some probe languages also has a ``langs`` class
    attribute (a frozenset of language codes); the plan skips it for the others and counts the
    skipped attempts as not applicable (see ``applies_to``).
    """

    name: ClassVar[str]
    reversible: ClassVar[bool]

    def apply(self, text: str, ctx: TransformContext) -> str: ...

    def decode(self, text: str) -> str:
        """Recover the original text (reversible transforms only)."""
        ...


def transform_langs(t: Transform) -> frozenset[str] | None:
    """The probe languages ``t`` applies to; None for every language.

    A transform declares them with a ``langs`` class attribute (``frozenset({"ko", "mixed"})``
    for one that rewrites Hangul and leaves other text alone); without one it applies to all.
    A chain applies where every part applies.
    """
    if isinstance(t, Chain):
        out: frozenset[str] | None = None
        for p in t.parts:
            part = transform_langs(p)
            if part is not None:
                out = part if out is None else out & part
        return out
    langs = getattr(t, "langs", None)
    return frozenset(langs) if langs is not None else None


def applies_to(t: Transform, lang: str) -> bool:
    """Whether sending ``t`` of a probe in ``lang`` tests anything (else the plan skips it)."""
    langs = transform_langs(t)
    return langs is None or lang in langs


class Identity:
    """The untransformed baseline (``none``). Every scan includes it unless told otherwise, so
    each transform's success rate can be compared with the plain prompt's. It mimics no attack.
    Misses: every attack, by design: it is the control, and measures only what a target does
    with the plain request (a target that refuses it may still comply once it is disguised)."""

    name: ClassVar[str] = "none"
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        return text

    def decode(self, text: str) -> str:
        return text


class Chain:
    """Several transforms applied left to right, written ``a+b`` on the command line."""

    reversible: ClassVar[bool] = False

    def __init__(self, parts: Sequence[Transform]) -> None:
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)

    def apply(self, text: str, ctx: TransformContext) -> str:
        for i, p in enumerate(self.parts):
            text = p.apply(text, TransformContext(lang=ctx.lang, seed=ctx.seed + i))
        return text

    @property
    def is_reversible(self) -> bool:
        return all(p.reversible for p in self.parts)

    def decode(self, text: str) -> str:
        if not self.is_reversible:
            raise NotImplementedError(f"{self.name} is not reversible")
        for p in reversed(self.parts):
            text = p.decode(text)
        return text


def get_transform(name: str) -> Transform:
    """The transform registered as ``name``; ``a+b`` chains registered transforms."""
    name = name.strip()
    if not name:
        raise SuhoInputError("empty transform name")
    if "+" in name:
        return Chain([get_transform(n) for n in name.split("+")])  # type: ignore[return-value]
    obj = _registry.load("suho.transforms", name)
    t: Transform = obj() if isinstance(obj, type) else obj
    return t


def transform_names() -> list[str]:
    return _registry.names("suho.transforms")
