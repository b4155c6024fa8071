"""The embedded local model: a GGUF file run on this machine's CPU through llama.cpp."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suho.errors import SuhoInputError
from suho.targets._base import (
    ChatResult,
    ErrorKind,
    GenParams,
    Message,
    TargetError,
    TargetOptions,
    TargetSpec,
    ToolCall,
    chat_messages,
)

if TYPE_CHECKING:
    from suho.episode import Capabilities

DEFAULT_PARALLEL = 4
MAX_PARALLEL = 64
DEFAULT_CTX_PER_SEQ = 2048
INSTALL_EXTRA_HINT = (
    "the local target needs llama.cpp: pip install 'suho[local]' (it compiles llama.cpp once, "
    "several minutes; `make setup` caches the wheel; see docs/local-model.md)"
)
_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)


def _env_int(options: TargetOptions, name: str, default: int, lo: int, hi: int) -> int:
    raw = options.getenv(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SuhoInputError(f"{name}={raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise SuhoInputError(f"{name}={value} is outside {lo}..{hi}")
    return value


def is_path_spec(model: str) -> bool:
    """``local:`` followed by a file path rather than a registry name."""
    return "/" in model or "\\" in model or model.lower().endswith(".gguf") or model.startswith("~")


class LocalTarget:
    """A GGUF model on this machine, run by llama.cpp: ``local:qwen2.5-1.5b``, ``local:/path/x.gguf``.

    Mimics: a small chat model deployed on-premises, exactly as its chat template formats a
    conversation, with greedy decoding by default (temperature 0) so runs are repeatable.
    Several conversations are decoded together (``--concurrency`` sequences at most,
    ``SUHO_LOCAL_PARALLEL`` caps it, default 4); a cancelled request stops at the next token.
    Registry models are checked for size at load and were hash-verified at install; a file path
    is loaded as given.

    Misses: the small quantised models answer worse than the hosted models they stand in for,
    so their refusal rates say little about a large model; batched decoding can change a greedy
    answer in rare ties (floating-point order); tool calls are parsed only in the
    ``<tool_call>{json}</tool_call>`` form that Qwen and Hermes templates use; there is no GPU
    offload (CPU build).
    """

    name = "local"

    def __init__(self, spec: TargetSpec, options: TargetOptions) -> None:
        self.spec = spec
        self.options = options
        if options.base_url:
            raise SuhoInputError(
                "--base-url does not apply to local targets; for a llama.cpp or vLLM server use "
                "--target openai:MODEL --base-url URL"
            )
        parallel_cap = _env_int(options, "SUHO_LOCAL_PARALLEL", DEFAULT_PARALLEL, 1, MAX_PARALLEL)
        from suho.targets._llama import EngineSettings

        self.settings = EngineSettings(
            n_parallel=max(1, min(options.max_connections, parallel_cap)),
            n_ctx_per_seq=_env_int(options, "SUHO_LOCAL_CTX", DEFAULT_CTX_PER_SEQ, 256, 131072),
            n_threads=_env_int(options, "SUHO_LOCAL_THREADS", 0, 0, 1024),
        )
        self._engine: Any = None
        self._path: Path | None = None
        self._sha256: str | None = None

    # -- the model file -------------------------------------------------------------------------

    def _resolve(self) -> Path:
        if self._path is not None:
            return self._path
        model = self.spec.model
        if is_path_spec(model):
            path = Path(model).expanduser()
            if not path.is_file():
                raise SuhoInputError(f"model file not found: {path}")
            with path.open("rb") as f:
                if f.read(4) != b"GGUF":
                    raise SuhoInputError(f"{path} is not a GGUF file (llama.cpp models are .gguf)")
        else:
            from suho.models import get_model, model_path

            path = model_path(model)
            self._sha256 = get_model(model).sha256
        self._path = path
        return path

    def _load_sync(self) -> Any:
        from suho.targets import _llama

        if self._engine is None:
            path = self._resolve()
            try:
                _llama.import_llama()
            except ImportError as e:
                raise SuhoInputError(INSTALL_EXTRA_HINT) from e
            self._engine = _llama.acquire(path, self.settings)
        engine = self._engine
        try:
            engine.load()
        except OSError as e:
            raise SuhoInputError(f"could not load {self._path}: {e}") from e
        return engine

    async def _loaded(self) -> Any:
        if self._engine is not None and self._engine.loaded:
            return self._engine
        return await asyncio.to_thread(self._load_sync)

    # -- the Target protocol --------------------------------------------------------------------

    async def preflight(self) -> None:
        """Check the model is installed and llama.cpp importable, and load it (once a process)."""
        await self._loaded()

    def describe(self) -> dict[str, Any]:
        from suho.targets._llama import llama_version

        d: dict[str, Any] = {
            "provider": self.spec.provider,
            "model": self.spec.model
            if not is_path_spec(self.spec.model)
            else Path(self.spec.model).name,
            "runtime": f"llama.cpp (llama-cpp-python {llama_version() or 'not installed'})",
            "parallel": self.settings.n_parallel,
        }
        if self._sha256:
            d["sha256"] = self._sha256
        e = self._engine
        if e is not None and e.loaded:
            d["model_name"] = e.model_name
            d["context"] = e.n_ctx
            d["chat_template"] = e.template_source
            d["threads"] = self.settings.threads()
        return d

    def secrets(self) -> list[str]:
        return []

    def capabilities(self) -> Capabilities:
        from suho.episode import Capabilities

        return Capabilities(tools=True)

    async def aclose(self) -> None:
        if self._engine is not None:
            from suho.targets import _llama

            engine, self._engine = self._engine, None
            await asyncio.to_thread(_llama.release, engine)

    def messages_for_template(self, messages: Sequence[Message]) -> list[dict[str, Any]]:
        """Our messages as the dicts a Hugging Face style chat template expects."""
        return chat_messages(messages, self.options.system_prompt, arguments=_json_or_text)

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        from suho.targets._llama import MAX_NEW_DEFAULT, RANDOM_SEED, Request

        try:
            engine = await self._loaded()
        except SuhoInputError as e:
            # The configuration cannot work; 404 tells the engine to stop the run, not retry.
            raise TargetError(ErrorKind.CLIENT_ERROR, str(e), status=404) from e
        tools = [{"type": "function", "function": dict(t)} for t in params.tools]
        try:
            tokens = engine.render_chat(self.messages_for_template(messages), tools)
        except Exception as e:  # a template that cannot render these messages
            raise TargetError(
                ErrorKind.CLIENT_ERROR, f"chat template failed: {type(e).__name__}: {e}"
            ) from e
        loop = asyncio.get_running_loop()
        req = Request(
            tokens=tokens,
            max_new=params.max_tokens or MAX_NEW_DEFAULT,
            temperature=params.temperature or 0.0,
            top_p=params.top_p,
            seed=params.seed if params.seed is not None else RANDOM_SEED,
            grammar=grammar_for(params.response_format),
            stops=tuple(params.stop),
            loop=loop,
            future=loop.create_future(),
        )
        engine.submit(req)
        try:
            out = await req.future
        except asyncio.CancelledError:
            req.cancelled.set()  # the decode thread drops it at the next token
            raise
        text = out.text
        calls: list[ToolCall] = []
        if params.tools:
            text, calls = parse_tool_calls(text)
        if not text.strip() and not calls:
            raise TargetError(ErrorKind.EMPTY, "the local model produced no text")
        return ChatResult(
            text=text,
            finish_reason="tool_calls" if calls else out.finish_reason,
            prompt_tokens=out.prompt_tokens,
            completion_tokens=out.completion_tokens,
            model=self.spec.model
            if not is_path_spec(self.spec.model)
            else Path(self.spec.model).name,
            tool_calls=tuple(calls),
            extra={"seconds": round(out.seconds, 3)},
        )


def _json_or_text(arguments: str) -> Any:
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


def parse_tool_calls(text: str) -> tuple[str, list[ToolCall]]:
    """Split ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks out of ``text``.

    A block that is not a JSON object with a string ``name`` stays in the text (the model did not
    make a usable call, and a detector may want to see that).
    """
    calls: list[ToolCall] = []

    def take(m: re.Match[str]) -> str:
        try:
            obj = json.loads(m.group(1))
        except ValueError:
            return m.group(0)
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            return m.group(0)
        args = obj.get("arguments", {})
        calls.append(
            ToolCall(
                id=f"call_{len(calls)}",
                name=obj["name"],
                arguments=args if isinstance(args, str) else json.dumps(args, ensure_ascii=False),
            )
        )
        return ""

    rest = _TOOL_CALL.sub(take, text)
    return (rest.strip() if calls else text), calls


def grammar_for(response_format: Any) -> str | None:
    """A GBNF grammar for an OpenAI-style ``response_format`` (JSON object or JSON schema)."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind in (None, "text"):
        return None
    from llama_cpp.llama_grammar import JSON_GBNF, json_schema_to_gbnf

    if kind == "json_object":
        return str(JSON_GBNF)
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema", spec) if isinstance(spec, dict) else spec
        try:
            return str(json_schema_to_gbnf(json.dumps(schema)))
        except Exception as e:
            raise TargetError(
                ErrorKind.CLIENT_ERROR, f"response_format schema not supported: {e}"
            ) from e
    raise TargetError(ErrorKind.CLIENT_ERROR, f"response_format type {kind!r} is not supported")
