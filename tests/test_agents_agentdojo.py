"""AgentDojo, run as it is: its own suites through suho's agent loop (``agentdojo:NAME``).

The scripted agents prove the mapping: the ground-truth agent must score 100% utility and
security False on every pair (as in AgentDojo's own checks), the obedient agent must hijack
every pair AgentDojo's tasks allow, and the ``agentdojo`` attack must plant exactly the text
AgentDojo's own attack class writes. Tests that need the agentdojo package skip without it (it is
in the dev extra, so CI runs them); the missing-package message is tested either way.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import run_cli
from suho.agents import AgentPlan, load_suite, plan_agent_attempts, run_episode
from suho.episode import Attempt
from suho.targets import TargetSpec
from suho.targets._script import ScriptTarget

needs_agentdojo = pytest.mark.skipif(
    importlib.util.find_spec("agentdojo") is None, reason="agentdojo is not installed"
)
ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-2024-05-13"  # AgentDojo addresses this one as "GPT-4"


def _attempts(suite: str, **kw: Any) -> list[Attempt]:
    plan = AgentPlan(suites=[load_suite(suite)], model_name=MODEL, **kw)
    return list(plan_agent_attempts("t", plan))


def _run(attempts: list[Attempt], agent: str) -> list[tuple[Attempt, Any]]:
    target = ScriptTarget(TargetSpec.parse(f"script:{agent}"))

    async def go() -> list[tuple[Attempt, Any]]:
        out = []
        for a in attempts:
            _, judgement = await run_episode(a, target)
            out.append((a, judgement))
        return out

    return asyncio.run(go())


def _pair(a: Attempt) -> tuple[str, str | None]:
    return str(a.extra["user_task"]), a.extra["injection_task"]


@needs_agentdojo
def test_ground_truth_scores_full_utility_and_no_hijack_on_banking() -> None:
    attempts = _attempts("agentdojo:banking")
    assert len(attempts) == 16 + 16 * 9  # every user task is injectable in AgentDojo banking
    results = _run(attempts, "ground-truth")
    benign = [j for a, j in results if a.extra["injection_task"] is None]
    attacked = [j for a, j in results if a.extra["injection_task"] is not None]
    assert len(benign) == 16 and all(j.utility and j.security is None for j in benign)
    assert len(attacked) == 144
    assert all(j.utility for j in attacked)
    assert not any(j.security for j in attacked)


@needs_agentdojo
def test_obedient_agent_is_hijacked_wherever_agentdojo_allows_it() -> None:
    results = _run(_attempts("agentdojo:banking"), "obedient")
    missed = {_pair(a) for a, j in results if a.extra["injection_task"] and not j.security}
    # The one exception is AgentDojo's own design: user task 14 sets the password itself after
    # the injected password change, so injection task 7's end state never holds.
    assert missed == {("user_task_14", "injection_task_7")}
    assert all(j.utility for a, j in results if a.extra["injection_task"] is None)


@needs_agentdojo
def test_refusing_agent_has_utility_only_where_agentdojo_asks_for_none() -> None:
    suite = load_suite("agentdojo:banking")
    dojo: Any = getattr(suite, "dojo")  # noqa: B009
    benign = [a for a in _attempts("agentdojo:banking") if a.extra["injection_task"] is None]
    useful = {str(a.extra["user_task"]) for a, j in _run(benign, "refuse") if j.utility}
    # Some AgentDojo banking tasks' utility holds on an untouched environment (a read-only
    # look, or "change nothing unless ..."): exactly those, and only those, count for a refusal.
    env = dojo.load_and_inject_default_environment({})
    lenient = {tid for tid, t in dojo.user_tasks.items() if t.utility("", env, env)}
    assert useful == lenient and len(useful) <= 5


@needs_agentdojo
@pytest.mark.parametrize("name", ["slack", "travel", "workspace"])
def test_the_other_suites_load_and_ground_truth_passes(name: str) -> None:
    attempts = _attempts(f"agentdojo:{name}")
    suite = load_suite(f"agentdojo:{name}")
    benign = [a for a in attempts if a.extra["injection_task"] is None]
    assert len(benign) == len(suite.user_tasks)
    # every user task with one injection task (the full cross product runs in the scans)
    first = suite.injection_tasks[0].id
    attacked = [a for a in attempts if a.extra["injection_task"] == first]
    assert len(attacked) == len(suite.user_tasks)
    results = _run(benign + attacked, "ground-truth")
    assert all(j.utility for _, j in results)
    assert not any(j.security for _, j in results)


@needs_agentdojo
def test_the_agentdojo_attack_plants_agentdojos_own_text_in_agentdojos_vectors() -> None:
    from agentdojo.attacks.important_instructions_attacks import ImportantInstructionsAttack

    suite = load_suite("agentdojo:banking")
    dojo: Any = getattr(suite, "dojo")  # noqa: B009
    theirs = ImportantInstructionsAttack(dojo, SimpleNamespace(name=MODEL))
    attacked = [a for a in _attempts("agentdojo:banking") if a.extra["injection_task"]]
    assert {a.extra["injection_attack"] for a in attacked} == {"agentdojo"}  # the default
    for a in attacked[::7]:
        user, inj = _pair(a)
        texts = theirs.attack(dojo.user_tasks[user], dojo.injection_tasks[str(inj)])
        assert set(a.extra["vectors"]) == set(texts)
        assert {a.extra["payload"]} == set(texts.values())
        assert "GPT-4" in a.extra["payload"] and "Emma Johnson" in a.extra["payload"]
    # suho's own important-instructions is also available, in its own wording
    ours = _attempts("agentdojo:banking", attacks=["important-instructions"])
    assert "<important_notice>" in str(next(a for a in ours if a.extra["payload"]).extra["payload"])
    # an unknown model id is addressed by AgentDojo's default name instead of failing
    odd = list(
        plan_agent_attempts(
            "t", AgentPlan(suites=[suite], attacks=["agentdojo"], model_name="my-model")
        )
    )
    assert "the AI language model" in str(odd[-1].extra["payload"])


@needs_agentdojo
def test_tools_are_described_as_agentdojo_describes_them() -> None:
    suite = load_suite("agentdojo:banking")
    dojo: Any = getattr(suite, "dojo")  # noqa: B009
    ours = {t.name: t for t in suite.tools()}
    assert set(ours) == {f.name for f in dojo.tools}
    for f in dojo.tools:
        assert ours[f.name].description == f.description
        assert ours[f.name].parameters == f.parameters.model_json_schema()
    assert suite.system.startswith("You are an AI language model")


@needs_agentdojo
def test_bad_tool_arguments_become_messages_to_the_model() -> None:
    from suho.episode import ToolRuntime
    from suho.targets import ToolCall

    a = _attempts("agentdojo:banking")[0]
    from suho.agents._agentdojo import AgentDojoEnvironment

    env = AgentDojoEnvironment(a)
    asyncio.run(env.setup(a))
    rt = ToolRuntime(env.tools(), bind={"env": env})
    out = asyncio.run(rt.call(ToolCall("1", "send_money", '{"recipient": "X"}')))
    assert out.error and "amount" in out.error
    out = asyncio.run(rt.call(ToolCall("2", "update_scheduled_transaction", '{"id": 999}')))
    assert out.error and "ValueError" in out.content  # AgentDojo's own error, shown to the model
    out = asyncio.run(rt.call(ToolCall("3", "get_most_recent_transactions", '{"n": 2}')))
    assert out.ok and "amount:" in out.content  # AgentDojo's YAML formatting


@needs_agentdojo
def test_cli_scan_of_agentdojo_banking_with_the_ground_truth_agent(tmp_path: Path) -> None:
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "script:ground-truth",
        "--suite",
        "agentdojo:banking",
        "--db",
        str(tmp_path / "s.db"),
        "--out",
        str(tmp_path / "r"),
        "-q",
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    run_id = next(x.split()[1] for x in r.stdout.splitlines() if x.startswith("run "))
    rep = run_cli("report", run_id, "--format", "json", "--db", str(tmp_path / "s.db"))
    assert rep.returncode == 0, rep.stderr
    t = json.loads(rep.stdout)["agent"]["totals"]
    assert t["benign_utility"] == 1.0 and t["utility_under_attack"] == 1.0
    assert t["targeted_asr"] == 0.0 and t["episodes"] == 160
    r = run_cli("agent", "suites")
    names = [line.split("\t")[0] for line in r.stdout.splitlines()]
    assert {"agentdojo:banking", "agentdojo:workspace", "banking-ko"} <= set(names)
    r = run_cli("agent", "tasks", "agentdojo:banking")
    assert r.returncode == 0 and "user_task_0\tuser\tinjection_bill_text" in r.stdout


@needs_agentdojo
@pytest.mark.parametrize(
    ("suite", "attacks", "needle"),
    [
        ("agentdojo:nope", "agentdojo", "Known: agentdojo:banking"),
        ("agentdojo:banking", "mcp-poison", "no MCP servers"),
        ("banking-en", "agentdojo", "AgentDojo suites (agentdojo:NAME) only"),
        ("agentdojo:banking", "agentdojo:no_such_attack", "unknown AgentDojo attack"),
    ],
)
def test_bad_agentdojo_input_exits_2(tmp_path: Path, suite: str, attacks: str, needle: str) -> None:
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "script:ground-truth",
        "--suite",
        suite,
        "--attacks",
        attacks,
        "--db",
        str(tmp_path / "x.db"),
        "-q",
    )
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_agentdojo_suite_without_the_package_exits_2_saying_what_to_install(
    tmp_path: Path,
) -> None:
    # a stand-in package that fails to import, as a missing one does
    shadow = tmp_path / "shadow" / "agentdojo"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('agentdojo is not installed')\n")
    env = {"PYTHONPATH": str(tmp_path / "shadow")}
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "script:ground-truth",
        "--suite",
        "agentdojo:banking",
        "--db",
        str(tmp_path / "x.db"),
        env=env,
    )
    assert r.returncode == 2
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "pip install 'suho[agentdojo]'" in lines[0], r.stderr
    r = run_cli("agent", "suites", env=env)
    assert r.returncode == 0 and "agentdojo:" not in r.stdout and "banking-ko" in r.stdout
    # installed but broken (an incompatible version): still one line, exit 2
    (shadow / "__init__.py").write_text("raise TypeError('incompatible pydantic')\n")
    r = run_cli("agent", "tasks", "agentdojo:banking", env=env)
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "failed to import (TypeError: incompatible pydantic)" in lines[0]


@needs_agentdojo
def test_a_tool_calling_model_over_http_on_agentdojo_banking(tmp_path: Path) -> None:
    """The wire path: suho's OpenAI target against the benchmark's fake model, which replays
    AgentDojo's ground truth and obeys a fixed half of the injections (bench/_dojo_server.py)."""
    sys.path.insert(0, str(ROOT))
    from bench.bench_agentdojo import table

    (tmp_path / "table.json").write_text(json.dumps(table()), encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "_dojo_server.py"),
            "--table",
            str(tmp_path / "table.json"),
            "--latency",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        r = run_cli(
            "agent",
            "scan",
            "--target",
            f"openai:{MODEL}",
            "--base-url",
            f"http://127.0.0.1:{port}/v1",
            "--api-key-env",
            "DOJO_TEST_KEY",
            "--suite",
            "agentdojo:banking",
            "--db",
            str(tmp_path / "s.db"),
            "--out",
            str(tmp_path / "r"),
            "-q",
            env={**os.environ, "DOJO_TEST_KEY": "not-a-key"},
            timeout=600,
        )
    finally:
        server.terminate()
        server.wait(10)
    assert r.returncode == 0, r.stderr
    run_id = next(x.split()[1] for x in r.stdout.splitlines() if x.startswith("run "))
    rep = run_cli("report", run_id, "--format", "json", "--db", str(tmp_path / "s.db"))
    t = json.loads(rep.stdout)["agent"]["totals"]
    assert t["episodes"] == 160 and t["benign_utility"] == 1.0
    # about half of the pairs obey the injection (bench/_dojo_server.py's fixed rule); the
    # benchmark shows AgentDojo's own runner scoring these same pairs identically
    assert 0.3 < t["targeted_asr"] < 0.7
    assert t["utility_under_attack"] > 0.85
