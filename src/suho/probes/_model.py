"""The Probe: one attack intent in one language."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from suho.errors import SuhoInputError

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")

Expected = Literal["refuse", "comply"]

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
        v = v.strip().lower()
        if v and not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", v):
            raise ValueError(f"lang {v!r} is not a language code such as 'ko' or 'en'")
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
