"""The agent loop: one reusable driver for every tool-using episode.

The target is asked with the episode's tools; each tool call it makes is run by the context's
tool runtime (several in one answer run concurrently), the results go back as ``tool`` messages,
and the loop repeats until the target answers without a tool call or the episode's budget
(steps, tokens, seconds) runs out. The agent arena drives it against banking or messenger
environments; the cyber range drives it with a shell tool inside a sandbox.

Everything the model gets wrong (unknown tools, invalid JSON arguments, endless tool loops) is
recorded in the transcript and bounded by the budget: never a crash, never an error counted as a
success.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from suho.targets import Message

from ._context import EpisodeContext
from ._model import BudgetExceeded, Episode
from ._tools import ToolOutcome, ToolRuntime

# A defense's view of a tool result before the model sees it: return the text to show instead.
ToolResultHook = Callable[[ToolOutcome, Episode], Awaitable[str]]
# Called after each round of tool results is in the messages (e.g. to repeat the user's request).
StepHook = Callable[[Episode], Awaitable[None]]
# Called before each model call after the first: a new tool runtime when the tools changed (an
# MCP server re-listed its tools), else None.
RefreshHook = Callable[[], Awaitable["ToolRuntime | None"]]


async def agent_loop(
    episode: Episode,
    ctx: EpisodeContext,
    *,
    on_tool_result: ToolResultHook | None = None,
    after_tools: StepHook | None = None,
    parallel_tools: bool = True,
    runtime: ToolRuntime | None = None,
    refresh_tools: RefreshHook | None = None,
) -> str | None:
    """Drive ``ctx.target`` with ``ctx.tools`` until it gives a final answer; return it.

    ``episode.messages`` must already hold the opening messages (system, user). On return,
    ``episode.output`` is the final answer (None when the budget ended the episode first) and
    ``episode.ended_by`` says why the loop stopped: ``answer`` or ``budget:<what>``.
    ``runtime`` replaces ``ctx.tools`` (a defense that narrowed the tools); ``after_tools`` runs
    after each round of tool results has been added to the messages; ``refresh_tools`` runs
    before every model call after the first and may return a new runtime (tools that changed).
    """
    runtime = runtime if runtime is not None else ctx.tools
    definitions = runtime.definitions() if runtime is not None else ()
    params = replace(ctx.params, tools=definitions) if definitions else ctx.params
    first = True
    while True:
        if refresh_tools is not None and not first:
            fresh = await refresh_tools()
            if fresh is not None:
                runtime = fresh
                definitions = runtime.definitions()
                params = replace(ctx.params, tools=definitions) if definitions else ctx.params
        first = False
        try:
            episode.budget.check()
            result = await ctx.target.generate(episode.messages, params)
        except BudgetExceeded as b:
            episode.ended_by = f"budget:{b.what}"
            episode.record("note", "engine", ended_by=episode.ended_by)
            return None
        episode.messages.append(Message("assistant", result.text, tool_calls=result.tool_calls))
        episode.finish_reason = result.finish_reason
        if not result.tool_calls:
            episode.output = result.text
            episode.ended_by = "answer"
            return result.text
        for c in result.tool_calls:
            episode.record("tool_call", "target", id=c.id, name=c.name, arguments=c.arguments)
        if runtime is None:
            outcomes = [
                ToolOutcome(c, "Error: no tools are available", "no tools are available")
                for c in result.tool_calls
            ]
        elif parallel_tools:
            outcomes = list(await asyncio.gather(*(runtime.call(c) for c in result.tool_calls)))
        else:
            outcomes = [await runtime.call(c) for c in result.tool_calls]
        for out in outcomes:
            shown = out.content
            if on_tool_result is not None:
                shown = await on_tool_result(out, episode)
            data: dict[str, Any] = {"id": out.call.id, "name": out.call.name, "content": shown}
            if out.error:
                data["error"] = out.error
            if shown != out.content:
                data["original"] = out.content
            episode.record("tool_result", "tool", **data)
            episode.messages.append(
                Message("tool", shown, name=out.call.name, tool_call_id=out.call.id)
            )
        if after_tools is not None:
            await after_tools(episode)
        await ctx.checkpoint()
