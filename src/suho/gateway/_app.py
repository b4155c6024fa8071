"""The gateway server: an OpenAI-compatible front for any suho target, with tiers and audit.

Endpoints: ``POST /v1/chat/completions`` (plain and ``stream: true`` server-sent events),
``GET /v1/models``, ``GET /healthz``, ``GET /metrics`` (Prometheus text). Every request pays only
for what it needs, in this order: load shedding (503 when too many are in flight or the event
loop runs ``max_queue_ms`` late), declared size (413), the key (401), rate
and quota (429), reading the body with a deadline (408, 413), JSON (400), the model (403/404),
the request policy, the upstream (503/504), the response policy. Tier and scope come only from
the key's stored record: headers and body fields that claim them are never read.

Streaming: the answer is checked before any of it is sent, so the gateway asks the upstream for
the whole answer and then sends it as SSE chunks (an answer cannot be un-sent once streamed).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import json
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from suho.detectors._cyber import DUAL_USE
from suho.errors import SuhoInputError
from suho.gateway._audit import AuditLog
from suho.gateway._classify import (
    Checker,
    Decision,
    SessionRisk,
    Signals,
    decide,
    message,
    user_lang,
)
from suho.gateway._keys import KeyRecord, KeyStore, check_secret, split_key
from suho.gateway._limits import DailyQuota, TokenBucket
from suho.gateway._policy import Policy
from suho.gateway._schema import ensure_schema

if TYPE_CHECKING:
    from starlette.responses import JSONResponse

_LAT_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)
#: How often the gateway samples its event loop's lag (see ``Gateway._watch_lag``).
LAG_INTERVAL_S = 0.01


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """How to run a gateway. ``upstream`` is a target spec (``PROVIDER:MODEL``)."""

    upstream: str
    policy: Policy
    db: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    key_refresh_s: float = 2.0


class HTTPError(Exception):
    """A refusal with its HTTP status; ``key_id`` is the key id a refused request claimed."""

    def __init__(
        self,
        status: int,
        kind: str,
        msg: str,
        *,
        retry_after: float | None = None,
        key_id: str | None = None,
    ) -> None:
        super().__init__(msg)
        self.status, self.kind, self.msg, self.retry_after = status, kind, msg, retry_after
        self.key_id = key_id


@dataclass(slots=True)
class Metrics:
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tier, action)
    status: Counter[int] = field(default_factory=Counter)
    shed: int = 0
    shed_late: int = 0  # of ``shed``: because the event loop was running late (out of CPU)
    upstream_errors: int = 0
    lat_counts: list[int] = field(default_factory=lambda: [0] * (len(_LAT_BUCKETS) + 1))
    lat_sum: float = 0.0

    def observe(self, seconds: float) -> None:
        self.lat_sum += seconds
        for i, b in enumerate(_LAT_BUCKETS):
            if seconds <= b:
                self.lat_counts[i] += 1
                return
        self.lat_counts[-1] += 1

    def render(self, in_flight: int, audit_written: int, loop_lag_s: float = 0.0) -> str:
        out = [
            "# HELP suho_gateway_requests_total Decisions by tier and action.",
            "# TYPE suho_gateway_requests_total counter",
        ]
        for (tier, action), n in sorted(self.requests.items()):
            out.append(f'suho_gateway_requests_total{{tier="{tier}",action="{action}"}} {n}')
        out += ["# TYPE suho_gateway_responses_total counter"]
        for code, n in sorted(self.status.items()):
            out.append(f'suho_gateway_responses_total{{code="{code}"}} {n}')
        out += [
            "# TYPE suho_gateway_in_flight gauge",
            f"suho_gateway_in_flight {in_flight}",
            "# TYPE suho_gateway_shed_total counter",
            f"suho_gateway_shed_total {self.shed}",
            "# HELP suho_gateway_shed_late_total Requests shed because the event loop ran late.",
            "# TYPE suho_gateway_shed_late_total counter",
            f"suho_gateway_shed_late_total {self.shed_late}",
            "# TYPE suho_gateway_loop_lag_seconds gauge",
            f"suho_gateway_loop_lag_seconds {loop_lag_s:.6f}",
            "# TYPE suho_gateway_upstream_errors_total counter",
            f"suho_gateway_upstream_errors_total {self.upstream_errors}",
            "# TYPE suho_gateway_audit_written_total counter",
            f"suho_gateway_audit_written_total {audit_written}",
            "# HELP suho_gateway_overhead_seconds Time spent in the gateway, upstream excluded.",
            "# TYPE suho_gateway_overhead_seconds histogram",
        ]
        acc = 0
        for b, n in zip(_LAT_BUCKETS, self.lat_counts, strict=False):
            acc += n
            out.append(f'suho_gateway_overhead_seconds_bucket{{le="{b}"}} {acc}')
        acc += self.lat_counts[-1]
        out.append(f'suho_gateway_overhead_seconds_bucket{{le="+Inf"}} {acc}')
        out.append(f"suho_gateway_overhead_seconds_sum {self.lat_sum:.6f}")
        out.append(f"suho_gateway_overhead_seconds_count {acc}")
        return "\n".join(out) + "\n"


class Gateway:
    """The state behind one server: keys, limits, sessions, targets, audit, metrics."""

    def __init__(self, cfg: GatewayConfig) -> None:
        from suho.store import Store

        self.cfg = cfg
        self.policy = cfg.policy
        self.settings = cfg.policy.settings
        self.store = Store.open(cfg.db, create=True)
        ensure_schema(self.store.engine)
        self.keystore = KeyStore(self.store.engine)
        self.keys: dict[str, KeyRecord] = {}
        self._pepper = secrets.token_bytes(32)
        self._verified: dict[str, bytes] = {}  # key id -> keyed digest of the whole key
        # keyed digests of keys that failed the check: a repeated wrong key costs no scrypt
        self._failed: dict[bytes, None] = {}
        self._kdf = asyncio.Semaphore(2)  # scrypt checks at once (each ~30 ms of a core)
        self.buckets: dict[str, TokenBucket] = {}
        self.quotas: dict[str, DailyQuota] = {}
        self.in_flight = 0
        self.audit = AuditLog(self.store.engine)
        self.checker = Checker(self.settings.classify_max_chars)
        self.session = SessionRisk(self.settings.session_half_life_s)
        self.metrics = Metrics()
        self.targets: dict[str, Any] = {}
        self.main_model = cfg.upstream.partition(":")[2] or cfg.upstream
        self._secrets: list[str] = []
        self._refresh: asyncio.Task[None] | None = None
        # the last two event-loop lag samples (seconds), see _watch_lag
        self.lags: tuple[float, float] = (0.0, 0.0)
        self._lag_task: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        from suho.targets import TargetOptions, create_target

        self.reload_keys()
        opts = TargetOptions(
            base_url=self.cfg.base_url,
            api_key_env=self.cfg.api_key_env,
            timeout=self.settings.upstream_timeout_s,
            max_connections=self.settings.max_in_flight,
        )
        self.targets["main"] = create_target(self.cfg.upstream, opts)
        for name, up in self.policy.upstreams.items():
            self.targets[name] = create_target(
                up.target,
                TargetOptions(
                    base_url=up.base_url,
                    api_key_env=up.api_key_env,
                    timeout=self.settings.upstream_timeout_s,
                    max_connections=self.settings.max_in_flight,
                ),
            )
        for t in self.targets.values():
            self._secrets += [s for s in t.secrets() if s]
        self._refresh = asyncio.create_task(self._refresh_keys())
        if self.settings.max_queue_ms > 0:
            self._lag_task = asyncio.create_task(self._watch_lag())
        # The ~80,000 objects made at start-up (FastAPI, SQLAlchemy, the detectors' patterns)
        # live as long as the server: move them out of the collector's reach. Measured on the
        # shared 2-core machine: a full collection over them took 162 ms before, 0 ms after;
        # every full collection stalls all the requests in flight.
        gc.collect()
        gc.freeze()

    async def stop(self) -> None:
        for task in (self._refresh, self._lag_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for t in self.targets.values():
            with contextlib.suppress(Exception):
                await t.aclose()
        self.audit.close()
        self.store.close()

    def reload_keys(self) -> None:
        self.keys = {r.key_id: r for r in self.keystore.all()}

    async def _refresh_keys(self) -> None:
        while True:
            await asyncio.sleep(self.cfg.key_refresh_s)
            with contextlib.suppress(Exception):  # a locked store: keep the last view
                self.keys = await asyncio.to_thread(
                    lambda: {r.key_id: r for r in self.keystore.all()}
                )

    async def _watch_lag(self, interval: float = LAG_INTERVAL_S) -> None:
        """Sample how late the event loop runs: a 10 ms sleep that wakes up late waited behind
        that much queued work. Past capacity (out of CPU) the lag grows without bound while
        in-flight requests may stay few (requests wait in the loop before they are counted),
        so ``max_in_flight`` alone would queue them; see :meth:`running_late`."""
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(interval)
            self.lags = (self.lags[1], max(0.0, loop.time() - t - interval))

    def running_late(self) -> bool:
        """True when the last two lag samples both passed ``max_queue_ms``: a single late wake-up
        (a collection, another process taking the core for a moment) sheds nothing."""
        limit = self.settings.max_queue_ms / 1000
        return limit > 0 and min(self.lags) > limit

    # -- the pieces of a request ----------------------------------------------------------------

    async def authenticate(self, header: str | None) -> KeyRecord:
        if not header or not header.lower().startswith("bearer "):
            raise HTTPError(
                401, "missing_key", "an API key is required: Authorization: Bearer <key>"
            )
        parts = split_key(header[7:].strip())
        rec = self.keys.get(parts[0]) if parts else None
        if parts is None or rec is None:
            raise HTTPError(401, "invalid_key", "the API key is not valid")
        key_id, secret = parts
        digest = hmac.new(self._pepper, header[7:].strip().encode(), hashlib.sha256).digest()
        known = self._verified.get(key_id)
        if known is None or not hmac.compare_digest(known, digest):
            if digest in self._failed:
                raise HTTPError(401, "invalid_key", "the API key is not valid", key_id=key_id)
            async with self._kdf:
                ok = await asyncio.to_thread(check_secret, rec, secret)
            if not ok:
                if len(self._failed) >= 10_000:
                    self._failed.clear()
                self._failed[digest] = None
                raise HTTPError(401, "invalid_key", "the API key is not valid", key_id=key_id)
            self._verified[key_id] = digest
        if rec.revoked:
            raise HTTPError(401, "revoked_key", f"key {key_id} has been revoked", key_id=key_id)
        if rec.expired():
            raise HTTPError(401, "expired_key", f"key {key_id} has expired", key_id=key_id)
        return rec

    def limit(self, rec: KeyRecord) -> None:
        tp = self.policy.tier(rec.tier)
        b = self.buckets.get(rec.key_id)
        if b is None:
            b = self.buckets[rec.key_id] = TokenBucket(tp.rate_per_s, float(tp.burst))
        wait = b.take()
        if wait > 0:
            raise HTTPError(429, "rate_limited", "too many requests for this key", retry_after=wait)
        q = self.quotas.get(rec.key_id)
        if q is None:
            q = self.quotas[rec.key_id] = DailyQuota(tp.daily_requests)
        wait = q.take()
        if wait > 0:
            raise HTTPError(
                429, "quota_exceeded", "this key's daily quota is used up", retry_after=wait
            )

    def models_for(self, tier: str) -> list[str]:
        names = [self.main_model]
        names += [n for n, m in self.policy.models.items() if tier in m.tiers and n not in names]
        return names

    def upstream_for(self, rec: KeyRecord, model: str | None) -> str:
        if model is None or model == self.main_model:
            return "main"
        entry = self.policy.models.get(model)
        if entry is None:
            raise HTTPError(404, "model_not_found", f"no model {model!r} here (see /v1/models)")
        if rec.tier not in entry.tiers:
            raise HTTPError(
                403, "tier_forbidden", f"model {model!r} is not available to tier {rec.tier} keys"
            )
        return entry.upstream

    def scrub(self, text: str) -> str:
        for s in self._secrets:
            if s and s in text:
                text = text.replace(s, "***")
        return text

    def request_signals(self, rec: KeyRecord, msgs: Sequence[Any]) -> tuple[str, str, Signals]:
        """``(last user message, its language, detector results)`` for a request, with the
        session check: the conversation's user turns joined (a split attack is whole again) and
        the key's decaying accumulated risk."""
        users = [m.content for m in msgs if m.role == "user"]
        last = users[-1] if users else msgs[-1].content
        sig = self.checker.check(last)
        if len(users) > 1:
            label, score = self.checker.joined_label(users[-8:])
            if label == "offensive" and sig.cyber_label != "offensive":
                sig.session_hit = True
            sig.session_score = max(sig.session_score, score)
        risk = self.session.add(rec.key_id, sig.cyber_score)
        sig.session_score = max(sig.session_score, risk)
        # A key's accumulated risk trips only on a request that adds to it: a plainly benign
        # request from a key that sent attacks earlier is judged on its own.
        if risk >= self.settings.session_threshold and sig.cyber_score >= DUAL_USE:
            sig.session_hit = True
        return last, user_lang(last), sig

    def record(
        self,
        rec: KeyRecord | None,
        *,
        action: str,
        status: int,
        reason: str,
        model: str | None = None,
        lang: str = "",
        req: Signals | None = None,
        resp: Signals | None = None,
        prompt: str | None = None,
    ) -> int:
        entry: dict[str, Any] = {
            "key_id": rec.key_id if rec else None,
            "tier": rec.tier if rec else None,
            "action": action,
            "status": status,
            "reason": reason,
            "model": model,
            "lang": lang,
        }
        if req is not None:
            entry["request_scores"] = req.scores()
            entry["hosts"] = req.hosts
        if resp is not None:
            entry["response_scores"] = resp.scores()
        if prompt is not None and self.settings.audit_prompts:
            text = prompt[:2000]
            if self.settings.redact_pii and req is not None and req.pii_spans:
                text = self.checker.redact(text, [s for s in req.pii_spans if s[1] <= len(text)])
            entry["prompt"] = text
        self.metrics.requests[(entry["tier"] or "-", action)] += 1
        return self.audit.append(entry, time.time())


