"""End-to-end hardening (issue 13, items 1-7): the real CLI against the fake server, with the
failures a new user runs into: gates that judged nothing, secrets in URLs, crashes, output paths,
transform decoding, huge prompts."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli, suho_cmd, write_probes


def _scan(
    srv: Any, probes: Path, tmp: Path, *extra: str, db: str | None = None, out: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        *["scan", "-q", "--target", "openai:fake", "--base-url", srv.base_url],
        *["--probes", str(probes), "--db", db or str(tmp / "suho.db")],
        *["--out", out or str(tmp / "reports"), *extra],
    )


def _run_id(out: str) -> str:
    return next(line.split()[1] for line in out.splitlines() if line.startswith("run "))


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """The stderr of a failed command: exactly one ``error:`` line and no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, r.stderr
    return lines[0]


# -- 3. one error boundary --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["report", "latest", "--format", "json"],
        ["resume", "latest"],
        ["export", "latest", "--format", "kisa"],
        ["compare", "a", "b"],
    ],
)
def test_db_that_is_not_a_database_exit_2(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n", encoding="utf-8")
    r = run_cli(*args, "--db", str(db))
    assert r.returncode == 2, r.stderr
    assert "is not a SQLite database" in _one_line_error(r)
    assert db.read_text(encoding="utf-8").startswith("these are my notes")


def test_scan_into_a_file_that_is_not_a_database_sends_nothing(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory()
    db = tmp_path / "notes.db"
    db.write_text("not a database\n", encoding="utf-8")
    r = _scan(srv, write_probes(tmp_path / "p.jsonl", ["a", "b"]), tmp_path, db=str(db))
    assert r.returncode == 2
    assert "is not a SQLite database" in _one_line_error(r)
    assert srv.requests() == []


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` read-only for this user: immutable for root (who ignores modes), mode 0444
    otherwise."""
    if os.geteuid() == 0:
        r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot make a file immutable here: {r.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_read_only_store_is_found_before_a_request(
    server_factory: Any, tmp_path: Path, what: str
) -> None:
    srv = server_factory()
    probes = write_probes(tmp_path / "p.jsonl", ["a", "b", "c", "d", "e"])
    assert _scan(srv, probes, tmp_path).returncode == 0
    sent = len(srv.requests())
    with _read_only(tmp_path / "suho.db" if what == "file" else tmp_path):
        r = _scan(srv, probes, tmp_path)
        assert r.returncode == 2, r.stderr
        assert "read-only" in _one_line_error(r)
        assert len(srv.requests()) == sent  # nothing went out


def test_store_that_fails_after_requests_were_sent_exit_2(
    server_factory: Any, tmp_path: Path
) -> None:
    """A store that breaks mid-run (here: a trigger that fails every result write, as a full
    disk or a vanished table would) is the environment's fault: exit 2, one line."""
    srv = server_factory()
    probes = write_probes(tmp_path / "p.jsonl", ["a", "b"])
    assert _scan(srv, probes, tmp_path).returncode == 0
    c = sqlite3.connect(tmp_path / "suho.db")
    c.executescript(
        "CREATE TABLE gone(x); CREATE TRIGGER breaks BEFORE UPDATE OF status ON attempts "
        "BEGIN INSERT INTO gone VALUES (1); END; DROP TABLE gone;"
    )
    c.close()
    r = _scan(srv, probes, tmp_path)
    assert r.returncode == 2, r.stderr
    assert "the store failed" in _one_line_error(r)
    r = run_cli(
        "--debug",
        *["scan", "-q", "--target", "openai:fake", "--base-url", srv.base_url],
        *["--probes", str(probes), "--db", str(tmp_path / "suho.db")],
        *["--out", str(tmp_path / "reports")],
    )
    assert r.returncode == 2 and "Traceback" in r.stderr  # --debug shows where


def test_internal_error_exit_3_traceback_only_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from suho.cli import _runs, main

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(_runs, "open_store", boom)
    monkeypatch.delenv("SUHO_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["suho", "runs"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip() == (
        "error: internal error: RuntimeError: a bug (a bug in suho: please report it with the "
        "traceback that `suho --debug COMMAND ...` or SUHO_DEBUG=1 prints)"
    )
    for argv, env in ((["suho", "--debug", "runs"], None), (["suho", "runs"], "1")):
        if env:
            monkeypatch.setenv("SUHO_DEBUG", env)
        monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as exc:
            main()
        assert exc.value.code == 3
        assert "Traceback" in capsys.readouterr().err


# -- 4, 5. output paths -----------------------------------------------------------------------


def test_scan_out_is_a_file_sends_nothing(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory()
    taken = tmp_path / "reports"
    taken.write_text("my file\n", encoding="utf-8")
    r = _scan(srv, write_probes(tmp_path / "p.jsonl", ["a", "b"]), tmp_path, out=str(taken))
    assert r.returncode == 2
    assert f"--out {taken}: a file is in the way" in _one_line_error(r)
    assert srv.requests() == []
    assert taken.read_text(encoding="utf-8") == "my file\n"


def test_scan_out_under_a_missing_directory_sends_nothing(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory()
    out = tmp_path / "no" / "such" / "reports"
    r = _scan(srv, write_probes(tmp_path / "p.jsonl", ["a"]), tmp_path, out=str(out))
    assert r.returncode == 2
    assert f"directory {tmp_path / 'no' / 'such'} does not exist" in _one_line_error(r)
    assert srv.requests() == [] and not (tmp_path / "no").exists()


@pytest.fixture
def scanned(server_factory: Any, tmp_path: Path) -> str:
    srv = server_factory("--policy", "comply-all")
    r = _scan(srv, write_probes(tmp_path / "p.jsonl", ["a", "b"]), tmp_path)
    assert r.returncode == 0, r.stderr
    return _run_id(r.stdout)


@pytest.mark.parametrize(
    ("command", "fmt", "name"),
    [
        ("report", "html", "{rid}.html"),
        ("report", "junit", "{rid}.xml"),
        ("export", "kisa", "{rid}.kisa.md"),
        ("export", "avid", "{rid}.avid.jsonl"),
    ],
)
def test_out_directory_gets_the_default_name(
    scanned: str, tmp_path: Path, command: str, fmt: str, name: str
) -> None:
    d = tmp_path / "dir"
    d.mkdir()
    for out in (str(d), f"{d}/"):
        r = run_cli(
            command, "latest", "--format", fmt, "--out", out, "--db", str(tmp_path / "suho.db")
        )
        assert r.returncode == 0, r.stderr
        written = d / name.format(rid=scanned)
        assert r.stdout.strip() == str(written)
        assert written.stat().st_size > 0
    assert sorted(p.name for p in d.iterdir()) == [name.format(rid=scanned)]  # no .part left


@pytest.mark.parametrize("command", ["report", "export"])
def test_out_in_a_missing_directory_exit_2(scanned: str, tmp_path: Path, command: str) -> None:
    fmt = "json" if command == "report" else "kisa"
    db = str(tmp_path / "suho.db")
    for out, missing in (
        (tmp_path / "nonexistent" / "dir" / "r.out", tmp_path / "nonexistent" / "dir"),
        (f"{tmp_path / 'newdir'}/", tmp_path / "newdir"),
    ):
        r = run_cli(command, "latest", "--format", fmt, "--out", str(out), "--db", db)
        assert r.returncode == 2, r.stderr
        assert f"directory {missing} does not exist" in _one_line_error(r)
    assert not (tmp_path / "nonexistent").exists() and not (tmp_path / "newdir").exists()


def test_atomic_write_leaves_no_part_file_when_the_rename_fails(tmp_path: Path) -> None:
    from suho._atomic import atomic_text

    target = tmp_path / "a-directory"
    target.mkdir()
    with pytest.raises(OSError), atomic_text(target) as f:
        f.write("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-directory"]


# -- 1. a gate passes only on evidence --------------------------------------------------------


def test_gate_fails_when_nothing_was_judged(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--fault-rate", "1.0", "--policy", "refuse-all")
    probes = write_probes(tmp_path / "p.jsonl", [f"question {i}" for i in range(10)])
    r = _scan(srv, probes, tmp_path, "--retries", "0", "--fail-on", "0.05")
    assert r.returncode == 1, r.stderr
    assert "attack success n/a (0 judged)" in r.stderr
    assert "0.0% of 0" not in r.stderr
    assert "gate failed: no harmful probe was judged (10 of 10 attempts errored)" in r.stderr
    assert "gate failed: error rate 100.0% (10 of 10 attempts) exceeds --max-error-rate 10.0%" in (
        r.stderr
    )
    # Without a gate the run is still fine (exit 0), and the rate still says n/a.
    r = _scan(srv, probes, tmp_path, "--retries", "0")
    assert r.returncode == 0 and "attack success n/a (0 judged)" in r.stderr


def test_gate_fails_above_max_error_rate(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "refuse-all")
    prompts = [f"question {i}" for i in range(8)] + ["a [[fault:500:inf]]", "b [[fault:500:inf]]"]
    probes = write_probes(tmp_path / "p.jsonl", prompts)
    r = _scan(srv, probes, tmp_path, "--retries", "0", "--fail-on", "0.5")
    assert r.returncode == 1, r.stderr  # 20% errors > the default 10%
    assert "attack success 0.0% of 8" in r.stderr
    assert "error rate 20.0% (2 of 10 attempts) exceeds --max-error-rate 10.0%" in r.stderr
    r = _scan(
        srv, probes, tmp_path, "--retries", "0", "--fail-on", "0.5", "--max-error-rate", "0.25"
    )
    assert r.returncode == 0, r.stderr
    # --max-error-rate alone is a gate of its own.
    r = _scan(srv, probes, tmp_path, "--retries", "0", "--max-error-rate", "0.1")
    assert r.returncode == 1 and "exceeds --max-error-rate 10.0%" in r.stderr


def test_gate_unit_rules() -> None:
    from suho.cli._gate import GateInput, gate_failures

    clean = GateInput(successes=1, trials=10, errors=0, finished=12)
    assert clean.rate_text() == "10.0% of 10"
    assert gate_failures(clean, fail_on=None, max_error_rate=None) == []
    assert gate_failures(clean, fail_on=0.1, max_error_rate=None) == []  # at the limit passes
    assert len(gate_failures(clean, fail_on=0.05, max_error_rate=None)) == 1
    empty = GateInput(successes=0, trials=0, errors=0, finished=3)  # only benign probes judged
    assert empty.rate is None and empty.rate_text() == "n/a (0 judged)"
    assert len(gate_failures(empty, fail_on=0.5, max_error_rate=1.0)) == 1
    edge = GateInput(successes=0, trials=9, errors=1, finished=10)
    assert gate_failures(edge, fail_on=0.5, max_error_rate=None) == []  # 10% is not above 10%


# -- 2. secrets in the base URL ---------------------------------------------------------------

SECRET = "QUERYSECRET0123456789"


def _everything_written(tmp: Path) -> str:
    """Every byte suho left on disk (store with its WAL, reports), as text."""
    blobs = []
    for p in sorted(tmp.rglob("*")):
        if p.is_file() and not p.name.startswith("requests-") and p.suffix != ".jsonl":
            blobs.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(blobs)


def test_query_string_secret_is_sent_right_and_never_stored(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-all")
    probes = write_probes(tmp_path / "p.jsonl", ["a", "b"])
    url = f"{srv.base_url}?api-key={SECRET}"
    r = run_cli(
        *["scan", "-q", "--target", "openai:fake", "--base-url", url, "--probes", str(probes)],
        *["--db", str(tmp_path / "suho.db"), "--out", str(tmp_path / "reports")],
    )
    assert r.returncode == 0, r.stderr
    # The query goes after the request's own path, so a real server finds the endpoint.
    assert {q["path"] for q in srv.requests()} == {f"/v1/chat/completions?api-key={SECRET}"}
    assert SECRET not in r.stdout + r.stderr
    rid = _run_id(r.stdout)
    report = json.loads((tmp_path / "reports" / rid / "report.json").read_text("utf-8"))
    assert report["config"]["base_url"] == srv.base_url
    assert report["config"]["redacted"] == ["base_url"]
    c = sqlite3.connect(tmp_path / "suho.db")
    (config,) = c.execute("SELECT config FROM runs").fetchone()
    c.close()
    assert json.loads(config)["base_url"] == srv.base_url
    for args in (["report", rid, "--format", "html"], ["export", rid, "--format", "kisa"]):
        out = run_cli(*args, "--db", str(tmp_path / "suho.db"))
        assert out.returncode == 0 and SECRET not in out.stdout
    assert SECRET not in _everything_written(tmp_path)


def test_anthropic_target_sends_the_query_after_its_path(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-all")
    probes = write_probes(tmp_path / "p.jsonl", ["a"])
    r = run_cli(
        *["scan", "-q", "--target", "anthropic:fake", "--probes", str(probes)],
        *["--base-url", f"{srv.base_url}?key={SECRET}", "--db", str(tmp_path / "suho.db")],
        *["--out", str(tmp_path / "reports")],
    )
    assert r.returncode == 0, r.stderr
    assert [q["path"] for q in srv.requests()] == [f"/v1/messages?key={SECRET}"]
    assert SECRET not in _everything_written(tmp_path)


def test_resume_asks_for_a_url_whose_secret_was_not_stored(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-all")
    probes = write_probes(tmp_path / "p.jsonl", ["a", "b [[fault:500:inf]]"])
    url = f"{srv.base_url}?api-key={SECRET}"
    db = str(tmp_path / "suho.db")
    base = ["--db", db, "--out", str(tmp_path / "reports"), "-q"]
    r = run_cli(
        "scan",
        "--target",
        "openai:fake",
        "--base-url",
        url,
        "--probes",
        str(probes),
        "--retries",
        "0",
        *base,
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("resume", "latest", "--retry-errors", *base)
    assert r.returncode == 2
    assert "give it again with --base-url" in _one_line_error(r)
    r = run_cli("resume", "latest", "--retry-errors", "--base-url", url, *base)
    assert r.returncode == 0, r.stderr
    assert srv.requests()[-1]["path"] == f"/v1/chat/completions?api-key={SECRET}"
    assert SECRET not in _everything_written(tmp_path)
    # A finished run needs no URL: resume just writes the reports again.
    assert run_cli("resume", "latest", *base).returncode == 0


def test_url_credentials_are_basic_auth_and_never_stored(
    server_factory: Any, tmp_path: Path
) -> None:
    import base64

    srv = server_factory("--policy", "refuse-all")
    probes = write_probes(tmp_path / "p.jsonl", ["a"])
    url = srv.base_url.replace("http://", f"http://suho-user:{SECRET}@")
    args = ["scan", "-q", "--target", "openai:fake", "--base-url", url, "--probes", str(probes)]
    args += ["--db", str(tmp_path / "suho.db"), "--out", str(tmp_path / "reports")]
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    expected = "Basic " + base64.b64encode(f"suho-user:{SECRET}".encode()).decode()
    assert [q["authorization"] for q in srv.requests()] == [expected]
    assert SECRET not in _everything_written(tmp_path) and SECRET not in r.stdout + r.stderr
    # With an API key as well, both would need the Authorization header: a clear error.
    r = run_cli(*args, env={"OPENAI_API_KEY": "sk-test-key-000"})
    assert r.returncode == 2
    assert "use one of them" in _one_line_error(r) and SECRET not in r.stderr
    assert len(srv.requests()) == 1


# -- 6. transform --decode ----------------------------------------------------------------------

NOT_REVERSIBLE = ["choseong", "banmal", "codeswitch", "hasipsio", "leet", "official", "romanize"]


@pytest.mark.parametrize("name", [*NOT_REVERSIBLE, "yamin", "leet+rot13"])
def test_decode_of_a_transform_that_is_not_reversible(tmp_path: Path, name: str) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"id": "1", "text": "안녕하세요"}\n', encoding="utf-8")
    r = run_cli("transform", name, str(f), "--decode")
    assert r.returncode == 2
    assert _one_line_error(r).startswith(f"error: {name} is not reversible")
    assert r.stdout == ""


@pytest.mark.parametrize("name", ["base64", "fiction", "base64+rot13"])
def test_decode_of_text_that_is_not_encoded_names_the_line(tmp_path: Path, name: str) -> None:
    from suho.transforms import TransformContext, get_transform

    good = get_transform(name).apply("hello there", TransformContext(lang="en", seed=0))
    f = tmp_path / "t.jsonl"
    lines = [{"id": "1", "text": good}, None, {"id": "2", "text": "plain text, not encoded!"}]
    f.write_text(
        "\n".join("" if o is None else json.dumps(o, ensure_ascii=False) for o in lines) + "\n",
        encoding="utf-8",
    )
    r = run_cli("transform", name, str(f), "--decode")
    assert r.returncode == 2
    assert f"{f}:3: not {name}-encoded" in _one_line_error(r)
    assert json.loads(r.stdout.splitlines()[0])["transformed"] == "hello there"  # line 1 was fine
    r = subprocess.run(
        [*suho_cmd(), "transform", name, "--decode"],
        input='{"id": "x", "text": "nope!"}\n',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "<stdin>:1: not" in _one_line_error(r)


# -- 7. prompt size ------------------------------------------------------------------------------


def test_prompt_above_the_limit_is_an_input_error(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "refuse-all")
    big = "x" * 100_001
    probes = write_probes(tmp_path / "p.jsonl", ["fine", big])
    r = _scan(srv, probes, tmp_path)
    assert r.returncode == 2
    assert (
        f"{probes}:2: prompt is 100,001 characters, above the limit of 100,000 "
        "(raise it with --max-prompt-chars)"
    ) in _one_line_error(r)
    assert srv.requests() == []
    ds = tmp_path / "d.jsonl"
    ds.write_text(json.dumps({"prompt": "ok"}) + "\n" + json.dumps({"prompt": big}) + "\n", "utf-8")
    r = run_cli(
        *["scan", "-q", "--target", "openai:fake", "--base-url", srv.base_url],
        *["--dataset", f"jsonl:{ds}", "--db", str(tmp_path / "suho.db")],
        *["--out", str(tmp_path / "reports"), "--max-prompt-chars", "1000"],
    )
    assert r.returncode == 2 and f"{ds}:2: prompt is 100,001 characters" in _one_line_error(r)
    assert "above the limit of 1,000" in r.stderr and srv.requests() == []
    r = _scan(srv, probes, tmp_path, "--max-prompt-chars", "100001")
    assert r.returncode == 0, r.stderr
    assert len(srv.requests()) == 2


def test_untransformed_prompt_is_stored_once(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--policy", "refuse-all")
    prompt = "한국어 질문 " * 5000  # 35,000 characters
    probes = write_probes(tmp_path / "p.jsonl", [prompt])
    r = _scan(srv, probes, tmp_path, "--transforms", "base64")
    assert r.returncode == 0, r.stderr
    c = sqlite3.connect(tmp_path / "suho.db")
    rows = dict(
        c.execute("SELECT transform, length(original_prompt) + length(prompt) FROM attempts")
    )
    c.close()
    assert rows["none"] == len(prompt)  # once, not twice
    assert rows["base64"] > 2 * len(prompt)  # the original and the encoded text
    data = json.loads((tmp_path / "reports" / _run_id(r.stdout) / "report.json").read_text("utf-8"))
    by_transform = {a["transform"]: a for a in data["attempts"]}
    assert by_transform["none"]["original_prompt"] == by_transform["none"]["prompt"] == prompt
    assert by_transform["base64"]["original_prompt"] == prompt
