"""Anthropic Messages API (``POST /v1/messages``)."""

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
    function_spec,
    public_url,
)
from suho.targets._http import HttpClient

if TYPE_CHECKING:
    from suho.episode import Capabilities

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"


class AnthropicTarget:
    """Claude models through the Messages API.

    The key comes from ``ANTHROPIC_API_KEY`` (or ``api_key_env``); it may be omitted only with
    ``--base-url`` (a gateway or proxy that adds it). System messages go to the ``system`` field;
    tool results are sent as ``tool_result`` blocks.
    """

    def __init__(self, spec: TargetSpec, options: TargetOptions) -> None:
        self.spec = spec
        self.options = options
        self.base_url = (options.base_url or DEFAULT_BASE_URL).rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[: -len("/v1")]
        self._key = options.getenv(options.api_key_env or "ANTHROPIC_API_KEY")
        if self._key is None and options.base_url is None:
            raise SuhoInputError("ANTHROPIC_API_KEY is not set")
        headers = {"content-type": "application/json", "anthropic-version": API_VERSION}
        if self._key:
            headers["x-api-key"] = self._key
        self._http = HttpClient(options, headers)

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

        return Capabilities(tools=True)

    async def preflight(self) -> None:
        await self._http.check_reachable(f"{self.base_url}/v1/models", "the Anthropic API")

    async def aclose(self) -> None:
        await self._http.aclose()

    def _body(self, messages: Sequence[Message], params: GenParams) -> dict[str, Any]:
        system = [m.content for m in messages if m.role == "system"]
        if not system and self.options.system_prompt:
            system = [self.options.system_prompt]
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "system":
                continue
            if m.role == "tool":
                block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
                out.append({"role": "user", "content": [block]})
            elif m.tool_calls:
                blocks: list[dict[str, Any]] = []
                if m.content:
                    blocks.append({"type": "text", "text": m.content})
                for c in m.tool_calls:
                    try:
                        args = json.loads(c.arguments or "{}")
                    except ValueError:
                        args = {"_raw": c.arguments}
                    blocks.append({"type": "tool_use", "id": c.id, "name": c.name, "input": args})
                out.append({"role": "assistant", "content": blocks})
            else:
                out.append({"role": m.role, "content": m.content})
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": out,
            "max_tokens": params.max_tokens or 1024,
        }
        if system:
            body["system"] = "\n\n".join(system)
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop_sequences"] = list(params.stop)
        if params.tools:
            fns = [function_spec(t) for t in params.tools]
            body["tools"] = [
                {
                    "name": f["name"],
                    "description": f.get("description", ""),
                    "input_schema": f.get("parameters", {"type": "object"}),
                }
                for f in fns
            ]
            choice = params.tool_choice
            if choice == "none":
                body["tool_choice"] = {"type": "none"}
            elif choice == "required":
                body["tool_choice"] = {"type": "any"}
            elif choice == "auto":
                body["tool_choice"] = {"type": "auto"}
            elif choice is not None:
                body["tool_choice"] = {"type": "tool", "name": choice}
        return body

    async def chat(self, messages: Sequence[Message], params: GenParams) -> ChatResult:
        data = await self._http.post_json(
            f"{self.base_url}/v1/messages", self._body(messages, params)
        )
        if data.get("type") == "error":
            err = data.get("error") or {}
            raise TargetError(ErrorKind.SERVER_ERROR, f"error in 200 response: {err}"[:300])
        content = data.get("content")
        if not isinstance(content, list):
            raise TargetError(ErrorKind.MALFORMED, "response has no 'content' list")
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in content:
            if not isinstance(block, dict):
                raise TargetError(ErrorKind.MALFORMED, "content block is not an object")
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                calls.append(
                    ToolCall(
                        id=str(block.get("id", "")),
                        name=str(block.get("name", "")),
                        arguments=json.dumps(block.get("input", {}), ensure_ascii=False),
                    )
                )
        text = "".join(texts)
        stop = data.get("stop_reason")
        if not text.strip() and not calls and stop != "refusal":
            raise TargetError(ErrorKind.EMPTY, "response has no text and no tool call")
        usage: dict[str, Any] = data["usage"] if isinstance(data.get("usage"), dict) else {}
        return ChatResult(
            text=text,
            finish_reason=stop if isinstance(stop, str) else None,
            prompt_tokens=usage.get("input_tokens"),
            completion_tokens=usage.get("output_tokens"),
            model=data.get("model"),
            tool_calls=tuple(calls),
        )
