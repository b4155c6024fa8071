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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, cast

from suho.attacks import Attack, get_attack, turns_from_events
from suho.detectors import Detector, Verdict, decide
from suho.episode import (
    Attempt,
    Budget,
    BudgetExceeded,
    Environment,
    EnvironmentProvider,
    Episode,
    EpisodeAware,
    Event,
    ToolRuntime,
)
from suho.store import AttemptResult, VerdictRecord
from suho.targets import ErrorKind, GenParams, Target, TargetError, scrub

from ._config import RunConfig
from ._context import EngineContext, Replay, ResumeDiverged, RoleModel, detect_input
from ._limits import RateLimiter, RetryPolicy

if TYPE_CHECKING:
    from suho.store import Store

# Errors that mean "this configuration cannot work": stop at once and leave attempts pending.
_FATAL_STATUS = {401, 403, 404}
MAX_CONSECUTIVE_ERRORS = 25
# How long an environment's tear-down may take before it is abandoned (and recorded as such).
TEARDOWN_TIMEOUT_S = 60.0


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


def _record(v: Verdict, turn: int | None = None) -> VerdictRecord:
    return VerdictRecord(
        detector=v.detector,
        kind=v.kind,
        hit=v.hit,
        score=float(v.score),
        label=v.label,
        stage=v.stage,
        evidence={
            **v.evidence,
            **({"spans": [s.to_dict() for s in v.spans]} if v.spans else {}),
        },
        turn=turn,
    )


def _turn_records(scored: Sequence[tuple[int, Verdict]]) -> list[VerdictRecord]:
    """Per-turn verdicts to store: one per (detector, turn), the latest when an attack scored
    a turn twice (the store keeps one verdict per attempt, detector and turn)."""
    latest: dict[tuple[str, int], Verdict] = {}
    for turn, v in scored:
        latest[(v.detector, turn)] = v
    return [_record(v, turn) for (_det, turn), v in latest.items()]


async def teardown_safely(env: Environment, episode: Episode | None = None) -> None:
    """Tear ``env`` down and wait for it even if the caller is cancelled meanwhile (the
    cancellation is re-raised afterwards). A failing or hanging tear-down is recorded in the
    episode, never raised: the attempt's result stands."""

    async def bounded() -> None:
        async with asyncio.timeout(TEARDOWN_TIMEOUT_S):
            await env.teardown()

    task = asyncio.ensure_future(bounded())
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                break
            cancelled = True
        except BaseException:
            break
    if not task.cancelled() and (exc := task.exception()) is not None and episode is not None:
        episode.record("error", "engine", phase="teardown", detail=f"{type(exc).__name__}: {exc}")
    if cancelled:
        raise asyncio.CancelledError


