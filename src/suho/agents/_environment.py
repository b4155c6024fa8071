"""The per-attempt environment hook of an agent episode, and its judgement.

``AgentEnvironment`` is what the engine sets up before the attack runs: the suite's state with
the payload planted in the vectors the user task reaches (or the defaults for a benign
episode). Its tools are bound to that state. ``judge()`` compares the state before and after:
utility (the user's task happened), security (the attacker's goal happened) and blast radius.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from suho.episode import Attempt, Episode, Tool

from ._state import AgentState, BlastRadius, Effect, all_hold, new_effects
from ._suite import InjectionTask, Suite, UserTask, _environment_tools, load_suite


@dataclass(frozen=True, slots=True)
class Judgement:
    """What an agent episode did, judged on state only."""

    utility: bool
    security: bool | None  # None for a benign episode (no injection)
    blast: BlastRadius
    effects: tuple[Effect, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "utility": self.utility,
            "security": self.security,
            "blast_radius": self.blast.to_dict(),
            "effects": [e.model_dump() for e in self.effects],
        }


def _on_state(t: Tool) -> Tool:
    """The same tool, called with the environment's current state as ``env``."""
    fn: Callable[..., Any] = t.fn

    def call(env: Any, **kwargs: Any) -> Any:
        state = env.state if isinstance(env, AgentEnvironment) else env
        return fn(env=state, **kwargs)

    return replace(t, fn=call)


@cache
def _state_tools(environment: str) -> tuple[Tool, ...]:
    """An environment kind's tools as ``_on_state`` wraps them: the same for every episode (the
    state comes with each call), so wrapped once per process."""
    return tuple(_on_state(t) for t in _environment_tools(environment))


class AgentEnvironment:
    """An agent suite's world for one attempt (implements ``suho.episode.Environment``).

    The attempt's ``extra`` names ``suite``, ``user_task`` and, for an attacked episode,
    ``injection_task``, ``payload`` and ``vectors`` (decided when the run was planned).
    """

    def __init__(self, attempt: Attempt, suite: Suite | None = None) -> None:
        x = attempt.extra
        self.attempt = attempt
        self.suite = suite or load_suite(str(x["suite"]))
        self.user: UserTask = self.suite.user_task(str(x["user_task"]))
        inj = x.get("injection_task")
        self.injection: InjectionTask | None = self.suite.injection_task(str(inj)) if inj else None
        self.payload: str | None = x.get("payload") if inj else None
        self.vectors: tuple[str, ...] = tuple(x.get("vectors") or ())
        self.pre: AgentState | None = None
        self.state: AgentState | None = None
        self._tools: Sequence[Tool] = ()
        self.mcp: Any = None  # the MCP toolset of an MCP attack (suho.agents._mcp.McpToolset)

    async def setup(self, attempt: Attempt) -> None:
        fill: Mapping[str, str] = {}
        if self.payload is not None:
            fill = {v: self.payload for v in self.vectors}
        self.pre, self.state = self.suite.build_states(fill)
        channel = self.attempt.extra.get("mcp") if self.injection is not None else None
        if channel:
            from ._mcp import McpToolset

            self.mcp = McpToolset(
                self.suite.tools(),
                lambda: self.state,
                str(channel),
                str(self.attempt.extra.get("payload") or ""),
                str(self.attempt.extra.get("mcp_tool") or ""),
            )
            await self.mcp.start()
            self._tools = self.mcp.tools()
        else:
            self._tools = _state_tools(self.suite.environment)

    def tools(self) -> Sequence[Tool]:
        return self._tools

    def snapshot(self) -> Any:
        return None if self.state is None else self.state.model_dump(mode="json")

    async def teardown(self) -> None:
        self._tools = ()
        if self.mcp is not None:
            mcp, self.mcp = self.mcp, None
            await mcp.close()

    async def refresh_tools(self) -> Sequence[Tool] | None:
        """The tools as their MCP servers list them now (None: not an MCP episode)."""
        if self.mcp is None:
            return None
        self._tools = await self.mcp.relist()
        return self._tools

    def judge(self, episode: Episode | None = None) -> Judgement:
        """Utility, security and blast radius of what happened so far (on state only; the
        episode is there for environments whose checks also read the answer or the calls)."""
        if self.pre is None or self.state is None:
            raise RuntimeError("the environment was not set up")
        added = tuple(new_effects(self.pre, self.state))
        utility = all_hold(self.user.utility, self.pre, self.state)
        security = (
            None
            if self.injection is None
            else all_hold(self.injection.security, self.pre, self.state)
        )
        return Judgement(utility, security, BlastRadius.of(added), added)


def environment_for(attempt: Attempt) -> AgentEnvironment | None:
    """The ``EnvironmentProvider`` of agent runs: an environment for agent attempts, None else."""
    if "suite" in attempt.extra and "user_task" in attempt.extra:
        if str(attempt.extra["suite"]).startswith("agentdojo:"):
            from ._agentdojo import AgentDojoEnvironment

            return AgentDojoEnvironment(attempt)
        return AgentEnvironment(attempt)
    return None


def provider(cfg: Any = None) -> Callable[[Attempt], AgentEnvironment | None]:
    """The ``agents`` plugin of the ``suho.environments`` group: given the run's config,
    the environment provider of agent runs (``environment_for``)."""
    return environment_for
