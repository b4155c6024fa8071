"""The agent benchmark measures what it says: the loop alone and the engine path run the same
episodes (same steps, same tool calls), the scripted model's time is measured and subtracted,
and the memory sampler samples at each mark once."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_agents import MemorySampler, ModelClock, engine_path, loop_alone


def test_loop_and_engine_run_the_same_episodes(tmp_path: Path) -> None:
    loop = loop_alone("none")
    engine = engine_path("none", tmp_path)
    assert loop.episodes == engine.episodes == 480
    assert loop.steps == engine.steps > loop.episodes  # every episode calls a tool, then answers
    assert loop.tools == engine.tools > 0
    for c in (loop, engine):
        assert 0 < c.model_s < c.cpu_s and c.per_step_ms > 0
    assert engine.notes["main_ms"] > 0 and engine.notes["threads_ms"] > 0
    assert "| loop alone, defense none | 480 |" in loop.row()


def test_the_model_clock_is_removed_after_use() -> None:
    from suho.targets._script import ScriptedAgent

    chat = ScriptedAgent.chat
    with ModelClock().patched():
        assert ScriptedAgent.chat is not chat
    assert ScriptedAgent.chat is chat


def test_the_memory_sampler_samples_each_mark_once() -> None:
    s = MemorySampler((100, 500, 1000), heap=False)
    for finished in (40, 120, 130, 1000, 1000):
        s.update(SimpleNamespace(finished=finished))
    assert [x[0] for x in s.samples] == [100, 500, 1000]
    assert all(x[3] > 0 and x[4] >= x[3] for x in s.samples)  # RSS and its peak, in MiB