# -- the HTTP layer ----------------------------------------------------------------------------


def _error(status: int, kind: str, msg: str, retry_after: float | None = None) -> JSONResponse:
    from starlette.responses import JSONResponse

    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return JSONResponse(
        {"error": {"type": kind, "message": msg, "code": status}},
        status_code=status,
        headers=headers,
    )


def _upstream_failure(
    gw: Gateway, rec: KeyRecord, e: Exception, *, model: str, lang: str, sig: Signals, prompt: str
) -> JSONResponse:
    """503 (down, refused, 5xx) or 504 (too slow), with a clear body; logged and audited."""
    gw.metrics.upstream_errors += 1
    kind = getattr(getattr(e, "kind", None), "value", "")
    timeout = isinstance(e, TimeoutError) or kind == "timeout"
    detail = gw.scrub(str(getattr(e, "message", "") or e.__class__.__name__))
    status = 504 if timeout else 503
    gw.record(
        rec,
        action="upstream-error",
        status=status,
        reason=detail[:300],
        model=model,
        lang=lang,
        req=sig,
        prompt=prompt,
    )
    if timeout:
        return _error(504, "upstream_timeout", "the upstream model did not answer in time")
    return _error(
        503,
        "upstream_unavailable",
        f"the upstream model is unavailable ({detail[:200]})",
        retry_after=5,
    )


