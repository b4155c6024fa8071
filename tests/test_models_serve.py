"""``suho models serve``: a target behind an OpenAI-compatible chat API (tool calls included), so
that other tools (AgentDojo's runner, garak, PyRIT, Inspect) meet exactly the model suho scans."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from conftest import run_cli, suho_cmd
from suho.models._serve import BadRequest, make_app, parse_request
from suho.targets import ChatResult, GenParams, Message, TargetError, ToolCall
from suho.targets._base import ErrorKind

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_balance",
            "description": "The account balance.",
            "parameters": {"type": "object", "properties": {"account": {"type": "string"}}},
        },
    }
]


def test_requests_in_the_shapes_clients_send() -> None:
    msgs, params = parse_request(
        {
            "model": "m",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
                {"role": "user", "content": [{"type": "text", "text": "잔액은?"}]},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_balance", "arguments": '{"account": "A"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "1,000원"},
            ],
            "tools": TOOLS,
            "tool_choice": {"type": "function", "function": {"name": "get_balance"}},
            "max_completion_tokens": 64,
            "temperature": 0,
            "seed": 7,
            "stop": "END",
        }
    )
    assert [m.role for m in msgs] == ["system", "user", "assistant", "tool"]
    assert msgs[0].content == "Be brief." and msgs[1].content == "잔액은?"
    assert msgs[2].tool_calls == (ToolCall("c1", "get_balance", '{"account": "A"}'),)
    assert msgs[3].tool_call_id == "c1" and msgs[3].content == "1,000원"
    assert params.max_tokens == 64 and params.temperature == 0.0 and params.seed == 7
    assert params.stop == ("END",) and params.tools == tuple(TOOLS)
    assert params.tool_choice == "get_balance"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "JSON object"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "content[0]"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": "x"}], "stream": True}, "stream"),
        ({"messages": [{"role": "user", "content": "x"}], "tools": [{"x": 1}]}, "tools[0]"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": "many"}, "wrong type"),
    ],
)
def test_bad_requests_name_the_field(body: Any, field: str) -> None:
    with pytest.raises(BadRequest, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_request(body)


class Scripted:
    """A Target-protocol object that answers by a script (unit test only)."""

    def __init__(self, answers: Sequence[ChatResult | TargetError]) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[list[Message], GenParams]] = []

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        self.seen.append((list(messages), params))
        a = self.answers.pop(0)
        if isinstance(a, TargetError):
            raise a
        return a

    async def aclose(self) -> None:
        return None


def _post(target: Scripted, body: Any) -> list[tuple[int, dict[str, Any]]]:
    async def main() -> list[tuple[int, dict[str, Any]]]:
        client = TestClient(TestServer(make_app(target, "served-model")))  # type: ignore[arg-type]
        await client.start_server()
        try:
            out = []
            for _ in range(len(target.answers)):
                r = await client.post("/v1/chat/completions", json=body)
                out.append((r.status, await r.json()))
            models = await client.get("/v1/models")
            assert (await models.json())["data"][0]["id"] == "served-model"
            bad = await client.post("/v1/chat/completions", data=b"{not json")
            assert bad.status == 400
            assert "not valid JSON" in (await bad.json())["error"]["message"]
            return out
        finally:
            await client.close()

    return asyncio.run(main())


def test_answers_tool_calls_and_errors_in_openai_shape() -> None:
    target = Scripted(
        [
            ChatResult(
                "",
                "stop",
                50,
                9,
                tool_calls=(ToolCall("call_0", "get_balance", '{"account": "A"}'),),
            ),
            ChatResult("잔액은 1,000원입니다.", "stop", 60, 8),
            TargetError(ErrorKind.EMPTY, "no text"),
            TargetError(ErrorKind.RATE_LIMIT, "slow down", status=429),
            TargetError(ErrorKind.TIMEOUT, "took too long"),
        ]
    )
    body = {"model": "x", "messages": [{"role": "user", "content": "잔액?"}], "tools": TOOLS}
    (s1, call), (s2, text), (s3, empty), (s4, limited), (s5, late) = _post(target, body)
    assert s1 == 200 and call["choices"][0]["finish_reason"] == "tool_calls"
    msg = call["choices"][0]["message"]
    assert msg["content"] is None and msg["tool_calls"] == [
        {
            "id": "call_0",
            "type": "function",
            "function": {"name": "get_balance", "arguments": '{"account": "A"}'},
        }
    ]
    assert call["usage"] == {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}
    assert call["model"] == "served-model" and call["object"] == "chat.completion"
    assert s2 == 200 and text["choices"][0]["message"]["content"] == "잔액은 1,000원입니다."
    assert "tool_calls" not in text["choices"][0]["message"]
    assert s3 == 200 and empty["choices"][0]["message"]["content"] == ""  # an empty answer
    assert s4 == 429 and limited["error"]["type"] == "rate_limit"
    assert s5 == 504 and late["error"]["type"] == "timeout"
    # the tools reached the target as given
    assert target.seen[0][1].tools == tuple(TOOLS)


@pytest.fixture
def served(server_factory: Any) -> Iterator[tuple[Any, str]]:
    """The fake tool-calling server behind ``suho models serve``: (fake server, served URL)."""
    fake = server_factory("--policy", "tool-agent")
    proc = subprocess.Popen(
        [
            *suho_cmd(),
            "models",
            "serve",
            "openai:fake",
            "--base-url",
            fake.base_url,
            "--port",
            "0",
            "--name",
            "fake",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("PORT "), (line, proc.stderr.read() if proc.stderr else "")
    try:
        yield fake, f"http://127.0.0.1:{int(line.split()[1])}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


def _agent_report(tmp: Path, name: str, base_url: str) -> dict[str, Any]:
    db = tmp / f"{name}.db"
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "openai:fake",
        "--base-url",
        base_url,
        "--suite",
        "banking-ko",
        "--attacks",
        "tool-knowledge",
        "--limit",
        "16",
        "--seed",
        "3",
        "--db",
        str(db),
        "--out",
        str(tmp / name),
        "-q",
    )
    assert r.returncode == 0, r.stderr
    run_id = next(x.split()[1] for x in r.stdout.splitlines() if x.startswith("run "))
    rep = run_cli("report", run_id, "--format", "json", "--db", str(db))
    assert rep.returncode == 0, rep.stderr
    out: dict[str, Any] = json.loads(rep.stdout)
    return out


def test_an_agent_scan_through_the_served_endpoint_matches_the_direct_one(
    served: tuple[Any, str], tmp_path: Path
) -> None:
    fake, url = served
    direct = _agent_report(tmp_path, "direct", fake.base_url)["agent"]
    through = _agent_report(tmp_path, "served", url)["agent"]
    assert through["totals"] == direct["totals"]
    assert through["totals"]["targeted_asr"] > 0  # tool calls went through, both ways
    assert through["blast_radius"] == direct["blast_radius"]


def test_the_official_openai_client_reads_the_served_answers(served: tuple[Any, str]) -> None:
    openai = pytest.importorskip("openai")
    _, url = served
    client = openai.OpenAI(base_url=url, api_key="not-a-key")
    prompt = '송금해 주세요 [[call:send_money:{"recipient": "KR-1", "amount": 5}]]'
    first = client.chat.completions.create(
        model="fake", messages=[{"role": "user", "content": prompt}], tools=TOOLS
    )
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "send_money"
    assert json.loads(call.function.arguments) == {"recipient": "KR-1", "amount": 5}
    second = client.chat.completions.create(
        model="fake",
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": prompt},
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "sent"},
        ],
        tools=TOOLS,
    )
    assert second.choices[0].message.content and not second.choices[0].message.tool_calls
    assert [m.id for m in client.models.list().data] == ["fake"]


def test_a_bad_target_is_a_clear_error() -> None:
    r = run_cli("models", "serve", "nosuch:thing", "--port", "0")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "nosuch" in r.stderr
