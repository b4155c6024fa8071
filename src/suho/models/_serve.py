"""``suho models serve``: any target (by default the embedded local model) behind an
OpenAI-compatible chat API on loopback, so that other tools can meet exactly the model suho
scans: AgentDojo's runner, garak, PyRIT or Inspect pointed at the same endpoint as a suho run.

What it speaks: ``GET /v1/models`` and ``POST /v1/chat/completions`` without streaming. Requests
may use the newer shapes clients send (a ``developer`` role, content as a list of text parts,
``max_completion_tokens``); ``tools`` and ``tool_choice`` reach the target, and the tool calls
it makes (for the local model: parsed from its text, see ``suho.targets._local``) come back as
``tool_calls``. A request the server cannot read is a 400 in OpenAI's error shape naming the
field; a target failure keeps its class (429, 504, 502) so the client's retries behave.

Nothing is stored or logged beyond one access line per request (no prompts, no answers).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from suho.targets import GenParams, Message, Target, TargetError, ToolCall
from suho.targets._base import ErrorKind

__all__ = ["BadRequest", "ServeStats", "make_app", "parse_request", "serve"]

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_STATUS = {
    ErrorKind.RATE_LIMIT: 429,
    ErrorKind.TIMEOUT: 504,
    ErrorKind.AUTH: 502,
    ErrorKind.CLIENT_ERROR: 400,
}


class BadRequest(ValueError):
    """A request the server cannot turn into a target call; the message names the field."""


@dataclass(slots=True)
class ServeStats:
    """Counters for ``/stats`` (benchmarks read how many calls a run made)."""

    requests: int = 0
    errors: int = 0
    first: float = 0.0
    last: float = 0.0
    started: float = field(default_factory=time.time)


def _text(content: Any, where: str) -> str:
    """Message content as text: a string, null, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out: list[str] = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Mapping) and part.get("type", "text") == "text":
                value = part.get("text", part.get("content"))
                if not isinstance(value, str):
                    raise BadRequest(f"{where}.content[{i}]: a text part needs a string 'text'")
                out.append(value)
            else:
                kind = part.get("type") if isinstance(part, Mapping) else type(part).__name__
                raise BadRequest(f"{where}.content[{i}]: only text parts are supported, not {kind}")
        return "\n\n".join(out) if len(out) > 1 else "".join(out)
    raise BadRequest(f"{where}.content: must be a string or a list of text parts")


def _message(i: int, m: Any) -> Message:
    where = f"messages[{i}]"
    if not isinstance(m, Mapping):
        raise BadRequest(f"{where}: must be an object")
    role = m.get("role")
    content = _text(m.get("content"), where)
    if role == "tool":
        call_id = m.get("tool_call_id")
        return Message(
            "tool",
            content,
            name=m.get("name") if isinstance(m.get("name"), str) else None,
            tool_call_id=call_id if isinstance(call_id, str) else None,
        )
    if role not in _ROLES:
        raise BadRequest(f"{where}.role: unknown role {role!r}")
    calls: list[ToolCall] = []
    for j, c in enumerate(m.get("tool_calls") or ()):
        fn = c.get("function") if isinstance(c, Mapping) else None
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            raise BadRequest(f"{where}.tool_calls[{j}]: needs function.name")
        args = fn.get("arguments", "{}")
        calls.append(
            ToolCall(
                id=str(c.get("id") or f"call_{i}_{j}"),
                name=fn["name"],
                arguments=args if isinstance(args, str) else json.dumps(args, ensure_ascii=False),
            )
        )
    return Message(_ROLES[role], content, tool_calls=tuple(calls))  # type: ignore[arg-type]


