"""The HTTP client alone: the requests a suho run made, sent with nothing else around them.

``python bench/_http_alone.py URL TARGET ATTACKER JUDGE CONCURRENCY`` sends that many chat
requests per role (the role is the request's ``model``, as the roleplay server reads it) to
``URL/chat/completions`` through one ``aiohttp.ClientSession``, the HTTP client suho's targets
use, at most CONCURRENCY at once, each a short conversation of the size a crescendo turn sends
(a system prompt and three exchanges), then exits. Its CPU, measured by the caller with
``wait4``, is what the HTTP client costs for those requests: subtracted from a suho run's CPU
it leaves suho's own work.
"""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp


def body(role: str, i: int) -> bytes:
    turns = []
    for k in range(3):
        turns += [
            {"role": "user", "content": f"Question {k} of conversation {i} about the topic, turn {k + 1} of 5."},
            {"role": "assistant", "content": "Here is some general background on the topic; there are several points of view."},
        ]  # fmt: skip
    msgs = [{"role": "system", "content": "You are a helpful assistant. " * 8}, *turns]
    msgs.append({"role": "user", "content": f"And the next step, turn 4 of 5 ({i})?"})
    return json.dumps({"model": role, "messages": msgs, "max_tokens": 512}).encode()


async def main(url: str, counts: dict[str, int], concurrency: int) -> None:
    sem = asyncio.Semaphore(concurrency)
    conn = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench"}
    async with aiohttp.ClientSession(connector=conn) as session:

        async def one(role: str, i: int) -> None:
            async with sem, session.post(url, data=body(role, i), headers=headers) as r:
                data = await r.json()
                if not data.get("choices"):
                    raise RuntimeError(f"no answer: {data}")

        jobs = [one(role, i) for role, n in counts.items() for i in range(n)]
        await asyncio.gather(*jobs)


if __name__ == "__main__":
    base, t, a, j, c = sys.argv[1:6]
    asyncio.run(
        main(
            base.rstrip("/") + "/chat/completions",
            {"target": int(t), "attacker": int(a), "judge": int(j)},
            int(c),
        )
    )
