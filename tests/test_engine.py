"""The engine in-process: accounting, error classification, retries, Retry-After, aborts, stops."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from suho.engine import (
    RateLimiter,
    RetryPolicy,
    RunConfig,
    attempt_id,
    plan_attempts,
    resume_run,
    start_run,
)
from suho.engine._execute import MAX_CONSECUTIVE_ERRORS
from suho.errors import SuhoInputError
from suho.probes import Probe
from suho.store import Store


def probes(prompts: Sequence[str], expected: str = "refuse") -> list[Probe]:
    return [Probe(id=f"p{i:03d}", prompt=p, expected=expected) for i, p in enumerate(prompts)]  # type: ignore[arg-type]


def cfg(base_url: str, **kw: Any) -> RunConfig:
    base = {
        "target": "openai:fake",
        "base_url": base_url,
        "backoff_base": 0.01,
        "backoff_cap": 0.05,
        "timeout": 5.0,
    }
    return RunConfig(**{**base, **kw})


def test_attempt_ids_are_deterministic() -> None:
    a = attempt_id("r", "p1", "none", "single", 0)
    assert a == attempt_id("r", "p1", "none", "single", 0)
    assert (
        len(
            {
                a,
                attempt_id("r", "p1", "none", "single", 1),
                attempt_id("r2", "p1", "none", "single", 0),
            }
        )
        == 3
    )
    c = RunConfig(repeats=2)
    ids1 = [r["id"] for r in plan_attempts("r", probes(["a", "b"]), c)]
    ids2 = [r["id"] for r in plan_attempts("r", probes(["a", "b"]), c)]
    assert ids1 == ids2 and len(set(ids1)) == 4


def test_plan_selects_and_rejects_empty() -> None:
    ps = [Probe(id="k", prompt="안녕"), Probe(id="e", prompt="hi")]
    rows = list(plan_attempts("r", ps, RunConfig(langs=["ko"])))
    assert [r["probe_id"] for r in rows] == ["k"] and rows[0]["lang"] == "ko"
    with pytest.raises(SuhoInputError, match="no probes selected"):
        list(plan_attempts("r", ps, RunConfig(langs=["ja"])))
    with pytest.raises(SuhoInputError, match="unknown transform"):
        list(plan_attempts("r", ps, RunConfig(transforms=["no-such-transform"])))


def test_retry_policy() -> None:
    rng = random.Random(1)
    p = RetryPolicy(retries=3, base=1.0, cap=4.0, max_retry_after=10)
    for attempt, hi in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)):
        d = p.delay(attempt, None, rng)
        assert hi / 2 <= d <= hi
    # Retry-After is a floor, capped, with a little jitter on top.
    assert 3.0 <= p.delay(1, 3.0, rng) <= 3.5
    assert 10.0 <= p.delay(1, 999.0, rng) <= 11.0


def test_rate_limiter_spaces_requests() -> None:
    async def go() -> list[float]:
        lim = RateLimiter(rps=50)
        loop = asyncio.get_running_loop()
        times = []
        for _ in range(6):
            await lim.acquire()
            times.append(loop.time())
        return times

    t = asyncio.run(go())
    # Slots are 1/rps apart: the i-th request never starts before i/rps seconds have passed.
    assert all(t[i] - t[0] >= i * 0.02 - 0.001 for i in range(6))


def test_all_attempts_accounted_and_errors_classified(threaded_server: Any, tmp_path: Path) -> None:
    srv = threaded_server(policy="alternate", retry_after=0.05, slow_s=2.0)
    prompts = [f"plain prompt {i}" for i in range(30)] + [
        "recovers after 429 [[fault:429:2]]",
        "recovers after 500 [[fault:500:1]]",
        "recovers after drop [[fault:drop:1]]",
        "recovers after garbage [[fault:malformed:1]]",
        "always 500 [[fault:500:inf]]",
        "always malformed [[fault:malformed:inf]]",
        "always dropped [[fault:drop:inf]]",
        "always empty [[fault:empty:inf]]",
        "always slow [[fault:slow:inf]]",
    ]
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(
        start_run(store, cfg(srv.base_url, retries=2, timeout=0.3, concurrency=8), probes(prompts))
    )
    assert s.status == "done"
    rows = {r["original_prompt"]: r for r in store.iter_attempts(s.run_id)}
    assert len(rows) == len(prompts) and s.totals.pending == 0
    assert s.totals.done == 34 and s.totals.errors == 5
    assert rows["recovers after 429 [[fault:429:2]]"]["tries"] == 3
    kinds = {p.split(" [[")[0]: r["error_kind"] for p, r in rows.items() if r["status"] == "error"}
    assert kinds == {
        "always 500": "server_error",
        "always malformed": "malformed",
        "always dropped": "connection",
        "always empty": "empty",
        "always slow": "timeout",
    }
    for r in rows.values():
        if r["status"] == "error":
            # An error is never a refusal and never a pass: no verdicts, no outcome.
            assert r["verdicts"] == {} and r["outcome"] is None and r["success"] is None
            assert r["tries"] == 3  # first try + 2 retries
        else:
            assert set(r["verdicts"]) == {"refusal"} and r["outcome"] in ("refused", "complied")
            # The fake "alternate" policy: refusal text <=> outcome refused.
            assert (r["outcome"] == "refused") == (
                "sorry" in r["response"].lower() or "죄송" in r["response"]
            )
    assert s.error_kinds == {
        "server_error": 1,
        "malformed": 1,
        "connection": 1,
        "empty": 1,
        "timeout": 1,
    }


def test_retry_after_is_honoured(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--retry-after", "0.6")
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(
        start_run(store, cfg(srv.base_url, retries=3), probes(["wait for me [[fault:429:1]]"]))
    )
    assert s.totals.done == 1
    reqs = [r for r in srv.requests() if "wait for me" in r["prompt"]]
    assert len(reqs) == 2 and reqs[0]["fault"] == "429"
    assert reqs[1]["t"] - reqs[0]["t"] >= 0.6


def test_429_cools_down_every_worker(server_factory: Any, tmp_path: Path) -> None:
    """After one 429 with Retry-After, no worker sends anything until the wait is over."""
    srv = server_factory("--retry-after", "0.5", "--latency-ms", "20")
    prompts = ["first [[fault:429:1]]"] + [f"other {i}" for i in range(40)]
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    asyncio.run(start_run(store, cfg(srv.base_url, concurrency=4), probes(prompts)))
    reqs = srv.requests()
    t429 = next(r["t"] for r in reqs if r["fault"] == "429")
    # Requests already in flight may land, but nothing new starts inside the window.
    later = [r["t"] for r in reqs if t429 + 0.15 < r["t"] < t429 + 0.5]
    assert later == []


def test_auth_failure_aborts_and_leaves_attempts_pending(
    threaded_server: Any, tmp_path: Path
) -> None:
    srv = threaded_server()
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    ps = probes([f"x {i} [[fault:401:inf]]" for i in range(20)])
    s = asyncio.run(start_run(store, cfg(srv.base_url, concurrency=2), ps))
    assert s.status == "aborted" and "auth" in (s.reason or "")
    assert s.totals.errors == 0 and s.totals.pending == 20
    assert store.get_run(s.run_id)["status"] == "aborted"


def test_consecutive_errors_abort(threaded_server: Any, tmp_path: Path) -> None:
    srv = threaded_server()
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    ps = probes([f"x {i} [[fault:500:inf]]" for i in range(MAX_CONSECUTIVE_ERRORS + 30)])
    s = asyncio.run(start_run(store, cfg(srv.base_url, concurrency=1, retries=0), ps))
    assert s.status == "aborted" and "errors in a row" in (s.reason or "")
    # Results already in flight when the limit is reached are still recorded, never lost.
    assert MAX_CONSECUTIVE_ERRORS <= s.totals.errors <= MAX_CONSECUTIVE_ERRORS + 3
    assert s.totals.errors + s.totals.pending == MAX_CONSECUTIVE_ERRORS + 30
    # After the cause is fixed, resume --retry-errors finishes the run.


def test_stop_then_resume_exactly_once(server_factory: Any, tmp_path: Path) -> None:
    srv = server_factory("--latency-ms", "50")
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    ps = probes([f"prompt {i}" for i in range(60)])

    async def stop_midway() -> Any:
        stop = asyncio.Event()

        class Sink:
            def update(self, c: Any) -> None:
                if c.done >= 15:
                    stop.set()

        return await start_run(
            store, cfg(srv.base_url, concurrency=4), ps, progress=Sink(), stop=stop
        )

    s1 = asyncio.run(stop_midway())
    assert s1.status == "interrupted" and 0 < s1.totals.done < 60
    done_before = {
        r["original_prompt"] for r in store.iter_attempts(s1.run_id) if r["status"] == "done"
    }
    n_before = len(srv.requests())
    s2 = asyncio.run(resume_run(store, s1.run_id))
    assert s2.status == "done" and s2.totals.done == 60 and s2.totals.pending == 0
    after = [r["prompt"] for r in srv.requests()[n_before:]]
    assert not done_before & set(after), "a done attempt was sent again"
    assert len(after) == len(set(after))
    # Nothing recorded twice: one verdict per attempt.
    rows = list(store.iter_attempts(s1.run_id))
    assert len(rows) == 60 and all(len(r["verdicts"]) == 1 for r in rows)


def test_resume_of_finished_run_sends_nothing(threaded_server: Any, tmp_path: Path) -> None:
    srv = threaded_server()
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(start_run(store, cfg(srv.base_url), probes(["a", "b"])))
    s2 = asyncio.run(resume_run(store, s.run_id, overrides={"concurrency": 3}))
    assert s2.status == "done" and s2.totals.done == 2
    with pytest.raises(SuhoInputError, match="cannot override"):
        asyncio.run(resume_run(store, s.run_id, overrides={"target": "openai:other"}))


def test_secrets_never_stored(
    threaded_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target that echoes its key: the key must not reach the store or the report."""
    from suho.targets import ChatResult, ErrorKind, TargetError

    key = "sk-test-SECRET-0123456789"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    srv = threaded_server()

    from suho.targets._openai import OpenAITarget

    class Echo(OpenAITarget):
        calls: ClassVar[int] = 0

        async def chat(self, messages: Any, params: Any) -> ChatResult:
            Echo.calls += 1
            if Echo.calls == 1:
                raise TargetError(ErrorKind.CLIENT_ERROR, f"bad key {key}")
            return ChatResult(text=f"your key is {key}")

    monkeypatch.setattr("suho.targets._openai.OpenAITarget.chat", Echo.chat)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(start_run(store, cfg(srv.base_url, concurrency=1), probes(["a", "b"])))
    import io

    from suho.report import write_report

    buf = io.StringIO()
    write_report(store, s.run_id, "json", buf)
    assert key not in buf.getvalue() and "***" in buf.getvalue()
    db_bytes = (tmp_path / "s.db").read_bytes() + b"".join(
        p.read_bytes() for p in tmp_path.glob("s.db-*")
    )
    assert key.encode() not in db_bytes


