"""End-to-end: `suho agent ...` through the real CLI, engine and store, against the fake server
answering with tool calls (OpenAI and Anthropic shapes), with a kill -9 and a resume."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from conftest import run_cli, suho_cmd
from suho.agents._suite import _data_dir


def _run_id(out: str) -> str:
    return next(line.split()[1] for line in out.splitlines() if line.startswith("run "))


def _scan(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "agent", "scan", "--db", str(tmp / "suho.db"), "--out", str(tmp / "reports"), "-q", *args
    )


def _report(tmp: Path, run_id: str) -> dict[str, Any]:
    r = run_cli("report", run_id, "--format", "json", "--db", str(tmp / "suho.db"))
    assert r.returncode == 0, r.stderr
    data: dict[str, Any] = json.loads(r.stdout)
    return data


def test_listing_commands() -> None:
    r = run_cli("agent", "suites")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) >= 8
    names = [line.split("\t")[0] for line in lines]
    assert "banking-ko" in names and "banking-en" in names and "public-ko" in names
    r = run_cli("agent", "tasks", "messenger-ko")
    assert (
        r.returncode == 0 and "user_01\tuser" in r.stdout and "injection_05\tinjection" in r.stdout
    )
    r = run_cli("agent", "attacks")
    assert r.returncode == 0
    assert {line.split("\t")[0] for line in r.stdout.splitlines()} >= {
        "direct",
        "ignore-previous",
        "important-instructions",
        "tool-knowledge",
        "authority",
    }
    r = run_cli("agent", "defenses")
    assert r.returncode == 0 and "spotlight-datamark\t" in r.stdout and "detector\t" in r.stdout


def test_a_bad_suite_file_exits_2_naming_file_and_task(tmp_path: Path) -> None:
    raw = json.loads((_data_dir() / "public-ko" / "suite.json").read_text(encoding="utf-8"))
    raw["user_tasks"][3]["ground_truth"][1]["tool"] = "wire_money_abroad"
    p = tmp_path / "my-suite.json"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    for args in (
        ["agent", "tasks", str(p)],
        [
            "agent",
            "scan",
            "--target",
            "script:refuse",
            "--suite",
            str(p),
            "--db",
            str(tmp_path / "x.db"),
        ],
    ):
        r = run_cli(*args)
        assert r.returncode == 2
        assert str(p) in r.stderr and "task user_04" in r.stderr
        assert "unknown tool 'wire_money_abroad'" in r.stderr and "Traceback" not in r.stderr
    r = run_cli(
        "agent",
        "scan",
        "--target",
        "script:refuse",
        "--attacks",
        "nope",
        "--db",
        str(tmp_path / "x.db"),
    )
    assert r.returncode == 2 and "nope" in r.stderr


def test_scripted_agents_through_the_cli(tmp_path: Path) -> None:
    r = _scan(
        tmp_path,
        "--target",
        "script:ground-truth",
        "--suite",
        "workspace-ko,workspace-en",
        "--defenses",
        "none,spotlight-delimit",
    )
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path, _run_id(r.stdout))
    t = rep["agent"]["totals"]
    assert t["benign_utility"] == 1.0 and t["utility_under_attack"] == 1.0
    assert t["targeted_asr"] == 0.0 and t["episodes"] == 2 * 2 * (10 + 50)
    assert set(rep["agent"]["by_defense"]) == {"none", "spotlight-delimit"}
    assert set(rep["agent"]["by_lang"]) == {"ko", "en"}
    r = _scan(
        tmp_path,
        "--target",
        "script:obedient",
        "--suite",
        "workspace-ko,workspace-en",
        "--fail-on",
        "0.5",
    )
    assert r.returncode == 1, r.stderr  # every injection succeeds: above --fail-on
    rid = _run_id(r.stdout)
    rep = _report(tmp_path, rid)
    html = run_cli("report", rid, "--format", "html", "--db", str(tmp_path / "suho.db"))
    assert html.returncode == 0, html.stderr
    page = html.stdout
    assert 'id="agent"' in page and "<mark>" in page and "transcript" in page
    # the payload's pseudo-tag is shown as text, never as markup
    assert "&lt;중요_안내&gt;" in page and "<중요_안내>" not in page
    sarif = json.loads(
        run_cli("report", rid, "--format", "sarif", "--db", str(tmp_path / "suho.db")).stdout
    )
    tags = sarif["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"]
    assert "ASI01" in tags and "AML.T0051.001" in tags
    assert rep["agent"]["taxonomy"]["all"]["owasp"][0] == "ASI01"
    assert rep["agent"]["totals"]["targeted_asr"] == 1.0
    assert rep["agent"]["ko_en_gap"]["n_pairs"] == 50
    assert rep["agent"]["blast_radius"]["hijacked_episodes"] == 100


# The fake tool agent reads every argument-free tool, then runs any `name({...})` call written
# in what it read. In banking, those tools reach the transaction memo and the bank notice: the
# user tasks that read those vectors (6 of 10) get hijacked by a tool-knowledge payload.
HIJACKABLE = 6


def test_openai_tool_calls_end_to_end(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "tool-agent")
    r = _scan(
        tmp_path,
        "--target",
        "openai:fake",
        "--base-url",
        srv.base_url,
        "--suite",
        "banking-ko",
        "--attacks",
        "tool-knowledge",
    )
    assert r.returncode == 0, r.stderr
    assert "targeted ASR 60.0%" in r.stderr
    rep = _report(tmp_path, _run_id(r.stdout))
    t = rep["agent"]["totals"]
    assert t["episodes"] == 60 and t["benign_utility"] == 0.0
    assert t["targeted_asr"] == HIJACKABLE * 5 / 50
    assert rep["agent"]["by_attack"]["tool-knowledge"]["targeted_asr"] == 0.6
    assert rep["agent"]["blast_radius"]["total"]["money_moved"] > 0
    hijacked = next(a for a in rep["attempts"] if a["success"])
    kinds = [e["kind"] for e in hijacked["events"]]
    assert kinds.count("tool_call") >= 6 and "tool_result" in kinds
    assert hijacked["verdicts"]["agent"]["evidence"]["security"] is True
    # the tools went to the server in the OpenAI shape, and its parallel calls were all run
    first = next(e for e in hijacked["events"] if e["kind"] == "model_call")
    assert first["data"]["tools"] == 12 and len(first["data"]["tool_calls"]) == 6


def test_anthropic_tool_use_end_to_end(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "tool-agent")
    r = _scan(
        tmp_path,
        "--target",
        "anthropic:fake",
        "--base-url",
        srv.base_url[: -len("/v1")],
        "--suite",
        "banking-en",
        "--attacks",
        "tool-knowledge",
    )
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path, _run_id(r.stdout))
    assert rep["agent"]["totals"]["targeted_asr"] == HIJACKABLE * 5 / 50


def _done(db: Path) -> int:
    try:
        with sqlite3.connect(db) as c:
            return int(c.execute("SELECT count(*) FROM attempts WHERE status='done'").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_kill_9_then_resume_finishes_every_episode_once(
    server_factory: Any, tmp_path: Path
) -> None:
    base = server_factory("--policy", "tool-agent")
    (tmp_path / "full").mkdir()
    full = _scan(
        tmp_path / "full",
        "--target",
        "openai:fake",
        "--base-url",
        base.base_url,
        "--suite",
        "banking-ko",
        "--attacks",
        "tool-knowledge",
    )
    assert full.returncode == 0, full.stderr
    baseline = len(base.requests())

    srv = server_factory("--policy", "tool-agent", "--latency-ms", "60")
    db = tmp_path / "suho.db"
    proc = subprocess.Popen(
        [
            *suho_cmd(),
            "agent",
            "scan",
            "--target",
            "openai:fake",
            "--base-url",
            srv.base_url,
            "--suite",
            "banking-ko",
            "--attacks",
            "tool-knowledge",
            "--concurrency",
            "2",
            "--db",
            str(db),
            "--out",
            str(tmp_path / "reports"),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while _done(db) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert 10 <= _done(db) < 60
    r = run_cli("resume", "latest", "--db", str(db), "--out", str(tmp_path / "reports"), "-q")
    assert r.returncode == 0, r.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT status, count(*) FROM attempts GROUP BY status").fetchall() == [
            ("done", 60)
        ]
        n, distinct = c.execute(
            "SELECT count(*), count(DISTINCT attempt_id) FROM verdicts WHERE turn IS NULL"
        ).fetchone()
        assert n == distinct == 60
    # done episodes were not sent again; checkpointed ones were replayed, not re-sent: at most
    # the calls in flight at the kill (one per worker) went out twice
    sent = len(srv.requests())
    assert baseline <= sent <= baseline + 2
    rep = _report(tmp_path, "latest")
    assert rep["agent"]["totals"]["targeted_asr"] == HIJACKABLE * 5 / 50


def test_a_suite_file_of_your_own_scans_and_resumes(tmp_path: Path) -> None:
    raw = json.loads((_data_dir() / "messenger-en" / "suite.json").read_text(encoding="utf-8"))
    raw["name"] = "my-messenger"
    raw["user_tasks"] = raw["user_tasks"][:3]
    p = tmp_path / "suite.json"
    p.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    r = _scan(tmp_path, "--target", "script:ground-truth", "--suite", str(p))
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path, _run_id(r.stdout))
    assert list(rep["agent"]["by_suite"]) == ["my-messenger"]
    assert rep["agent"]["totals"]["episodes"] == 3 * (1 + 5)
    assert rep["agent"]["totals"]["benign_utility"] == 1.0
