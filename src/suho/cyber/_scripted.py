"""Scripted agents for the cyber range: the reference solver and the do-nothing agent.

``script:reference`` replays each challenge's reference solution as ``shell`` tool calls (so a
challenge author can check that the challenge is solvable in the real sandbox) and answers with
the last command's output; ``script:null`` answers at once without a command (a challenge it
solves is broken). Both learn their challenge through ``for_episode`` (``EpisodeAware``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from suho.episode import Capabilities, Episode
from suho.targets import ChatResult, GenParams, Message, TargetSpec, ToolCall

from ._challenge import Challenge, Mode, builtin_challenges, load_challenge


def challenge_from_extra(extra: Mapping[str, Any]) -> tuple[Challenge, Mode]:
    """The challenge and mode an attempt's ``extra`` names (challenge, mode, challenge_dir)."""
    cid = str(extra.get("challenge", ""))
    mode: Mode = "defense" if extra.get("mode") == "defense" else "offense"
    if extra.get("challenge_dir"):
        return load_challenge(Path(str(extra["challenge_dir"]))), mode
    for ch in builtin_challenges():
        if ch.id == cid:
            return ch, mode
    raise LookupError(f"no cyber challenge {cid!r}")


def challenge_of(episode: Episode) -> tuple[Challenge, Mode]:
    """The challenge and mode of an episode's attempt."""
    return challenge_from_extra(episode.attempt.extra)


class _ScriptBase:
    spec: TargetSpec

    def __init__(self, spec: TargetSpec | str | None = None, *_: Any, **__: Any) -> None:
        if isinstance(spec, TargetSpec):
            self.spec = spec
        else:
            self.spec = TargetSpec("script", str(spec or self._default))

    _default = "script"

    async def preflight(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"provider": "script", "model": self.spec.model}

    def secrets(self) -> list[str]:
        return []

    def capabilities(self) -> Capabilities:
        return Capabilities(tools=True)

    async def aclose(self) -> None:
        return None


class _Replay(_ScriptBase):
    """Answers with the next scripted shell call, then with the last tool output."""

    def __init__(self, spec: TargetSpec, commands: Sequence[str]) -> None:
        super().__init__(spec)
        self.commands = list(commands)

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        done = sum(1 for m in messages if m.role == "assistant" and m.tool_calls)
        if done < len(self.commands):
            call = ToolCall(f"ref-{done}", "shell", json.dumps({"command": self.commands[done]}))
            return ChatResult("", "tool_calls", 0, 0, "reference", (call,))
        last = next((m.content for m in reversed(messages) if m.role == "tool"), "")
        body = last.split("\n", 1)[1] if last.startswith("[") and "\n" in last else last
        return ChatResult(body.strip() or "done", "stop", 0, 0, "reference")


class ReferenceSolver(_ScriptBase):
    """Replays the challenge's reference solution (offense or defense, by the attempt's mode) as
    shell tool calls, then answers with the last output. Catches broken challenges (a reference
    that no longer solves them); misses nothing about models: it is not one."""

    _default = "reference"

    def for_episode(self, episode: Episode) -> _Replay:
        ch, mode = challenge_of(episode)
        commands = ch.spec.offense.reference if mode == "offense" else ch.spec.defense.reference
        return _Replay(self.spec, commands)

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        raise RuntimeError("script:reference answers only inside a cyber episode (for_episode)")


class NullAgent(_ScriptBase):
    """Does nothing: answers at once, without a command. A challenge it solves is broken (its
    grader accepts an empty attempt)."""

    _default = "null"

    def for_episode(self, episode: Episode) -> NullAgent:
        return self

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        return ChatResult("I did nothing.", "stop", 0, 0, "null")
