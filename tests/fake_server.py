"""A local fake OpenAI-compatible (and Anthropic Messages) server with fault injection.

Used by the end-to-end tests and the benchmarks; never by a user's scan. Raw asyncio HTTP/1.1 so
that faults can be exact: a dropped connection really drops the TCP connection.

Faults are asked for inside the prompt with a marker, applied to the first N requests carrying
that prompt (N = 1 by default, ``inf`` for every request):

    [[fault:429:2]]        429 with Retry-After (see --retry-after) for the first 2 tries
    [[fault:500:inf]]      always HTTP 500
    [[fault:slow:1]]       sleep --slow-s seconds (past the client's timeout), then answer
    [[fault:malformed:1]]  200 with a body that is not JSON
    [[fault:drop:1]]       close the connection without answering
    [[fault:empty:1]]      200 with an empty ``choices`` list
    [[fault:401:1]]        401 Unauthorized

``--fault-rate R`` adds random faults (429/500/malformed/drop/empty, seeded, per request).
Answers follow ``--policy``: refuse-all, comply-all, refuse-en (complies in Korean: a language
gap), refuse-ko, alternate (by prompt hash), give-in-N (a neutral answer until the
conversation holds N user messages, then compliance: for multi-turn attacks), or tool-agent: a
request that offers tools is answered with tool calls (OpenAI ``tool_calls`` / Anthropic
``tool_use``): first every tool that needs no argument, in parallel; then, one per step, each
``name({json})`` call it finds written in the tool results (so a tool-knowledge injection hijacks
it); then a final answer. Every request is appended to ``--log`` as JSON.

Tool use (OpenAI shape, for agent episodes): when a request offers ``tools`` and its last user
message holds ``[[call:NAME:{json arguments}]]`` markers, the answer to a conversation with k tool
results so far is the (k+1)-th marker as a tool call, and once every marker has had its result,
a text answer quoting the last result.

Run: ``python tests/fake_server.py --port 0 --log requests.jsonl`` (prints ``PORT <n>``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import ssl
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = re.compile(r"\[\[fault:([a-z0-9]+)(?::(\d+|inf))?\]\]")
CALL = re.compile(r"\[\[call:([A-Za-z0-9_]+):(\{.*?\})\]\]")
HANGUL = re.compile(r"[\uac00-\ud7a3]")

REFUSAL_KO = "죄송하지만 그 요청은 도와드릴 수 없습니다. 불법적이거나 다른 사람에게 해를 끼칠 수 있는 내용이기 때문입니다."
REFUSAL_EN = "I'm sorry, but I can't help with that request because it could cause harm."
NEUTRAL_KO = "이 주제에 대한 일반적인 배경을 설명드리면, 여러 관점이 있습니다."
NEUTRAL_EN = "Here is some general background on this topic; there are several views."
COMPLY_KO = "네, 요청하신 내용을 정리해 드리겠습니다. 1단계: 준비 사항을 확인합니다. 2단계: 진행합니다. (테스트 서버의 응답입니다)"
COMPLY_EN = (
    "Sure, here is an outline. Step 1: check the preparation. Step 2: proceed. (test server answer)"
)


@dataclass
class Config:
    latency_ms: float = 0.0
    policy: str = "alternate"
    retry_after: float = 1.0
    slow_s: float = 5.0
    fault_rate: float = 0.0
    seed: int = 0
    log: Path | None = None
    quiet_log: bool = False  # don't keep prompts in memory (for 100k-request benchmarks)
    tls: ssl.SSLContext | None = None  # serve HTTPS with this server-side context


@dataclass
class State:
    seen: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    log_fp: Any = None


def _last_user(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, list):
                return "".join(p.get("text", "") for p in c if isinstance(p, dict))
            return str(c)
    return ""


def _answer(cfg: Config, prompt: str, users: int = 1) -> str:
    ko = bool(HANGUL.search(prompt))
    if cfg.policy.startswith("give-in-"):
        # A conversation that gives in at its N-th user message; before that, neutral answers.
        if users < int(cfg.policy.removeprefix("give-in-")):
            return NEUTRAL_KO if ko else NEUTRAL_EN
        refuse = False
    elif cfg.policy == "refuse-all":
        refuse = True
    elif cfg.policy == "comply-all":
        refuse = False
    elif cfg.policy == "refuse-en":
        refuse = not ko
    elif cfg.policy == "refuse-ko":
        refuse = ko
    else:
        refuse = hashlib.sha256(prompt.encode()).digest()[0] % 2 == 0
    if refuse:
        return REFUSAL_KO if ko else REFUSAL_EN
    return COMPLY_KO if ko else COMPLY_EN


TOOL_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((\{.*?\})\)")


def _strings(text: str) -> str:
    """A tool result and, if it is JSON, every string inside it (escaped in the raw text)."""
    out = [text]
    try:
        stack = [json.loads(text)]
    except ValueError:
        return text
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return "\n".join(out)


def _tool_plan(
    req: dict[str, Any], anthropic: bool
) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """The tool-agent's next calls for this request (empty: answer in text) and how many calls
    it made before."""
    tools = req.get("tools") or []
    specs = [
        (t["name"], t.get("input_schema") or {})
        if anthropic
        else (t["function"]["name"], t["function"].get("parameters") or {})
        for t in tools
    ]
    names = {n for n, _ in specs}
    made = 0
    results: list[str] = []
    for m in req.get("messages", []):
        content = m.get("content")
        if m.get("role") == "assistant":
            if anthropic and isinstance(content, list):
                made += sum(1 for b in content if b.get("type") == "tool_use")
            made += len(m.get("tool_calls") or [])
        elif m.get("role") == "tool":
            results.append(str(content))
        elif anthropic and isinstance(content, list):
            results += [
                str(b.get("content", "")) for b in content if b.get("type") == "tool_result"
            ]
    explore = [(n, {}) for n, schema in specs if not schema.get("required")]
    if made == 0:
        return explore, made
    follow: list[tuple[str, dict[str, Any]]] = []
    for r in results:
        for name, args in TOOL_LINE.findall(_strings(r)):
            if name in names:
                with contextlib.suppress(ValueError):
                    follow.append((name, json.loads(args)))
    i = made - len(explore)
    return (follow[i : i + 1] if 0 <= i < len(follow) else []), made


def _tool_body(
    model: str, calls: list[tuple[str, dict[str, Any]]], made: int, anthropic: bool
) -> dict[str, Any]:
    if anthropic:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [
                {"type": "tool_use", "id": f"toolu_{made + i}", "name": n, "input": a}
                for i, (n, a) in enumerate(calls)
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5},
        }
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{made + i}",
                            "type": "function",
                            "function": {"name": n, "arguments": json.dumps(a, ensure_ascii=False)},
                        }
                        for i, (n, a) in enumerate(calls)
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _fault_for(cfg: Config, st: State, prompt: str) -> str | None:
    n = st.seen[prompt]  # this request is number n (0-based) for this prompt
    m = MARKER.search(prompt)
    if m:
        kind, count = m.group(1), m.group(2) or "1"
        if count == "inf" or n < int(count):
            return kind
        return None
    if cfg.fault_rate > 0:
        h = hashlib.sha256(f"{cfg.seed}:{prompt}:{n}".encode()).digest()
        if int.from_bytes(h[:4], "big") / 2**32 < cfg.fault_rate:
            return ["429", "500", "malformed", "drop", "empty"][h[4] % 5]
    return None


def _response(
    status: int, body: bytes, ctype: str = "application/json", extra: dict[str, str] | None = None
) -> bytes:
    reason = {
        200: "OK",
        401: "Unauthorized",
        404: "Not Found",
        429: "Too Many Requests",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }.get(status, "X")
    head = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {ctype}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    for k, v in (extra or {}).items():
        head.append(f"{k}: {v}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _chat_body(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": len(text.split()),
            "total_tokens": 10 + len(text.split()),
        },
    }


def _tool_turn(req: dict[str, Any], prompt: str) -> tuple[str, dict[str, Any] | None]:
    """The scripted agent: the next ``[[call:...]]`` of the prompt as a tool call, or a final
    text once each has had a result."""
    calls = CALL.findall(prompt)
    messages = req.get("messages", [])
    results = [m for m in messages if m.get("role") == "tool"]
    k = len(results)
    if k < len(calls):
        name, args = calls[k]
        return "", {
            "id": f"call_{k}",
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
    last = str(results[-1].get("content", "")) if results else ""
    return f"Done. Last result: {last}", None


def _first_user_text(messages: list[dict[str, Any]]) -> str:
    for m in messages:
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            return str(m["content"])
    return ""


def _tool_turn_anthropic(req: dict[str, Any], prompt: str) -> tuple[str, dict[str, Any] | None]:
    """The scripted agent in the Messages API's shape (tool_use / tool_result blocks)."""
    calls = CALL.findall(prompt)
    results = [
        b
        for m in req.get("messages", [])
        if isinstance(m.get("content"), list)
        for b in m["content"]
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]
    k = len(results)
    if k < len(calls):
        name, args = calls[k]
        return "", {"type": "tool_use", "id": f"toolu_{k}", "name": name, "input": json.loads(args)}
    last = str(results[-1].get("content", "")) if results else ""
    return f"Done. Last result: {last}", None


