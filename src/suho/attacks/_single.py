"""Single-turn delivery: one user message (after an optional system prompt), one answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from suho.targets import Message

if TYPE_CHECKING:
    from suho.episode import Episode, EpisodeContext


class SingleTurn:
    """Sends the rendered prompt (after an optional system prompt) as one user message and judges
    the one answer. Misses attacks that need several turns to build up (see crescendo)."""

    name: ClassVar[str] = "single"
    needs: ClassVar[frozenset[str]] = frozenset()

    async def run(self, episode: Episode, ctx: EpisodeContext) -> None:
        a = episode.attempt
        messages = episode.messages
        if a.system:
            messages.append(Message("system", a.system))
        messages.append(Message("user", a.prompt))
        result = await ctx.target.generate(messages, ctx.params)
        messages.append(Message("assistant", result.text, tool_calls=result.tool_calls))
        episode.output = result.text
        episode.finish_reason = result.finish_reason
        episode.ended_by = "answer"
