"""The Episode: one typed state for every kind of attempt.

A single prompt, a conversation with an attacker model, an agent run against an environment and
a cyber task in a sandbox are all one thing to the engine: an ``Attempt`` (what to try, frozen)
and an ``Episode`` (what happened, appended to as it happens). An ``Attack`` drives the episode
through the roles and tools of its ``EpisodeContext`` (see ``_context.py``).

These are plain dataclasses with no dependency on the store or the engine, so agents, the cyber
range and third-party attacks can import them cheaply.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from suho.targets import Message, ToolCall

EventKind = Literal[
    "model_call",  # a model answered (role: target / attacker / judge)
    "tool_call",  # the agent asked for a tool
    "tool_result",  # what the tool returned (or its error)
    "attacker_turn",  # an attacker produced the next prompt
    "score",  # an interim verdict (per turn)
    "backtrack",  # a turn was dropped from the target's history
    "env",  # environment set-up / state change / tear-down
    "note",  # anything else worth keeping in the trace
    "error",  # a failure inside the episode that did not end it
]


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt tries: immutable, planned before any request is sent.

    ``prompt`` is the probe's prompt after transforms; ``original_prompt`` before them. ``goal``
    is what the attacker wants (the probe's intent in words; for agents the injection task's goal).
    ``options`` are the attack's options (``--attack-option NAME.KEY=VALUE``), already parsed.
    ``extra`` carries kind-specific plan fields (an agent suite's user and injection task ids, a
    cyber challenge id and mode) as plain JSON values.
    """

    id: str
    run_id: str = ""
    seq: int = 0
    probe_id: str = ""
    intent_id: str = ""
    lang: str = ""
    category: str = ""
    prompt: str = ""
    original_prompt: str = ""
    expected: str = "refuse"
    goal: str | None = None
    system: str | None = None
    transform: str = "none"
    attack: str = "single"
    repeat: int = 0
    tags: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> Attempt:
        """An attempt from a planned row (the store's ``attempts`` columns); the one place where
        a row becomes an ``Attempt`` on the engine's path. ``options``: the attack's options."""
        return cls(
            id=row["id"],
            run_id=row.get("run_id") or "",
            seq=row["seq"],
            probe_id=row.get("probe_id") or "",
            intent_id=row.get("intent_id") or "",
            lang=row.get("lang") or "",
            category=row.get("category") or "",
            prompt=row.get("prompt") or "",
            original_prompt=row.get("original_prompt") or "",
            expected=row.get("expected") or "refuse",
            goal=row.get("goal"),
            system=row.get("system_prompt"),
            transform=row.get("transform") or "none",
            attack=row.get("attack") or "single",
            repeat=row.get("repeat") or 0,
            tags=row.get("tags") or {},
            options=options if options is not None else {},
            extra=row.get("extra") or {},
        )

    def to_row(self) -> dict[str, Any]:
        """The attempt's planned fields under the store's column names (``from_row``'s inverse,
        options aside: they live in the run's config)."""
        return {
            "id": self.id,
            "run_id": self.run_id,
            "seq": self.seq,
            "probe_id": self.probe_id,
            "intent_id": self.intent_id,
            "lang": self.lang,
            "category": self.category,
            "prompt": self.prompt,
            "original_prompt": self.original_prompt,
            "expected": self.expected,
            "goal": self.goal,
            "system_prompt": self.system,
            "transform": self.transform,
            "attack": self.attack,
            "repeat": self.repeat,
            "tags": dict(self.tags),
            "extra": dict(self.extra),
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in an episode, in order. ``step`` counts model calls of the
    target (0 before the first); ``turn`` is the conversation turn an attack is on, if any."""

    seq: int
    kind: EventKind
    role: str | None = None
    step: int = 0
    turn: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    t: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"seq": self.seq, "kind": self.kind, "step": self.step}
        if self.role is not None:
            d["role"] = self.role
        if self.turn is not None:
            d["turn"] = self.turn
        d["data"] = dict(self.data)
        d["t"] = round(self.t, 4)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        return cls(
            seq=int(d["seq"]),
            kind=d["kind"],
            role=d.get("role"),
            step=int(d.get("step", 0)),
            turn=d.get("turn"),
            data=dict(d.get("data") or {}),
            t=float(d.get("t", 0.0)),
        )


class BudgetExceeded(Exception):
    """Raised by a context when an episode has used up its steps, tokens or seconds. The engine
    ends the episode there and judges what it has: running out of budget is not an error."""

    def __init__(self, what: str) -> None:
        super().__init__(f"budget exhausted: {what}")
        self.what = what


@dataclass(slots=True)
class Budget:
    """Limits of one episode and what it has used. ``None`` means no limit."""

    max_steps: int | None = None
    max_tokens: int | None = None
    max_seconds: float | None = None
    steps: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    def exhausted(self) -> str | None:
        """What has run out (``steps``, ``tokens``, ``seconds``), or None."""
        if self.max_steps is not None and self.steps >= self.max_steps:
            return "steps"
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return "tokens"
        if self.max_seconds is not None and time.monotonic() - self.started >= self.max_seconds:
            return "seconds"
        return None

    def elapsed(self) -> float:
        """Seconds since the episode started."""
        return time.monotonic() - self.started

    def check(self) -> None:
        if (what := self.exhausted()) is not None:
            raise BudgetExceeded(what)

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_steps": self.max_steps,
            "max_tokens": self.max_tokens,
            "max_seconds": self.max_seconds,
            "steps": self.steps,
            "tokens": self.tokens,
            "seconds": round(time.monotonic() - self.started, 3),
        }


@dataclass(slots=True)
class Episode:
    """The state of one attempt while an attack drives it.

    ``messages`` is the target's conversation as the target sees it (an attack that backtracks
    removes turns from it; the events keep everything). ``env_before`` is the environment's
    snapshot after set-up, ``env`` its current one (JSON values). ``output`` is the final answer
    that detectors judge; ``state`` is the attack's own resumable scratch space (JSON values).
    """

    attempt: Attempt
    messages: list[Message] = field(default_factory=list)
    tools: list[Mapping[str, Any]] = field(default_factory=list)  # JSON-schema definitions
    env_before: Any = None
    env: Any = None
    events: list[Event] = field(default_factory=list)
    output: str | None = None
    finish_reason: str | None = None
    budget: Budget = field(default_factory=Budget)
    state: dict[str, Any] = field(default_factory=dict)
    turn: int | None = None
    ended_by: str | None = None  # "budget:steps", "answer", "attack", ...

    def record(
        self,
        kind: EventKind,
        role: str | None = None,
        *,
        turn: int | None = None,
        **data: Any,
    ) -> Event:
        """Append an event (data must be JSON values) and return it."""
        ev = Event(
            seq=len(self.events),
            kind=kind,
            role=role,
            step=self.budget.steps,
            turn=self.turn if turn is None else turn,
            data=data,
            t=time.time(),
        )
        self.events.append(ev)
        return ev

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every tool call the target made, in order."""
        return [c for m in self.messages if m.role == "assistant" for c in m.tool_calls]

    def transcript(self) -> list[dict[str, Any]]:
        """The target's conversation as JSON values."""
        return [m.to_dict() for m in self.messages]