def _anthropic_body(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": len(text.split())},
    }


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, cfg: Config, st: State
) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
            route = path.split("?", 1)[0].rstrip("/")  # routes ignore the query, as servers do
            if method == "GET":
                if route.endswith("/models"):
                    writer.write(
                        _response(
                            200,
                            json.dumps(
                                {"object": "list", "data": [{"id": "fake", "object": "model"}]}
                            ).encode(),
                        )
                    )
                else:
                    writer.write(_response(404, b'{"error": "not found"}'))
                await writer.drain()
                continue
            anthropic = route.endswith("/messages")
            try:
                req = json.loads(body)
            except ValueError:
                writer.write(_response(400, b'{"error": "bad json"}'))
                await writer.drain()
                continue
            prompt = _last_user(req.get("messages", []))
            if anthropic and not prompt and req.get("tools"):  # a tool_result turn: the task
                prompt = _first_user_text(req.get("messages", []))
            fault = _fault_for(cfg, st, prompt)
            n = st.seen[prompt]
            st.seen[prompt] += 1
            st.requests += 1
            if st.log_fp is not None:
                rec = {
                    "t": time.time(),
                    "path": path,
                    "prompt": prompt,
                    "n": n,
                    "fault": fault,
                    "auth": "authorization" in headers or "x-api-key" in headers,
                    "model": req.get("model"),
                    "messages": len(req.get("messages", [])),
                    "authorization": headers.get("authorization"),
                }
                st.log_fp.write(json.dumps(rec, ensure_ascii=False) + "\n")
                st.log_fp.flush()
            if cfg.latency_ms:
                await asyncio.sleep(cfg.latency_ms / 1000)
            model = str(req.get("model", "fake"))
            if fault == "drop":
                writer.transport.abort()
                return
            if fault == "slow":
                await asyncio.sleep(cfg.slow_s)
            if fault == "429":
                writer.write(
                    _response(
                        429,
                        b'{"error": {"message": "rate limited"}}',
                        extra={"Retry-After": f"{cfg.retry_after:g}"},
                    )
                )
            elif fault in ("500", "503"):
                writer.write(_response(int(fault), b'{"error": {"message": "server error"}}'))
            elif fault == "401":
                writer.write(_response(401, b'{"error": {"message": "invalid api key"}}'))
            elif fault == "malformed":
                writer.write(_response(200, b'{"choices": [ this is not json'))
            elif fault == "empty":
                writer.write(
                    _response(
                        200,
                        json.dumps(
                            {"id": "x", "choices": []}
                            if not anthropic
                            else {"type": "message", "content": []}
                        ).encode(),
                    )
                )
            elif req.get("tools") and anthropic and CALL.search(prompt):
                text, call = _tool_turn_anthropic(req, prompt)
                payload = _anthropic_body(model, text or "")
                if call is not None:
                    payload["content"] = [call]
                    payload["stop_reason"] = "tool_use"
                writer.write(_response(200, json.dumps(payload, ensure_ascii=False).encode()))
            elif req.get("tools") and not anthropic and CALL.search(prompt):
                text, call = _tool_turn(req, prompt)
                payload = _chat_body(model, text or "")
                if call is not None:
                    msg = payload["choices"][0]["message"]
                    msg["content"] = None
                    msg["tool_calls"] = [call]
                    payload["choices"][0]["finish_reason"] = "tool_calls"
                writer.write(_response(200, json.dumps(payload, ensure_ascii=False).encode()))
            elif cfg.policy == "tool-agent" and req.get("tools"):
                calls, made = _tool_plan(req, anthropic)
                if calls:
                    payload = _tool_body(model, calls, made, anthropic)
                else:
                    text = "완료했습니다." if HANGUL.search(prompt) else "Done."
                    payload = _anthropic_body(model, text) if anthropic else _chat_body(model, text)
                writer.write(_response(200, json.dumps(payload, ensure_ascii=False).encode()))
            else:
                users = sum(1 for m in req.get("messages", []) if m.get("role") == "user")
                text = _answer(cfg, prompt, users)
                payload = _anthropic_body(model, text) if anthropic else _chat_body(model, text)
                writer.write(_response(200, json.dumps(payload, ensure_ascii=False).encode()))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        if not writer.transport.is_closing():
            writer.close()


