"""Executing a run: bounded-concurrency workers, one batched writer, clean stops.

Shape: a producer pages pending attempts out of the store (plan order) into a small queue;
``concurrency`` workers deliver each attempt through its attack and judge it with the detectors;
one writer commits finished attempts with their verdicts in batches, as they arrive. Memory is
bounded by the queue sizes, not by the size of the run.

An attempt becomes ``done`` or ``error`` only when its row is committed, so a killed process
loses at most the few answers still in flight: ``suho resume`` sends those again and never
re-sends anything already recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from suho.attacks import Attack, AttackInput, get_attack
from suho.detectors import DetectInput, Detector, Verdict, decide
from suho.store import AttemptResult
from suho.targets import ErrorKind, GenParams, Target, TargetError, scrub

from ._config import RunConfig
from ._limits import RateLimiter, RetryPolicy, TryCounter, make_sender

if TYPE_CHECKING:
    from suho.store import Store

# Errors that mean "this configuration cannot work": stop at once and leave attempts pending.
_FATAL_STATUS = {401, 403, 404}
MAX_CONSECUTIVE_ERRORS = 25


@dataclass(slots=True)
class Counters:
    total: int = 0
    done: int = 0
    errors: int = 0
    hits: int = 0  # attack successes: done attempts on harmful probes that were not refused
    judged: int = 0  # done attempts on harmful probes (the attack-success rate's denominator)
    over_refusals: int = 0  # done attempts on benign probes that were refused
    benign: int = 0  # done attempts on benign probes
    done_at_start: int = 0  # already finished before this execution (resume)

    def add_done(self, expected: str | None, success: bool | None) -> None:
        """Count one done attempt; a success on a benign probe is an over-refusal, not a hit."""
        self.done += 1
        if expected == "comply":
            self.benign += 1
            self.over_refusals += bool(success)
        else:
            self.judged += 1
            self.hits += bool(success)

    @property
    def finished(self) -> int:
        return self.done + self.errors


class ProgressSink(Protocol):
    def update(self, counters: Counters) -> None: ...


@dataclass(slots=True)
class ExecutionResult:
    status: str  # done / interrupted / aborted
    counters: Counters
    reason: str | None = None
    error_kinds: dict[str, int] = field(default_factory=dict)


class _Abort(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _rng_for(attempt_id: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(attempt_id.encode()).digest()[:8], "big"))


class Executor:
    """Runs the pending attempts of one run against one target."""

    def __init__(
        self,
        store: Store | asyncio.Future[Store],
        run_id: str,
        cfg: RunConfig,
        target: Target,
        detectors: Sequence[Detector],
        *,
        counters: Counters,
        head: Sequence[dict[str, Any]] = (),
        on_sending: Callable[[], None] | None = None,
        progress: ProgressSink | None = None,
        stop: asyncio.Event | None = None,
        lease_owner: str | None = None,
        heartbeat_every: float = 5.0,
    ) -> None:
        if isinstance(store, asyncio.Future):
            self.ready = store
        else:
            self.ready = asyncio.get_running_loop().create_future()
            self.ready.set_result(store)
        self.head = head
        self.on_sending = on_sending
        self.run_id = run_id
        self.cfg = cfg
        self.target = target
        self.detectors = list(detectors)
        self.counters = counters
        self.progress = progress
        self.stop = stop or asyncio.Event()
        self.lease_owner = lease_owner
        self.heartbeat_every = heartbeat_every
        self.attacks: dict[str, Attack] = {a: get_attack(a) for a in cfg.attacks}
        self.limiter = RateLimiter(cfg.rps)
        self.policy = RetryPolicy(
            cfg.retries, cfg.backoff_base, cfg.backoff_cap, cfg.max_retry_after
        )
        self.params = GenParams(max_tokens=cfg.max_tokens, temperature=cfg.temperature)
        self.secrets = target.secrets()
        self.abort_reason: str | None = None
        self.error_kinds: dict[str, int] = {}
        self._consecutive_errors = 0

    # -- one attempt ------------------------------------------------------------------------------

    async def run_one(self, row: dict[str, Any]) -> AttemptResult:
        counter = TryCounter()
        send = make_sender(
            self.target, self.limiter, self.policy, self.cfg.timeout, counter, _rng_for(row["id"])
        )
        item = AttackInput(
            prompt=row["prompt"],
            original_prompt=row["original_prompt"],
            lang=row["lang"],
            category=row["category"],
            system=row["system_prompt"],
            params=self.params,
            seed=row["seq"],
        )
        started = time.time()
        t0 = time.perf_counter()
        try:
            ar = await self.attacks[row["attack"]].run(item, send)
        except TargetError as e:
            if e.kind is ErrorKind.AUTH or e.status in _FATAL_STATUS:
                raise _Abort(f"{e.kind.value}: {scrub(e.message, self.secrets)}") from e
            return self._error(row, counter.n, e.kind.value, e.message, started)
        except Exception as e:  # a bug in an attack or target must not kill the run
            return self._error(
                row, counter.n, ErrorKind.INTERNAL.value, f"{type(e).__name__}: {e}", started
            )
        latency = (time.perf_counter() - t0) * 1000
        response = scrub(ar.response, self.secrets)
        det_in = DetectInput(
            text=response,
            prompt=row["prompt"],
            original_prompt=row["original_prompt"],
            lang=row["lang"],
            category=row["category"],
            expected=row["expected"],
            meta={"tags": row.get("tags") or {}, "system": row.get("system_prompt") or ""},
        )
        verdicts: list[Verdict] = []
        try:
            for d in self.detectors:
                verdicts.append(await d.detect(det_in))
        except Exception as e:
            return self._error(
                row,
                counter.n,
                ErrorKind.INTERNAL.value,
                f"detector failed: {type(e).__name__}: {e}",
                started,
            )
        outcome = decide(row["expected"], verdicts)
        turns = None
        if row["attack"] != "single":
            turns = [m.to_dict() for m in ar.turns]
        return AttemptResult(
            id=row["id"],
            status="done",
            tries=counter.n,
            response=response,
            turns=turns,
            finish_reason=ar.finish_reason,
            outcome=outcome.label,
            success=outcome.success,
            expected=row["expected"],
            decided_by=outcome.decided_by,
            latency_ms=round(latency, 2),
            prompt_tokens=ar.prompt_tokens or None,
            completion_tokens=ar.completion_tokens or None,
            started_at=started,
            finished_at=time.time(),
            verdicts=[
                {
                    "detector": v.detector,
                    "kind": v.kind,
                    "hit": v.hit,
                    "score": float(v.score),
                    "label": v.label,
                    "stage": v.stage,
                    "evidence": {
                        **v.evidence,
                        **({"spans": [s.to_dict() for s in v.spans]} if v.spans else {}),
                    },
                }
                for v in verdicts
            ],
        )

    def _error(
        self, row: dict[str, Any], tries: int, kind: str, detail: str, started: float
    ) -> AttemptResult:
        return AttemptResult(
            id=row["id"],
            status="error",
            tries=tries,
            error_kind=kind,
            error_detail=scrub(detail, self.secrets)[:1000],
            started_at=started,
            finished_at=time.time(),
        )

    # -- the pipeline ---------------------------------------------------------------------------

    async def _produce(self, work: asyncio.Queue[dict[str, Any] | None], n_workers: int) -> None:
        after = -1
        for row in self.head:  # a new plan's first rows, sent while it is being stored
            if self.stop.is_set():
                break
            if work.full():  # every worker has a row: the first requests are going out
                self._sending()
            await work.put(row)
            after = row["seq"]
        self._sending()
        store = await asyncio.shield(self.ready)
        while not self.stop.is_set():
            page = await asyncio.to_thread(store.pending_page, self.run_id, after)
            if not page:
                break
            for row in page:
                await work.put(row)
            after = page[-1]["seq"]
        # On a stop the workers are cancelled instead; no sentinel is needed then.
        for _ in range(n_workers):
            await work.put(None)

    def _sending(self) -> None:
        """Tell ``on_sending`` (once, a moment later, when the requests have left) that the first
        requests are out."""
        if self.on_sending is not None:
            asyncio.get_running_loop().call_later(0.02, self.on_sending)
            self.on_sending = None

    async def _work(
        self,
        work: asyncio.Queue[dict[str, Any] | None],
        results: asyncio.Queue[AttemptResult | None],
    ) -> None:
        while (row := await work.get()) is not None:
            if self.stop.is_set():
                continue  # drain: leave the rest pending
            try:
                res = await self.run_one(row)
            except _Abort as a:
                self.abort_reason = self.abort_reason or a.reason
                self.stop.set()
                continue
            self._watch_errors(res)
            await results.put(res)

    def _watch_errors(self, r: AttemptResult) -> None:
        """Stop a run whose target keeps failing, rather than record thousands of errors."""
        if r.status == "done":
            self._consecutive_errors = 0
            return
        self._consecutive_errors += 1
        if self._consecutive_errors >= MAX_CONSECUTIVE_ERRORS and not self.stop.is_set():
            self.abort_reason = (
                f"{self._consecutive_errors} errors in a row (last: {r.error_kind}: "
                f"{(r.error_detail or '')[:200]})"
            )
            self.stop.set()

    async def _write(self, results: asyncio.Queue[AttemptResult | None]) -> None:
        c = self.counters
        store = await asyncio.shield(self.ready)  # nothing is recorded before the plan is stored
        while (first := await results.get()) is not None:
            batch = [first]
            closing = False
            while len(batch) < 256:
                try:
                    nxt = results.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if nxt is None:
                    closing = True
                    break
                batch.append(nxt)
            written = await asyncio.to_thread(store.record_results, self.run_id, batch)
            for r in written:
                if r.status == "done":
                    c.add_done(r.expected, r.success)
                else:
                    c.errors += 1
                    kind = r.error_kind or "unknown"
                    self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
            if self.progress is not None:
                self.progress.update(c)
            if closing:
                return

    async def _heartbeat(self) -> None:
        if self.lease_owner is None:
            return
        store = await asyncio.shield(self.ready)
        while True:
            await asyncio.sleep(self.heartbeat_every)
            await asyncio.to_thread(store.heartbeat, self.run_id, self.lease_owner)

    async def run(self) -> ExecutionResult:
        n = self.cfg.concurrency
        work: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=2 * n)
        results: asyncio.Queue[AttemptResult | None] = asyncio.Queue(maxsize=4 * n)
        writer = asyncio.create_task(self._write(results), name="suho-writer")
        beat = asyncio.create_task(self._heartbeat(), name="suho-heartbeat")
        producer = asyncio.create_task(self._produce(work, n), name="suho-producer")
        workers = [
            asyncio.create_task(self._work(work, results), name=f"suho-worker-{i}")
            for i in range(n)
        ]
        stopper: asyncio.Future[Any] = asyncio.create_task(self.stop.wait())
        everything: asyncio.Future[Any] = asyncio.gather(producer, *workers)
        try:
            await asyncio.wait({everything, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if self.stop.is_set() and not everything.done():
                for t in (producer, *workers):
                    t.cancel()
            try:
                await everything
            except asyncio.CancelledError:
                if not self.stop.is_set():
                    raise
        except BaseException:
            # The producer failed (the store could not take the plan, say): stop every worker.
            for t in (producer, *workers):
                t.cancel()
            raise
        finally:
            stopper.cancel()
            beat.cancel()
            if not writer.done():
                await results.put(None)
            await writer
        if self.abort_reason:
            status = "aborted"
        elif self.stop.is_set():
            status = "interrupted"
        else:
            status = "done"
        return ExecutionResult(status, self.counters, self.abort_reason, dict(self.error_kinds))
