"""The store: migrations match the models, writes are exactly-once, leases exclude, paging streams.

Runs on SQLite and on PostgreSQL (a throwaway server from tests/pg_server.py, or SUHO_TEST_PG_URL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from suho.errors import SuhoInputError
from suho.store import HEAD_REVISION, AttemptResult, Store, metadata, resolve_url
from suho.store._migrate import downgrade, script_head, upgrade


def _fresh_pg(url: str) -> str:
    """A throwaway schema-free database per test run: drop every table first."""
    s = Store.open(url, migrate=False)
    with s.engine.begin() as c:
        for t in ("attempt_events", "verdicts", "findings", "attempts", "runs", "alembic_version"):
            c.execute(text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    s.close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "postgres":
        url = _fresh_pg(request.getfixturevalue("pg_url"))
    else:
        url = f"sqlite:///{tmp_path / 's.db'}"
    s = Store.open(url)
    yield s
    s.close()


def _run(store: Store, run_id: str = "r1", n: int = 5) -> None:
    store.create_run(
        {
            "id": run_id,
            "suho_version": "t",
            "target": {"provider": "openai", "model": "m"},
            "suite": "x",
            "config": {},
            "config_hash": "h",
            "seed": 0,
            "status": "running",
        }
    )
    store.add_attempts(
        run_id,
        (
            {
                "id": f"{run_id}-a{i}",
                "run_id": run_id,
                "seq": i,
                "probe_id": f"p{i}",
                "intent_id": f"i{i // 2}",
                "lang": "ko" if i % 2 else "en",
                "category": "c",
                "expected": "refuse",
                "variant": None,
                "transform": "none",
                "attack": "single",
                "repeat": 0,
                "tags": {"owasp": ["LLM01:2025"]},
                "system_prompt": None,
                "original_prompt": f"p{i}",
                "prompt": f"p{i}",
                "status": "pending",
                "tries": 0,
            }
            for i in range(n)
        ),
    )


def test_resolve_url() -> None:
    assert resolve_url(None, {}) == "sqlite:///suho.db"
    assert resolve_url(None, {"SUHO_DB": "x.db"}) == "sqlite:///x.db"
    assert resolve_url("postgresql://u@h/db", {}) == "postgresql+psycopg://u@h/db"
    assert resolve_url("sqlite:///:memory:", {}) == "sqlite:///:memory:"


def test_bad_db_url_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(SuhoInputError, match="does not exist"):
        Store.open(str(tmp_path / "missing-dir" / "x.db"))
    with pytest.raises(SuhoInputError):
        Store.open("nosuchdialect://x")


def test_head_constant_matches_migrations() -> None:
    assert script_head() == HEAD_REVISION


def test_migrations_build_exactly_the_models(store: Store) -> None:
    """Built by the Alembic migrations alone, the schema equals the models (autogenerate finds
    no difference), so building a fresh store from the models and stamping it is equivalent."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    downgrade(store.engine, "base")
    assert inspect(store.engine).get_table_names() == ["alembic_version"]
    upgrade(store.engine)
    with store.engine.connect() as c:
        diff = compare_metadata(
            MigrationContext.configure(c, opts={"compare_type": True}), metadata
        )
    assert diff == []
    assert store.current_revision() == HEAD_REVISION


def test_fresh_store_is_stamped_like_alembic_does(tmp_path: Path) -> None:
    fast = Store.open(f"sqlite:///{tmp_path / 'fast.db'}")
    slow = Store.open(f"sqlite:///{tmp_path / 'slow.db'}", migrate=False)
    upgrade(slow.engine)
    for s in (fast, slow):
        assert s.current_revision() == HEAD_REVISION
    cols = [
        [
            (c["name"], str(c["type"]), c["nullable"])
            for c in inspect(s.engine).get_columns("alembic_version")
        ]
        for s in (fast, slow)
    ]
    assert cols[0] == cols[1]
    # A store at head is left alone; Alembic can still take it down and up again.
    downgrade(fast.engine, "base")
    upgrade(fast.engine)
    assert fast.current_revision() == HEAD_REVISION


def test_downgrade_and_upgrade_again(store: Store) -> None:
    downgrade(store.engine, "base")
    assert not inspect(store.engine).has_table("attempts")
    upgrade(store.engine)
    assert inspect(store.engine).has_table("attempts")


