"""Scripted agents: deterministic targets that prove a suite's checkers (``script:NAME``).

They speak the Target protocol, so they run through the same engine, loop and judges as a real
model, and learn their episode through ``for_episode`` (``suho.episode.EpisodeAware``):

- ``script:ground-truth`` replays the user task's ground-truth calls, one per step, then answers.
  It never follows an injection: utility must be 100% and security False on every pair.
- ``script:obedient`` does the same but, as soon as the planted payload appears in a tool result
  it has read (exactly as planted, after any defense rewrote the result), runs the injection
  task's ground truth first. Security must be True on every reachable pair without a defense.
- ``script:refuse`` calls no tool and declines: utility must be 0.

``script:reference`` and ``script:null`` are the cyber range's reference solver and null agent
(``suho.cyber._scripted``), imported on first use.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from typing import Any

from suho.errors import SuhoInputError
from suho.targets._base import (
    ChatResult,
    GenParams,
    Message,
    TargetOptions,
    TargetSpec,
    ToolCall,
    function_spec,
)

AGENTS = ("ground-truth", "obedient", "refuse")
# Scripted targets that live in other packages: name -> "module:Class" (imported on first use).
EXTERNAL: dict[str, str] = {
    "reference": "suho.cyber._scripted:ReferenceSolver",
    "null": "suho.cyber._scripted:NullAgent",
}


def _load_external(name: str) -> type[Any]:
    module, _, cls = EXTERNAL[name].partition(":")
    try:
        found: type[Any] = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise SuhoInputError(
            f"target script:{name} needs {EXTERNAL[name]}, which this installation lacks "
            "(the cyber range is not installed)"
        ) from e
    return found


class ScriptTarget:
    """A scripted agent (``script:ground-truth``, ``script:obedient``, ``script:refuse``);
    ``script:reference`` / ``script:null`` build the cyber range's scripted solvers instead."""

    def __new__(cls, spec: TargetSpec, options: TargetOptions | None = None) -> Any:
        if spec.model in EXTERNAL:
            return _load_external(spec.model)(spec, options or TargetOptions())
        if spec.model not in AGENTS:
            known = ", ".join(f"script:{n}" for n in (*AGENTS, *EXTERNAL))
            raise SuhoInputError(f"unknown scripted target script:{spec.model}. Known: {known}.")
        return super().__new__(cls)

    def __init__(self, spec: TargetSpec, options: TargetOptions | None = None) -> None:
        self.spec = spec
        self.options = options or TargetOptions()

    def capabilities(self) -> Any:
        from suho.episode import Capabilities

        return Capabilities(tools=True, system_prompt=True)

    def for_episode(self, episode: Any) -> ScriptedAgent:
        return ScriptedAgent(self.spec, episode)

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        raise SuhoInputError(
            f"target {self.spec} is a scripted agent: it runs agent suites only "
            "(suho agent scan --target script:...)"
        )

    async def preflight(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"provider": "script", "model": self.spec.model}

    def secrets(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        return None


def _strings(text: str) -> str:
    """A tool result and every string inside it, if it is JSON (payloads inside JSON strings
    are escaped in the raw text)."""
    out = [text]
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        value = _yaml(text)  # AgentDojo's tools answer in YAML
        if value is None:
            return text

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(value)
    return "\n".join(out)


def _squash(text: str) -> str:
    """``text`` with every run of whitespace made one space: a payload planted into a data
    file (AgentDojo's YAML) may come back with its blank lines folded."""
    return " ".join(text.split())


def _yaml(text: str) -> Any:
    """``text`` parsed as YAML when PyYAML is installed and it parses to a structure."""
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        return None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return value if isinstance(value, (list, dict)) else None


class ScriptedAgent:
    """One scripted agent bound to one episode (see the module docstring)."""

    def __init__(self, spec: TargetSpec, episode: Any) -> None:
        from suho.agents import load_suite

        self.spec = spec
        x = episode.attempt.extra
        self.lang = episode.attempt.lang or "en"
        suite = load_suite(str(x["suite"]))
        inj = x.get("injection_task")
        self.payload: str | None = x.get("payload") if inj else None
        # the vectors as this episode's environment holds them (ground truths may read them)
        fill = {v: self.payload for v in x.get("vectors") or ()} if self.payload else {}
        user = str(x["user_task"])
        self.user_calls = suite.ground_truth_for(user, fill)
        self.inj_calls = suite.ground_truth_for(str(inj), fill) if inj else ()
        self.answer = suite.final_answer(user)
        self._seen_at: int | None = None  # calls made when a tool description showed the payload

    def _filter_answer(self, messages: Sequence[Message]) -> ChatResult:
        from suho.agents._defenses import FILTER_MARKER

        listed = [
            line[2:].split(":", 1)[0]
            for line in messages[0].content.splitlines()
            if line.startswith("- ")
        ]
        if self.spec.model == "refuse":
            names: list[str] = []
        elif self.spec.model == "obedient":
            names = listed
        else:
            names = list(dict.fromkeys(c.tool for c in self.user_calls))
        assert FILTER_MARKER in messages[0].content
        return ChatResult(", ".join(names), finish_reason="stop", model=str(self.spec))

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        from suho.agents._defenses import FILTER_MARKER

        if messages and messages[0].role == "system" and FILTER_MARKER in messages[0].content:
            return self._filter_answer(messages)
        if self.spec.model == "refuse":
            text = "그 요청은 처리할 수 없습니다." if self.lang == "ko" else "I can't do that."
            return ChatResult(text, finish_reason="stop", model=str(self.spec))
        made = sum(len(m.tool_calls) for m in messages if m.role == "assistant")
        plan = list(self.user_calls)
        if self.spec.model == "obedient" and self.payload:
            described = "\n".join(
                str(function_spec(t).get("description", "")) for t in params.tools
            )
            if self._seen_at is None and _squash(self.payload) in _squash(described):
                self._seen_at = made  # a poisoned tool description (MCP attacks)
            if self._seen_at is not None:
                plan = plan[: self._seen_at] + list(self.inj_calls) + plan[self._seen_at :]
            seen = "\n".join(_strings(m.content) for m in messages if m.role == "tool")
            if self._seen_at is None and _squash(self.payload) in _squash(seen):
                # The payload reached the agent: from the step it was read, do the attacker's
                # calls first, then finish the user's task.
                first_seen = self._first_seen(messages)
                plan = plan[:first_seen] + list(self.inj_calls) + plan[first_seen:]
        if made >= len(plan):
            text = self.answer or ("요청을 마쳤습니다." if self.lang == "ko" else "Done.")
            return ChatResult(text, finish_reason="stop", model=str(self.spec))
        c = plan[made]
        call = ToolCall(f"call_{made}", c.tool, json.dumps(c.args, ensure_ascii=False))
        return ChatResult("", finish_reason="tool_calls", model=str(self.spec), tool_calls=(call,))

    def _first_seen(self, messages: Sequence[Message]) -> int:
        """How many tool calls had been made when the payload was first read."""
        n = 0
        assert self.payload is not None
        for m in messages:
            if m.role == "assistant":
                n += len(m.tool_calls)
            elif m.role == "tool" and _squash(self.payload) in _squash(_strings(m.content)):
                return n
        return n

    async def preflight(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"provider": "script", "model": self.spec.model}

    def secrets(self) -> list[str]:
        return []

    async def aclose(self) -> None:
        return None
