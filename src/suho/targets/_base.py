"""The Target protocol: anything that answers chat messages.

A target is async, holds its own connection pool or model, and reports failures as
``TargetError`` with an ``ErrorKind`` so the engine can tell a timeout from a refusal. The engine,
attacks and judges know only this protocol, never a concrete provider.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from suho.errors import SuhoInputError

if TYPE_CHECKING:
    from suho.episode import Capabilities

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True, frozen=True)
class ToolCall:
    """A tool call requested by the model (OpenAI function-calling shape)."""

    id: str
    name: str
    arguments: str  # JSON text, exactly as the model produced it


@dataclass(slots=True, frozen=True)
class Message:
    """One chat message. ``tool_calls``/``tool_call_id`` are used by agent runs."""

    role: Role
    content: str
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name:
            d["name"] = self.name
        if self.tool_calls:
            d["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ]
        if self.tool_call_id:
            d["tool_call_id"] = self.tool_call_id
        return d


@dataclass(slots=True, frozen=True)
class GenParams:
    """Sampling parameters. ``None`` leaves the provider's default."""

    max_tokens: int | None = 512
    temperature: float | None = 0.0
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # Function definitions, either bare ({"name", "description", "parameters"}) or in the
    # OpenAI shape ({"type": "function", "function": {...}}, what ``Tool.definition`` gives).
    tools: tuple[Mapping[str, Any], ...] = ()
    response_format: Mapping[str, Any] | None = None  # e.g. a JSON schema, for judges
    # "auto", "none", "required", or a tool's name (the model must call that one); None leaves
    # the provider's default. Only sent with ``tools``.
    tool_choice: str | None = None


def function_spec(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A tool definition as a bare function (``name``, ``description``, ``parameters``),
    whichever of the two shapes ``GenParams.tools`` holds it in."""
    fn = tool.get("function") if tool.get("type") == "function" else None
    return dict(fn) if isinstance(fn, Mapping) else dict(tool)


@dataclass(slots=True)
class ChatResult:
    """What a target answered."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    model: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class ErrorKind(enum.StrEnum):
    """Why a request failed. An error is never a refusal and never a pass."""

    TIMEOUT = "timeout"
    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"  # HTTP 5xx, overloaded
    CLIENT_ERROR = "client_error"  # HTTP 4xx other than auth / rate limit
    AUTH = "auth"  # HTTP 401 / 403
    CONNECTION = "connection"  # refused, reset, dropped mid-response
    MALFORMED = "malformed"  # not JSON, or JSON of the wrong shape
    EMPTY = "empty"  # no choices, or no content and no tool call
    INTERNAL = "internal"  # a bug or unexpected exception on our side


RETRYABLE: frozenset[ErrorKind] = frozenset(
    {
        ErrorKind.TIMEOUT,
        ErrorKind.RATE_LIMIT,
        ErrorKind.SERVER_ERROR,
        ErrorKind.CONNECTION,
        ErrorKind.MALFORMED,
        ErrorKind.EMPTY,
    }
)


class TargetError(Exception):
    """A failed request, classified."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(slots=True, frozen=True)
class TargetSpec:
    """``PROVIDER:MODEL`` as the user wrote it, e.g. ``openai:gpt-4o`` or ``local:qwen2.5-1.5b``."""

    provider: str
    model: str

    @classmethod
    def parse(cls, text: str) -> TargetSpec:
        provider, sep, model = text.partition(":")
        if not sep or not provider or not model:
            raise SuhoInputError(
                f"target {text!r} is not PROVIDER:MODEL (for example openai:gpt-4o, "
                "anthropic:claude-sonnet-4-5, local:qwen2.5-1.5b)"
            )
        return cls(provider.strip().lower(), model.strip())

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(slots=True, frozen=True)
class TargetOptions:
    """Connection options shared by providers. Secrets are read from the environment, by name."""

    base_url: str | None = None
    api_key_env: str | None = None  # overrides the provider's default variable name
    timeout: float = 60.0
    max_connections: int = 64
    headers: Mapping[str, str] = field(default_factory=dict)
    system_prompt: str | None = None
    env: Mapping[str, str] | None = None  # for tests; defaults to os.environ

    def getenv(self, name: str) -> str | None:
        source = self.env if self.env is not None else os.environ
        value = source.get(name)
        return value or None


@runtime_checkable
class Target(Protocol):
    """Anything that answers chat messages."""

    spec: TargetSpec

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        """Send one conversation; return the answer or raise ``TargetError``."""
        ...

    async def preflight(self) -> None:
        """Check, once before a run, that the target is usable; raise ``SuhoInputError`` if not."""
        ...

    def describe(self) -> dict[str, Any]:
        """What to store about this target. Must never contain a secret."""
        ...

    def secrets(self) -> list[str]:
        """Secret values in use, so the engine can scrub them from anything it stores."""
        ...

    def capabilities(self) -> Capabilities:
        """What this target can do (tools, JSON mode, ...); the engine refuses, at preflight, a
        run whose attacks need more."""
        ...

    async def aclose(self) -> None: ...


def chat_messages(
    messages: Sequence[Message],
    system_prompt: str | None,
    *,
    arguments: Callable[[str], Any] = str,
) -> list[dict[str, Any]]:
    """Messages in the OpenAI chat shape (also what Hugging Face chat templates read), with the
    run's system prompt first unless the conversation brings its own. ``arguments`` renders each
    tool call's JSON text (the API wants the text, a chat template the decoded object)."""
    out: list[dict[str, Any]] = []
    if system_prompt and (not messages or messages[0].role != "system"):
        out.append({"role": "system", "content": system_prompt})
    for m in messages:
        d: dict[str, Any] = {"role": m.role, "content": m.content}
        if m.tool_calls:
            d["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": arguments(c.arguments)},
                }
                for c in m.tool_calls
            ]
        if m.tool_call_id:
            d["tool_call_id"] = m.tool_call_id
        if m.name:
            d["name"] = m.name
        out.append(d)
    return out


def public_url(url: str | None) -> str | None:
    """Strip credentials and query strings from a URL before it is stored or shown."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret value in ``text`` with ``***``."""
    for s in secrets:
        if s and s in text:
            text = text.replace(s, "***")
    return text