def test_record_results_exactly_once(store: Store) -> None:
    _run(store)
    v = {
        "detector": "refusal",
        "kind": "refusal",
        "hit": True,
        "score": 0.9,
        "label": "refusal",
        "stage": "rule",
        "evidence": {},
    }
    r = AttemptResult(
        id="r1-a0",
        status="done",
        tries=1,
        response="no",
        outcome="refused",
        success=False,
        verdicts=[v],
    )
    assert len(store.record_results("r1", [r])) == 1
    # A second write of the same attempt (e.g. a duplicate after a race) is ignored entirely.
    assert store.record_results("r1", [r]) == []
    rows = list(store.iter_attempts("r1"))
    assert rows[0]["status"] == "done" and rows[0]["verdicts"]["refusal"]["hit"] is True
    t = store.totals("r1")
    assert (t.attempts, t.done, t.pending, t.errors, t.hits) == (5, 1, 4, 0, 0)


def test_record_results_batch_skips_the_ones_already_done(store: Store) -> None:
    """A batch is one statement; when one of its attempts is no longer pending, only the others
    are written (with their verdicts), and the done one keeps its first answer."""
    _run(store)

    def res(i: int, response: str) -> AttemptResult:
        v = {"detector": "refusal", "kind": "refusal", "hit": False, "score": 0.1}
        v |= {"label": "complied", "stage": "rule", "evidence": {"i": i}}
        return AttemptResult(
            id=f"r1-a{i}",
            status="done",
            tries=1,
            response=response,
            turns=[{"role": "user", "content": "x"}] if i == 2 else None,
            outcome="complied",
            success=True,
            verdicts=[v],
        )

    assert [r.id for r in store.record_results("r1", [res(1, "first")])] == ["r1-a1"]
    batch = [res(0, "a"), res(1, "second"), res(2, "c")]
    assert [r.id for r in store.record_results("r1", batch)] == ["r1-a0", "r1-a2"]
    rows = {r["id"]: r for r in store.iter_attempts("r1")}
    assert rows["r1-a1"]["response"] == "first"
    assert rows["r1-a1"]["verdicts"]["refusal"]["evidence"] == {"i": 1}
    assert rows["r1-a2"]["turns"] == [{"role": "user", "content": "x"}]
    assert rows["r1-a0"]["success"] is True and rows["r1-a0"]["status"] == "done"
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM verdicts")).scalar() == 3
    # A whole batch of fresh attempts goes through the one-statement path.
    assert len(store.record_results("r1", [res(3, "d"), res(4, "e")])) == 2
    assert store.totals("r1").done == 5


def test_checkpoints_replay_and_per_turn_verdicts(store: Store) -> None:
    """Migration 0003: checkpointed events append once each, in order, and move into the
    attempt's ``events`` with its result; per-turn verdicts sit beside the final one."""
    from sqlalchemy.exc import IntegrityError

    from suho.store import VerdictRecord

    _run(store, n=3)
    ev = [{"seq": i, "kind": "model_call", "role": "target", "data": {"i": i}} for i in range(3)]
    store.append_events("r1", "r1-a1", ev[:2])
    store.append_events("r1", "r1-a1", ev[2:])
    store.append_events("r1", "r1-a2", ev[:1])
    assert store.checkpointed_ids("r1") == {"r1-a1", "r1-a2"}
    assert store.load_events("r1-a1") == ev and store.load_events("r1-a0") == []
    with pytest.raises(IntegrityError):  # an event cannot be stored twice
        store.append_events("r1", "r1-a1", ev[1:2])
    final = VerdictRecord("refusal", "refusal", True, 0.9, "refusal")
    turns = [VerdictRecord("refusal", "refusal", t == 2, 0.5, turn=t) for t in (1, 2)]
    r = AttemptResult(
        id="r1-a1",
        status="done",
        tries=3,
        response="no",
        outcome="refused",
        success=False,
        events=[*ev, {"seq": 3, "kind": "note", "data": {}}],
        attacker_calls=3,
        judge_calls=0,
        checkpointed=True,
        verdicts=[final, *turns],
    )
    assert store.record_results("r1", [r]) == [r]
    assert store.checkpointed_ids("r1") == {"r1-a2"}  # the other episode is still in progress
    row = next(x for x in store.iter_attempts("r1") if x["id"] == "r1-a1")
    assert [e["seq"] for e in row["events"]] == [0, 1, 2, 3]
    assert (row["attacker_calls"], row["judge_calls"]) == (3, 0)
    assert row["verdicts"] == {
        "refusal": {
            "kind": "refusal",
            "hit": True,
            "score": 0.9,
            "label": "refusal",
            "stage": "rule",
            "evidence": {},
        }
    }
    with store.engine.connect() as c:
        got = c.execute(
            text("SELECT turn, hit FROM verdicts WHERE turn IS NOT NULL ORDER BY turn")
        ).all()
    assert [tuple(x) for x in got] == [(1, False), (2, True)]
    assert store.verdict_stage_counts("r1") == {"refusal": {"rule": 1}}
    store.delete_run("r1")
    assert store.checkpointed_ids("r1") == frozenset()