def test_transforms_and_repeats_multiply_attempts(threaded_server: Any, tmp_path: Path) -> None:
    srv = threaded_server(policy="refuse-all")
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(start_run(store, cfg(srv.base_url, repeats=3), probes(["a", "b"])))
    assert s.totals.attempts == 6
    c = Counter((r["probe_id"], r["repeat"]) for r in store.iter_attempts(s.run_id))
    assert set(c.values()) == {1} and len(c) == 6
    assert s.totals.hits == 0  # refuse-all: no attack succeeds


def _chat_requests(log: Path) -> list[dict[str, Any]]:
    import json

    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def test_first_requests_go_out_before_the_store_is_open(
    threaded_server: Any, tmp_path: Path
) -> None:
    """``start_run`` given a store opener sends while the opener runs: this opener waits until
    the server has seen a request, which would time out if the engine waited for the store."""
    import time

    log = tmp_path / "requests.jsonl"
    srv = threaded_server(log=log, latency_ms=20)
    seen_before_open: list[int] = []

    def opener() -> Store:
        deadline = time.monotonic() + 10
        while not _chat_requests(log) and time.monotonic() < deadline:
            time.sleep(0.01)
        seen_before_open.append(len(_chat_requests(log)))
        return Store.open(f"sqlite:///{tmp_path / 's.db'}")

    ps = probes([f"prompt {i}" for i in range(40)])
    s = asyncio.run(start_run(opener, cfg(srv.base_url, concurrency=4), ps))
    assert seen_before_open and seen_before_open[0] >= 1
    assert s.status == "done" and s.totals.done == 40 and s.totals.pending == 0
    assert sorted(r["prompt"] for r in _chat_requests(log)) == sorted(p.prompt for p in ps)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    rows = list(store.iter_attempts(s.run_id))
    assert len(rows) == 40 and all(len(r["verdicts"]) == 1 for r in rows)
    assert store.get_run(s.run_id)["status"] == "done"


