"""What an attack is handed to drive an episode: model roles, scoring, tools, an environment.

The engine builds one ``EpisodeContext`` per attempt. Each ``ModelRole`` (``target``,
``attacker``, ``judge``) carries the engine's rate limit, timeout, retries, secret scrubbing and
call counting for that model, and records every call as an event of the episode, so an attack
never re-implements robustness and the trace is complete by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from suho.targets import ChatResult, GenParams, Message

from ._model import Attempt, Episode

if TYPE_CHECKING:
    from suho.detectors import Verdict

    from ._tools import Tool, ToolRuntime


@runtime_checkable
class ModelRole(Protocol):
    """One model in a role (``target``, ``attacker`` or ``judge``) of one episode."""

    role: str
    spec: str  # PROVIDER:MODEL, without secrets
    calls: int  # requests sent so far in this episode (retries included)

    async def generate(
        self, messages: Sequence[Message], params: GenParams | None = None
    ) -> ChatResult:
        """Send a conversation; record a ``model_call`` event; raise ``TargetError`` on failure
        (after the engine's retries) and ``BudgetExceeded`` when the episode's budget is spent."""
        ...


@runtime_checkable
class EpisodeContext(Protocol):
    """Handed to ``Attack.run(episode, ctx)``."""

    target: ModelRole
    attacker: ModelRole | None  # None when the run has no attacker model
    judge: ModelRole | None  # None when the run has no judge model
    tools: ToolRuntime | None  # None when the attempt has no environment with tools
    params: GenParams  # the run's sampling parameters for the target
    options: Mapping[str, Any]  # this attack's options (``--attack-option NAME.KEY=VALUE``)

    async def score(self, text: str | None = None, *, turn: int | None = None) -> list[Verdict]:
        """Run the run's detectors on ``text`` (default: the episode's latest target answer),
        record a ``score`` event, and return the verdicts."""
        ...

    async def checkpoint(self) -> None:
        """Persist the episode so far: a resumed run continues after the last checkpoint and
        replays the model calls recorded before it instead of sending them again."""
        ...


@runtime_checkable
class Environment(Protocol):
    """A per-attempt world (an agent's bank and mailbox, a cyber task's sandbox, an MCP server).

    The engine calls ``setup`` before the attack runs and ``teardown`` after it on every path:
    success, error, budget exhaustion and cancellation. ``snapshot`` returns the state as JSON
    values; the engine stores it as ``env_before`` (after set-up) and ``env`` (at the end).
    """

    async def setup(self, attempt: Attempt) -> None: ...

    def tools(self) -> Sequence[Tool]: ...

    def snapshot(self) -> Any: ...

    async def teardown(self) -> None: ...


@runtime_checkable
class EpisodeAware(Protocol):
    """A target that needs to know which episode it is in (a scripted agent that replays a
    task's ground truth, a reference solver for a cyber challenge). The engine calls
    ``for_episode`` once per attempt, after the environment is set up, and uses the target it
    returns for that episode's ``target`` role."""

    def for_episode(self, episode: Episode) -> Any: ...


class EnvironmentProvider(Protocol):
    """Builds the environment of an attempt, or None when it needs none (plain probes)."""

    def __call__(self, attempt: Attempt) -> Environment | None: ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a target can do; an attack that needs more is refused at preflight."""

    tools: bool = False  # native tool calling (or a parser that turns text into tool calls)
    json_mode: bool = False  # honours ``response_format``
    system_prompt: bool = True
    max_context: int | None = None  # tokens, if known

    def missing(self, needs: frozenset[str]) -> list[str]:
        """The names in ``needs`` this target lacks (``tools``, ``json_mode``, ``system_prompt``)."""
        return sorted(n for n in needs if n in _FLAGS and not getattr(self, n))


_FLAGS = frozenset({"tools", "json_mode", "system_prompt"})


__all__ = [
    "Capabilities",
    "Environment",
    "EnvironmentProvider",
    "Episode",
    "EpisodeAware",
    "EpisodeContext",
    "ModelRole",
]