class CheckpointWriter:
    """Group commit for the checkpoints of the conversations in flight.

    Every live model call first stores what its episode recorded before it (``_context``). One
    transaction per checkpoint made the store's writes most of the engine's own cost per turn
    with many conversations at once; here the checkpoints that arrive while a write is under
    way wait and go together in the next one. Each caller still returns only once its events
    are committed, so what a resume relies on is unchanged. When a shared transaction fails,
    each checkpoint of it is tried alone, so one attempt's failure is only its own.
    """

    def __init__(self, ready: asyncio.Future[Store], run_id: str) -> None:
        self.ready = ready
        self.run_id = run_id
        self._waiting: list[tuple[str, list[dict[str, Any]], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(self, attempt_id: str, events: list[dict[str, Any]]) -> None:
        """Store ``events`` of pending attempt ``attempt_id``; returns once they are committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((attempt_id, events, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="suho-checkpoints")
        await done

    async def _flush(self) -> None:
        batch: list[tuple[str, list[dict[str, Any]], asyncio.Future[None]]] = []
        try:
            store = await asyncio.shield(self.ready)
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await asyncio.to_thread(
                        store.append_checkpoints, self.run_id, [(a, evs) for a, evs, _ in batch]
                    )
                except Exception:
                    for a, evs, done in batch:
                        try:
                            await asyncio.to_thread(store.append_events, self.run_id, a, evs)
                        except Exception as e:
                            _settle(done, e)
                        else:
                            _settle(done, None)
                else:
                    for _a, _evs, done in batch:
                        _settle(done, None)
                batch = []
        except BaseException as e:  # the store never opened, or this task was cancelled
            for _a, _evs, done in [*batch, *self._waiting]:
                _settle(done, e)
            self._waiting = []
            if not isinstance(e, Exception):
                raise
        finally:
            self._flusher = None


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    """Tell one waiting caller how its checkpoint went."""
    if done.done():  # its caller was cancelled meanwhile
        return
    if error is None:
        done.set_result(None)
    elif isinstance(error, Exception):
        done.set_exception(error)
    else:
        done.cancel()


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
        head: Sequence[Mapping[str, Any]] = (),
        on_sending: Callable[[], None] | None = None,
        progress: ProgressSink | None = None,
        stop: asyncio.Event | None = None,
        lease_owner: str | None = None,
        heartbeat_every: float = 5.0,
        environments: EnvironmentProvider | None = None,
        roles: Mapping[str, RoleModel] | None = None,
        checkpointed: frozenset[str] = frozenset(),
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
        self.environments = environments
        self.checkpointed = checkpointed
        self.attacks: dict[str, Attack] = {a: get_attack(a) for a in cfg.attacks}
        self.policy = RetryPolicy(
            cfg.retries, cfg.backoff_base, cfg.backoff_cap, cfg.max_retry_after
        )
        self.limiter = RateLimiter(cfg.rps)
        self.roles: dict[str, RoleModel] = {
            "target": RoleModel(
                "target",
                str(target.spec),
                lambda: target,
                self.limiter,
                self.policy,
                cfg.timeout,
                target,
            ),
            **{k: v for k, v in (roles or {}).items() if k != "target"},
        }
        self.params = GenParams(max_tokens=cfg.max_tokens, temperature=cfg.temperature)
        self.secrets = target.secrets()
        self._episode_aware = isinstance(target, EpisodeAware)
        self.checkpoints = CheckpointWriter(self.ready, run_id)
        self.abort_reason: str | None = None
        self.error_kinds: dict[str, int] = {}
        self._consecutive_errors = 0

    # -- one attempt ------------------------------------------------------------------------------

    def attempt_of(self, row: Mapping[str, Any] | Attempt) -> Attempt:
        """The planned row as an ``Attempt`` with its attack's options (a new plan's head rows
        are rows; the store's pages are already attempts)."""
        if isinstance(row, Attempt):
            options = self.cfg.attack_options.get(row.attack)
            return replace(row, options=options) if options and not row.options else row
        return Attempt.from_row(row, self.cfg.attack_options.get(row["attack"], {}))

    async def _persist(self, attempt_id: str, events: list[Event]) -> None:
        await self.checkpoints.append(attempt_id, [e.to_dict() for e in events])

    async def _load_replay(self, attempt_id: str) -> Replay | None:
        if attempt_id not in self.checkpointed:
            return None
        store = await asyncio.shield(self.ready)
        events = await asyncio.to_thread(store.load_events, attempt_id)
        return Replay(events) if events else None

    def _budget(self) -> Budget:
        c = self.cfg
        return Budget(
            max_steps=c.max_steps,
            max_tokens=c.max_episode_tokens,
            max_seconds=c.max_episode_seconds,
        )

    async def run_one(self, attempt: Attempt) -> AttemptResult:
        started = time.time()
        t0 = time.perf_counter()
        episode = Episode(attempt, budget=self._budget())
        replay = await self._load_replay(attempt.id)
        ctx = EngineContext(
            episode,
            tools=None,
            params=self.params,
            options=attempt.options,
            detectors=self.detectors,
            rng=_rng_for(attempt.id),
            models=self.roles,
            persist=lambda evs: self._persist(attempt.id, evs),
            replay=replay,
            base_secrets=self.secrets,
        )
        env = self.environments(attempt) if self.environments is not None else None
        try:
            try:
                if env is not None:
                    await env.setup(attempt)
                    episode.env_before = env.snapshot()
                    ctx.tools = ToolRuntime(env.tools(), bind={"env": env})
                    episode.tools = list(ctx.tools.definitions())
                if self._episode_aware:  # a scripted agent, a reference solver
                    ctx.use_target(cast(EpisodeAware, self.target).for_episode(episode))
                await self._drive(attempt, episode, ctx)
                if env is not None:
                    episode.env = env.snapshot()
            finally:
                if env is not None:
                    await teardown_safely(env, episode)
            events = ctx.final_events()
        except TargetError as e:
            if e.kind is ErrorKind.AUTH or e.status in _FATAL_STATUS:
                raise _Abort(f"{e.kind.value}: {scrub(e.message, ctx.secrets())}") from e
            return self._error(attempt, ctx, e.kind.value, e.message, started)
        except ResumeDiverged as e:
            return self._error(attempt, ctx, ErrorKind.INTERNAL.value, f"resume: {e}", started)
        except Exception as e:  # a bug in an attack, environment or target must not kill the run
            return self._error(
                attempt, ctx, ErrorKind.INTERNAL.value, f"{type(e).__name__}: {e}", started
            )
        latency = (time.perf_counter() - t0) * 1000
        secrets = ctx.secrets()
        response = scrub(episode.output or "", secrets)
        det_in = detect_input(attempt, response, episode)
        verdicts: list[Verdict] = []
        try:
            for d in self.detectors:
                verdicts.append(await d.detect(det_in))
        except Exception as e:
            return self._error(
                attempt,
                ctx,
                ErrorKind.INTERNAL.value,
                f"detector failed: {type(e).__name__}: {e}",
                started,
            )
        outcome = decide(attempt.expected, verdicts)
        turns = None
        if attempt.attack != "single":
            # A conversation attack's every prompt and answer (backtracked and pruned ones too)
            # from its events; else the target's conversation as it ended.
            turns = turns_from_events(events, attempt.system) or [
                _scrub_message(m.to_dict(), secrets) for m in episode.messages
            ]
        prompt_tokens = completion_tokens = 0
        for ev in events:
            if ev["kind"] == "model_call" and ev.get("role") == "target":
                prompt_tokens += ev["data"].get("prompt_tokens") or 0
                completion_tokens += ev["data"].get("completion_tokens") or 0
        return AttemptResult(
            id=attempt.id,
            status="done",
            tries=ctx.target.calls,
            response=response,
            turns=turns,
            finish_reason=episode.finish_reason,
            outcome=outcome.label,
            success=outcome.success,
            expected=attempt.expected,
            decided_by=outcome.decided_by,
            latency_ms=round(latency, 2),
            prompt_tokens=prompt_tokens or None,
            completion_tokens=completion_tokens or None,
            started_at=started,
            finished_at=time.time(),
            events=events,
            attacker_calls=ctx.calls("attacker") if ctx.attacker is not None else None,
            judge_calls=ctx.calls("judge") if ctx.judge is not None else None,
            checkpointed=ctx.replay is not None or ctx.persisted > 0,
            verdicts=[_record(v) for v in verdicts] + _turn_records(ctx.turn_verdicts),
        )

    async def _drive(self, attempt: Attempt, episode: Episode, ctx: EngineContext) -> None:
        """Run the attack; a spent budget ends the episode (it is judged on what it has)."""
        attack = self.attacks[attempt.attack]
        limit = self.cfg.max_episode_seconds
        try:
            if limit is None:
                await attack.run(episode, ctx)
            else:
                # The budget is checked before each target call; this also ends an episode whose
                # time runs out inside a call, a tool or the attack's own code.
                try:
                    async with asyncio.timeout(max(0.0, limit - episode.budget.elapsed())):
                        await attack.run(episode, ctx)
                except TimeoutError:
                    raise BudgetExceeded("seconds") from None
        except BudgetExceeded as b:
            episode.ended_by = f"budget:{b.what}"
            episode.record("note", "engine", ended_by=episode.ended_by)
        if episode.output is None:
            # Judge what the target last said when the episode ended without a final answer.
            episode.output = next(
                (m.content for m in reversed(episode.messages) if m.role == "assistant"), None
            )

    def _error(
        self,
        attempt: Attempt,
        ctx: EngineContext,
        kind: str,
        detail: str,
        started: float,
    ) -> AttemptResult:
        try:
            events: list[dict[str, Any]] | None = ctx.final_events()
        except ResumeDiverged:
            events = [e.to_dict() for e in ctx.episode.events]
        return AttemptResult(
            id=attempt.id,
            status="error",
            tries=ctx.target.calls,
            error_kind=kind,
            error_detail=scrub(detail, ctx.secrets())[:1000],
            started_at=started,
            finished_at=time.time(),
            events=events,
            attacker_calls=ctx.calls("attacker") if ctx.attacker is not None else None,
            judge_calls=ctx.calls("judge") if ctx.judge is not None else None,
            checkpointed=ctx.replay is not None or ctx.persisted > 0,
        )

    # -- the pipeline ---------------------------------------------------------------------------

    async def _produce(self, work: asyncio.Queue[Attempt | None], n_workers: int) -> None:
        after = -1
        for row in self.head:  # a new plan's first rows, sent while it is being stored
            if self.stop.is_set():
                break
            if work.full():  # the workers have rows and more wait: the first requests are out
                self._sending()
            await work.put(self.attempt_of(row))
            after = row["seq"]
        self._sending()
        store = await asyncio.shield(self.ready)
        while not self.stop.is_set():
            page = await asyncio.to_thread(store.pending_page, self.run_id, after)
            if not page:
                break
            for attempt in page:
                await work.put(self.attempt_of(attempt))
            after = page[-1].seq
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
        work: asyncio.Queue[Attempt | None],
        results: asyncio.Queue[AttemptResult | None],
    ) -> None:
        while (attempt := await work.get()) is not None:
            if self.stop.is_set():
                continue  # drain: leave the rest pending
            try:
                res = await self.run_one(attempt)
            except _Abort as a:
                self.abort_reason = self.abort_reason or a.reason
                self.stop.set()
                continue
            self._watch_errors(res)
            await results.put(res)
            # The finished conversation is the writer's now: holding it (all its events) while
            # this worker runs its next attempt kept one finished conversation per worker in
            # memory, as many as were in flight.
            del res

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
        store = await asyncio.shield(self.ready)  # nothing is recorded before the plan is stored
        closing = False
        while not closing:
            # A batch lives only inside ``_write_batch``: this loop holds no finished
            # conversation (up to 256 of them) while it waits for the next.
            closing = await self._write_batch(store, results)

    async def _write_batch(
        self, store: Store, results: asyncio.Queue[AttemptResult | None]
    ) -> bool:
        """Record the finished attempts waiting (at least one, at most 256) in one transaction;
        True once the queue is closed."""
        first = await results.get()
        if first is None:
            return True
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
        c = self.counters
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
        return closing

    async def _heartbeat(self) -> None:
        if self.lease_owner is None:
            return
        store = await asyncio.shield(self.ready)
        while True:
            await asyncio.sleep(self.heartbeat_every)
            await asyncio.to_thread(store.heartbeat, self.run_id, self.lease_owner)

    async def run(self) -> ExecutionResult:
        n = self.cfg.concurrency
        # Attempts wait here for a free worker. The queue only has to keep the workers fed
        # while the producer reads the next page, so it is not sized by the concurrency: at
        # 2 x 1,000 it held 2,000 planned attempts (about 2 KiB each) for all of a long run.
        work: asyncio.Queue[Attempt | None] = asyncio.Queue(maxsize=min(2 * n, 256))
        # Finished attempts wait here for the store's writer, which takes them 256 at a time:
        # more than that only holds whole conversations in memory while the writer is behind.
        results: asyncio.Queue[AttemptResult | None] = asyncio.Queue(maxsize=min(4 * n, 256))
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


def _scrub_message(d: dict[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    d["content"] = scrub(d["content"], secrets)
    return d
