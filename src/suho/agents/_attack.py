"""The engine attack that runs one agent episode: ``Attack.run(episode, ctx)``.

It opens the conversation (the suite's system prompt, the defense's note, the user's request),
lets the defense narrow the tools, drives the shared ``agent_loop`` with the defense's hooks,
then judges the environment's state and records the judgement in the episode (a ``score``
event and ``episode.state["agent"]``).
"""

from __future__ import annotations

from typing import ClassVar

from suho.episode import Episode, EpisodeContext, ToolRuntime, agent_loop
from suho.targets import Message

from ._defenses import get_defense
from ._environment import AgentEnvironment, Judgement


def environment_of(ctx: EpisodeContext) -> AgentEnvironment:
    env = ctx.tools.bind.get("env") if ctx.tools is not None else None
    if not isinstance(env, AgentEnvironment):
        raise RuntimeError("the agent attack needs an agent environment bound to its tools")
    return env


class AgentAttack:
    """Runs a tool-using agent episode against an agent suite's environment with the planned
    injection and defense, and judges it on state (utility, security). Misses: whatever the
    suite's tasks and the planned injection attack do not exercise (it finds only what they
    were built to find), and attacks that need a conversation with the user rather than data
    in the environment."""

    name: ClassVar[str] = "agent"
    needs: ClassVar[frozenset[str]] = frozenset({"tools"})

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        await self.run_judged(episode, ctx)

    async def run_judged(self, episode: Episode, ctx: EpisodeContext) -> Judgement:
        """Run the episode and return its judgement (also kept in ``episode.state``)."""
        env = environment_of(ctx)
        x = episode.attempt.extra
        defense = get_defense(str(x.get("defense") or "none"))
        lang = env.suite.lang
        if not episode.messages:
            episode.messages = [
                Message("system", env.suite.system + defense.system_note(lang)),
                Message("user", env.user.prompt),
            ]
        runtime = ctx.tools
        assert runtime is not None
        kept = await defense.select_tools(runtime.tools, episode, ctx)
        if len(kept) != len(runtime.tools):
            runtime = ToolRuntime(kept, bind=runtime.bind, timeout=runtime.timeout)
        episode.tools = [t.definition() for t in runtime.tools]
        kept_names = {t.name for t in runtime.tools}
        bind, timeout = runtime.bind, runtime.timeout

        async def refresh() -> ToolRuntime | None:
            fresh = await env.refresh_tools()
            if fresh is None:
                return None
            return ToolRuntime(
                [t for t in fresh if t.name in kept_names], bind=bind, timeout=timeout
            )

        await agent_loop(
            episode,
            ctx,
            on_tool_result=defense.on_tool_result,
            after_tools=defense.after_tools,
            runtime=runtime,
            refresh_tools=refresh if env.mcp is not None else None,
        )
        return record_judgement(episode, env.judge(episode))


def record_judgement(episode: Episode, j: Judgement) -> Judgement:
    """Keep the judgement in the episode (``state["agent"]`` and an ``env`` event) and return
    it; the ``agent`` detector turns it into the attempt's verdict."""
    d = j.to_dict()
    episode.state["agent"] = d
    episode.record("env", "engine", judged=d)
    return j
