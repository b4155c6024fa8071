"""The engine's side of the Episode contract: model roles, scoring, checkpoints and replay.

One ``RoleModel`` per role and run (``target``, ``attacker``, ``judge``) holds the model, its own
rate limiter and the run's retry policy and timeout; one ``EngineRole`` per role and episode
sends through it, scrubs secrets, counts requests, spends the episode's budget (the target's
steps and tokens) and records a ``model_call`` event per call. ``EngineContext`` is what an
attack's ``run(episode, ctx)`` gets.

Resume: ``checkpoint()`` appends the events recorded since the last one to the store, and a
live model call first checkpoints what came before it, so a killed run loses at most the call
in flight. A resumed attempt gets a ``Replay`` of its checkpointed events: the attack runs again
from the start, and each role's calls (and each ``score``) are answered from the recording, in
the same order, instead of being sent, until the recording runs out; from there it continues
live. Tools are not replayed: they run again against a freshly set-up environment, which must
therefore be deterministic (the environment's state then matches the recording). Events before
the checkpoint are stored once, by the first run; the replay only re-creates them in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from suho.detectors import DetectInput, Detector, Verdict
from suho.episode import BudgetExceeded, Episode, Event, ModelRole, ToolRuntime
from suho.targets import (
    ChatResult,
    ErrorKind,
    GenParams,
    Message,
    Target,
    TargetError,
    ToolCall,
    scrub,
)

from ._limits import RateLimiter, RetryPolicy

if TYPE_CHECKING:
    from suho.episode import Attempt

# What a resumed episode answers from its recording instead of doing again.
REPLAYED = ("model_call", "score")


class ResumeDiverged(Exception):
    """A resumed attack asked for something other than what its recording holds: its code is
    not deterministic (or changed), so the episode cannot be continued exactly."""


@dataclass(slots=True)
class RoleModel:
    """One model in one role for a whole run: the model (opened on first use), its own rate
    limiter, the retry policy and per-request timeout."""

    role: str
    spec: str
    open: Callable[[], Target]
    limiter: RateLimiter
    policy: RetryPolicy
    timeout: float
    _target: Target | None = None

    @property
    def target(self) -> Target:
        if self._target is None:
            self._target = self.open()
        return self._target

    def secrets(self) -> list[str]:
        return self._target.secrets() if self._target is not None else []

    async def aclose(self) -> None:
        if self._target is not None:
            await self._target.aclose()

    async def send(
        self, messages: Sequence[Message], params: GenParams, rng: random.Random
    ) -> tuple[ChatResult, int]:
        """Rate limit, per-request timeout and retries around ``target.chat``; returns the
        answer and how many requests it took. Raises the last ``TargetError`` (with ``tries``
        set as an attribute) when retries run out."""
        target = self.target
        tries = 0
        while True:
            tries += 1
            await self.limiter.acquire()
            try:
                async with asyncio.timeout(self.timeout):
                    return await target.chat(messages, params), tries
            except TimeoutError:
                err = TargetError(ErrorKind.TIMEOUT, f"no answer within {self.timeout:g}s")
            except TargetError as e:
                err = e
            if not err.retryable or tries > self.policy.retries:
                err.tries = tries  # type: ignore[attr-defined]
                raise err
            delay = self.policy.delay(tries, err.retry_after, rng)
            if err.kind is ErrorKind.RATE_LIMIT:
                self.limiter.cooldown(delay)
            await asyncio.sleep(delay)


class Replay:
    """The checkpointed events of an attempt, served back per (kind, role) in recorded order."""

    def __init__(self, events: Sequence[Mapping[str, Any]]) -> None:
        self.events = [dict(e) for e in events]
        self._queues: dict[tuple[str, str | None], deque[dict[str, Any]]] = {}
        for e in self.events:
            kind, role = e["kind"], e.get("role")
            if kind == "error" and role in ("target", "attacker", "judge"):
                kind = "model_call"  # a role's failed call is replayed as the same failure
            # A ``score`` event with a role is an attack's own record (a judge's rating), not a
            # ``ctx.score`` call: it is re-created by the replayed judge call, not served.
            if kind == "score" and role:
                continue
            if kind in REPLAYED:
                self._queues.setdefault((kind, role), deque()).append(e)

    def __len__(self) -> int:
        return len(self.events)

    def take(self, kind: str, role: str | None) -> dict[str, Any] | None:
        q = self._queues.get((kind, role))
        return q.popleft() if q else None

    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def request_digest(messages: Sequence[Message], params: GenParams) -> str:
    """A short fingerprint of what a model was asked, to check a replay asks the same."""
    blob = _dumps(
        [[m.to_dict() for m in messages], [dict(t) for t in params.tools], params.tool_choice]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class RequestDigest:
    """``request_digest`` for one role's successive calls, the same value computed cheaply.

    JSON writes ``[a, b]`` as ``"[" + dumps(a) + ", " + dumps(b) + "]"``, so the blob can be
    assembled from parts: each message is encoded once (an agent's conversation grows by a few
    messages a step, and re-encoding all of it every step was most of the digest's cost), and
    the tool definitions once per tuple of them (the loop sends the same tuple every step)."""

    __slots__ = ("_encoded", "_messages", "_tools", "_tools_json")

    def __init__(self) -> None:
        self._messages: tuple[Message, ...] = ()
        self._encoded: list[str] = []
        self._tools: tuple[Mapping[str, Any], ...] | None = None
        self._tools_json = ""

    def digest(self, sent: tuple[Message, ...], params: GenParams, continued: bool) -> str:
        """``request_digest(sent, params)``; ``continued``: ``sent`` extends the conversation
        of the previous call (only its new messages are encoded)."""
        n = len(self._messages)
        if continued and len(sent) >= n:
            self._encoded = self._encoded + [_dumps(m.to_dict()) for m in sent[n:]]
        else:
            self._encoded = [_dumps(m.to_dict()) for m in sent]
        self._messages = sent
        encoded = self._encoded
        if params.tools is not self._tools:
            self._tools = params.tools
            self._tools_json = _dumps([dict(t) for t in params.tools])
        blob = (
            "[[" + ", ".join(encoded) + "], " + self._tools_json + ", "
            f"{_dumps(params.tool_choice)}]"
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _calls_data(calls: Sequence[ToolCall], secrets: Sequence[str]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name, "arguments": scrub(c.arguments, secrets)} for c in calls]


class EngineRole:
    """A ``ModelRole`` of one episode (see ``suho.episode.ModelRole``).

    It refers to its context weakly: the context holds its roles, and a strong reference back
    would make every finished episode (its events and messages) a reference cycle, freed only
    when the cyclic garbage collector next ran a full collection. With 1,000 conversations at
    once that kept hundreds of finished ones in memory (``tests/test_engine_memory.py``)."""

    __slots__ = ("_ctx", "_digest", "_model", "_seen", "calls", "role", "spec")

    def __init__(self, ctx: EngineContext, model: RoleModel) -> None:
        self._ctx = weakref.ref(ctx)
        self._model = model
        self.role = model.role
        self.spec = model.spec
        self.calls = 0
        self._seen: tuple[Message, ...] = ()  # the conversation last sent by this role
        self._digest = RequestDigest()

    async def generate(
        self, messages: Sequence[Message], params: GenParams | None = None
    ) -> ChatResult:
        ctx = self._ctx()
        if ctx is None:
            raise RuntimeError(f"the {self.role} role was used after its episode's context ended")
        ep = ctx.episode
        params = params if params is not None else ctx.params
        is_target = self.role == "target"
        if is_target:
            ep.budget.check()
        # Record what this role had not seen: the whole conversation when it is not the previous
        # one continued (a fresh attacker prompt each turn, a backtrack).
        sent = tuple(messages)
        n = len(self._seen)
        continued = len(sent) >= n and sent[:n] == self._seen
        new = sent[n:] if continued else sent
        self._seen = sent
        digest = self._digest.digest(sent, params, continued)
        recorded = ctx.replay.take("model_call", self.role) if ctx.replay is not None else None
        t0 = time.perf_counter()
        if recorded is not None and recorded["kind"] == "error":
            data = recorded.get("data") or {}
            if data.get("digest") != digest:
                raise ResumeDiverged(
                    f"the resumed attack's {self.role} call {self.calls + 1} differs from the "
                    "recorded one"
                )
            tries = int(data.get("tries", 1))
            self.calls += tries
            ep.record("error", self.role, **data)
            err = TargetError(ErrorKind(data.get("error_kind", "internal")), data.get("detail", ""))
            err.tries = tries  # type: ignore[attr-defined]
            raise err
        if recorded is not None:
            data = recorded.get("data") or {}
            if data.get("digest") != digest:
                raise ResumeDiverged(
                    f"the resumed attack's {self.role} call {self.calls + 1} differs from the "
                    "recorded one"
                )
            result = ChatResult(
                text=data.get("text", ""),
                finish_reason=data.get("finish_reason"),
                prompt_tokens=data.get("prompt_tokens"),
                completion_tokens=data.get("completion_tokens"),
                tool_calls=tuple(
                    ToolCall(c["id"], c["name"], c["arguments"]) for c in data.get("tool_calls", ())
                ),
            )
            tries = int(data.get("tries", 1))
            latency = float(data.get("latency_ms", 0.0))
        else:
            # Everything recorded so far (the previous answers) survives a kill; a no-op for a
            # single-turn episode, whose only call comes before any event.
            await ctx.checkpoint()
            try:
                result, tries = await self._model.send(messages, params, ctx.rng)
            except TargetError as e:
                self.calls += getattr(e, "tries", 1)
                ep.record(
                    "error",
                    self.role,
                    error_kind=e.kind.value,
                    detail=scrub(e.message, ctx.secrets())[:500],
                    tries=getattr(e, "tries", 1),
                    digest=digest,
                )
                raise
            latency = round((time.perf_counter() - t0) * 1000, 2)
        self.calls += tries
        ctx.model_calls += 1
        if is_target:
            ep.budget.steps += 1
            ep.budget.tokens += (result.prompt_tokens or 0) + (result.completion_tokens or 0)
        secrets = ctx.secrets()
        ev: dict[str, Any] = {
            "spec": self.spec,
            "messages": len(messages),
            "new": [_scrubbed(m, secrets) for m in new],
            "text": scrub(result.text, secrets),
            "finish_reason": result.finish_reason,
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
            "latency_ms": latency,
            "tries": tries,
            "digest": digest,
        }
        if result.tool_calls:
            ev["tool_calls"] = _calls_data(result.tool_calls, secrets)
        if params.tools:
            ev["tools"] = len(params.tools)
        ep.record("model_call", self.role, **ev)
        return result


def _scrubbed(m: Message, secrets: Sequence[str]) -> dict[str, Any]:
    d = m.to_dict()
    d["content"] = scrub(d["content"], secrets)
    return d


def _scrub_json(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {k: _scrub_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_json(v, secrets) for v in value]
    return value


def _may_hold_secret(data: Any, secrets: Sequence[str]) -> bool:
    """False only when no string in ``data`` contains a secret. JSON escapes each character on
    its own, so a string holding a secret holds the secret's escaped form in the JSON text (a
    key can only make this answer True, never hide one). Data that is not plain JSON values
    (another kind of mapping, an object) is walked as before."""
    try:
        blob = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError):
        return True
    return any(s and json.dumps(s, ensure_ascii=False)[1:-1] in blob for s in secrets)


def _scrub_event(e: Event, secrets: Sequence[str]) -> Event:
    """The event with every secret in its data replaced by ``***`` (the event itself when it
    holds none: walking every event's data in Python at each checkpoint and again at the end
    was a fifth of an agent step's cost over HTTP)."""
    if not _may_hold_secret(e.data, secrets):
        return e
    return replace(e, data=_scrub_json(e.data, secrets))


def detect_input(
    attempt: Attempt, text: str, episode: Episode | None, turn: int | None = None
) -> DetectInput:
    """What the run's detectors see about ``text`` in this attempt."""
    return DetectInput(
        text=text,
        prompt=attempt.prompt,
        original_prompt=attempt.original_prompt,
        lang=attempt.lang,
        category=attempt.category,
        expected=attempt.expected,
        meta={"tags": attempt.tags or {}, "system": attempt.system or ""},
        episode=episode,
        turn=turn,
    )


def verdict_data(v: Verdict) -> dict[str, Any]:
    """A verdict as stored (its spans, if any, kept in the evidence)."""
    return {
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


def _verdict_from(d: Mapping[str, Any]) -> Verdict:
    return Verdict(
        detector=d["detector"],
        hit=bool(d["hit"]),
        score=float(d["score"]),
        kind=d.get("kind", "harm"),
        label=d.get("label"),
        stage=d.get("stage", "rule"),
        evidence=dict(d.get("evidence") or {}),
    )


@dataclass(slots=True, weakref_slot=True)
class EngineContext:
    """An ``EpisodeContext`` (see ``suho.episode.EpisodeContext``) for one attempt."""

    episode: Episode
    target: ModelRole = field(init=False)
    attacker: ModelRole | None = field(init=False)
    judge: ModelRole | None = field(init=False)
    tools: ToolRuntime | None
    params: GenParams
    options: Mapping[str, Any]
    detectors: Sequence[Detector]
    rng: random.Random
    models: Mapping[str, RoleModel]
    persist: Callable[[list[Event]], Awaitable[None]] | None = None
    replay: Replay | None = None
    base_secrets: Sequence[str] = ()
    model_calls: int = 0
    persisted: int = 0  # events already in the store
    turn_verdicts: list[tuple[int, Verdict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.target = EngineRole(self, self.models["target"])
        a = self.models.get("attacker")
        j = self.models.get("judge")
        self.attacker = EngineRole(self, a) if a is not None else None
        self.judge = EngineRole(self, j) if j is not None else None
        if self.replay is not None:
            self.persisted = len(self.replay)

    def use_target(self, target: Target) -> None:
        """Send this episode's target calls to ``target`` (what an ``EpisodeAware`` target gave
        for it), with the run's limiter, retries and timeout; before any call is made."""
        base = self.models["target"]
        model = replace(base, open=lambda: target, _target=target)
        self.models = {**self.models, "target": model}
        self.target = EngineRole(self, model)

    def secrets(self) -> list[str]:
        out = list(self.base_secrets)
        for m in self.models.values():
            out.extend(m.secrets())
        return out

    def calls(self, role: str) -> int:
        r = {"target": self.target, "attacker": self.attacker, "judge": self.judge}.get(role)
        return r.calls if r is not None else 0

    async def score(self, text: str | None = None, *, turn: int | None = None) -> list[Verdict]:
        ep = self.episode
        if text is None:
            text = next(
                (m.content for m in reversed(ep.messages) if m.role == "assistant"),
                ep.output or "",
            )
        text = scrub(text, self.secrets())
        recorded = self.replay.take("score", None) if self.replay is not None else None
        if recorded is not None:
            verdicts = [_verdict_from(d) for d in (recorded.get("data") or {}).get("verdicts", [])]
        else:
            item = detect_input(ep.attempt, text, ep, turn)
            verdicts = [await d.detect(item) for d in self.detectors]
        ep.record("score", None, turn=turn, verdicts=[verdict_data(v) for v in verdicts])
        if turn is not None:
            self.turn_verdicts.extend((turn, v) for v in verdicts)
        return verdicts

    async def checkpoint(self) -> None:
        if self.persist is None:
            return
        new = self.episode.events[self.persisted :]
        if not new:
            return
        secrets = self.secrets()
        await self.persist([_scrub_event(e, secrets) for e in new] if secrets else list(new))
        self.persisted += len(new)

    def final_events(self) -> list[dict[str, Any]]:
        """The whole trace, in order: the recording (stored as it first happened) followed by
        what this run added. Raises ``ResumeDiverged`` when a replay stopped short of it."""
        evs = self.episode.events
        secrets = self.secrets()
        if secrets:  # tool results and attack notes too, not only what the roles recorded
            evs = [_scrub_event(e, secrets) for e in evs]
        if self.replay is None:
            return [e.to_dict() for e in evs]
        n = len(self.replay)
        if len(evs) < n or self.replay.pending():
            raise ResumeDiverged("the resumed attack ended before reaching its last checkpoint")
        for old, new in zip(self.replay.events, evs, strict=False):
            if old["kind"] != new.kind or old.get("role") != new.role:
                raise ResumeDiverged(
                    f"event {new.seq} of the resumed attack is {new.kind}, "
                    f"the recording has {old['kind']}"
                )
        return [*self.replay.events, *(e.to_dict() for e in evs[n:])]


__all__ = [
    "REPLAYED",
    "BudgetExceeded",
    "EngineContext",
    "EngineRole",
    "Replay",
    "RequestDigest",
    "ResumeDiverged",
    "RoleModel",
    "detect_input",
    "request_digest",
    "verdict_data",
]