def _completion(
    seq: int, model: str, text: str, finish: str, usage: dict[str, int]
) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-suho-{seq}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
        ],
        "usage": usage,
    }


async def _sse(seq: int, model: str, text: str, finish: str) -> AsyncIterator[bytes]:
    base = {
        "id": f"chatcmpl-suho-{seq}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], reason: str | None) -> bytes:
        body = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""}, None)
    step = 64
    for i in range(0, len(text), step):
        yield chunk({"content": text[i : i + step]}, None)
    yield chunk({}, finish)
    yield b"data: [DONE]\n\n"


def _messages(body: Any) -> list[Any]:
    from suho.targets import Message

    if not isinstance(body, dict):
        raise HTTPError(400, "invalid_request", "the body must be a JSON object")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise HTTPError(400, "invalid_request", "messages must be a non-empty list")
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise HTTPError(
                400,
                "invalid_request",
                f"messages[{i}] needs a role of system, user, assistant or tool",
            )
        c = m.get("content")
        if isinstance(c, list):
            c = "".join(p.get("text", "") for p in c if isinstance(p, dict))
        if c is None:
            c = ""
        if not isinstance(c, str):
            raise HTTPError(400, "invalid_request", f"messages[{i}].content must be text")
        out.append(Message(role=m["role"], content=c))
    return out


