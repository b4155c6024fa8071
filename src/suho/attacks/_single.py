"""Single-turn delivery: one user message (after an optional system prompt), one answer."""

from __future__ import annotations

from typing import ClassVar

from suho.attacks._base import AttackInput, AttackResult, Send
from suho.targets import Message


class SingleTurn:
    """Sends the rendered prompt (after an optional system prompt) as one user message and judges
    the one answer. Misses attacks that need several turns to build up (see crescendo)."""

    name: ClassVar[str] = "single"

    async def run(self, item: AttackInput, send: Send) -> AttackResult:
        messages: list[Message] = []
        if item.system:
            messages.append(Message("system", item.system))
        messages.append(Message("user", item.prompt))
        result = await send(messages, item.params)
        messages.append(Message("assistant", result.text, tool_calls=result.tool_calls))
        return AttackResult(
            response=result.text,
            turns=messages,
            finish_reason=result.finish_reason,
            prompt_tokens=result.prompt_tokens or 0,
            completion_tokens=result.completion_tokens or 0,
        )
