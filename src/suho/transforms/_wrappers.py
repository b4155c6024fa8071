"""Jailbreak framings written for suho: role-play, fiction, research, translation task.

Templates live in ``suho/data/transforms/wrappers.json`` (Korean and English variants); a seeded
choice picks one per attempt, in the probe's language.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import ClassVar

from suho.transforms._base import TransformContext


@cache
def templates() -> dict[str, dict[str, list[str]]]:
    """All framings: name -> language -> templates (each has one ``{prompt}``)."""
    raw = (
        resources.files("suho")
        .joinpath("data", "transforms", "wrappers.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, dict[str, list[str]]] = {
        k: v for k, v in json.loads(raw).items() if not k.startswith("_")
    }
    return data


class _Wrapper:
    name: ClassVar[str]
    reversible: ClassVar[bool] = True

    def apply(self, text: str, ctx: TransformContext) -> str:
        lang = "ko" if ctx.lang == "ko" or re.search("[가-힣]", text) else "en"
        tpl = ctx.rng(self.name).choice(templates()[self.name][lang])
        return tpl.replace("{prompt}", text)

    def decode(self, text: str) -> str:
        for variants in templates()[self.name].values():
            for tpl in variants:
                head, _, tail = tpl.partition("{prompt}")
                if (
                    text.startswith(head)
                    and text.endswith(tail)
                    and len(text) >= len(head) + len(tail)
                ):
                    return text[len(head) : len(text) - len(tail)]
        raise ValueError(f"text is not wrapped by the {self.name} framing")


class RolePlay(_Wrapper):
    """Role-play framing: the model is cast as a character without rules (a 'DAN'-style persona,
    a master who hides nothing from an apprentice, a 'developer mode').

    Mimics persona jailbreaks. Misses: multi-turn persona building (a single-turn frame only).
    Reversible: the framing is stripped.
    """

    name: ClassVar[str] = "roleplay"


class Fiction(_Wrapper):
    """Fiction framing: the request as a scene in a thriller, a web novel or a screenplay.

    Mimics creative-writing jailbreaks that ask for harmful detail "for realism". Misses: long
    story set-ups spread over turns. Reversible: the framing is stripped.
    """

    name: ClassVar[str] = "fiction"


class Research(_Wrapper):
    """Research framing: the request as needed for an AI-safety paper, security training or a
    commissioned risk assessment.

    Mimics legitimacy claims (researcher, educator, public-agency contractor). Misses: forged
    credentials or documents. Reversible: the framing is stripped.
    """

    name: ClassVar[str] = "research"


class Translate(_Wrapper):
    """Translation-task framing: translate the request into another language, then answer it.

    Mimics task-smuggling jailbreaks where the harmful request rides inside a benign-looking
    translation job, and cross-lingual ones that move the answer into a language with weaker
    safety training. Misses: real low-resource languages beyond Korean/English/Japanese/French.
    Reversible: the framing is stripped.
    """

    name: ClassVar[str] = "translate"
