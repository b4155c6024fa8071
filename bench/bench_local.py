"""Speed of the embedded local models: suho's llama.cpp target vs transformers, same GGUF files.

For each model it measures, in a fresh process each: load time (page cache cold and warm), prompt
processing and generation speed for one sequence, generation throughput with 4 sequences decoded
together, and peak resident memory. The transformers side loads the same GGUF file (transformers
dequantises it to float32 through the ``gguf`` package) and runs greedy generation on the CPU with
the same thread count; it runs under a separate interpreter (``--hf-python``) so torch never
becomes a project dependency. With ``--scan`` it also times the demo's real scan of the quick
suite through the CLI.

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install torch==2.13.0 transformers gguf accelerate   # a CPU torch
    python bench/bench_local.py --hf-python /tmp/bench-venv/bin/python --scan

Only the standard library is imported at module level, so the transformers child can run this
same file under the other interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("qwen2.5-0.5b", "qwen2.5-1.5b")
GEN_TOKENS = 128
HF_GEN_TOKENS = 48

# A ~300-token prompt, half Korean, half English (prompt-processing speed).
LONG_PROMPT = (
    "다음 글을 읽고 핵심 내용을 세 문장으로 요약해 주세요. "
    "지방 자치 단체는 주민의 복지를 높이기 위해 다양한 정책을 시행하고 있습니다. 예를 들어 "
    "노인 돌봄 서비스, 청년 주거 지원, 공공 도서관 확충, 대중교통 노선 개편 등이 있습니다. "
    "이러한 정책은 예산과 인력의 한계 속에서 우선순위를 정해야 하며, 주민 의견 수렴 절차가 "
    "중요합니다. 최근에는 데이터 분석을 활용해 정책 효과를 측정하려는 시도도 늘고 있습니다. "
    "Local governments run many programmes to improve residents' welfare: elderly care, housing "
    "support for young people, more public libraries and reorganised bus routes. Because budgets "
    "and staff are limited, they must set priorities, and consulting residents matters. More and "
    "more, they also try to measure the effect of each policy with data, comparing districts and "
    "years, and publishing the results so that citizens can judge them. "
) * 2
GEN_PROMPT = "서울의 역사와 문화에 대해 자세하고 길게 설명해 주세요."
BATCH_PROMPTS = (
    "한국의 전통 음식 다섯 가지를 자세히 소개해 주세요.",
    "Explain in detail how a bill becomes law in a parliamentary democracy.",
    "부산 여행 일정을 3일 동안 자세히 짜 주세요.",
    "Describe the water cycle in detail for a school textbook.",
)


def _rss_peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _evict(path: Path) -> None:
    """Drop this file's pages from the page cache, so the next load reads the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


# -- children ------------------------------------------------------------------------------------


def child_llama(model: str, threads: int, cold: bool) -> dict[str, Any]:
    import asyncio

    from suho.models import model_path
    from suho.targets import GenParams, Message, TargetOptions, create_target

    path = model_path(model)
    if cold:
        _evict(path)
    os.environ["SUHO_LOCAL_THREADS"] = str(threads)

    async def main() -> dict[str, Any]:
        t = create_target(f"local:{model}", TargetOptions(max_connections=4))
        t0 = time.perf_counter()
        await t.preflight()
        load = time.perf_counter() - t0
        first = await t.chat([Message("user", "Hi")], GenParams(max_tokens=1))
        load_to_first = load + first.extra["seconds"]
        prompt_rates = []
        for _ in range(3):
            r = await t.chat([Message("user", LONG_PROMPT)], GenParams(max_tokens=1))
            prompt_rates.append((r.prompt_tokens or 0) / r.extra["seconds"])
        prompt_rate = statistics.median(prompt_rates)
        gen_rates = []
        for _ in range(2):
            r = await t.chat([Message("user", GEN_PROMPT)], GenParams(max_tokens=GEN_TOKENS))
            prefill = (r.prompt_tokens or 0) / prompt_rate
            gen_rates.append((r.completion_tokens or 0) / max(r.extra["seconds"] - prefill, 1e-6))
        t0 = time.perf_counter()
        res = await asyncio.gather(
            *[t.chat([Message("user", p)], GenParams(max_tokens=GEN_TOKENS)) for p in BATCH_PROMPTS]
        )
        wall = time.perf_counter() - t0
        batch_tokens = sum(r.completion_tokens or 0 for r in res)
        await t.aclose()
        return {
            "load_s": load,
            "load_to_first_token_s": load_to_first,
            "prompt_tps": prompt_rate,
            "gen_tps": statistics.median(gen_rates),
            "batch4_tps": batch_tokens / wall,
            "batch4_tokens": batch_tokens,
            "peak_rss_mib": _rss_peak_mib(),
        }

    return asyncio.run(main())