def test_plan_bigger_than_the_buffer_pages_exactly_once(
    threaded_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More rows than the head and the planner's buffer: the first rows are sent from memory,
    the rest paged from the store after them, and every prompt is sent exactly once."""
    from suho.engine import _planwriter

    monkeypatch.setattr(_planwriter, "HEAD_ROWS", 5)
    monkeypatch.setattr(_planwriter, "PLAN_BUFFER", 3)
    log = tmp_path / "requests.jsonl"
    srv = threaded_server(log=log)
    ps = probes([f"prompt {i}" for i in range(57)])
    s = asyncio.run(
        start_run(
            lambda: Store.open(f"sqlite:///{tmp_path / 's.db'}"),
            cfg(srv.base_url, concurrency=3),
            ps,
        )
    )
    assert s.status == "done" and s.totals.done == 57
    sent = [r["prompt"] for r in _chat_requests(log)]
    assert sorted(sent) == sorted(p.prompt for p in ps) and len(sent) == 57


def test_bad_input_late_in_the_plan_sends_nothing_and_leaves_no_run(
    threaded_server: Any, tmp_path: Path
) -> None:
    log = tmp_path / "requests.jsonl"
    srv = threaded_server(log=log)
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")

    def bad_probes() -> Any:
        yield from probes([f"prompt {i}" for i in range(700)])
        raise SuhoInputError("line 701: not a probe", path="p.jsonl")

    with pytest.raises(SuhoInputError, match="line 701"):
        asyncio.run(start_run(store, cfg(srv.base_url), bad_probes()))
    assert _chat_requests(log) == []
    assert store.list_runs() == []


def test_a_store_that_cannot_be_opened_fails_the_run_cleanly(
    threaded_server: Any, tmp_path: Path
) -> None:
    srv = threaded_server()

    def opener() -> Store:
        raise SuhoInputError("store unavailable")

    with pytest.raises(SuhoInputError, match="store unavailable"):
        asyncio.run(start_run(opener, cfg(srv.base_url), probes(["a", "b", "c"])))


def test_resume_refuses_a_run_stopped_while_planning(threaded_server: Any, tmp_path: Path) -> None:
    srv = threaded_server()
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    s = asyncio.run(start_run(store, cfg(srv.base_url), probes(["a", "b"])))
    store.update_run(s.run_id, status="planning")  # as a process killed mid-plan leaves it
    with pytest.raises(SuhoInputError, match="while its plan was being written"):
        asyncio.run(resume_run(store, s.run_id))
