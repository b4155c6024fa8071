"""A minimal EpisodeContext for driving cyber episodes in tests without the engine."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from suho.cyber import CyberEnvironment, CyberTask, Grade
from suho.episode import Attempt, Budget, Episode, ToolRuntime
from suho.targets import ChatResult, GenParams, Message


@dataclass
class _Role:
    target: Any
    episode: Episode
    role: str = "target"
    spec: str = "script:test"
    calls: int = 0

    async def generate(
        self, messages: Sequence[Message], params: GenParams | None = None
    ) -> ChatResult:
        self.episode.budget.check()
        self.calls += 1
        self.episode.budget.steps += 1
        r: ChatResult = await self.target.chat(messages, params or GenParams())
        self.episode.record("model_call", "target", text=r.text)
        return r


@dataclass
class Ctx:
    target: _Role
    tools: ToolRuntime | None
    attacker: None = None
    judge: None = None
    params: GenParams = field(default_factory=GenParams)
    options: Mapping[str, Any] = field(default_factory=dict)

    async def score(self, text: str | None = None, *, turn: int | None = None) -> list[Any]:
        return []

    async def checkpoint(self) -> None:
        return None


async def run_task(
    env: CyberEnvironment, agent: Any, *, lang: str = "ko", max_steps: int = 30
) -> tuple[Grade, Episode]:
    """Set up, drive with ``agent`` (a Target, EpisodeAware ones resolved), grade, tear down."""
    attempt = Attempt(
        id="t", lang=lang, attack="cyber", extra={"challenge": env.challenge.id, "mode": env.mode}
    )
    episode = Episode(attempt, budget=Budget(max_steps=max_steps))
    try:
        await env.setup(attempt)
        target = agent.for_episode(episode) if hasattr(agent, "for_episode") else agent
        ctx = Ctx(_Role(target, episode), ToolRuntime(env.tools(), bind={"env": env}, timeout=60))
        await CyberTask().run(episode, ctx)
    finally:
        await env.teardown()
    assert env.grade_result is not None
    return env.grade_result, episode


def run(coro: Any) -> Any:
    return asyncio.run(coro)
