"""OpenAI-compatible chat completions: OpenAI, vLLM, Ollama, llama.cpp server, LM Studio, ..."""

from __future__ import annotations

import json
from collections.abc import Sequence
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
    function_spec,
    public_url,
)
from suho.targets._http import HttpClient

if TYPE_CHECKING:
    from suho.episode import Capabilities

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAITarget:
    """Any endpoint that speaks ``POST {base_url}/chat/completions``.

    The API key is read from ``OPENAI_API_KEY`` (or the variable named by ``api_key_env``); it
    is optional for local servers. ``--base-url`` points at vLLM, Ollama (``.../v1``), a
    llama.cpp server and so on.
    """

    def __init__(self, spec: TargetSpec, options: TargetOptions) -> None:
        self.spec = spec
        self.options = options
        self.base_url = (options.base_url or DEFAULT_BASE_URL).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise SuhoInputError(
                f"--base-url {self.base_url!r} must start with http:// or https://"
            )
        self._key = options.getenv(options.api_key_env or "OPENAI_API_KEY")
        if self._key is None and options.base_url is None:
            raise SuhoInputError(
                "OPENAI_API_KEY is not set; set it, or pass --base-url for a local "
                "OpenAI-compatible server"
            )
        headers = {"content-type": "application/json"}
        if self._key:
            headers["authorization"] = f"Bearer {self._key}"
        self._http = HttpClient(options, headers)
        self._url = f"{self.base_url}/chat/completions"

    def describe(self) -> dict[str, Any]:
        return {
            "provider": self.spec.provider,
            "model": self.spec.model,
            "base_url": public_url(self.base_url),
        }

    def secrets(self) -> list[str]:
        return [self._key] if self._key else []

    def capabilities(self) -> Capabilities:
        from suho.episode import Capabilities

        return Capabilities(tools=True, json_mode=True)

    async def preflight(self) -> None:
        await self._http.check_reachable(f"{self.base_url}/models", "the OpenAI-compatible API")

    async def aclose(self) -> None:
        await self._http.aclose()

    def _body(self, messages: Sequence[Message], params: GenParams) -> dict[str, Any]:
        msgs = chat_messages(messages, self.options.system_prompt)
        body: dict[str, Any] = {"model": self.spec.model, "messages": msgs}
        if params.max_tokens is not None:
            body["max_tokens"] = params.max_tokens
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if params.tools:
            body["tools"] = [
                {"type": "function", "function": function_spec(t)} for t in params.tools
            ]
            if params.tool_choice is not None:
                body["tool_choice"] = (
                    params.tool_choice
                    if params.tool_choice in ("auto", "none", "required")
                    else {"type": "function", "function": {"name": params.tool_choice}}
                )
        if params.response_format is not None:
            body["response_format"] = dict(params.response_format)
        return body

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        data = await self._http.post_json(self._url, self._body(messages, params))
        return parse_chat_completion(data)


def parse_chat_completion(data: dict[str, Any]) -> ChatResult:
    """Turn a chat-completions JSON body into a ``ChatResult``; shape errors become MALFORMED."""
    if "error" in data and "choices" not in data:
        err = data["error"]
        msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
        raise TargetError(ErrorKind.SERVER_ERROR, f"error in 200 response: {msg}"[:300])
    choices = data.get("choices")
    if not isinstance(choices, list):
        raise TargetError(ErrorKind.MALFORMED, "response has no 'choices' list")
    if not choices:
        raise TargetError(ErrorKind.EMPTY, "response has an empty 'choices' list")
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("message"), dict):
        raise TargetError(ErrorKind.MALFORMED, "choice has no 'message' object")
    msg = choice["message"]
    content = msg.get("content")
    if content is not None and not isinstance(content, str):
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        else:
            raise TargetError(ErrorKind.MALFORMED, "message content is not text")
    calls: list[ToolCall] = []
    for c in msg.get("tool_calls") or ():
        try:
            fn = c["function"]
            args = fn.get("arguments", "")
            calls.append(
                ToolCall(
                    id=str(c.get("id", "")),
                    name=str(fn["name"]),
                    arguments=args if isinstance(args, str) else json.dumps(args),
                )
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise TargetError(ErrorKind.MALFORMED, f"bad tool call: {c!r}"[:200]) from e
    text = content or ""
    finish = choice.get("finish_reason")
    if not text.strip() and not calls and finish != "content_filter":
        raise TargetError(ErrorKind.EMPTY, "response has no content and no tool call")
    usage: dict[str, Any] = data["usage"] if isinstance(data.get("usage"), dict) else {}
    return ChatResult(
        text=text,
        finish_reason=finish if isinstance(finish, str) else None,
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        tool_calls=tuple(calls),
    )


def _int(v: object) -> int | None:
    return v if isinstance(v, int) else None
