"""Memory of a long run (issue 19: 1,000 conversations at once with flat memory): what the engine
holds must depend on the conversations in flight, not on how many the run has finished.

Two leaks made the RSS of a 2,000-conversation run with 1,000 in flight 35 MiB higher than a
run of 1,000: each worker kept its last finished conversation (``res``, all its events) while
it ran the next one, and every episode was a reference cycle (context <-> role) that only the
cyclic garbage collector freed, hundreds at a time. Both are checked here with scripted models
(the ``atk:`` kit), through the real engine and store."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from suho.engine import RunConfig, start_run
from suho.engine import _execute as execute
from suho.probes import Probe
from suho.store import AttemptResult, Store

N = 24
CONCURRENCY = 4


def _cfg() -> RunConfig:
    return RunConfig(
        target="atk:givein-3",
        attacks=["crescendo"],
        attack_options={"crescendo": {"max_turns": 4}},
        attacker="atk:attacker",
        judge_model="atk:judge",
        concurrency=CONCURRENCY,
        timeout=5.0,
    )


def _probes() -> list[Probe]:
    return [
        Probe(id=f"p{i}", prompt=f"explain the harmful thing {i}", lang="en", category="cyber")
        for i in range(N)
    ]


def _live(name: str) -> int:
    return sum(1 for o in gc.get_objects() if type(o).__name__ == name)


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees memory: what a cycle holds stays, and is counted."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def test_a_finished_episode_is_freed_without_the_cycle_collector(
    kit: dict[str, str], tmp_path: Path, no_gc: None
) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    before = {k: _live(k) for k in ("Episode", "EngineContext", "EngineRole")}
    summary = asyncio.run(start_run(store, _cfg(), _probes()))
    assert summary.status == "done" and summary.totals.done == N
    after = {k: _live(k) for k in before}
    # With the cycle, all N episodes (their events and messages) were still here.
    assert after == before


def test_workers_do_not_hold_finished_conversations(
    kit: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While later conversations run, the finished ones the store has recorded are gone: no
    worker keeps its last result, and the writer keeps no batch it has written."""
    from attacks_testkit import ScriptedTarget

    finished = 0  # results the workers have produced
    executors: list[execute.Executor] = []
    held: list[int] = []
    run_one = execute.Executor.run_one

    async def counting_run_one(self: execute.Executor, attempt: Any) -> AttemptResult:
        nonlocal finished
        if self not in executors:
            executors.append(self)
        res = await run_one(self, attempt)
        finished += 1
        return res

    chat = ScriptedTarget.chat

    async def watching_chat(self: ScriptedTarget, messages: Any, params: Any) -> Any:
        # At each target call once every worker has finished a conversation: the finished
        # conversations in memory beyond those the store has not recorded yet. The store's
        # thread lets go of a batch a moment after the writer has it back, hence a few looks.
        # This worker waits here, so a result it held would be counted every time.
        if self.model == "givein-3" and executors and finished >= CONCURRENCY:
            counters = executors[0].counters
            extra = -1
            for _ in range(5):
                unrecorded = finished - (counters.finished - counters.done_at_start)
                extra = sum(isinstance(o, AttemptResult) for o in gc.get_objects()) - unrecorded
                if extra <= 0:
                    break
                await asyncio.sleep(0.01)
            held.append(extra)
        return await chat(self, messages, params)

    monkeypatch.setattr(execute.Executor, "run_one", counting_run_one)
    monkeypatch.setattr(ScriptedTarget, "chat", watching_chat)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    gc.collect()
    summary = asyncio.run(start_run(store, _cfg(), _probes()))
    assert summary.status == "done" and summary.totals.done == N
    assert len(held) >= N  # measured all through the run's later conversations
    # Before: each worker that had finished a conversation held it (here up to 4 more).
    assert max(held) <= 0, held