def test_pending_paging_and_iter_streams_in_order(store: Store) -> None:
    _run(store, n=23)
    seen: list[int] = []
    after = -1
    while page := store.pending_page("r1", after, limit=5):
        seen += [a.seq for a in page]  # typed Attempts
        after = page[-1].seq
    assert seen == list(range(23))
    assert [r["seq"] for r in store.iter_attempts("r1", page=4)] == list(range(23))


def test_reset_errors(store: Store) -> None:
    _run(store, n=2)
    store.record_results(
        "r1", [AttemptResult(id="r1-a1", status="error", tries=4, error_kind="timeout")]
    )
    assert store.totals("r1").errors == 1
    assert store.reset_errors("r1") == 1
    assert store.totals("r1").pending == 2


def test_resolve_run_ids(store: Store) -> None:
    _run(store, "20260101-000000-aaaaaa")
    time.sleep(0.01)
    _run(store, "20260102-000000-bbbbbb")
    assert store.resolve_run_id("latest") == "20260102-000000-bbbbbb"
    assert store.resolve_run_id("20260101") == "20260101-000000-aaaaaa"
    with pytest.raises(SuhoInputError, match="no run"):
        store.resolve_run_id("2026")  # ambiguous prefix
    with pytest.raises(SuhoInputError, match="no run"):
        store.resolve_run_id("nope")


def test_latest_on_empty_store(store: Store) -> None:
    with pytest.raises(SuhoInputError, match="no runs"):
        store.resolve_run_id("latest")


def test_lease_excludes_live_holder_and_takes_over_dead_one(store: Store) -> None:
    _run(store)
    store.acquire_lease("r1", "me:1:1")
    store.acquire_lease("r1", "me:1:1")  # re-entrant for the same owner
    # A live process on this host holds it: our own pid.
    import socket

    live = f"{socket.gethostname()}:{os.getpid()}:0"
    store.release_lease("r1", "me:1:1", "running")
    store.acquire_lease("r1", live)
    with pytest.raises(SuhoInputError, match="another process"):
        store.acquire_lease("r1", "other:2:2")
    # A dead pid on this host: taken over.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store.release_lease("r1", live, "running")
    store.acquire_lease("r1", f"{socket.gethostname()}:{dead.pid}:0")
    store.acquire_lease("r1", "new:3:3")
    assert store.get_run("r1")["lease_owner"] == "new:3:3"
    # A remote holder whose heartbeat is fresh blocks; a stale one does not.
    store.release_lease("r1", "new:3:3", "running")
    store.acquire_lease("r1", "elsewhere-host:5:5")
    with pytest.raises(SuhoInputError):
        store.acquire_lease("r1", "me2:4:4")
    store.update_run("r1", lease_heartbeat=time.time() - 3600)
    store.acquire_lease("r1", "me2:4:4")


def test_group_counts_and_taxonomy(store: Store) -> None:
    _run(store, n=4)
    store.record_results(
        "r1",
        [
            AttemptResult(id="r1-a0", status="done", tries=1, response="x", success=True),
            AttemptResult(id="r1-a1", status="done", tries=1, response="x", success=False),
            AttemptResult(id="r1-a2", status="error", tries=4, error_kind="timeout"),
        ],
    )
    g = {(r["lang"]): r for r in store.group_counts("r1")}
    assert (g["en"]["trials"], g["en"]["successes"], g["en"]["errors"], g["en"]["pending"]) == (
        1,
        1,
        1,
        0,
    )
    assert (g["ko"]["trials"], g["ko"]["successes"], g["ko"]["pending"]) == (1, 0, 1)
    assert store.category_taxonomy("r1") == {"c": {"owasp": ["LLM01:2025"]}}


def test_older_store_is_upgraded_on_open_and_keeps_its_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store.open(url, migrate=False)
    upgrade(old.engine, "0001")
    assert old.current_revision() == "0001"
    _run(old)
    old.close()
    s = Store.open(url)  # opening migrates
    assert s.current_revision() == HEAD_REVISION
    assert "ix_attempts_outcomes" in {i["name"] for i in inspect(s.engine).get_indexes("attempts")}
    assert s.totals("r1").attempts == 5
