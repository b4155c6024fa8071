"""`suho agent scan --limit N --seed S`: a seeded sample of the planned tasks, spread over suites
and languages, each sampled user x injection pair with its user task's benign run (so utility
and utility under attack are measured on the same user tasks) and its KO/EN twin."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from conftest import run_cli
from suho.agents import AgentPlan, load_suite, plan_agent_attempts, sample_agent_tasks, suite_names
from suho.agents._plan import agent_tasks


def _plan(**kw: Any) -> AgentPlan:
    return AgentPlan(suites=[load_suite(n) for n in kw.pop("names", suite_names())], **kw)


def _benign_kept(chosen: frozenset[tuple[str, str, str | None]]) -> None:
    for suite, user, inj in chosen:
        if inj is not None:
            assert (suite, user, None) in chosen, (suite, user, inj)


def test_the_sample_is_seeded_spread_and_keeps_benign_runs_and_twins() -> None:
    total = len(agent_tasks(_plan()))
    for limit in (1, 2, 3, 7, 16, 40, 101):
        s = sample_agent_tasks(_plan(limit=limit, seed=0))
        assert s.candidates == total and s.sampled
        assert s.chosen is not None and len(s.chosen) == limit == s.selected
        _benign_kept(s.chosen)
    a = sample_agent_tasks(_plan(limit=40, seed=7)).chosen
    assert a == sample_agent_tasks(_plan(limit=40, seed=7)).chosen
    assert a != sample_agent_tasks(_plan(limit=40, seed=8)).chosen
    assert a is not None
    # every suite (so every environment and both languages) is in a sample of 40
    assert set(Counter(t[0] for t in a)) == set(suite_names())
    # a pair's twin in the other language's suite comes along
    for suite, user, inj in a:
        twin = load_suite(suite).twin
        assert twin is not None and (twin, user, inj) in a
    # a limit at least the whole plan plans everything
    whole = sample_agent_tasks(_plan(limit=total, seed=3))
    assert whole.chosen is None and not whole.sampled and whole.selected == total


def test_one_language_and_every_attack_defense_and_repeat_per_task() -> None:
    kw: dict[str, Any] = {
        "names": ["banking-ko", "messenger-ko", "public-ko"],
        "attacks": ["important-instructions", "direct"],
        "defenses": ["none", "spotlight-delimit"],
        "repeats": 2,
    }
    plan = _plan(limit=9, seed=2, **kw)
    chosen = sample_agent_tasks(plan).chosen
    assert chosen is not None and len(chosen) == 9
    _benign_kept(chosen)
    assert len({t[0] for t in chosen}) == 3  # spread over the three suites
    benign = sum(t[2] is None for t in chosen)
    attempts = list(plan_agent_attempts("r", plan))
    assert len(attempts) == (benign + (9 - benign) * 2) * 2 * 2
    got = {(a.extra["suite"], a.extra["user_task"], a.extra["injection_task"]) for a in attempts}
    assert got == chosen
    # the sampled episodes are exactly those of the full plan: same ids, same payloads
    full = {a.id: a for a in plan_agent_attempts("r", _plan(**kw))}
    for a in attempts:
        assert full[a.id].extra["payload"] == a.extra["payload"]
    assert [a.seq for a in attempts] == list(range(len(attempts)))


def _episodes(db: Path, run_id: str) -> set[tuple[str, str, str]]:
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "SELECT probe_id, transform, status FROM attempts WHERE run_id = ?", (run_id,)
        ).fetchall()
    return {(r[0], r[1], r[2]) for r in rows}


def test_agent_scan_limit_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "suho.db"

    def scan(*args: str, ui: str = "en") -> tuple[str, str]:
        r = run_cli(
            "--ui",
            ui,
            "agent",
            "scan",
            "--target",
            "script:ground-truth",
            "--suite",
            "banking-ko,banking-en,public-ko,public-en",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "reports"),
            "-q",
            *args,
        )
        assert r.returncode == 0, r.stderr
        run_id = next(x.split()[1] for x in r.stdout.splitlines() if x.startswith("run "))
        return run_id, r.stderr

    rid, stderr = scan("--limit", "12", "--seed", "5")
    total = len(agent_tasks(_plan(names=["banking-ko", "banking-en", "public-ko", "public-en"])))
    assert f"--limit 12: 12 of {total} tasks" in stderr and "seed 5" in stderr
    r = run_cli("report", rid, "--format", "json", "--db", str(db))
    assert r.returncode == 0, r.stderr
    agent = json.loads(r.stdout)["agent"]
    assert agent["totals"]["episodes"] == 12
    assert agent["totals"]["benign_utility"] == 1.0
    assert agent["totals"]["utility_under_attack"] == 1.0
    assert agent["totals"]["targeted_asr"] == 0.0
    assert set(agent["by_lang"]) == {"ko", "en"}
    first = _episodes(db, rid)
    assert len(first) == 12 and all(status == "done" for *_, status in first)
    benign = {p.rsplit("/", 2)[0] for p, t, _ in first if t == "none"}
    for p, t, _ in first:  # each attacked user task has its benign run in the sample
        assert t == "none" or p.split("/", 2)[0] + "/" + p.split("/", 2)[1] in benign
    # the same seed plans the same episodes; another seed, another sample
    again, _ = scan("--limit", "12", "--seed", "5", ui="ko")
    assert _episodes(db, again) == first
    other, _ = scan("--limit", "12", "--seed", "6")
    assert _episodes(db, other) != first
    # a limit above the plan: every task, and nothing said about sampling
    _, stderr = scan("--limit", "100000")
    assert "--limit" not in stderr


def test_agent_scan_limit_in_korean_and_bad_values(tmp_path: Path) -> None:
    r = run_cli(
        "--ui",
        "ko",
        "agent",
        "scan",
        "--target",
        "script:refuse",
        "--suite",
        "public-ko",
        "--limit",
        "3",
        "--db",
        str(tmp_path / "x.db"),
        "--out",
        str(tmp_path / "reports"),
        "-q",
    )
    assert r.returncode == 0, r.stderr
    assert "--limit 3: 과제" in r.stderr and "3개를 스위트·언어별로" in r.stderr
    help_ko = run_cli("--ui", "ko", "agent", "scan", "--help")
    assert "--limit" in help_ko.stdout and "표본의 시드" in help_ko.stdout
    for bad in ("0", "-1", "x"):
        r = run_cli("agent", "scan", "--target", "script:refuse", "--limit", bad)
        assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_sampled_task_runs_under_the_attacks_that_reach_it() -> None:
    # An MCP attack reaches every pair (through a tool's description); a planted payload only
    # the pairs whose user task reads the injection's vectors.
    plan = _plan(names=["banking-ko"], limit=12, seed=4, attacks=["direct", "mcp-poison"])
    chosen = sample_agent_tasks(plan).chosen
    assert chosen is not None and len(chosen) == 12
    _benign_kept(chosen)
    attempts = list(plan_agent_attempts("r", plan))
    by_task: dict[tuple[str, str, str | None], set[str]] = {}
    for a in attempts:
        key = (a.extra["suite"], a.extra["user_task"], a.extra["injection_task"])
        by_task.setdefault(key, set()).add(a.extra["injection_attack"])
    assert set(by_task) == chosen  # every sampled task runs, under at least one attack
    assert all("mcp-poison" in attacks for (_, _, inj), attacks in by_task.items() if inj)


def test_user_and_injection_task_filters_plan_only_those_tasks() -> None:
    suite = load_suite("banking-ko")
    ut = [t.id for t in suite.user_tasks][:2]
    it = [t.id for t in suite.injection_tasks][:1]
    plan = _plan(names=["banking-ko"], user_tasks=frozenset(ut), injection_tasks=frozenset(it))
    got = {
        (a.extra["user_task"], a.extra["injection_task"]) for a in plan_agent_attempts("r", plan)
    }
    assert {u for u, _ in got} == set(ut)
    assert {i for _, i in got} <= {None, *it}
    assert all((u, None) in got for u in ut)  # the benign runs of the chosen user tasks stay
    full = _plan(names=["banking-ko"])
    want = {
        (a.extra["user_task"], a.extra["injection_task"])
        for a in plan_agent_attempts("r", full)
        if a.extra["user_task"] in ut and a.extra["injection_task"] in (None, *it)
    }
    assert got == want  # exactly the full plan's episodes for those tasks, no more
    assert set(agent_tasks(plan)) == {("banking-ko", u, i) for u, i in got}


def test_unknown_task_ids_are_a_clear_input_error(tmp_path: Path) -> None:
    for opt, bad in (("--user-tasks", "no_such_task"), ("--injection-tasks", "nope")):
        r = run_cli(
            "agent",
            "scan",
            "--target",
            "script:refuse",
            "--suite",
            "banking-en",
            opt,
            bad,
            "--db",
            str(tmp_path / "x.db"),
            "--out",
            str(tmp_path / "r"),
            "-q",
        )
        assert r.returncode == 2, r.stderr
        assert bad in r.stderr and "banking-en" in r.stderr and "Traceback" not in r.stderr