def parse_request(body: Any) -> tuple[list[Message], GenParams]:
    """An OpenAI chat-completions request body as suho messages and parameters."""
    if not isinstance(body, Mapping):
        raise BadRequest("the body must be a JSON object")
    if body.get("stream"):
        raise BadRequest("stream: streaming is not supported by suho models serve")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("messages: a non-empty list is required")
    messages = [_message(i, m) for i, m in enumerate(raw)]
    tools: list[Mapping[str, Any]] = []
    for i, t in enumerate(body.get("tools") or ()):
        if not isinstance(t, Mapping) or not isinstance(t.get("function"), Mapping):
            raise BadRequest(f"tools[{i}]: expected {{'type': 'function', 'function': {{...}}}}")
        tools.append(t)
    choice = body.get("tool_choice")
    tool_choice: str | None = None
    if isinstance(choice, str):
        tool_choice = choice
    elif isinstance(choice, Mapping):
        fn = choice.get("function")
        tool_choice = fn.get("name") if isinstance(fn, Mapping) else None
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    stop = body.get("stop")
    stops = (stop,) if isinstance(stop, str) else tuple(s for s in stop or () if isinstance(s, str))
    fmt = body.get("response_format")
    try:
        params = GenParams(
            max_tokens=int(max_tokens) if max_tokens is not None else 512,
            temperature=float(body["temperature"]) if body.get("temperature") is not None else 0.0,
            top_p=float(body["top_p"]) if body.get("top_p") is not None else None,
            seed=int(body["seed"]) if body.get("seed") is not None else None,
            stop=stops,
            tools=tuple(tools),
            tool_choice=tool_choice if tools else None,
            response_format=fmt if isinstance(fmt, Mapping) and fmt.get("type") != "text" else None,
        )
    except (TypeError, ValueError) as e:
        raise BadRequest(f"a sampling parameter has the wrong type: {e}") from e
    return messages, params


def _error(status: int, kind: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": kind, "param": None, "code": kind}}, status=status
    )


def make_app(target: Target, model: str, stats: ServeStats | None = None) -> web.Application:
    """The aiohttp application serving ``target`` under the model name ``model``."""
    st = stats or ServeStats()
    app = web.Application(client_max_size=32 * 2**20)

    async def models(_: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [
                    {"id": model, "object": "model", "created": int(st.started), "owned_by": "suho"}
                ],
            }
        )

    async def stats_view(_: web.Request) -> web.Response:
        return web.json_response(
            {"requests": st.requests, "errors": st.errors, "first": st.first, "last": st.last}
        )

    async def chat(request: web.Request) -> web.Response:
        now = time.time()
        st.first = st.first or now
        st.requests += 1
        try:
            body = await request.json(loads=json.loads)
        except ValueError:
            st.errors += 1
            return _error(400, "invalid_request_error", "the body is not valid JSON")
        try:
            messages, params = parse_request(body)
        except BadRequest as e:
            st.errors += 1
            return _error(400, "invalid_request_error", str(e))
        try:
            res = await target.chat(messages, params)
        except TargetError as e:
            if e.kind is ErrorKind.EMPTY:  # the model said nothing: an answer, not an error
                res = None
            else:
                st.errors += 1
                return _error(_STATUS.get(e.kind, 502), e.kind.value, e.message)
        st.last = time.time()
        text = res.text if res else ""
        calls = res.tool_calls if res else ()
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text if text or not calls else None,
        }
        if calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in calls
            ]
        prompt = (res.prompt_tokens if res else None) or 0
        completion = (res.completion_tokens if res else None) or 0
        return web.json_response(
            {
                "id": "chatcmpl-" + secrets.token_hex(12),
                "object": "chat.completion",
                "created": int(now),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls"
                        if calls
                        else ((res.finish_reason if res else None) or "stop"),
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            },
            dumps=lambda o: json.dumps(o, ensure_ascii=False),
        )

    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_get("/stats", stats_view)
    return app


async def serve(
    target: Target,
    model: str,
    host: str,
    port: int,
    *,
    on_ready: Callable[[str, int], None] | None = None,
) -> None:
    """Serve until cancelled; ``on_ready(url)`` is called once the socket listens."""
    app = make_app(target, model)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        bound = int(runner.addresses[0][1]) if runner.addresses else port
        if on_ready is not None:
            on_ready(f"http://{host}:{bound}/v1", bound)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await target.aclose()
