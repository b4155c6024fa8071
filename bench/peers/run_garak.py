"""Benchmark runner for garak: the prompts as a garak probe, run by garak's own command line.

garak only looks for probes inside its ``garak.probes`` package, so the probe module
``garak_suho_bench.py`` (a ``Probe`` subclass whose prompts are read from the file) is copied into
the venv's garak as ``garak/probes/suho_bench.py`` when missing or changed. Then
``python -m garak --config <workdir>/garak.yaml --spec probes.suho_bench.Prompts`` runs as a user would:
target ``openai.OpenAICompatible`` (chat completions) at ``--base-url``, one generation per prompt,
``parallel_attempts`` = ``--concurrency`` (garak's knob for concurrency across prompts: a
multiprocessing pool of that many worker processes), the probe's primary detector
``mitigation.MitigationBypass``, and garak's usual JSONL report, hit log and HTML report.
The report is read back to check that every prompt was sent once, answered and scored.

garak keeps a plugin cache under ``$XDG_CACHE_HOME/garak``; a user's is warm after the first run,
so the runner keeps it in the venv (``bench/.peers/garak/xdg-cache``, warmed by setup.sh) rather
than under the throw-away ``HOME``. garak has no telemetry; Hugging Face hub access is set offline.

Run in garak's venv: ``bench/.peers/garak/bin/python bench/peers/run_garak.py --base-url
http://127.0.0.1:PORT/v1 --prompts FILE --concurrency 32 --workdir DIR`` (OPENAI_API_KEY set).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from _common import check_sent, parse_args, read_prompts

HERE = Path(__file__).resolve().parent
PROBE_SRC = HERE / "garak_suho_bench.py"


def install_probe() -> Path:
    """Put the probe module into the venv's garak package (garak finds probes only there)."""
    spec = importlib.util.find_spec("garak")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit("garak is not installed in this venv (bash bench/peers/setup.sh garak)")
    dest = Path(next(iter(spec.submodule_search_locations))) / "probes" / "suho_bench.py"
    src = PROBE_SRC.read_bytes()
    if not dest.exists() or dest.read_bytes() != src:
        dest.write_bytes(src)  # a changed file makes garak rebuild its plugin cache once
    return dest


def garak_env(workdir: Path, prompts: Path) -> dict[str, str]:
    venv = Path(sys.prefix)
    env = dict(os.environ)
    env.update(
        OPENAICOMPATIBLE_API_KEY=env.get("OPENAI_API_KEY", "sk-bench"),
        SUHO_BENCH_PROMPTS=str(prompts.resolve()),
        XDG_CACHE_HOME=str(venv / "xdg-cache"),
        XDG_DATA_HOME=str(workdir / "xdg-data"),
        XDG_CONFIG_HOME=str(workdir / "xdg-config"),
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


def write_config(workdir: Path, base_url: str, model: str, concurrency: int, n: int) -> Path:
    cfg = {
        "system": {"parallel_attempts": concurrency, "lite": True},
        "run": {"generations": 1, "soft_probe_prompt_cap": max(n, 256)},
        "plugins": {
            "target_type": "openai.OpenAICompatible",
            "target_name": model,
            "generators": {
                "openai": {"OpenAICompatible": {"uri": base_url.rstrip("/") + "/", "model": model}}
            },
        },
        "reporting": {"report_dir": str(workdir / "garak_runs"), "report_prefix": "suho_bench"},
    }
    path = workdir / "garak.yaml"
    path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")  # JSON is YAML
    return path


def main() -> None:
    a = parse_args("garak")
    items = read_prompts(a.prompts)
    install_probe()
    env = garak_env(a.workdir, a.prompts)
    cfg = write_config(a.workdir, a.base_url, a.model, a.concurrency, len(items))
    cmd = [
        sys.executable,
        "-m",
        "garak",
        "--config",
        str(cfg),
        "--spec",
        "probes.suho_bench.Prompts",
    ]
    # garak runs in its own process group so that the watchdog can end it with its workers.
    proc = subprocess.Popen(
        cmd, env=env, cwd=a.workdir, stdin=subprocess.DEVNULL, start_new_session=True
    )

    def expire(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        sys.stderr.write(f"garak: not finished after {a.timeout} s, giving up\n")
        os._exit(124)

    signal.signal(signal.SIGALRM, expire)
    if proc.wait() != 0:
        sys.exit(f"garak exited {proc.returncode}")

    report = a.workdir / "garak_runs" / "suho_bench.report.jsonl"
    if not report.exists():
        sys.exit(f"garak: no report at {report}")
    sent: list[str] = []
    answered = 0
    with report.open(encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            # status 2: the attempt was sent and its detectors have run (status 1 lines repeat it).
            if rec.get("entry_type") != "attempt" or rec.get("status") != 2:
                continue
            turns = (rec.get("prompt") or {}).get("turns") or []
            user = [t["content"]["text"] for t in turns if t.get("role") == "user"]
            sent.append(user[-1] if user else "")
            outs = [o for o in rec.get("outputs") or [] if o and o.get("text")]
            scored = all(
                len(v) == len(rec["outputs"]) for v in rec.get("detector_results", {}).values()
            )
            if outs and rec.get("detector_results") and scored:
                answered += 1
    check_sent("garak", [p for _, p in items], sent, answered)


if __name__ == "__main__":
    main()
