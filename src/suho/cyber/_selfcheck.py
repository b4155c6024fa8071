"""``suho cyber check``: a challenge author's check, in the real sandbox, without the engine.

For each challenge and mode: the reference solution must pass and a do-nothing agent must fail.
Set-up problems (a set-up command or a service that fails) raise ``SuhoInputError`` naming the
challenge file, like a load error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from suho.episode import Attempt, Budget, Episode, ToolRuntime
from suho.targets import ChatResult, GenParams, Message

from ._attack import CyberTask
from ._challenge import Challenge, Mode
from ._env import CyberEnvironment
from ._scripted import NullAgent, ReferenceSolver, _Replay


@dataclass(frozen=True, slots=True)
class SelfCheck:
    challenge: str
    mode: str
    reference_passed: bool
    reference_detail: str
    null_passed: bool


class _Role:
    """The target role, minimally: counts steps, records calls (no retries: scripts do not fail)."""

    role = "target"
    spec = "script"

    def __init__(self, agent: object, episode: Episode) -> None:
        self.agent, self.episode, self.calls = agent, episode, 0

    async def generate(
        self, messages: Sequence[Message], params: GenParams | None = None
    ) -> ChatResult:
        self.episode.budget.check()
        self.calls += 1
        self.episode.budget.steps += 1
        r: ChatResult = await self.agent.chat(messages, params or GenParams())  # type: ignore[attr-defined]
        self.episode.record("model_call", "target", text=r.text)
        return r


class _Ctx:
    attacker = None
    judge = None
    options: dict[str, object] = {}  # noqa: RUF012 - read-only, never mutated

    def __init__(self, role: _Role, tools: ToolRuntime) -> None:
        self.target, self.tools, self.params = role, tools, GenParams()

    async def score(self, text: str | None = None, *, turn: int | None = None) -> list[object]:
        return []

    async def checkpoint(self) -> None:
        return None


async def run_scripted(ch: Challenge, mode: Mode, agent: object) -> tuple[bool, str]:
    """Run one task with a scripted agent; (passed, grader detail)."""
    env = CyberEnvironment(ch, mode)
    attempt = Attempt(id=f"check-{ch.id}-{mode}", lang="ko", attack="cyber",
                      extra={"challenge": ch.id, "mode": mode})  # fmt: skip
    episode = Episode(attempt, budget=Budget(max_steps=len(ch.spec.offense.reference) + 12))
    try:
        await env.setup(attempt)
        target: object = agent
        if isinstance(agent, ReferenceSolver):  # the challenge we hold (a user's), not by id
            part = ch.spec.offense if mode == "offense" else ch.spec.defense
            target = _Replay(agent.spec, part.reference)
        elif isinstance(agent, NullAgent):
            target = agent.for_episode(episode)
        ctx = _Ctx(_Role(target, episode), ToolRuntime(env.tools(), bind={"env": env}, timeout=120))
        await CyberTask().run(episode, ctx)  # type: ignore[arg-type]
    finally:
        await env.teardown()
    g = env.grade_result
    return (g.passed, g.detail) if g is not None else (False, "not graded")


async def self_check(challenges: Sequence[Challenge], concurrency: int = 4) -> list[SelfCheck]:
    sem = asyncio.Semaphore(concurrency)

    async def one(ch: Challenge, mode: Mode) -> SelfCheck:
        async with sem:
            ref, detail = await run_scripted(ch, mode, ReferenceSolver())
            null, _ = await run_scripted(ch, mode, NullAgent())
        return SelfCheck(ch.id, mode, ref, detail, null)

    modes: tuple[Mode, Mode] = ("offense", "defense")
    return list(await asyncio.gather(*(one(c, m) for c in challenges for m in modes)))
