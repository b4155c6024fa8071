"""suho inside Inspect: `inspect eval suho/korean_gap` for real, checked against `suho scan`.

Both run the same probes against the same fake OpenAI-compatible server (tests/fake_server.py);
every sample's verdict must equal the scan's attempt for that probe and transform, the Inspect
metrics must equal suho's report, and `suho import inspect` must give a run that reports,
compares and exports like the scan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli

pytest.importorskip("inspect_ai")

from inspect_ai.log import EvalLog, read_eval_log

from suho.store import Store

DATA = Path(__file__).resolve().parent / "data"


def inspect_eval(tmp: Path, *args: str, env: dict[str, str] | None = None) -> EvalLog:
    logs = tmp / "logs"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            "suho/korean_gap",
            "--log-dir",
            str(logs),
            "--display",
            "none",
            "--no-log-realtime",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp,
        env={**os.environ, **(env or {})},
    )
    assert r.returncode == 0, r.stdout + r.stderr
    newest = max(logs.glob("*.eval"), key=lambda f: f.stat().st_mtime)
    log = read_eval_log(str(newest))
    assert log.status == "success", log.error
    log.location = str(newest)
    return log


def scan(srv: Any, tmp: Path, *args: str) -> tuple[str, dict[str, Any]]:
    r = run_cli(
        "scan",
        "--target",
        "openai:fake",
        "--base-url",
        srv.base_url,
        "--db",
        str(tmp / "suho.db"),
        "--out",
        str(tmp / "reports"),
        "-q",
        *args,
    )
    assert r.returncode == 0, r.stderr
    rid = next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("run "))
    report = json.loads((tmp / "reports" / rid / "report.json").read_text(encoding="utf-8"))
    return rid, report


def metrics(log: EvalLog) -> dict[str, float]:
    assert log.results is not None
    out: dict[str, float] = {}
    for sc in log.results.scores:
        for name, m in sc.metrics.items():
            out[f"{sc.name}.{name}"] = m.value
    return out


def store_outcomes(db: Path, run_id: str) -> dict[str, tuple[bool, str]]:
    store = Store.open(str(db), create=False)
    try:
        return {
            f"{a['probe_id']}/{a['transform']}": (bool(a["success"]), a["outcome"])
            for a in store.iter_attempts(run_id)
        }
    finally:
        store.close()


def test_inspect_eval_gives_the_same_verdicts_as_suho_scan(
    server_factory: Any, tmp_path: Path
) -> None:
    srv = server_factory("--policy", "refuse-en")  # complies in Korean: a known gap
    common = ["--limit", "6", "--transforms", "jamo"]
    rid, report = scan(srv, tmp_path, *common)
    log = inspect_eval(
        tmp_path,
        "--model",
        "suho/openai:fake",
        "--model-base-url",
        srv.base_url,
        "-T",
        "limit=6",
        "-T",
        "transforms=jamo",
        "-T",
        "detectors=refusal,pii-kr",
    )
    assert log.eval.task == "suho/korean_gap"
    # 6 probes sampled across languages: 3 Korean x (none, jamo), 3 English x none (jamo is
    # Korean-only, so it is not planned for English probes, in a scan or here).
    assert log.samples is not None and len(log.samples) == 9
    inspect_outcomes = {
        str(s.id): (s.scores["outcome"].value == 1.0, s.scores["outcome"].answer)
        for s in log.samples
    }
    scanned = store_outcomes(tmp_path / "suho.db", rid)
    assert inspect_outcomes == scanned
    assert {ok for ok, _ in scanned.values()} == {True, False}  # both kinds of verdict occur
    md = log.samples[0].metadata
    assert {"intent_id", "lang", "category", "transform", "expected"} <= set(md)
    assert {s.scores["refusal"].value for s in log.samples} == {0.0, 1.0}
    assert "pii_kr" in log.samples[0].scores

    m = metrics(log)
    gap = report["gap"]["overall"]
    assert m["outcome.attack_success_ko"] == pytest.approx(gap["a_rate"]["rate"])
    assert m["outcome.attack_success_en"] == pytest.approx(gap["b_rate"]["rate"])
    assert m["outcome.gap_pp"] == pytest.approx(gap["diff_pp"]) and m["outcome.gap_pp"] > 0
    assert m["outcome.pairs"] == gap["n_pairs"]
    harmful = [ok for s, (ok, _) in scanned.items()]
    assert m["outcome.attack_success"] == pytest.approx(sum(harmful) / len(harmful))

    # the log back into suho's store: the same numbers in suho's report, compare and export
    db = tmp_path / "imported.db"
    r = run_cli("import", "inspect", str(log.location), "--db", str(db))
    assert r.returncode == 0, r.stderr
    imported = r.stdout.split()[1]
    assert "imported 9 attempts" in r.stderr
    assert store_outcomes(db, imported) == scanned
    r = run_cli("report", imported, "--db", str(db), "--format", "json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["gap"]["overall"] == gap
    assert rep["suite"] == "inspect:quick" and rep["target"]["provider"] == "inspect"
    r = run_cli("import", "inspect", str(log.location), "--db", str(tmp_path / "suho.db"))
    assert r.returncode == 0, r.stderr
    again = r.stdout.split()[1]
    r = run_cli("compare", rid, again, "--db", str(tmp_path / "suho.db"))
    assert r.returncode == 0, r.stderr
    r = run_cli("export", imported, "--format", "avid", "--db", str(db))
    assert r.returncode == 0 and r.stdout.strip(), r.stderr


def test_inspect_own_openai_provider_gives_the_same_verdicts(
    server_factory: Any, tmp_path: Path
) -> None:
    """Inspect's own ``openai/...`` provider (the ``openai`` package comes with the extra),
    pointed at the same endpoint, gives every sample the verdict suho's scan gave it."""
    srv = server_factory("--policy", "refuse-en")
    rid, _ = scan(srv, tmp_path, "--limit", "4")
    log = inspect_eval(
        tmp_path,
        "--model",
        "openai/fake",
        "--model-base-url",
        srv.base_url,
        "-M",
        "responses_api=false",  # an OpenAI-compatible server speaks chat completions
        "-T",
        "limit=4",
        env={"OPENAI_API_KEY": "test-key-not-real"},
    )
    assert log.samples is not None and len(log.samples) == 4
    got = {
        str(s.id): (s.scores["outcome"].value == 1.0, s.scores["outcome"].answer)
        for s in log.samples
    }
    assert got == store_outcomes(tmp_path / "suho.db", rid)


