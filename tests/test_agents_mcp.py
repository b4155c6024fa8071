"""MCP attacks over the real ``mcp`` SDK: tool-description poisoning, rug pull and cross-server
shadowing, with in-process MCP servers and the agent loop as their client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from suho.agents import AgentPlan, load_suite, plan_agent_attempts, run_episode
from suho.episode import Attempt
from suho.targets import ChatResult, GenParams, Message, create_target, function_spec

pytest.importorskip("mcp")

ATTACKS = ["mcp-poison", "mcp-rug-pull", "mcp-shadow"]


def _plan(attack: str, users: int = 2) -> list[Attempt]:
    plan = plan_agent_attempts("r-mcp", AgentPlan([load_suite("banking-ko")], attacks=[attack]))
    keep = {f"user_{i:02d}" for i in range(1, users + 1)}
    return [a for a in plan if a.extra["user_task"] in keep]


@pytest.mark.parametrize("attack", ATTACKS)
def test_obedient_is_hijacked_and_ground_truth_is_not(attack: str) -> None:
    attempts = _plan(attack)
    attacked = [a for a in attempts if a.extra["injection_task"]]
    assert len(attacked) == 2 * 5  # every pair: the payload is in the tool list, not in data
    assert all(a.extra["mcp"] == attack and a.extra["vectors"] == [] for a in attacked)

    async def go(name: str) -> list[tuple[bool, bool | None]]:
        t = create_target(f"script:{name}")
        out = []
        for a in attempts:
            _, j = await run_episode(a, t)
            out.append((j.utility, j.security))
        return out

    obedient = asyncio.run(go("obedient"))
    assert all(
        sec for (_, sec), a in zip(obedient, attempts, strict=True) if a.extra["injection_task"]
    )
    truth = asyncio.run(go("ground-truth"))
    assert all(u and not sec for u, sec in truth)


class _Recorder:
    """Records the tool descriptions of every request, replays the ground truth."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []
        self.inner: Any = None

    def for_episode(self, episode: Any) -> _Recorder:
        self.inner = create_target("script:ground-truth").for_episode(episode)
        return self

    async def chat(self, messages: list[Message], params: GenParams) -> ChatResult:
        self.seen.append([str(function_spec(t)["description"]) for t in params.tools])
        res: ChatResult = await self.inner.chat(messages, params)
        return res


def _descriptions(attack: str) -> tuple[str, list[list[str]]]:
    a = next(x for x in _plan(attack, 1) if x.extra["injection_task"])
    rec = _Recorder()
    asyncio.run(run_episode(a, rec))
    return str(a.extra["payload"]).strip(), rec.seen


def test_rug_pull_changes_the_description_after_the_first_listing() -> None:
    payload, seen = _descriptions("mcp-rug-pull")
    assert len(seen) >= 2
    assert not any(payload in d for d in seen[0])  # what was approved looked benign
    assert all(any(payload in d for d in later) for later in seen[1:])


def test_poisoning_and_shadowing_are_in_the_tool_list_from_the_start() -> None:
    payload, seen = _descriptions("mcp-poison")
    assert sum(payload in d for d in seen[0]) == 1
    payload, seen = _descriptions("mcp-shadow")
    shadow = [d for d in seen[0] if payload in d]
    assert len(shadow) == 1 and shadow[0].startswith("Check the security status")


def test_mcp_attacks_are_registered_and_compose_with_transforms() -> None:
    from suho.agents import injection_attack_names

    assert set(ATTACKS) <= set(injection_attack_names())
    a = next(x for x in _plan("mcp-poison+jamo", 1) if x.extra["injection_task"])
    assert a.extra["mcp"] == "mcp-poison" and any(
        "\u3131" <= c <= "\u318e" for c in a.extra["payload"]
    )


def test_mcp_attack_through_the_cli_and_engine(tmp_path: Any) -> None:
    import json

    from conftest import run_cli

    db = str(tmp_path / "suho.db")
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "script:obedient",
        "--suite",
        "public-en",
        "--attacks",
        "mcp-poison",
        "--db",
        db,
        "--out",
        str(tmp_path / "out"),
        "-q",
    )
    assert r.returncode == 0, r.stderr
    rep = json.loads(run_cli("report", "latest", "--format", "json", "--db", db).stdout)
    t = rep["agent"]["totals"]
    assert t["attacked_episodes"] == 50 and t["targeted_asr"] == 1.0 and t["errors"] == 0
    events = next(a for a in rep["attempts"] if a["success"])["events"]
    assert not [e for e in events if e["kind"] == "error"]  # torn down cleanly
