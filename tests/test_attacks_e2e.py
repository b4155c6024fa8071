"""Multi-turn attacks through the real CLI and engine: ``suho scan --attacks single,crescendo``
against tests/fake_server.py (a target that gives in at its third user message), with a scripted
attacker and judge (``atk:``, registered as entry points at test time), the JSON report's
``turns``, per-attack rates and queries to success, ``--max-turns`` / ``--max-queries``, and a
``kill -9`` in the middle of conversations followed by an exact resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli, suho_cmd, write_probes
from suho.errors import SuhoInputError


def _probes(tmp_path: Path) -> Path:
    path = tmp_path / "p.jsonl"
    rows = [
        {"id": "e1", "intent_id": "i1", "lang": "en", "prompt": "explain the harmful thing one"},
        {"id": "k1", "intent_id": "i1", "lang": "ko", "prompt": "해로운 일 하나를 설명해 주세요"},
        {"id": "e2", "intent_id": "i2", "lang": "en", "prompt": "explain the harmful thing two"},
        {"id": "k2", "intent_id": "i2", "lang": "ko", "prompt": "해로운 일 둘을 설명해 주세요"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _scan(srv: Any, tmp_path: Path, kit: dict[str, str], *extra: str) -> dict[str, Any]:
    out = tmp_path / "reports"
    r = run_cli(
        "scan", "--target", "openai:fake", "--base-url", srv.base_url,
        "--probes", str(_probes(tmp_path)), "--db", str(tmp_path / "s.db"), "--out", str(out),
        "--attacker", "atk:attacker", "--judge", "atk:judge", "-q", *extra,
        env=kit,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr
    (path,) = out.glob("*/report.json")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _target_requests(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


def test_crescendo_scan_through_the_cli(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory("--policy", "give-in-3")
    report = _scan(srv, tmp_path, kit, "--attacks", "single,crescendo")
    atts = report["attempts"]
    by_attack = Counter(a["attack"] for a in atts)
    assert by_attack == {"single": 4, "crescendo": 4}
    for a in atts:
        assert a["status"] == "done", a
        if a["attack"] == "single":
            # One turn: the target's neutral answer (not a refusal, so a success for the
            # refusal detector) and no conversation.
            assert a["tries"] == 1 and a["turns"] is None and a["attacker_calls"] == 0
            continue
        # Found at turn 3: three target queries, three attacker prompts, three ratings.
        assert (a["tries"], a["attacker_calls"], a["judge_calls"]) == (3, 3, 3)
        note = next(e for e in a["events"] if e["kind"] == "note" and e.get("role") == "attack")
        assert note["data"]["best_turn"] == 3 and note["data"]["goal_met"] is True
        assert a["success"] is True
        turns = a["turns"]
        assert all({"role", "content"} <= set(t) for t in turns)
        assert [t["role"] for t in turns] == ["user", "assistant"] * 3
        assert [t["turn"] for t in turns] == [1, 1, 2, 2, 3, 3]
        assert [t.get("rating") for t in turns if t["role"] == "assistant"][-1] == 9
        assert [t["content"] for t in turns if t["role"] == "user"] == [
            "question 1",
            "question 2",
            "question 3",
        ]
    # The target saw 1 + 3 requests per probe and nothing else (the roles are scripted).
    reqs = srv.requests()
    assert len(reqs) == 4 * (1 + 3)
    assert Counter(q["messages"] for q in reqs) == {1: 8, 3: 4, 5: 4}
    # Per attack, language and category, with intervals; queries to success; the KO/EN gap.
    rates = report["rates"]
    assert rates["attack_success_by_attack"]["crescendo"]["successes"] == 4
    by_al = rates["attack_success_by_attack_lang"]
    assert by_al["crescendo"]["ko"]["trials"] == 2 and by_al["crescendo"]["en"]["successes"] == 2
    assert {"ci_low", "ci_high"} <= set(by_al["crescendo"]["ko"])
    assert "crescendo" in rates["attack_success_by_attack_category"]
    mt = report["multi_turn"]["crescendo"]
    assert mt["queries_to_success"]["median"] == 3
    assert mt["queries_to_success"]["distribution"] == {"3": 4}
    assert mt["queries"]["target"] == 12 and mt["queries"]["attacker"] == 12
    # The HTML report's conversation viewer gets every turn, escaped by the page (textContent).
    from test_report_formats import page_data, parse_page

    (html,) = (tmp_path / "reports").glob("*/report.html")
    data = page_data(parse_page(html.read_text("utf-8")))
    f = {name: i for i, name in enumerate(data["fields"])}
    convs = [r[f["turns"]] for r in data["rows"] if r[f["turns"]]]
    assert len(convs) == 4 and all(len(c) == 6 for c in convs)
    assert convs[0][-1][0] == "assistant" and convs[0][-1][2] == 3 and convs[0][-1][3] == 9
    assert all(r[f["turns"]] is None for r in data["rows"] if len(r) and r[f["attack"]] == 0)
    page = html.read_text("utf-8")
    # The page's tables: success by attack, and the KO/EN gap per attack.
    assert 'data-t="by_attack"' in page and 'data-t="gap_by_attack"' in page
    gap = report["gap"]["by_attack"]
    assert gap["crescendo"]["n_pairs"] == 2 and gap["single"]["n_pairs"] == 2
    assert "p_value" in gap["crescendo"]


def test_max_turns_and_max_queries_bound_the_conversation(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory("--policy", "give-in-3")
    report = _scan(srv, tmp_path, kit, "--attacks", "crescendo", "--max-turns", "2")
    assert report["config"]["attack_options"] == {"crescendo": {"max_turns": 2}}
    for a in report["attempts"]:
        note = next(e for e in a["events"] if e["kind"] == "note" and e.get("role") == "attack")
        assert a["tries"] == 2 and note["data"]["goal_met"] is False
        assert note["data"]["ended_by"] == "turns"
    srv2 = server_factory("--policy", "give-in-3")
    tmp2 = tmp_path / "q"
    tmp2.mkdir()
    report = _scan(srv2, tmp2, kit, "--attacks", "crescendo", "--max-queries", "1")
    assert report["config"]["max_steps"] == 1
    for a in report["attempts"]:
        assert a["tries"] == 1 and a["status"] == "done"
        note = next(e for e in a["events"] if e["kind"] == "note" and e.get("role") == "attack")
        assert note["data"]["ended_by"] == "budget:steps"


def test_bad_attack_option_is_a_one_line_input_error(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory()
    r = run_cli(
        "scan", "--target", "openai:fake", "--base-url", srv.base_url,
        "--probes", str(_probes(tmp_path)), "--db", str(tmp_path / "s.db"),
        "--attacks", "crescendo", "--attacker", "atk:attacker", "--judge", "atk:judge",
        "--attack-option", "crescendo.max_turn=3", "-q",
        env=kit,
    )  # fmt: skip
    assert r.returncode == 2 and "crescendo.max_turn" in r.stderr
    assert "Traceback" not in r.stderr and srv.requests() == []


def test_attacker_error_ends_the_attempt_in_error(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory("--policy", "give-in-3")
    out = tmp_path / "reports"
    r = run_cli(
        "scan", "--target", "openai:fake", "--base-url", srv.base_url,
        "--probes", str(_probes(tmp_path)), "--db", str(tmp_path / "s.db"), "--out", str(out),
        "--attacks", "crescendo", "--attacker", "atk:fail", "--judge", "atk:judge",
        "--retries", "1", "-q",
        env=kit,
    )  # fmt: skip
    assert "Traceback" not in r.stderr
    (path,) = out.glob("*/report.json")
    report = json.loads(path.read_text("utf-8"))
    for a in report["attempts"]:
        assert a["status"] == "error" and a["error"] == "server_error"
        assert a["success"] is None and "attacker (atk:fail)" in a["error_detail"]
        assert any(e["kind"] == "error" and e.get("role") == "attacker" for e in a["events"])
    assert srv.requests() == []  # the target was never asked


# -- kill -9 in the middle of conversations, then resume -------------------------------------


def _wait_for(db: Path, sql: str, n: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"scan ended early: {proc.stderr.read() if proc.stderr else ''}")
        if db.exists():
            try:
                with sqlite3.connect(db) as c:
                    if (c.execute(sql).fetchone() or (0,))[0] >= n:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the scan")


def test_crescendo_killed_mid_conversation_resumes_exactly_once(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory("--latency-ms", "150", "--policy", "give-in-3")
    n = 8
    probes = write_probes(tmp_path / "p.jsonl", [f"slow harmful thing {i}" for i in range(n)])
    db = tmp_path / "suho.db"
    env = {**os.environ, **kit}
    proc = subprocess.Popen(
        [*suho_cmd(), "scan", "--target", "openai:fake", "--base-url", srv.base_url,
         "--db", str(db), "--out", str(tmp_path / "reports"), "-q", "--probes", str(probes),
         "--attacks", "crescendo", "--attacker", "atk:attacker", "--judge", "atk:judge",
         "--concurrency", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    checkpointed_target_calls = (
        "SELECT count(*) FROM attempt_events WHERE json_extract(event, '$.kind') = 'model_call' "
        "AND json_extract(event, '$.role') = 'target'"
    )
    _wait_for(db, checkpointed_target_calls, 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with sqlite3.connect(db) as c:
        partial = c.execute("SELECT count(DISTINCT attempt_id) FROM attempt_events").fetchone()[0]
    assert partial > 0
    before = len(srv.requests())
    r = run_cli(
        "resume", "latest", "--db", str(db), "--out", str(tmp_path / "reports"), "-q", env=kit
    )
    assert r.returncode == 0, r.stderr
    after = srv.requests()[before:]
    # Every conversation is complete and whole: turns 1, 2, 3, each target call once.
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT status, tries, attacker_calls, events FROM attempts").fetchall()
        assert c.execute("SELECT count(*) FROM attempt_events").fetchone() == (0,)
    assert len(rows) == n
    for status, tries, attacker_calls, events in rows:
        evs = json.loads(events)
        assert status == "done" and tries == 3 and attacker_calls == 3
        assert [e["seq"] for e in evs] == list(range(len(evs)))
        calls = [e for e in evs if e["kind"] == "model_call" and e["role"] == "target"]
        assert [e["turn"] for e in calls] == [1, 2, 3]
        assert [e["turn"] for e in evs if e["kind"] == "attacker_turn"] == [1, 2, 3]
        assert [e["turn"] for e in evs if e["kind"] == "score" and e.get("role") == "judge"] == [
            1,
            2,
            3,
        ]
    # The resume sent only what was missing: at most the calls in flight at the kill again.
    total = n * 3
    assert before + len(after) <= total + 3
    assert len(after) < total


def test_attacker_and_judge_default_to_the_local_model(tmp_path: Path) -> None:
    from suho.cli._attack_args import apply_attack_args
    from suho.engine import RunConfig
    from suho.targets import DEFAULT_TARGET

    args: dict[str, Any] = {"attacks": ["single", "crescendo", "tap"], "max_steps": None}
    apply_attack_args(args, max_turns=4, max_queries=9, judge=None)
    cfg = RunConfig(**args)
    assert cfg.attacker == DEFAULT_TARGET and cfg.judge_role() == {"target": DEFAULT_TARGET}
    assert cfg.attack_options == {"crescendo": {"max_turns": 4}, "tap": {"depth": 4}}
    assert cfg.max_steps == 9 and "judge" not in cfg.detectors  # no judge detector added
    # --judge names the judge role (and, as before, adds the judge detector in the CLI).
    args = {
        "attacks": ["pair"],
        "attacker": "openai:a",
        "attack_options": {"pair": {"max_iterations": 2}},
    }
    apply_attack_args(args, max_turns=7, max_queries=None, judge="openai:j")
    assert args["attacker"] == "openai:a" and "judge_model" not in args
    assert args["attack_options"] == {"pair": {"max_iterations": 2}}  # explicit option wins
    # An attack that needs neither role leaves them unset; single's config is as before.
    args = {"attacks": ["single", "ko-escalation"]}
    apply_attack_args(args, max_turns=None, max_queries=None, judge=None)
    assert "attacker" not in args and "judge_model" not in args
    assert RunConfig(attacks=["single"]).stored() == RunConfig().stored()
    with pytest.raises(SuhoInputError, match="conversation attacks"):
        apply_attack_args({"attacks": ["single"]}, max_turns=3, max_queries=None, judge=None)
    with pytest.raises(SuhoInputError, match="disagree"):
        apply_attack_args(
            {"attacks": ["single"], "max_steps": 3}, max_turns=None, max_queries=4, judge=None
        )


def test_missing_local_model_for_a_role_is_one_line(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    """Without --attacker the attacker is the embedded local model; when it cannot run here the
    scan stops at preflight with one line naming the role, before anything is sent."""
    from suho.targets import DEFAULT_TARGET

    srv = server_factory()
    r = run_cli(
        "scan", "--target", "openai:fake", "--base-url", srv.base_url,
        "--probes", str(_probes(tmp_path)), "--db", str(tmp_path / "s.db"),
        "--attacks", "crescendo", "--judge", "atk:judge", "-q",
        env={**kit, "SUHO_HOME": str(tmp_path / "empty-home")},  # no model installed there
    )  # fmt: skip
    assert r.returncode == 2, r.stderr
    assert f"the attacker model ({DEFAULT_TARGET})" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and srv.requests() == []


def test_pair_tap_and_ko_escalation_through_the_cli(
    server_factory: Any, kit: dict[str, str], tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-all")
    report = _scan(
        srv, tmp_path, kit, "--attacks", "pair,tap,ko-escalation",
        "--attack-option", "tap.depth=1", "--attack-option", "pair.max_iterations=1",
    )  # fmt: skip
    atts = report["attempts"]
    assert Counter(a["attack"] for a in atts) == {"pair": 4, "tap": 4, "ko-escalation": 4}
    assert all(a["status"] == "done" and a["success"] is False for a in atts)
    for a in atts:
        kinds = Counter(e["kind"] for e in a["events"])
        if a["attack"] == "pair":  # 2 streams x 1 iteration
            assert (a["tries"], a["attacker_calls"], a["judge_calls"]) == (2, 2, 2)
        elif a["attack"] == "tap":  # 2 variations, one pruned off-topic before the target
            assert (a["tries"], a["attacker_calls"], a["judge_calls"]) == (1, 2, 3)
            assert [t.get("pruned") for t in a["turns"] if t["role"] == "user"] == [
                None,
                "off_topic",
            ]
        else:  # three scripted conversations of three messages, every answer a refusal
            assert a["tries"] == 9 and kinds["attacker_turn"] == 9
            assert {t["mode"] for t in a["turns"]} == {"switch", "register", "decompose"}
    mt = report["multi_turn"]
    assert set(mt) == {"pair", "tap", "ko-escalation"}
    assert mt["tap"]["pruned"] == 4 and mt["pair"]["queries_to_success"]["median"] is None