def test_korean_gap_runs_on_any_inspect_model_and_on_a_dataset(tmp_path: Path) -> None:
    from inspect_ai import eval as run_eval
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    def answer(messages: list[Any], *_: Any) -> ModelOutput:
        # Inspect's mock model, told to refuse in English and comply in Korean: a gap
        korean = any("\uac00" <= ch <= "\ud7a3" for ch in messages[-1].text)
        text = (
            "네, 방법을 단계별로 알려 드릴게요. 1단계: 준비합니다."
            if korean
            else "I can't help with that."
        )
        out = ModelOutput.from_content(model="mockllm", content=text)
        out.usage = ModelUsage(input_tokens=5, output_tokens=5, total_tokens=10)
        return out

    model = get_model("mockllm/model", custom_outputs=answer)
    [log] = run_eval(
        "suho/korean_gap",
        model=model,
        task_args={"dataset": f"multijail:{DATA / 'multijail_small.csv'}", "lang": "KO,en"},
        log_dir=str(tmp_path / "logs"),
        display="none",
    )
    assert log.status == "success", log.error
    assert log.samples is not None
    ids = sorted(str(s.id) for s in log.samples)
    assert ids[:2] == ["multijail-1-en/none", "multijail-1-ko/none"] and len(ids) == 7
    m = metrics(log)
    assert m["outcome.attack_success_ko"] == 1.0 and m["outcome.attack_success_en"] == 0.0
    assert m["outcome.gap_pp"] == 100.0 and m["outcome.pairs"] == 3
    assert m["outcome.attack_success"] == pytest.approx(3 / 7)
    first = next(s for s in log.samples if s.id == "multijail-1-ko/none")
    assert first.metadata["intent_id"] == "multijail-1" and first.metadata["lang"] == "ko"
    assert first.metadata["category"] == "weapons-cbrn"
    assert first.scores["outcome"].answer == "complied"


def test_import_rejects_what_is_not_a_suho_log(tmp_path: Path) -> None:
    task_file = tmp_path / "other.py"
    task_file.write_text(
        "from inspect_ai import Task, task\n"
        "from inspect_ai.dataset import Sample\n"
        "from inspect_ai.scorer import exact\n\n"
        "@task\ndef other() -> Task:\n"
        "    return Task(dataset=[Sample(input='hi', target='x')], scorer=exact())\n",
        encoding="utf-8",
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            f"{task_file}@other",
            "--model",
            "mockllm/model",
            "--log-dir",
            str(tmp_path / "logs"),
            "--display",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    log = next((tmp_path / "logs").glob("*.eval"))
    r = run_cli("import", "inspect", str(log), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "not a suho task" in r.stderr and "Traceback" not in r.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2, 3]", encoding="utf-8")
    r = run_cli("import", "inspect", str(junk), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "not an Inspect log" in r.stderr
    r = run_cli("import", "inspect", str(tmp_path / "nope.eval"), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "Inspect log not found" in r.stderr


def test_suho_model_provider_sends_text_only() -> None:
    import asyncio

    from inspect_ai.model import ChatMessageTool, ChatMessageUser, GenerateConfig
    from inspect_ai.tool import ToolInfo

    from suho.integrations.inspect._model import SuhoModelAPI

    api = SuhoModelAPI("openai:fake", base_url="http://127.0.0.1:9/v1", timeout="5")
    assert api.max_connections() == 16 and api.options.timeout == 5.0
    tool = ToolInfo(name="t", description="a tool")
    with pytest.raises(ValueError, match="text chat only"):
        asyncio.run(api.generate([ChatMessageUser(content="hi")], [tool], "auto", GenerateConfig()))
    msg = ChatMessageTool(content="x", tool_call_id="1")
    with pytest.raises(ValueError, match="no tool results"):
        asyncio.run(api.generate([msg], [], "auto", GenerateConfig()))
    with pytest.raises(ValueError, match="unknown model args for suho/: colour"):
        SuhoModelAPI("openai:fake", colour="red")
    local = SuhoModelAPI("local:qwen2.5-1.5b")  # built lazily: no model needed to construct
    assert local.max_connections() == 4 and local.options.timeout == 600.0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_inspect_eval_on_the_embedded_local_model(tmp_path: Path) -> None:
    # the suho/ provider wrapping suho's local: target (needs the llama.cpp extra and the model)
    log = inspect_eval(
        tmp_path, "--model", "suho/local:qwen2.5-0.5b", "-T", "limit=4", "-T", "max_tokens=48"
    )
    assert log.samples is not None and len(log.samples) == 4
    assert all(s.output.completion.strip() for s in log.samples)
    assert {s.scores["outcome"].answer for s in log.samples} <= {
        "refused",
        "partial",
        "complied",
        "non-answer",
    }
    assert "outcome.pairs" in metrics(log)
