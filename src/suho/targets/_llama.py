"""A llama.cpp engine that decodes several conversations at once on one loaded GGUF model.

One engine owns one model, one context and one decode thread. Requests from the event loop are
queued to the thread; the thread keeps up to ``n_parallel`` sequences in the context and, each
step, decodes one batch holding the next token of every generating sequence plus a slice of any
new prompt (continuous batching, as llama.cpp's own server does). On a CPU that turns the
memory-bound one-token-at-a-time loop into small matrix products, so several short answers cost
little more than one.

Cancellation is cooperative and quick: a request whose awaiting coroutine is cancelled (the
engine's per-request timeout, Ctrl-C) is dropped at the next step, its cells are removed from
the KV cache and its slot goes to the next request. Prompts are fed in slices of at most
``PREFILL_SLICE`` tokens so that a step never takes long.

Prefix reuse: a finished sequence stays in the KV cache with its slot until the room is needed.
A new request goes to the free slot whose kept prompt shares the longest prefix with its own
and only the rest of its prompt is fed. An agent's step k+1 repeats step k's prompt (system
prompt, tool schemas, the conversation so far) and every episode of a suite shares the system
prompt, so on a CPU most prompt tokens are read once instead of at every step.

Engines are shared per model file within a process (``acquire`` / ``release``): a target and a
judge on the same file use one copy of the weights and one decode thread.

``llama_cpp`` is imported only when an engine loads.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import queue
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suho.targets._base import ErrorKind, TargetError

PREFILL_SLICE = 256  # prompt tokens fed per step, per step budget
MIN_REUSE = 16  # a shorter common prefix is not worth keeping a slot's cells for
N_BATCH = 512
MAX_NEW_DEFAULT = 512  # when a request sets no max_tokens
RANDOM_SEED = 0xFFFFFFFF  # llama.cpp: pick a random seed

CHATML_FALLBACK = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """How an engine is built. The first target to load a file decides them for the process."""

    n_parallel: int = 4  # sequences decoded together
    n_ctx_per_seq: int = 2048  # KV cells per sequence; the cache is shared, so one may use more
    n_threads: int = 0  # 0: every core this process may use

    def threads(self) -> int:
        if self.n_threads > 0:
            return self.n_threads
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # pragma: no cover - not Linux
            return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class Output:
    """A finished generation."""

    text: str
    finish_reason: str  # "stop" or "length"
    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass(slots=True, eq=False)
class Request:
    """One generation, from the event loop to the decode thread and back."""

    tokens: list[int]
    max_new: int
    temperature: float
    top_p: float | None
    seed: int
    grammar: str | None
    stops: tuple[str, ...]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Output]
    cancelled: threading.Event = field(default_factory=threading.Event)
    # Decode-thread state.
    seq: int = -1
    fed: int = 0  # prompt tokens already in the KV cache
    n_past: int = 0  # tokens of this sequence in the KV cache
    next_token: int | None = None  # sampled, not yet fed
    out: bytearray = field(default_factory=bytearray)
    n_out: int = 0
    sampler: Any = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def reserve(self) -> int:
        """KV cells this request may need at most."""
        return len(self.tokens) + self.max_new


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _resolve(fut: asyncio.Future[Output], value: Output | BaseException) -> None:
    if fut.done():
        return
    if isinstance(value, BaseException):
        fut.set_exception(value)
    else:
        fut.set_result(value)


class LlamaEngine:
    """One GGUF model loaded through llama.cpp, serving requests from any event loop."""

    def __init__(self, path: Path, settings: EngineSettings) -> None:
        self.path = path
        self.settings = settings
        self.n_ctx = settings.n_ctx_per_seq * settings.n_parallel
        self.load_seconds: float | None = None
        self.chat_template: str = CHATML_FALLBACK
        self.template_source = "fallback ChatML (the file has no chat template)"
        self.model_name = path.name
        self.n_ctx_train = 0
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue[Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._L: Any = None
        self._model: Any = None
        self._vocab: Any = None
        self._ctx: Any = None
        self._formatter: Any = None
        self._eog_cache: dict[int, bool] = {}
        self._closed = False
        # Read by tests and benchmarks: tokens sampled so far, sequences in the context now,
        # prompt tokens fed and prompt tokens found already in the cache (prefix reuse).
        self.tokens_generated = 0
        self.n_active = 0
        self.prompt_tokens_fed = 0
        self.prompt_tokens_reused = 0

    # -- loading --------------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._ctx is not None

    def load(self) -> None:
        """Load the model and start the decode thread (blocking; once)."""
        with self._lock:
            if self._ctx is not None:
                return
            if self._closed:
                raise TargetError(ErrorKind.INTERNAL, "engine is closed")
            t0 = time.perf_counter()
            L = import_llama()
            L.llama_backend_init()
            mparams = L.llama_model_default_params()
            mparams.n_gpu_layers = 0
            model = L.llama_model_load_from_file(str(self.path).encode(), mparams)
            if not model:
                raise OSError(
                    f"llama.cpp could not load {self.path} (not a GGUF model it supports?)"
                )
            self.n_ctx_train = int(L.llama_model_n_ctx_train(model))
            if self.n_ctx_train > 0:
                self.n_ctx = min(self.n_ctx, self.n_ctx_train * self.settings.n_parallel)
            cparams = L.llama_context_default_params()
            cparams.n_ctx = self.n_ctx
            cparams.n_batch = N_BATCH
            cparams.n_ubatch = N_BATCH
            cparams.n_seq_max = self.settings.n_parallel
            cparams.kv_unified = True
            cparams.no_perf = True
            threads = self.settings.threads()
            cparams.n_threads = threads
            cparams.n_threads_batch = threads
            ctx = L.llama_init_from_model(model, cparams)
            if not ctx:
                L.llama_model_free(model)
                raise OSError(
                    f"llama.cpp could not create a context of {self.n_ctx} tokens for {self.path}"
                )
            self._L, self._model, self._ctx = L, model, ctx
            self._vocab = L.llama_model_get_vocab(model)
            self._read_metadata()
            self._batch = L.llama_batch_init(N_BATCH, 0, 1)
            self._thread = threading.Thread(
                target=self._run, name=f"suho-llama-{self.path.name}", daemon=True
            )
            self._thread.start()
            self.load_seconds = time.perf_counter() - t0

    def _meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(1 << 16)
        n = self._L.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        if n < 0:
            return None
        if n >= len(buf):  # a long template: ask again with room for it
            buf = ctypes.create_string_buffer(n + 1)
            self._L.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace")

    def _read_metadata(self) -> None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.model_name = self._meta("general.name") or self.path.name
        template = self._meta("tokenizer.chat_template")
        if template:
            self.chat_template = template
            self.template_source = "the file's own chat template"
        eos = self.token_text(self._L.llama_vocab_eos(self._vocab))
        bos = self.token_text(self._L.llama_vocab_bos(self._vocab))
        self._formatter = Jinja2ChatFormatter(self.chat_template, eos_token=eos, bos_token=bos)

    # -- text <-> tokens (any thread) -----------------------------------------------------------

    def token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._piece(token, special=True).decode("utf-8", errors="replace")

    def _piece(self, token: int, *, special: bool = False) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = self._L.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, special)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = self._L.llama_token_to_piece(self._vocab, token, buf, len(buf), 0, special)
        return buf.raw[: max(n, 0)]

    def tokenize(self, text: str, *, add_special: bool = False) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 8
        arr = (self._L.llama_token * cap)()
        n = self._L.llama_tokenize(self._vocab, data, len(data), arr, cap, add_special, True)
        if n < 0:
            cap = -n
            arr = (self._L.llama_token * cap)()
            n = self._L.llama_tokenize(self._vocab, data, len(data), arr, cap, add_special, True)
        return list(arr[:n])

    def render_chat(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> list[int]:
        """The prompt tokens for ``messages``, through the model's chat template."""
        res = self._formatter(messages=messages, tools=tools or None)
        return self.tokenize(res.prompt, add_special=not res.added_special)

    # -- requests (event loop side) -------------------------------------------------------------

    def submit(self, req: Request) -> None:
        if self._closed or self._thread is None:
            raise TargetError(ErrorKind.CONNECTION, "the local model is not loaded or was closed")
        if req.reserve > self.n_ctx:
            raise TargetError(
                ErrorKind.CLIENT_ERROR,
                f"prompt of {len(req.tokens)} tokens + max_tokens {req.max_new} exceeds the local "
                f"model's context of {self.n_ctx} tokens (set SUHO_LOCAL_CTX higher)",
            )
        self._inbox.put(req)

    def close(self) -> None:
        """Stop the decode thread (failing what is queued) and free the model."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._inbox.put(None)
            thread.join()
        if self._ctx is not None:
            self._L.llama_batch_free(self._batch)
            self._L.llama_free(self._ctx)
            self._L.llama_model_free(self._model)
            self._ctx = self._model = None

    # -- the decode thread ----------------------------------------------------------------------

    def _is_eog(self, token: int) -> bool:
        hit = self._eog_cache.get(token)
        if hit is None:
            hit = bool(self._L.llama_vocab_is_eog(self._vocab, token))
            self._eog_cache[token] = hit
        return hit

    def _make_sampler(self, r: Request) -> Any:
        L = self._L
        chain = L.llama_sampler_chain_init(L.llama_sampler_chain_default_params())
        if r.grammar is not None:
            g = L.llama_sampler_init_grammar(self._vocab, r.grammar.encode(), b"root")
            if not g:
                L.llama_sampler_free(chain)
                raise TargetError(
                    ErrorKind.CLIENT_ERROR, "llama.cpp rejected the response_format grammar"
                )
            L.llama_sampler_chain_add(chain, g)
        if r.temperature <= 0:
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_greedy())
        else:
            if r.top_p is not None and r.top_p < 1:
                L.llama_sampler_chain_add(chain, L.llama_sampler_init_top_p(r.top_p, 1))
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_temp(r.temperature))
            L.llama_sampler_chain_add(chain, L.llama_sampler_init_dist(r.seed))
        return chain

    def _forget(
        self, r: Request, free: list[int], kept: dict[int, list[int]] | None = None
    ) -> None:
        """Give a sequence's slot back. With ``kept``, a finished sequence's cells stay in the
        KV cache and ``kept[seq]`` says which prompt they hold (see ``_assign``); otherwise
        they are removed."""
        if r.seq >= 0:
            if kept is not None and r.fed >= MIN_REUSE:
                kept[r.seq] = r.tokens[: r.fed]
            else:
                self._L.llama_memory_seq_rm(self._L.llama_get_memory(self._ctx), r.seq, -1, -1)
            free.append(r.seq)
            r.seq = -1
        if r.sampler is not None:
            self._L.llama_sampler_free(r.sampler)
            r.sampler = None

    def _finish(self, r: Request, value: Output | BaseException) -> None:
        with suppress(RuntimeError):  # the caller's loop is gone: nobody waits for this answer
            r.loop.call_soon_threadsafe(_resolve, r.future, value)

    def _output(self, r: Request, reason: str) -> Output:
        text = bytes(r.out).decode("utf-8", errors="replace")
        if reason == "length":
            text = text.rstrip("\ufffd")  # a character cut in half by the token limit
        for s in r.stops:
            cut = text.find(s)
            if cut >= 0:
                text = text[:cut]
        return Output(text, reason, len(r.tokens), r.n_out, time.perf_counter() - r.started)

    def _stopped_by_string(self, r: Request) -> bool:
        if not r.stops:
            return False
        text = bytes(r.out).decode("utf-8", errors="ignore")
        return any(s in text for s in r.stops)

    def _run(self) -> None:
        L = self._L
        free = list(range(self.settings.n_parallel - 1, -1, -1))
        kept: dict[int, list[int]] = {}  # free slot -> the prompt its cells still hold
        active: dict[int, Request] = {}
        waiting: deque[Request] = deque()
        reserved = 0
        stopping = False
        while True:
            # Take new requests; block only when there is nothing to do.
            try:
                item = self._inbox.get(block=not active and not waiting)
                while True:
                    if item is None:
                        stopping = True
                    else:
                        waiting.append(item)
                    item = self._inbox.get_nowait()
            except queue.Empty:
                pass
            if stopping:
                kept.clear()
                gone = TargetError(ErrorKind.CONNECTION, "the local model was closed")
                for r in [*active.values(), *waiting]:
                    self._forget(r, free)
                    self._finish(r, gone)
                return
            for seq, r in list(active.items()):
                if r.cancelled.is_set():
                    del active[seq]
                    reserved -= r.reserve
                    self._forget(r, free)
            waiting = deque(r for r in waiting if not r.cancelled.is_set())
            while waiting and free:
                # Kept cells give way (oldest first) when a request needs their room.
                while kept and reserved + self._kept_cells(kept) + waiting[0].reserve > self.n_ctx:
                    self._drop_kept(kept, next(iter(kept)))
                if reserved + waiting[0].reserve > self.n_ctx:
                    break
                r = waiting.popleft()
                try:
                    r.sampler = self._make_sampler(r)
                except TargetError as e:
                    self._finish(r, e)
                    continue
                self._assign(r, free, kept)
                r.started = time.perf_counter()
                active[r.seq] = r
                reserved += r.reserve
            self.n_active = len(active)
            if not active:
                continue
            try:
                reserved -= self._step(active, free, kept)
            except Exception as e:  # never let the thread die: fail what is in flight, go on
                err = TargetError(
                    ErrorKind.INTERNAL, f"llama.cpp step failed: {type(e).__name__}: {e}"
                )
                for seq, r in list(active.items()):
                    del active[seq]
                    reserved -= r.reserve
                    self._forget(r, free)
                    self._finish(r, err)
                kept.clear()
                L.llama_memory_clear(L.llama_get_memory(self._ctx), True)
            self.n_active = len(active)

    def _kept_cells(self, kept: dict[int, list[int]]) -> int:
        return sum(len(t) for t in kept.values())

    def _drop_kept(self, kept: dict[int, list[int]], seq: int) -> None:
        del kept[seq]
        self._L.llama_memory_seq_rm(self._L.llama_get_memory(self._ctx), seq, -1, -1)

    def _assign(self, r: Request, free: list[int], kept: dict[int, list[int]]) -> None:
        """Give ``r`` the free slot whose kept prompt shares the longest prefix with its own
        (cells past the prefix removed, the prefix not fed again), else a slot holding
        nothing, else the slot with the oldest kept cells (emptied)."""
        best, best_len = -1, 0
        for seq in free:
            held = kept.get(seq)
            if held is not None:
                n = _common_prefix(held, r.tokens)
                if n > best_len:
                    best, best_len = seq, n
        # At least the prompt's last token is fed: its logits give the first new token.
        best_len = min(best_len, len(r.tokens) - 1)
        mem = self._L.llama_get_memory(self._ctx)
        if best >= 0 and best_len >= MIN_REUSE:
            free.remove(best)
            del kept[best]
            self._L.llama_memory_seq_rm(mem, best, best_len, -1)
            r.seq, r.fed, r.n_past = best, best_len, best_len
            self.prompt_tokens_reused += best_len
        else:
            empty = [s for s in free if s not in kept]
            seq = empty[-1] if empty else next(s for s in kept if s in free)
            free.remove(seq)
            if seq in kept:
                self._drop_kept(kept, seq)
            r.seq = seq
        self.prompt_tokens_fed += len(r.tokens) - r.fed

    def _step(self, active: dict[int, Request], free: list[int], kept: dict[int, list[int]]) -> int:
        """Decode one batch and sample; returns the KV reservation released by finished requests."""
        L = self._L
        b = self._batch
        n = 0
        outputs: list[tuple[Request, int]] = []

        def add(token: int, pos: int, seq: int, logits: bool) -> None:
            nonlocal n
            b.token[n] = token
            b.pos[n] = pos
            b.n_seq_id[n] = 1
            b.seq_id[n][0] = seq
            b.logits[n] = logits
            n += 1

        for r in active.values():
            if r.next_token is not None:
                add(r.next_token, r.n_past, r.seq, True)
                outputs.append((r, n - 1))
                r.n_past += 1
                r.next_token = None
        budget = min(N_BATCH - n, PREFILL_SLICE)
        for r in active.values():
            if budget <= 0:
                break
            left = len(r.tokens) - r.fed
            if left <= 0:
                continue
            take = min(left, budget)
            for j in range(take):
                last = r.fed + j == len(r.tokens) - 1
                add(r.tokens[r.fed + j], r.fed + j, r.seq, last)
                if last:
                    outputs.append((r, n - 1))
            r.fed += take
            r.n_past = r.fed
            budget -= take
        if n == 0:
            return 0
        b.n_tokens = n
        rc = L.llama_decode(self._ctx, b)
        released = 0
        if rc != 0:
            what = "no room left in the KV cache" if rc == 1 else f"llama_decode returned {rc}"
            err = TargetError(ErrorKind.SERVER_ERROR, f"local model: {what}")
            for seq, r in list(active.items()):
                del active[seq]
                released += r.reserve
                self._forget(r, free)
                self._finish(r, err)
            return released
        for r, idx in outputs:
            if r.seq < 0:
                continue
            token = int(L.llama_sampler_sample(r.sampler, self._ctx, idx))
            self.tokens_generated += 1
            reason: str | None = None
            if self._is_eog(token):
                reason = "stop"
            else:
                r.out += self._piece(token)
                r.n_out += 1
                r.next_token = token
                if self._stopped_by_string(r):
                    reason = "stop"
                elif r.n_out >= r.max_new:
                    reason = "length"
            if reason is not None:
                del active[r.seq]
                released += r.reserve
                self._forget(r, free, kept)
                self._finish(r, self._output(r, reason))
        return released


# -- sharing engines within a process ----------------------------------------------------------

_ENGINES: dict[Path, tuple[LlamaEngine, int]] = {}
_ENGINES_LOCK = threading.Lock()


def acquire(path: Path, settings: EngineSettings) -> LlamaEngine:
    """The engine for ``path`` (created unloaded if there is none yet); pair with ``release``."""
    key = path.resolve()
    with _ENGINES_LOCK:
        engine, refs = _ENGINES.get(key, (None, 0))
        if engine is None:
            engine = LlamaEngine(key, settings)
        _ENGINES[key] = (engine, refs + 1)
        return engine


def release(engine: LlamaEngine) -> None:
    """Drop one reference; the last one closes the engine and frees the model."""
    with _ENGINES_LOCK:
        entry = _ENGINES.get(engine.path)
        if entry is None or entry[0] is not engine:
            return
        refs = entry[1] - 1
        if refs > 0:
            _ENGINES[engine.path] = (engine, refs)
            return
        del _ENGINES[engine.path]
    engine.close()


def import_llama() -> Any:
    """``llama_cpp``, with its load-time chatter sent to logging instead of stderr."""
    import llama_cpp

    if not os.environ.get("SUHO_LOCAL_VERBOSE"):
        # llama.cpp's own log lines (load details, tokenizer warnings) stay out of the terminal;
        # a failure reaches the user as our own error. SUHO_LOCAL_VERBOSE=1 shows them.
        logging.getLogger("llama-cpp-python").setLevel(logging.CRITICAL + 1)
    return llama_cpp


def llama_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("llama_cpp_python")
    except Exception:
        return None
