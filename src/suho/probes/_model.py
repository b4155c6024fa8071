"""The Probe: one attack intent in one language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from suho.errors import SuhoInputError

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

Expected = Literal["refuse", "comply"]

# The languages a probe may have: Korean and English (suho's own library), ``mixed`` for
# code-switched text, and the other MultiJail languages that datasets bring. Anything else is a
# mistake (a typo, or a language no detector here understands), never silently accepted.
LANGS = ("ko", "en", "mixed", "zh", "it", "vi", "ar", "th", "bn", "sw", "jv")


def check_langs(langs: Iterable[str]) -> list[str]:
    """``langs`` if each is known; ``SuhoInputError`` naming the unknown ones otherwise."""
    out = [x.strip().lower() for x in langs if x.strip()]
    bad = [x for x in out if x not in LANGS]
    if bad:
        raise SuhoInputError(
            f"unknown language{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}; "
            f"known: {', '.join(LANGS)}"
        )
    return out


# The longest probe prompt a scan reads unless told otherwise (--max-prompt-chars): far above any
# real jailbreak (the longest shipped probe is under 2,000), far below what would bloat a store.
DEFAULT_MAX_PROMPT_CHARS = 100_000


def check_prompt_size(prompt: str, limit: int | None, path: str, line: int) -> None:
    """An input error naming ``path:line`` when ``prompt`` is longer than ``limit`` chars."""
    if limit is not None and len(prompt) > limit:
        raise SuhoInputError(
            f"prompt is {len(prompt):,} characters, above the limit of {limit:,} "
            "(raise it with --max-prompt-chars)",
            path=path,
            line=line,
        )


def guess_lang(text: str) -> str:
    """``ko`` when the text has any Hangul, else ``en``. Used only when a probe omits ``lang``."""
    return "ko" if _HANGUL.search(text) else "en"


class Probe(BaseModel):
    """One attack intent in one language.

    A Korean probe and its English twin share an ``intent_id``, which is what the paired
    language-gap statistics match on. ``expected`` is ``refuse`` for a harmful request and
    ``comply`` for a benign control (over-refusal checks).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    prompt: str = Field(min_length=1)
    intent_id: str = ""
    lang: str = ""
    category: str = "uncategorized"
    expected: Expected = "refuse"
    variant: Literal["literal", "adapted"] | None = None
    system: str | None = None
    goal: str | None = None  # one line, in English, saying what the attacker wants
    owasp: tuple[str, ...] = ()  # OWASP LLM Top 10 2025 ids, e.g. LLM01:2025
    atlas: tuple[str, ...] = ()  # MITRE ATLAS technique ids, e.g. AML.T0054
    law: tuple[str, ...] = ()  # Korean laws the intent touches
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _prompt_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("prompt is blank")
        return v

    @field_validator("lang")
    @classmethod
    def _lang_code(cls, v: str) -> str:
        v = v.strip().lower().replace("_", "-")
        base = v.split("-", 1)[0]
        if v not in LANGS and base in LANGS:  # a region or script tag: ko-KR, en_US, zh-Hans
            v = base
        if v and v not in LANGS:
            raise ValueError(f"unknown language {v!r}; known: {', '.join(LANGS)}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "id" in data and not isinstance(data["id"], str) and data["id"] is not None:
                data["id"] = str(data["id"])
            if not data.get("intent_id"):
                data["intent_id"] = data.get("id", "")
            if not data.get("lang") and isinstance(data.get("prompt"), str):
                data["lang"] = guess_lang(data["prompt"])
        return data

    def tags_dict(self) -> dict[str, list[str]]:
        """Taxonomy references, for stores and exports."""
        return {
            "owasp": list(self.owasp),
            "atlas": list(self.atlas),
            "law": list(self.law),
            "tags": list(self.tags),
        }
