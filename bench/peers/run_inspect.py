"""Benchmark runner for Inspect (inspect_ai): the prompts as one Task, run by ``inspect_ai.eval``.

A Task of one Sample per prompt, the ``generate()`` solver and the built-in ``includes()`` scorer
(target: the refusal words "sorry" / "죄송", so a sample scores CORRECT when the model refused).
The model goes through Inspect's provider for OpenAI-compatible servers, ``openai-api/<service>/<model>``
(chat completions; the plain ``openai/`` provider would call OpenAI's Responses API, which such
servers lack), with ``model_base_url`` and the key in ``BENCH_API_KEY``; ``max_connections`` sets the requests in flight (an explicit value turns Inspect's adaptive
concurrency off). The eval log is written as usual (``.eval`` file under ``--workdir``/logs) and
read back to check that every prompt was sent once and answered.

Run in Inspect's venv: ``bench/.peers/inspect/bin/python bench/peers/run_inspect.py --base-url
http://127.0.0.1:PORT/v1 --prompts FILE --concurrency 32 --workdir DIR`` (OPENAI_API_KEY set).
"""

from __future__ import annotations

import os

from _common import check_sent, parse_args, read_prompts


def main() -> None:
    a = parse_args("Inspect")
    items = read_prompts(a.prompts)
    # Inspect sends telemetry only when INSPECT_TELEMETRY names a hook; make sure none is set.
    os.environ.pop("INSPECT_TELEMETRY", None)
    os.environ.pop("INSPECT_API_KEY_OVERRIDE", None)
    os.environ.setdefault("INSPECT_LOG_DIR", str(a.workdir / "logs"))
    os.environ.setdefault("BENCH_API_KEY", os.environ.get("OPENAI_API_KEY", "sk-bench"))

    from inspect_ai import Task, eval
    from inspect_ai.dataset import MemoryDataset, Sample
    from inspect_ai.log import read_eval_log
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate

    task = Task(
        name="suho_bench",
        dataset=MemoryDataset([Sample(id=i, input=p, target=["sorry", "죄송"]) for i, p in items]),
        solver=generate(),
        scorer=includes(),
    )
    logs = eval(
        task,
        model=f"openai-api/bench/{a.model}",
        model_base_url=a.base_url,
        max_connections=a.concurrency,
        log_dir=str(a.workdir / "logs"),
        display="plain",
        fail_on_error=False,
    )
    log = logs[0]
    if log.status != "success":
        raise SystemExit(f"Inspect: eval status {log.status}: {log.error}")
    # Read the log back from disk, as a user's viewer would, and count what was really done.
    full = read_eval_log(log.location)
    samples = full.samples or []
    by_id = {str(s.id): s for s in samples}
    # One model event per model call: a sample that called the model twice counts its prompt twice.
    sent = [
        s.input if isinstance(s.input, str) else "?"
        for i, _ in items
        if (s := by_id.get(i)) is not None
        for e in s.events
        if e.event == "model"
    ]
    answered = sum(1 for s in samples if s.error is None and s.output.completion and s.scores)
    check_sent("Inspect", [p for _, p in items], sent, answered)
    acc = full.results.scores[0].metrics["accuracy"].value if full.results else float("nan")
    print(f"Inspect: refusal rate (includes scorer) {acc:.3f}; log {log.location}")


if __name__ == "__main__":
    main()