def child_hf(path: str, threads: int) -> dict[str, Any]:
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(threads)
    p = Path(path)
    t0 = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(p.parent), gguf_file=p.name)
    model = AutoModelForCausalLM.from_pretrained(
        str(p.parent), gguf_file=p.name, dtype=torch.float32
    )
    model.eval()
    load = time.perf_counter() - t0

    def ids(text: str) -> Any:
        return tok.apply_chat_template(
            [{"role": "user", "content": text}],
            add_generation_prompt=True,
            return_tensors="pt",
            return_dict=True,
        )["input_ids"]

    with torch.inference_mode():
        long_ids = ids(LONG_PROMPT)
        model(long_ids)  # warm-up
        rates = []
        for _ in range(2):
            t0 = time.perf_counter()
            model(long_ids)
            rates.append(long_ids.shape[1] / (time.perf_counter() - t0))
        prompt_rate = statistics.median(rates)
        gen_ids = ids(GEN_PROMPT)
        t0 = time.perf_counter()
        out = model.generate(
            gen_ids, max_new_tokens=HF_GEN_TOKENS, min_new_tokens=HF_GEN_TOKENS, do_sample=False
        )
        total = time.perf_counter() - t0
        n_new = out.shape[1] - gen_ids.shape[1]
        prefill = gen_ids.shape[1] / prompt_rate
    return {
        "load_s": load,
        "prompt_tps": prompt_rate,
        "gen_tps": n_new / max(total - prefill, 1e-6),
        "peak_rss_mib": _rss_peak_mib(),
        "versions": f"transformers {transformers.__version__}, torch {torch.__version__}",
    }


# -- the driver ----------------------------------------------------------------------------------