def _params(body: dict[str, Any]) -> Any:
    from suho.targets import GenParams

    def num(name: str, typ: type, lo: float, hi: float) -> Any:
        v = body.get(name)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise HTTPError(400, "invalid_request", f"{name} must be a number from {lo} to {hi}")
        return typ(v)

    mt = num("max_completion_tokens", int, 1, 32768) or num("max_tokens", int, 1, 32768)
    return GenParams(
        max_tokens=mt or 512,
        temperature=num("temperature", float, 0, 2),
        top_p=num("top_p", float, 0, 1),
    )


def create_app(cfg: GatewayConfig) -> Any:
    """The FastAPI application for ``cfg`` (the gateway starts with the app's lifespan)."""
    from fastapi import FastAPI, Request
    from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

    gw_box: list[Gateway] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        gw = Gateway(cfg)
        await gw.start()
        gw_box.append(gw)
        app.state.gateway = gw
        try:
            yield
        finally:
            await gw.stop()

    app = FastAPI(
        title="suho gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    async def healthz(_: Request) -> Response:
        gw = gw_box[0]
        return JSONResponse({"status": "ok", "in_flight": gw.in_flight, "keys": len(gw.keys)})

    async def metrics(_: Request) -> Response:
        gw = gw_box[0]
        return PlainTextResponse(
            gw.metrics.render(gw.in_flight, gw.audit.written, max(gw.lags)),
            media_type="text/plain; version=0.0.4",
        )

    async def models(request: Request) -> Response:
        gw = gw_box[0]
        try:
            rec = await gw.authenticate(request.headers.get("authorization"))
        except HTTPError as e:
            return _error(e.status, e.kind, e.msg)
        data = [
            {"id": m, "object": "model", "owned_by": "suho-gateway"}
            for m in gw.models_for(rec.tier)
        ]
        return JSONResponse({"object": "list", "data": data})

    async def chat(request: Request) -> Response:
        gw = gw_box[0]
        late = gw.running_late()
        if late or gw.in_flight >= gw.settings.max_in_flight:
            gw.metrics.shed += 1
            gw.metrics.shed_late += late
            gw.metrics.status[503] += 1
            return _error(
                503, "overloaded", "the gateway is at capacity; retry later", retry_after=1
            )
        gw.in_flight += 1
        t0 = time.perf_counter()
        upstream_s = 0.0
        try:
            resp, upstream_s = await _chat(gw, request)
        finally:
            gw.in_flight -= 1
        gw.metrics.status[resp.status_code] += 1
        gw.metrics.observe(time.perf_counter() - t0 - upstream_s)
        return resp

    async def _chat(gw: Gateway, request: Request) -> tuple[Response, float]:
        s = gw.settings
        rec: KeyRecord | None = None
        try:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > s.max_body_bytes:
                raise HTTPError(
                    413, "too_large", f"the body is larger than {s.max_body_bytes} bytes"
                )
            rec = await gw.authenticate(request.headers.get("authorization"))
            gw.limit(rec)
            raw = await asyncio.wait_for(_read(request, s.max_body_bytes), s.body_timeout_s)
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise HTTPError(400, "invalid_json", "the body is not valid JSON") from None
            msgs = _messages(body)
            params = _params(body)
            model = body.get("model")
            if model is not None and not isinstance(model, str):
                raise HTTPError(400, "invalid_request", "model must be a string")
            upstream = gw.upstream_for(rec, model)
        except TimeoutError:
            gw.record(rec, action="deny", status=408, reason="body not received in time")
            return _error(408, "timeout", "the request body was not received in time"), 0.0
        except HTTPError as e:
            if e.status != 429:  # floods are counted in /metrics, not written one by one
                reason = e.kind if rec or not e.key_id else f"{e.kind} (claimed key id {e.key_id})"
                gw.record(rec, action="deny", status=e.status, reason=reason)
            return _error(e.status, e.kind, e.msg, e.retry_after), 0.0
        return await _decide_and_forward(
            gw, rec, body, msgs, params, model or gw.main_model, upstream
        )

    async def _decide_and_forward(
        gw: Gateway,
        rec: KeyRecord,
        body: dict[str, Any],
        msgs: Sequence[Any],
        params: Any,
        model: str,
        upstream: str,
    ) -> tuple[Response, float]:
        last, lang, sig = gw.request_signals(rec, msgs)
        dec = decide(gw.policy, rec.tier, "request", sig, rec.scope)
        stream = body.get("stream") is True
        if dec.action in ("block", "step-up"):
            return _refuse(gw, rec, dec, model, lang, sig, last, stream), 0.0
        target = gw.targets[
            dec.rule.upstream
            if dec.action == "route" and dec.rule and dec.rule.upstream
            else upstream
        ]
        from suho.targets import TargetError

        t_up = time.perf_counter()
        try:
            result = await asyncio.wait_for(
                target.chat(msgs, params), gw.settings.upstream_timeout_s
            )
        except (TargetError, TimeoutError, OSError, SuhoInputError) as e:
            fail = _upstream_failure(gw, rec, e, model=model, lang=lang, sig=sig, prompt=last)
            return fail, time.perf_counter() - t_up
        up_s = time.perf_counter() - t_up
        text = result.text or ""
        rsig = gw.checker.check(text, injection=False)
        rdec = decide(gw.policy, rec.tier, "response", rsig, rec.scope)
        action = dec.action
        finish = result.finish_reason or "stop"
        if rdec.action in ("block", "step-up"):
            text = message("response", lang, rdec.reason, rdec.rule)
            action, finish = "block-response", "content_filter"
        seq = gw.record(
            rec,
            action=action,
            status=200,
            reason=rdec.reason if action == "block-response" else dec.reason,
            model=model,
            lang=lang,
            req=sig,
            resp=rsig,
            prompt=last,
        )
        usage = {
            "prompt_tokens": result.prompt_tokens or 0,
            "completion_tokens": result.completion_tokens or 0,
            "total_tokens": (result.prompt_tokens or 0) + (result.completion_tokens or 0),
        }
        headers = {"X-Suho-Action": action, "X-Suho-Audit-Seq": str(seq)}
        if stream:
            return StreamingResponse(
                _sse(seq, model, text, finish), media_type="text/event-stream", headers=headers
            ), up_s
        return JSONResponse(_completion(seq, model, text, finish, usage), headers=headers), up_s

    def _refuse(
        gw: Gateway,
        rec: KeyRecord,
        dec: Decision,
        model: str,
        lang: str,
        sig: Signals,
        last: str,
        stream: bool,
    ) -> Response:
        seq = gw.record(
            rec,
            action=dec.action,
            status=403 if dec.action == "step-up" else 200,
            reason=dec.reason,
            model=model,
            lang=lang,
            req=sig,
            prompt=last,
        )
        headers = {"X-Suho-Action": dec.action, "X-Suho-Audit-Seq": str(seq)}
        if dec.action == "step-up":
            r = _error(403, "step_up_required", message("step-up", lang, dec.reason, dec.rule))
            r.headers.update(headers)
            return r
        text = message("block", lang, dec.reason, dec.rule)
        if stream:
            return StreamingResponse(
                _sse(seq, model, text, "content_filter"),
                media_type="text/event-stream",
                headers=headers,
            )
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        return JSONResponse(_completion(seq, model, text, "content_filter", usage), headers=headers)

    # Plain Starlette routes: the handlers read the request themselves (no per-request
    # validation layer), so every refusal is exactly the status this module chooses.
    app.add_route("/healthz", healthz, methods=["GET"])
    app.add_route("/metrics", metrics, methods=["GET"])
    app.add_route("/v1/models", models, methods=["GET"])
    app.add_route("/v1/chat/completions", chat, methods=["POST"])
    return app


async def _read(request: Any, limit: int) -> bytes:
    """The body, refusing it (413) as soon as it grows past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, "too_large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


__all__ = ["Gateway", "GatewayConfig", "create_app"]
