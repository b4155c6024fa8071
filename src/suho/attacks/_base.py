"""The Attack protocol: how a probe is delivered to a target.

An attack gets the rendered prompt and a ``send`` function from the engine. ``send`` already
applies the run's rate limit, timeout and retries, so a multi-turn attack (crescendo) or an
automated attacker (PAIR, TAP) gets the same robustness as a single turn without writing any.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from suho import _registry
from suho.targets import ChatResult, GenParams, Message

Send = Callable[[Sequence[Message], GenParams], Awaitable[ChatResult]]


@dataclass(frozen=True, slots=True)
class AttackInput:
    """One attempt's material: the prompt as rendered (after transforms) and its context."""

    prompt: str
    original_prompt: str
    lang: str
    category: str
    system: str | None = None
    params: GenParams = field(default_factory=GenParams)
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AttackResult:
    """The conversation that happened and the final answer to judge."""

    response: str
    turns: list[Message]
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


@runtime_checkable
class Attack(Protocol):
    name: ClassVar[str]

    async def run(self, item: AttackInput, send: Send) -> AttackResult: ...


def get_attack(name: str) -> Attack:
    obj = _registry.load("suho.attacks", name)
    a: Attack = obj() if isinstance(obj, type) else obj
    return a


def attack_names() -> list[str]:
    return _registry.names("suho.attacks")