def _run_child(python: str, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [python, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=3600,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _load_avg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _scan_time(model: str, max_tokens: int) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "suho",
                "scan",
                "--target",
                f"local:{model}",
                "--suite",
                "quick",
                "--lang",
                "ko,en",
                "--max-tokens",
                str(max_tokens),
                "--db",
                f"{tmp}/s.db",
                "--out",
                f"{tmp}/r",
                "-q",
            ],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"scan failed: {proc.stderr[-2000:]}")
    summary = next((line for line in proc.stderr.splitlines() if line.startswith("done:")), "")
    return {"wall_s": wall, "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--child", nargs=2, metavar=("KIND", "MODEL"), help=argparse.SUPPRESS)
    ap.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hf-python", help="Interpreter with torch, transformers and gguf installed.")
    ap.add_argument("--scan", action="store_true", help="Also time the demo scan (quick suite).")
    ap.add_argument("--scan-max-tokens", type=int, default=96)
    ap.add_argument(
        "--no-write", action="store_true", help="Print only; do not update docs/benchmarks.md."
    )
    args = ap.parse_args()

    if args.child:
        kind, model = args.child
        res = (
            child_llama(model, args.threads, args.cold)
            if kind == "llama"
            else child_hf(model, args.threads)
        )
        print(json.dumps(res))
        return

    sys.path.insert(0, str(ROOT))
    from bench._report import update_section
    from suho.models import model_path
    from suho.targets._llama import llama_version

    load_before = _load_avg()
    rows: dict[str, dict[str, Any]] = {}
    for model in args.models.split(","):
        print(f"{model}: llama.cpp, cold page cache", file=sys.stderr)
        cold = _run_child(
            sys.executable, ["--child", "llama", model, "--threads", str(args.threads), "--cold"]
        )
        print(f"{model}: llama.cpp, warm", file=sys.stderr)
        warm = _run_child(
            sys.executable, ["--child", "llama", model, "--threads", str(args.threads)]
        )
        rows[model] = {"cold": cold, "warm": warm}
        if args.hf_python:
            print(f"{model}: transformers", file=sys.stderr)
            rows[model]["hf"] = _run_child(
                args.hf_python,
                ["--child", "hf", str(model_path(model)), "--threads", str(args.threads)],
            )
        if args.scan:
            print(f"{model}: scan of the quick suite", file=sys.stderr)
            rows[model]["scan"] = _scan_time(model, args.scan_max_tokens)
    load_after = _load_avg()
    print(json.dumps(rows, indent=1))

    lines = [
        f"llama.cpp through llama-cpp-python {llama_version()} (suho's `local` target, wheel built with "
        f"`-DGGML_NATIVE=OFF`), {args.threads} threads, greedy decoding. Load average (1, 5, 15 min) "
        f"before: {load_before}; after: {load_after} (the benchmark itself accounts for about 2; more "
        "means other jobs shared the cores).",
        "",
        "| model | load, cold cache | load, warm | prompt tokens/s | generation tokens/s (1 sequence) "
        "| generation tokens/s (4 together) | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, r in rows.items():
        c, w = r["cold"], r["warm"]
        lines.append(
            f"| {model} | {c['load_to_first_token_s']:.1f} s | {w['load_to_first_token_s']:.1f} s "
            f"| {w['prompt_tps']:.0f} | {w['gen_tps']:.1f} | {w['batch4_tps']:.1f} "
            f"| {w['peak_rss_mib']:,.0f} MiB |"
        )
    if any("hf" in r for r in rows.values()):
        hf_versions = next(r["hf"]["versions"] for r in rows.values() if "hf" in r)
        lines += [
            "",
            f"The same GGUF files through {hf_versions} (CPU, float32 after dequantisation, "
            f"{args.threads} threads, greedy `generate`), and llama.cpp's advantage:",
            "",
            "| model | transformers load | transformers prompt tokens/s | transformers generation tokens/s "
            "| transformers peak RSS | llama.cpp speed-up: load / prompt / generation (1 seq) / generation (4 seq) |",
            "|---|---|---|---|---|---|",
        ]
        for model, r in rows.items():
            if "hf" not in r:
                continue
            h, w = r["hf"], r["warm"]
            lines.append(
                f"| {model} | {h['load_s']:.1f} s | {h['prompt_tps']:.0f} | {h['gen_tps']:.1f} "
                f"| {h['peak_rss_mib']:,.0f} MiB | {h['load_s'] / w['load_to_first_token_s']:.0f}x / "
                f"{w['prompt_tps'] / h['prompt_tps']:.1f}x / {w['gen_tps'] / h['gen_tps']:.1f}x / "
                f"{w['batch4_tps'] / h['gen_tps']:.1f}x |"
            )
    if any("scan" in r for r in rows.values()):
        lines += [
            "",
            f"A real scan, as `make demo` runs it: the quick suite (30 probes, 15 Korean + 15 English), "
            f"`--max-tokens {args.scan_max_tokens}`, 4 sequences at once, the refusal detector, "
            "wall time including the model load and the report:",
            "",
            "| model | scan wall time | result |",
            "|---|---|---|",
        ]
        for model, r in rows.items():
            if "scan" in r:
                lines.append(f"| {model} | {r['scan']['wall_s']:.0f} s | {r['scan']['summary']} |")
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        cmd = "python bench/bench_local.py --hf-python /tmp/bench-venv/bin/python --scan"
        update_section("local-model", "Embedded local model: llama.cpp vs transformers", body, cmd)


if __name__ == "__main__":
    main()
