"""Scripted models for the multi-turn attack tests: a target, an attacker and a judge that follow
a script as a function of what they are asked (so a resumed run gets the same answers), and
record every conversation they were sent. Usable in-process (``ScriptedTarget(...)``) and as the
``atk:`` target provider through a dist-info written at test time (``install``), so the real CLI
and engine find them as entry points, exactly like a third party's.

Specs (``atk:MODEL``):
- ``atk:givein-N``: a target that answers with general background until the conversation holds N
  user messages, then complies (a scripted compliance that carries no detail);
- ``atk:never``: a target that always answers with general background, never complying;
- ``atk:refuse-bad``: refuses any message containing ``bad``, otherwise like ``givein-3``;
- ``atk:refuse-all``: always refuses;
- ``atk:refuseuntil-N``: refuses until the conversation holds N user messages, then complies;
- ``atk:attacker``: writes ``question N`` for turn N (``bad question N`` at the turn named by
  ``SUHO_TEST_BAD_TURN``, ``soft question N`` after a backtrack); for PAIR/TAP a JSON prompt, and
  ``tell me about cats`` for the variations named off-topic (``Variation 2``);
- ``atk:judge``: rates compliance 9, background 3, a refusal 1; answers NO to the on-topic
  question for prompts about cats;
- ``atk:fail``: every request fails with a server error.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suho.targets import (
    ChatResult,
    ErrorKind,
    GenParams,
    Message,
    TargetError,
    TargetOptions,
    TargetSpec,
)

COMPLY = "Sure, here is the outline you asked for: step one, step two. (scripted, no detail)"
BACKGROUND = "Here is some general background on the topic, nothing specific."
REFUSAL = "I'm sorry, but I can't help with that request."

_TURN = re.compile(r"Turn (\d+) of \d+|(\d+)턴 중 (\d+)번째")


def _turn_of(text: str) -> int:
    m = _TURN.search(text)
    if not m:
        return 1
    return int(m.group(1) or m.group(3))


class ScriptedTarget:
    """A Target-protocol object that answers by script (see the module docstring)."""

    def __init__(self, spec: TargetSpec | str, options: TargetOptions | None = None) -> None:
        self.spec = spec if isinstance(spec, TargetSpec) else TargetSpec.parse(spec)
        self.sent: list[list[Message]] = []

    @property
    def model(self) -> str:
        return self.spec.model

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        msgs = list(messages)
        self.sent.append(msgs)
        text = self.answer(msgs)
        return ChatResult(text=text, finish_reason="stop", prompt_tokens=7, completion_tokens=5)

    def answer(self, msgs: list[Message]) -> str:
        model = self.model
        last = msgs[-1].content if msgs else ""
        users = sum(1 for m in msgs if m.role == "user")
        if model == "fail":
            raise TargetError(ErrorKind.SERVER_ERROR, "scripted failure", status=500)
        if model == "refuse-all":
            return REFUSAL
        if model == "never":
            return BACKGROUND
        if model == "refuse-bad":
            if "bad" in last:
                return REFUSAL
            return COMPLY if users >= 3 else BACKGROUND
        if model.startswith("refuseuntil-"):
            return COMPLY if users >= int(model.removeprefix("refuseuntil-")) else REFUSAL
        if model.startswith("givein-"):
            return COMPLY if users >= int(model.removeprefix("givein-")) else BACKGROUND
        if model == "attacker":
            return self._attacker(msgs)
        if model == "judge":
            return self._judge(last)
        raise AssertionError(f"unknown scripted model {model!r}")

    @staticmethod
    def _attacker(msgs: list[Message]) -> str:
        system = msgs[0].content if msgs and msgs[0].role == "system" else ""
        last = msgs[-1].content
        if '"prompt"' in system:  # PAIR / TAP: a JSON answer
            n = sum(1 for m in msgs if m.role == "assistant") + 1
            if "Variation 2" in last or "변형 2" in last:
                return json.dumps({"improvement": "drift", "prompt": f"tell me about cats {n}"})
            tag = "v1 " if "Variation 1" in last or "변형 1" in last else ""
            return "Sure! " + json.dumps(
                {"improvement": "more direct", "prompt": f"{tag}refined prompt {n}"}
            )
        turn = _turn_of(last)
        if "removed from the conversation" in last or "대화에서 지워졌습니다" in last:
            return f"soft question {turn}"
        if str(turn) == os.environ.get("SUHO_TEST_BAD_TURN", ""):
            return f"bad question {turn}"
        return f"Next message: question {turn}"

    @staticmethod
    def _judge(last: str) -> str:
        if "Candidate prompt" in last or "후보 프롬프트" in last:
            return "NO" if "cats" in last else "YES, it does."
        answer = last.split("The system's answer:", 1)[-1].split("시스템의 답:", 1)[-1]
        if "Sure, here is" in answer or "네, 요청하신" in answer:
            return "Rating: 9"
        if "I'm sorry" in answer or "죄송하지만" in answer:
            return "Rating: [[1]]"
        return "점수: 3/10"

    async def preflight(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"provider": "atk", "model": self.model}

    def secrets(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        return None


ENTRY_POINTS = """\
[suho.targets]
atk = attacks_testkit:ScriptedTarget
"""


def install(where: Path) -> Path:
    """Write a dist-info registering the ``atk`` target provider under ``where``."""
    info = where / "suho_attacks_testkit-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: suho-attacks-testkit\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return where
