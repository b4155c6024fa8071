"""Running agent episodes in-process, without the store: for tests, suite authors and the
scripted-agent checks. The engine (``suho agent scan``) runs the same attack and environment
with its retries, rate limits, persistence and resume.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from suho.detectors import Verdict
from suho.episode import Attempt, Budget, Episode, EpisodeAware, ModelRole, ToolRuntime
from suho.targets import ChatResult, GenParams, Message, Target

from ._attack import AgentAttack
from ._environment import Judgement, environment_for

DEFAULT_MAX_STEPS = 20


@dataclass(slots=True)
class _TargetRole:
    """A ``ModelRole`` over a target: counts steps against the budget, records model calls."""

    target: Any
    episode: Episode
    role: str = "target"
    spec: str = ""
    calls: int = 0

    async def generate(
        self, messages: Sequence[Message], params: GenParams | None = None
    ) -> ChatResult:
        self.episode.budget.check()
        self.episode.budget.steps += 1
        self.calls += 1
        t0 = time.perf_counter()
        res: ChatResult = await self.target.chat(list(messages), params or GenParams())
        self.episode.budget.tokens += (res.prompt_tokens or 0) + (res.completion_tokens or 0)
        self.episode.record(
            "model_call",
            self.role,
            text=res.text,
            tool_calls=[
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in res.tool_calls
            ],
            finish_reason=res.finish_reason,
            ms=round((time.perf_counter() - t0) * 1000, 2),
        )
        return res


@dataclass(slots=True)
class LocalContext:
    """A minimal ``EpisodeContext``: one target role, the environment's tools, no store."""

    target: ModelRole
    tools: ToolRuntime | None
    params: GenParams = field(default_factory=GenParams)
    options: Mapping[str, Any] = field(default_factory=dict)
    attacker: ModelRole | None = None
    judge: ModelRole | None = None

    async def score(self, text: str | None = None, *, turn: int | None = None) -> list[Verdict]:
        return []

    async def checkpoint(self) -> None:
        return None


async def run_episode(
    attempt: Attempt, target: Target | Any, *, max_steps: int = DEFAULT_MAX_STEPS
) -> tuple[Episode, Judgement]:
    """Set up the attempt's environment, run the agent attack with ``target``, tear down."""
    env = environment_for(attempt)
    if env is None:
        raise ValueError("not an agent attempt (its extra names no suite and user task)")
    episode = Episode(attempt=attempt, budget=Budget(max_steps=max_steps))
    await env.setup(attempt)
    try:
        episode.env_before = env.snapshot()
        agent = target.for_episode(episode) if isinstance(target, EpisodeAware) else target
        role = _TargetRole(agent, episode, spec=str(getattr(target, "spec", "")))
        ctx = LocalContext(role, ToolRuntime(env.tools(), bind={"env": env}))
        judgement = await AgentAttack().run_judged(episode, ctx)
        episode.env = env.snapshot()
    finally:
        await env.teardown()
    return episode, judgement
