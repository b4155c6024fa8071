"""The Episode: the one shape every kind of attempt takes (single prompt, conversation, agent
run, sandboxed cyber task), the context an attack drives it through, tools and the agent loop.

See docs/architecture.md for how a run flows through these.
"""

from suho.episode._context import (
    Capabilities,
    Environment,
    EnvironmentProvider,
    EpisodeAware,
    EpisodeContext,
    ModelRole,
)
from suho.episode._loop import RefreshHook, StepHook, ToolResultHook, agent_loop
from suho.episode._model import Attempt, Budget, BudgetExceeded, Episode, Event, EventKind
from suho.episode._tools import Tool, ToolOutcome, ToolRuntime, render_value, tool

__all__ = [
    "Attempt",
    "Budget",
    "BudgetExceeded",
    "Capabilities",
    "Environment",
    "EnvironmentProvider",
    "Episode",
    "EpisodeAware",
    "EpisodeContext",
    "Event",
    "EventKind",
    "ModelRole",
    "RefreshHook",
    "StepHook",
    "Tool",
    "ToolOutcome",
    "ToolResultHook",
    "ToolRuntime",
    "agent_loop",
    "render_value",
    "tool",
]
