"""The cyber range in the real sandbox: the sandbox's containment, challenges, graders, metrics.

Everything here runs bubblewrap for real (CI installs it). The full 16 x 2 x 2 reference/null
sweep is ``slow``; one challenge of each grader kind runs always.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli
from cyber_support import run_task
from suho.cyber import (
    FAMILIES,
    CyberEnvironment,
    Sandbox,
    SandboxLimits,
    builtin_challenges,
    escape_battery,
    load_challenge,
    probe,
    render,
)
from suho.cyber._challenge import FLAG_RE, render_text
from suho.cyber._metrics import Outcome, balance, cyber_section, pass_k
from suho.cyber._scripted import NullAgent, ReferenceSolver
from suho.cyber._seccomp import build_filter
from suho.cyber._selfcheck import run_scripted
from suho.errors import SuhoInputError

BUILTIN = {c.id: c for c in builtin_challenges()}


# -- the sandbox ---------------------------------------------------------------------------------


def test_machine_can_sandbox() -> None:
    missing = [c for c in probe() if c.essential and not c.ok]
    assert missing == [], missing


def test_seccomp_program_shape() -> None:
    for inner in (True, False):
        prog = build_filter(inner=inner)
        assert len(prog) % 8 == 0
        ins = [struct.unpack("<HBBI", prog[i : i + 8]) for i in range(0, len(prog), 8)]
        assert ins[0] == (0x20, 0, 0, 4)  # load arch first
        assert ins[-1][0] == 0x06 and ins[-1][3] & 0xFFFF0000 == 0x00050000  # RET ERRNO
        # every jump lands inside the program
        for i, (code, jt, jf, _) in enumerate(ins):
            if code & 0x07 == 0x05:
                assert i + 1 + max(jt, jf) < len(ins)
    assert len(build_filter(inner=True)) > len(build_filter(inner=False))


def test_escape_battery_all_contained() -> None:
    escapes = asyncio.run(escape_battery())
    names = {e.name for e in escapes}
    for expected in ("network egress", "read host files", "parent environment",
                     "write outside the task", "fork bomb", "memory bomb", "disk fill",
                     "process left behind", "ptrace parent / forbidden syscalls",
                     "symlink planted in the task"):  # fmt: skip
        assert expected in names
    escaped = [e for e in escapes if not e.contained]
    assert escaped == [], escaped


def test_sandbox_runs_commands_and_limits_time_and_output() -> None:
    async def go() -> None:
        limits = SandboxLimits(command_timeout=2, output_bytes=1000)
        async with await Sandbox.start({"a.txt": b"hello"}, limits=limits) as box:
            r = await box.exec("cat a.txt; echo; id -u; hostname")
            assert r.rc == 0 and r.output.split() == ["hello", "1000", "task"]
            r = await box.exec("sleep 30")
            assert r.timed_out
            r = await box.exec("head -c 5000 /dev/zero | tr '\\0' x")
            assert r.truncated and len(r.output) == 1000
            await box.write("/task/in.txt", b"x")
            assert await box.read("/task/in.txt") == b"x"
            assert await box.read("/task/none") is None

    asyncio.run(go())


def test_sandbox_removes_its_files() -> None:
    async def go() -> Path:
        box = await Sandbox.start({"x": b"1"})
        wd = box.workdir
        await box.close()
        await box.close()  # twice is fine
        return wd

    assert not asyncio.run(go()).exists()


def test_unsandboxed_never(monkeypatch: pytest.MonkeyPatch) -> None:
    from suho.cyber import _check
    from suho.cyber._sandbox import SandboxUnavailable

    bad = _check.Check("user namespace", False, "denied", "enable user namespaces")
    monkeypatch.setattr(_check, "essential_failures", lambda: [bad])
    with pytest.raises(SandboxUnavailable, match=r"refusing to run them unsandboxed.*enable user"):
        asyncio.run(Sandbox.start({}))


# -- challenges ----------------------------------------------------------------------------------


def test_taxonomy_ids_are_known() -> None:
    from suho.export._taxonomy import attack_techniques, reference_names

    known = attack_techniques()
    atlas = reference_names()
    for c in BUILTIN.values():
        assert c.spec.attack_ids and set(c.spec.attack_ids) <= set(known), c.id
        assert set(c.spec.atlas_ids) <= set(atlas), c.id


def test_range_shape() -> None:
    assert len(BUILTIN) >= 16
    assert {c.family for c in BUILTIN.values()} == set(FAMILIES)
    kinds = {c.spec.defense.kind for c in BUILTIN.values()}
    assert kinds == {"patch", "detect", "triage"}
    for c in BUILTIN.values():
        for mode in ("offense", "defense"):
            for lang in ("ko", "en"):
                assert c.task_text(mode, lang).strip()  # type: ignore[arg-type]


def test_flag_differs_per_run_and_is_rendered() -> None:
    ch = BUILTIN["web-sqli"]
    a, b = render(ch), render(ch)
    assert a.flag != b.flag and FLAG_RE.fullmatch(a.flag)
    assert a.flag.encode() in a.srv["seed.json"] and b.flag.encode() in b.srv["seed.json"]
    assert b"{{" not in a.srv["seed.json"]
    for r in (a, b):
        for mode in ("offense", "defense"):
            for lang in ("ko", "en"):
                assert r.flag not in ch.task_text(mode, lang)  # type: ignore[arg-type]


def test_template_filters() -> None:
    v = {"flag": "suho{ab}", "k": "ABCDEFGHIJKL"}
    import base64

    assert render_text("{{flag|b64|rev}}", v) == base64.b64encode(b"suho{ab}").decode()[::-1]
    assert render_text("{{ k | char4 }}", v) == "ABCD-EFGH-IJKL"
    assert render_text("{{flag|xor:1|c_bytes}}", {"flag": "AB"}) == "0x40, 0x43"
    assert render_text("{{flag|cut:2}}+{{flag|from:2}}", {"flag": "abcd"}) == "ab+cd"
    with pytest.raises(ValueError, match="unknown template value"):
        render_text("{{nope}}", v)


def _write_challenge(tmp: Path, **changes: str) -> Path:
    src = BUILTIN["web-sqli"].root
    d = tmp / "mine"
    shutil.copytree(str(src), d)
    toml = (d / "challenge.toml").read_text(encoding="utf-8")
    for old, new in changes.items():
        assert old in toml
        toml = toml.replace(old, new)
    (d / "challenge.toml").write_text(toml, encoding="utf-8")
    return d


def test_flag_in_task_text_is_a_load_error(tmp_path: Path) -> None:
    d = _write_challenge(tmp_path, **{"Find the flag in the admin": "Find {{flag}} in the admin"})
    with pytest.raises(SuhoInputError, match="flag leak"):
        load_challenge(d)
    d2 = _write_challenge(
        tmp_path / "b", **{"Find the flag in the admin": "Find suho{0123456789abcdef} in the admin"}
    )
    with pytest.raises(SuhoInputError, match=r"challenge\.toml: flag leak"):
        load_challenge(d2)


def test_bad_challenge_files_exit_2_naming_the_file(tmp_path: Path) -> None:
    leak = _write_challenge(
        tmp_path / "1", **{"Find the flag in the admin": "Find {{flag}} in the admin"}
    )
    r = run_cli("cyber", "list", "--dir", str(leak))
    assert r.returncode == 2 and "challenge.toml" in r.stderr and "flag leak" in r.stderr
    nograder = _write_challenge(tmp_path / "2", **{'tests = "python3 -I /grade/tests.py"\n': ""})
    r = run_cli("cyber", "list", "--dir", str(nograder))
    assert r.returncode == 2 and "missing grader" in r.stderr and str(nograder) in r.stderr
    assert "Traceback" not in r.stderr


def test_service_that_fails_to_start_exits_2(tmp_path: Path) -> None:
    d = _write_challenge(
        tmp_path, **{'cmd = "python3 /app/app.py 127.0.0.2 8080"': 'cmd = "python3 /app/nope.py"'}
    )
    r = run_cli("cyber", "check", str(d))
    assert r.returncode == 2, r.stderr
    assert "challenge.toml" in r.stderr and "service 'notes' failed to start" in r.stderr


def test_cyber_list_json() -> None:
    r = run_cli("cyber", "list", "--json")
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 0 and len(rows) == len(BUILTIN)
    assert {"id", "family", "difficulty", "defense", "title"} <= set(rows[0])


@pytest.mark.parametrize("cid", ["web-sqli", "web-traversal", "forensics-kakao"])
def test_one_of_each_grader_kind(cid: str) -> None:
    async def go() -> list[tuple[bool, str]]:
        ch = BUILTIN[cid]
        return list(await asyncio.gather(
            run_scripted(ch, "offense", ReferenceSolver()), run_scripted(ch, "offense", NullAgent()),
            run_scripted(ch, "defense", ReferenceSolver()), run_scripted(ch, "defense", NullAgent()),
        ))  # fmt: skip

    (ro, rd), (no, _), (rd2, dd), (nd, _) = asyncio.run(go())
    assert ro, rd
    assert rd2, dd
    assert not no and not nd


def test_offense_grader_refuses_decoys_and_partial_answers() -> None:
    async def go() -> None:
        env = CyberEnvironment(BUILTIN["forensics-kakao"], "offense")
        await env.setup()
        try:
            r = env.rendered
            assert r is not None
            assert (await env.grade(f"the code is {r.flag}")).passed
            env.grade_result = None
            assert not (await env.grade(f"{r.flag} or {r.decoys[0]}")).passed
            env.grade_result = None
            assert not (await env.grade(r.flag[:-2])).passed
            env.grade_result = None
            assert not (await env.grade(None)).passed
        finally:
            await env.teardown()

    asyncio.run(go())


def test_agent_loop_drives_the_shell_tool_and_records_the_transcript() -> None:
    grade, episode = asyncio.run(
        run_task(CyberEnvironment(BUILTIN["web-idor"], "offense"), ReferenceSolver(), lang="en")
    )
    assert grade.passed
    kinds = [e.kind for e in episode.events]
    assert "tool_call" in kinds and "tool_result" in kinds and kinds[-1] == "score"
    result = next(e for e in episode.events if e.kind == "tool_result")
    assert result.data["content"].startswith("[exit code 0]")
    assert episode.messages[1].content.startswith("A shop's order API")


@pytest.mark.slow
def test_every_challenge_reference_passes_and_null_fails() -> None:
    async def go() -> list[tuple[str, str, bool, str, bool]]:
        sem = asyncio.Semaphore(6)

        async def one(cid: str, mode: str) -> tuple[str, str, bool, str, bool]:
            async with sem:
                ref, detail = await run_scripted(BUILTIN[cid], mode, ReferenceSolver())  # type: ignore[arg-type]
                null, _ = await run_scripted(BUILTIN[cid], mode, NullAgent())  # type: ignore[arg-type]
            return cid, mode, ref, detail, null

        return list(
            await asyncio.gather(*(one(c, m) for c in BUILTIN for m in ("offense", "defense")))
        )

    results = asyncio.run(go())
    failures = [r for r in results if not r[2] or r[4]]
    assert failures == [], failures
    assert len(results) == 2 * len(BUILTIN)


# -- the number ----------------------------------------------------------------------------------


def test_balance_by_hand() -> None:
    # offense 1/4 -> (1.5/5)=0.3, defense 3/4 -> 0.7; logit(0.7) - logit(0.3) = 2*ln(7/3)
    import math

    assert balance(1, 4, 3, 4) == pytest.approx(2 * math.log(7 / 3))
    assert balance(0, 2, 2, 2) == pytest.approx(2 * math.log(5))  # 0/2 and 2/2 stay finite
    assert balance(0, 0, 1, 1) is None


def test_pass_k_is_unbiased() -> None:
    rows = [Outcome("a", "web", "offense", p, repeat=i) for i, p in enumerate([True, True, False])]
    rows += [Outcome("b", "web", "offense", True, repeat=i) for i in range(3)]
    pk = pass_k(rows, "offense")
    assert pk["1"] == pytest.approx((2 / 3 + 1) / 2)
    assert pk["2"] == pytest.approx((1 / 3 + 1) / 2)
    assert pk["3"] == pytest.approx((0 + 1) / 2)


def test_cyber_section_shape_and_seeded_ci() -> None:
    rows = []
    for i, fam in enumerate(["web", "web", "crypto", "forensics"]):
        rows.append(Outcome(f"c{i}", fam, "offense", i % 2 == 0, steps=3, tokens=100))
        rows.append(Outcome(f"c{i}", fam, "defense", True, steps=5, tokens=300))
    rows.append(Outcome("c9", "web", "offense", None))
    s1, s2 = cyber_section(rows, seed=3), cyber_section(rows, seed=3)
    assert s1 == s2
    t = s1["totals"]
    assert t["offense_success"] == 0.5 and t["defense_success"] == 1.0
    assert t["tasks"] == 8 and t["errors"] == 1
    assert t["balance"] == pytest.approx(balance(2, 4, 4, 4), abs=1e-4)
    lo, hi = t["balance_ci"]
    assert lo <= t["balance"] <= hi
    assert set(s1["by_family"]) == {"web", "crypto", "forensics"}
    assert s1["by_family"]["web"]["tasks"] == 4
    assert t["offense"]["ci_low"] < 0.5 < t["offense"]["ci_high"]
    assert t["steps_to_success"]["defense"]["mean"] == 5
    assert t["pass_k"]["offense"] == {"1": 0.5}


def test_new_challenge_dir_check_passes(tmp_path: Path) -> None:
    d = _write_challenge(tmp_path)
    r = run_cli("cyber", "check", str(d))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("[ok]") == 2


def test_sandbox_check_cli() -> None:
    r = run_cli("cyber", "sandbox-check", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["usable"] and all(e["contained"] for e in data["escapes"])
    assert len(data["escapes"]) >= 10


# -- suho cyber run through the engine -----------------------------------------------------------


def _kit_env(tmp: Path) -> tuple[dict[str, str], str]:
    """PYTHONPATH with the test provider, and the scripted provider's name: ``script`` once the
    agent arena's provider is installed, else the test kit's ``cyberscript``."""
    import os

    import cyber_testkit
    from suho import _registry

    kit = cyber_testkit.install(tmp / "kit")
    tests = str(Path(__file__).resolve().parent)
    env = {"PYTHONPATH": os.pathsep.join([str(kit), tests, os.environ.get("PYTHONPATH", "")])}
    provider = "script" if "script" in _registry.names("suho.targets") else "cyberscript"
    return env, provider


def _report(tmp: Path, out: str) -> dict:  # type: ignore[type-arg]
    run_id = next(ln.split()[1] for ln in out.splitlines() if ln.startswith("run "))
    return json.loads((tmp / "reports" / run_id / "report.json").read_text(encoding="utf-8"))


def test_cyber_run_reference_and_null_through_the_engine(tmp_path: Path) -> None:
    env, provider = _kit_env(tmp_path)
    common = ["--challenges", "web-sqli,forensics-kakao", "--db", str(tmp_path / "s.db"),
              "--out", str(tmp_path / "reports"), "-q"]  # fmt: skip
    r = run_cli("cyber", "run", "--target", f"{provider}:reference", *common, env=env)
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path, r.stdout)
    c = rep["cyber"]
    assert c["totals"]["offense_success"] == 1.0 and c["totals"]["defense_success"] == 1.0
    assert c["totals"]["tasks"] == 4 and set(c["by_family"]) == {"web", "forensics"}
    assert c["budget"]["steps"] == 15
    att = rep["attempts"][0]
    kinds = [e["kind"] for e in att["events"]]
    assert "tool_call" in kinds and "tool_result" in kinds
    v = att["verdicts"]["cyber"]
    assert v["hit"] and v["kind"] == "security" and v["label"] == "solved" and att["success"]
    assert "cyber: offense 100.0%, defense 100.0%" in r.stderr
    run_id = rep["run_id"]
    db = str(tmp_path / "s.db")
    sarif = json.loads(run_cli("report", run_id, "--db", db, "--format", "sarif", env=env).stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {"suho/web", "suho/forensics"}  # offense tasks only
    web = next(r for r in rules if r["id"] == "suho/web")
    assert "T1190" in web["properties"]["tags"] and "AML.T0053" in web["properties"]["tags"]
    stix = json.loads(run_cli("export", run_id, "--db", db, "--format", "stix", env=env).stdout)
    refs = {(x["source_name"], x["external_id"]) for o in stix["objects"]
            for x in o.get("external_references", [])}  # fmt: skip
    assert ("mitre-attack", "T1190") in refs and ("mitre-atlas", "AML.T0053") in refs

    r = run_cli("cyber", "run", "--target", f"{provider}:null", *common, "--repeats", "2", env=env)
    assert r.returncode == 0, r.stderr
    c = _report(tmp_path, r.stdout)["cyber"]
    assert c["totals"]["offense_success"] == 0.0 and c["totals"]["defense_success"] == 0.0
    assert c["totals"]["tasks"] == 8 and c["totals"]["pass_k"]["offense"] == {"1": 0.0, "2": 0.0}

    run_id = next(ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("run "))
    r = run_cli("report", run_id, "--db", str(tmp_path / "s.db"), "--format", "json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["cyber"]["totals"]["tasks"] == 8
    r = run_cli("resume", run_id, "--db", str(tmp_path / "s.db"), "--out",
                str(tmp_path / "reports"), "-q", env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _report(tmp_path, r.stdout)["cyber"]["totals"]["tasks"] == 8  # nothing repeated


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mode", "attack"], "--mode must be"),
        (["--challenges", "nope"], "unknown challenge nope"),
        (["--family", "cooking"], "unknown family cooking"),
        (["--lang", "fr"], "--lang must be"),
    ],
)
def test_cyber_run_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    r = run_cli("cyber", "run", "--db", str(tmp_path / "s.db"), *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_html_cyber_section_escapes_transcripts_and_charts_each_family() -> None:
    from suho.cyber._html import charts
    from suho.report._html import _pct, make_env

    rows = [Outcome("c1", "web", "offense", True), Outcome("c1", "web", "defense", False),
            Outcome("c2", "crypto<b>", "offense", False), Outcome("c2", "crypto<b>", "defense", True)]  # fmt: skip
    section = cyber_section(rows)
    evil = "<script>alert(1)</script>"
    html = make_env(None).get_template("cyber.html.j2").render(
        cyber=section, pct=_pct, cyber_charts=charts(section), cyber_total=1,
        cyber_transcripts=[{"challenge": "c1", "mode": "offense", "lang": "ko", "repeat": 0,
                            "status": "done", "solved": True, "detail": "flag found",
                            "answer": evil, "steps": [{"command": f"echo '{evil}'", "output": evil}]}],
    )  # fmt: skip
    assert "<script>" not in html and html.count("&lt;script&gt;") == 3
    assert html.count("<svg") == 3  # web, crypto<b>, all
    assert "crypto&lt;b&gt;: balance" in html and "<b>" not in html


def test_cyber_run_through_an_openai_compatible_server(tmp_path: Path, server_factory: Any) -> None:
    """A real HTTP target with tool calling (the fake server replays [[call:...]] markers from
    the task text), the real sandbox, the real grader: offense solved, and an answer without
    the flag (the defense twin gets no commands) unsolved."""
    cmd = BUILTIN["web-sqli"].spec.offense.reference[0].strip()
    marker = "[[call:shell:" + json.dumps({"command": cmd}) + "]]"
    marker = marker.replace("\\", "\\\\").replace('"', '\\"')  # inside a TOML string
    d = _write_challenge(tmp_path, **{
        "You do not know the admin password.": "You do not know the admin password. " + marker,
        "관리자 비밀번호는 모릅니다.": "관리자 비밀번호는 모릅니다. " + marker,
    })  # fmt: skip
    srv = server_factory()
    r = run_cli("cyber", "run", "--target", "openai:fake", "--base-url", srv.base_url,
                "--dir", str(d), "--lang", "en", "--db", str(tmp_path / "s.db"),
                "--out", str(tmp_path / "reports"), "-q",
                env={"OPENAI_API_KEY": "sk-test"})  # fmt: skip
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path, r.stdout)
    t = rep["cyber"]["totals"]
    assert t["offense_success"] == 1.0 and t["defense_success"] == 0.0 and t["tasks"] == 2
    offense = next(a for a in rep["attempts"] if a["probe_id"].endswith("/offense"))
    calls = [e for e in offense["events"] if e["kind"] == "tool_call"]
    assert len(calls) == 1 and json.loads(calls[0]["data"]["arguments"])["command"] == cmd
    reqs = srv.requests()
    # offense: the call, then the answer after the tool result; defense: one answer
    assert sorted(q["messages"] for q in reqs) == [2, 2, 4]


def test_kill_9_mid_run_then_resume_finishes_exactly_once(tmp_path: Path) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import time

    from conftest import suho_cmd

    env, provider = _kit_env(tmp_path)
    db = tmp_path / "s.db"
    proc = subprocess.Popen(
        [*suho_cmd(), "cyber", "run", "--target", f"{provider}:null", "--family", "web,crypto",
         "--concurrency", "1", "--db", str(db), "--out", str(tmp_path / "reports"), "-q"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and done < 2:
        time.sleep(0.2)
        if db.exists():
            try:
                with sqlite3.connect(db) as c:
                    done = c.execute(
                        "select count(*) from attempts where status='done'"
                    ).fetchone()[0]
            except sqlite3.Error:
                continue
    assert done >= 2, proc.stderr.read() if proc.poll() is not None and proc.stderr else "slow"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with sqlite3.connect(db) as c:
        (run_id,) = c.execute("select id from runs").fetchone()
        before = c.execute("select count(*) from attempts where status='done'").fetchone()[0]
    assert before < 12
    time.sleep(0.5)  # the pods die with their parent (--die-with-parent)
    stray = [
        p
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _cmdline_has(p, b"/suho/bin/pod.py")
    ]
    assert stray == []
    r = run_cli(
        "resume", run_id, "--db", str(db), "--out", str(tmp_path / "reports"), "-q", env=env
    )
    assert r.returncode == 0, r.stderr
    c = _report(tmp_path, r.stdout)["cyber"]
    assert c["totals"]["tasks"] == 12 and c["totals"]["errors"] == 0
    with sqlite3.connect(db) as conn:
        ids = [row[0] for row in conn.execute("select id from attempts where status='done'")]
    assert len(ids) == len(set(ids)) == 12


def _owner(d: Path) -> int | None:
    try:
        return int((d / "owner").read_text())
    except (OSError, ValueError):
        return None


def _cmdline_has(p: Path, needle: bytes) -> bool:
    try:
        return needle in (p / "cmdline").read_bytes()
    except OSError:
        return False


def test_unknown_template_value_is_a_load_error(tmp_path: Path) -> None:
    d = _write_challenge(tmp_path)
    seed = d / "srv" / "seed.json"
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("{{adminpw}}", "{{nope}}"), encoding="utf-8"
    )
    with pytest.raises(SuhoInputError, match="template problem: unknown template value 'nope'"):
        load_challenge(d)


def test_a_cancelled_command_never_desyncs_the_sandbox() -> None:
    from suho.cyber import SandboxError

    async def go() -> None:
        box = await Sandbox.start({})
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await box.exec("sleep 5; echo late")
            with pytest.raises(SandboxError):
                await box.exec("echo next")
        finally:
            await box.close()

    asyncio.run(go())


def test_select_by_ids_and_families() -> None:
    from suho.cyber import select

    pool = list(BUILTIN.values())
    assert [c.id for c in select(pool, ["web-sqli", "crypto-md5"], None)] == [
        "web-sqli",
        "crypto-md5",
    ]
    assert {c.family for c in select(pool, None, ["web"])} == {"web"}
    assert [c.id for c in select(pool, ["web-sqli", "crypto-md5"], ["crypto"])] == ["crypto-md5"]
    assert len(select(pool, None, None)) == len(pool)
    with pytest.raises(SuhoInputError, match="unknown family"):
        select(pool, None, ["cooking"])


def test_run_refuses_cc_challenges_without_a_compiler(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from suho.cyber import _run

    monkeypatch.setattr(_run, "cc_available", lambda: False)
    with pytest.raises(SuhoInputError, match="rev-crackme, rev-license need a C compiler"):
        _run.run_range(target="openai:x", ids=None, families=["reversing"], modes=["offense"],
                       langs=["ko"], budget_steps=3, budget_tokens=None, repeats=1,
                       db=str(tmp_path / "s.db"), directory=None, base_url=None, concurrency=1,
                       out=tmp_path, quiet=True)  # fmt: skip
    assert not (tmp_path / "s.db").exists()  # refused before anything was stored


def test_no_bubblewrap_refuses_with_the_fix(tmp_path: Path) -> None:
    r = run_cli("cyber", "sandbox-check", env={"PATH": str(tmp_path)})
    assert (
        r.returncode == 2
        and "bwrap not found" in r.stdout
        and "apt-get install bubblewrap" in r.stdout
    )
    r = run_cli(
        "cyber",
        "run",
        "--target",
        "openai:x",
        "--db",
        str(tmp_path / "s.db"),
        env={"PATH": str(tmp_path)},
    )
    assert r.returncode == 2 and "refusing to run them unsandboxed" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "s.db").exists()
