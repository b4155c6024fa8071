"""Group commit of episode checkpoints (issue 19, CPU per turn): the checkpoints of the
conversations in flight go to the store together, each caller returning only once its own
events are committed, and a failure of one attempt's events is that attempt's alone."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from suho.engine._execute import CheckpointWriter
from suho.store import Store


def _events(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        {"seq": i, "kind": "note", "step": 0, "data": {"i": i}, "t": 0.0}
        for i in range(start, start + n)
    ]


class _Recorder:
    """A store that records each transaction, and refuses the events of ``bad`` attempts."""

    def __init__(self, bad: str | None = None) -> None:
        self.transactions: list[list[str]] = []
        self.stored: dict[str, list[int]] = {}
        self.bad = bad

    def append_checkpoints(
        self, run_id: str, checkpoints: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]
    ) -> None:
        ids = [a for a, _ in checkpoints]
        if self.bad in ids:
            raise RuntimeError(f"cannot store {self.bad}")
        self.transactions.append(ids)
        for a, evs in checkpoints:
            self.stored.setdefault(a, []).extend(int(e["seq"]) for e in evs)

    def append_events(
        self, run_id: str, attempt_id: str, events: Sequence[Mapping[str, Any]]
    ) -> None:
        self.append_checkpoints(run_id, [(attempt_id, events)])


async def _writer(store: Any) -> CheckpointWriter:
    ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    ready.set_result(store)
    return CheckpointWriter(ready, "r1")


def test_concurrent_checkpoints_share_transactions_and_each_waits_for_its_own() -> None:
    store = _Recorder()

    async def go() -> None:
        w = await _writer(store)

        async def conversation(i: int) -> None:
            for turn in range(3):
                await w.append(f"a{i}", _events(2, 2 * turn))
                # Returned: this attempt's events up to here are stored.
                assert store.stored[f"a{i}"] == list(range(2 * turn + 2))

        await asyncio.gather(*(conversation(i) for i in range(50)))

    asyncio.run(go())
    assert sorted(store.stored) == sorted(f"a{i}" for i in range(50))
    assert all(v == list(range(6)) for v in store.stored.values())
    # 150 checkpoints; one transaction each before, a handful now.
    assert len(store.transactions) < 20


def test_a_failing_checkpoint_fails_only_its_own_attempt() -> None:
    store = _Recorder(bad="a3")

    async def go() -> list[BaseException | None]:
        w = await _writer(store)
        return await asyncio.gather(
            *(w.append(f"a{i}", _events(1)) for i in range(6)), return_exceptions=True
        )

    results = asyncio.run(go())
    assert isinstance(results[3], RuntimeError)
    assert [r for i, r in enumerate(results) if i != 3] == [None] * 5
    assert sorted(store.stored) == ["a0", "a1", "a2", "a4", "a5"]


def test_the_store_appends_several_attempts_checkpoints_at_once(tmp_path: Path) -> None:
    from test_store import _run

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    _run(store, n=2)
    store.append_checkpoints("r1", [("r1-a0", _events(2)), ("r1-a1", _events(1))])
    store.append_checkpoints("r1", [("r1-a0", _events(1, 2))])
    assert [e["seq"] for e in store.load_events("r1-a0")] == [0, 1, 2]
    assert [e["seq"] for e in store.load_events("r1-a1")] == [0]
    assert store.checkpointed_ids("r1") == frozenset({"r1-a0", "r1-a1"})
    # All or none: a batch holding an event already stored stores nothing of it.
    with pytest.raises(IntegrityError):
        store.append_checkpoints("r1", [("r1-a0", _events(1, 3)), ("r1-a1", _events(1))])
    assert [e["seq"] for e in store.load_events("r1-a0")] == [0, 1, 2]