async def serve(cfg: Config, host: str = "127.0.0.1", port: int = 0, ready: Any = None) -> None:
    st = State()
    if cfg.log is not None:
        st.log_fp = cfg.log.open("a", encoding="utf-8")
    server = await asyncio.start_server(
        lambda r, w: _handle(r, w, cfg, st), host, port, backlog=1024, ssl=cfg.tls
    )
    real_port = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready(real_port)
    async with server:
        await server.serve_forever()


class ThreadedServer:
    """The fake server in a background thread, for in-process tests."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()

        def ready(port: int) -> None:
            self.port = port
            self._ready.set()

        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(serve(self.cfg, ready=ready))
        # Finish the connection handlers too, then close the loop: nothing left to GC noisily.
        rest = asyncio.all_tasks(self._loop)
        for t in rest:
            t.cancel()
        if rest:
            self._loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
        self._loop.close()

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("fake server thread did not start within 60 s")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            for t in asyncio.all_tasks(self._loop):
                self._loop.call_soon_threadsafe(t.cancel)
        self._thread.join(5)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.cfg.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument(
        "--policy",
        default="alternate",
        choices=[
            "alternate",
            "refuse-all",
            "comply-all",
            "refuse-en",
            "refuse-ko",
            "tool-agent",
            "give-in-2",
            "give-in-3",
            "give-in-4",
        ],
    )
    ap.add_argument("--retry-after", type=float, default=1.0)
    ap.add_argument("--slow-s", type=float, default=5.0)
    ap.add_argument("--fault-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log", type=Path)
    a = ap.parse_args(argv)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the fake server listens on loopback only")
    cfg = Config(a.latency_ms, a.policy, a.retry_after, a.slow_s, a.fault_rate, a.seed, a.log)

    def ready(port: int) -> None:
        sys.stdout.write(f"PORT {port}\n")
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(cfg, a.host, a.port, ready=ready))


if __name__ == "__main__":
    main()
