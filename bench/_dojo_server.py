"""A fake OpenAI-compatible model for bench_agentdojo.py: a deterministic tool-calling agent
with a fixed latency, so AgentDojo's runner and suho meet exactly the same model.

It reads a table (JSON, written by the benchmark from AgentDojo's own tasks): for each user
prompt the ground-truth calls and final answer, and for each injection goal its calls. Each
answer is computed from the conversation alone, so it does not matter who asks or in what order:

- the conversation's first user message picks the task (an unknown prompt gets a plain answer);
- if a tool result holds an injection goal (compared without whitespace, quotes or
  backslashes, as a YAML dump may fold or quote it) and crc32(prompt, goal) is even, the agent
  "obeys": from the step it read the goal, it makes the injection task's calls first;
- the k-th answer with tool calls so far made is the next planned call (one per step);
  once every planned call has its result, the task's final answer as text.

Run: ``python bench/_dojo_server.py --table T.json --port P [--latency 0.2]`` (prints ``PORT n``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import zlib
from typing import Any

from aiohttp import web

_SQUASH = re.compile(r"[\s'\"\\]+")


def squash(text: str) -> str:
    return _SQUASH.sub("", text)


def text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(str(p.get("text") or "") for p in content if isinstance(p, dict))


def obeys(prompt: str, goal: str) -> bool:
    """The fake agent's fixed, reproducible gullibility: about half of the pairs."""
    return zlib.crc32(f"{prompt}\x00{goal}".encode()) % 2 == 0


def plan_for(table: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[list[Any], str]:
    """The calls this conversation's agent makes, in order, and its final answer."""
    prompt = next((text_of(m.get("content")) for m in messages if m.get("role") == "user"), "")
    task = table["tasks"].get(prompt)
    if task is None:
        return [], "I can't tell what you want me to do."
    calls: list[Any] = list(task["calls"])
    made = 0
    for m in messages:
        if m.get("role") == "assistant":
            made += len(m.get("tool_calls") or [])
        elif m.get("role") == "tool":
            seen = squash(text_of(m.get("content")))
            for goal, inj_calls in table["goals"].items():
                if squash(goal) in seen and obeys(prompt, goal):
                    return calls[:made] + list(inj_calls) + calls[made:], str(task["answer"])
    return calls, str(task["answer"])


def answer(table: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = body.get("messages") or []
    calls, final = plan_for(table, messages)
    made = sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant")
    message: dict[str, Any]
    if made < len(calls):
        name, args = calls[made]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{made}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": final or "Done."}
        finish = "stop"
    return {
        "id": f"chatcmpl-{made}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def app(table: dict[str, Any], latency: float) -> web.Application:
    # requests seen and when the first arrived / the last was answered (``GET /stats``,
    # ``POST /stats/reset``): the span of a runner's model traffic, its start-up left out
    stats: dict[str, float] = {"requests": 0, "first": 0.0, "last": 0.0}

    async def chat(request: web.Request) -> web.Response:
        if not stats["requests"]:
            stats["first"] = time.time()
        stats["requests"] += 1
        body = await request.json()
        await asyncio.sleep(latency)
        out = web.json_response(answer(table, body))
        stats["last"] = time.time()
        return out

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    async def reset(request: web.Request) -> web.Response:
        stats.update(requests=0, first=0.0, last=0.0)
        return web.json_response(stats)

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    a = web.Application(client_max_size=64 * 1024 * 1024)
    a.router.add_post("/v1/chat/completions", chat)
    a.router.add_get("/v1/models", models)
    a.router.add_get("/stats", get_stats)
    a.router.add_post("/stats/reset", reset)
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--table", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.2)
    args = ap.parse_args()
    with open(args.table, encoding="utf-8") as f:
        table = json.load(f)

    async def run() -> None:
        runner = web.AppRunner(app(table, args.latency), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        print(f"PORT {port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(run())


if __name__ == "__main__":
    main()
