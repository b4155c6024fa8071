"""``--model suho/PROVIDER:MODEL``: an Inspect model provider that sends through a suho target.

``suho/local:qwen2.5-1.5b`` runs suho's embedded local model (no server, no key);
``suho/openai:gpt-4o-mini`` and ``suho/anthropic:...`` go through suho's own HTTP clients
(``--model-base-url`` for an OpenAI-compatible server). Text chat only: tool calls and images
are refused with a clear error.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo

from suho.targets import GenParams, Message, Target, TargetError, TargetOptions, create_target

_STOP = {"stop": "stop", "length": "max_tokens", "max_tokens": "max_tokens", "end_turn": "stop"}


class SuhoModelAPI(ModelAPI):
    """Inspect's side of a suho target: messages in, one completion out."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - Inspect's own signature
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        timeout = float(
            model_args.pop("timeout", 600.0 if model_name.startswith("local:") else 60.0)
        )
        self.options = TargetOptions(
            base_url=base_url,
            api_key_env=model_args.pop("api_key_env", None),
            timeout=timeout,
        )
        if model_args:
            raise ValueError(f"unknown model args for suho/: {', '.join(sorted(model_args))}")
        self.target: Target = create_target(model_name, self.options)
        self._local = model_name.startswith("local:")

    def max_connections(self) -> int:
        return 4 if self._local else 16

    def should_retry(self, ex: BaseException) -> bool:
        return isinstance(ex, TargetError) and ex.retryable

    async def aclose(self) -> None:
        await self.target.aclose()

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        if tools:
            raise ValueError("the suho/ model provider sends text chat only (no tools)")
        messages = []
        for m in input:
            if m.role == "tool":
                raise ValueError("the suho/ model provider sends text chat only (no tool results)")
            messages.append(Message(role=m.role, content=m.text))
        params = GenParams(
            max_tokens=config.max_tokens or 512,
            temperature=config.temperature if config.temperature is not None else 0.0,
            top_p=config.top_p,
            seed=config.seed,
            stop=tuple(config.stop_seqs or ()),
        )
        result = await self.target.chat(messages, params)
        out = ModelOutput.from_content(
            model=self.model_name,
            content=result.text,
            stop_reason=_STOP.get(result.finish_reason or "", "unknown"),  # type: ignore[arg-type]
        )
        if result.prompt_tokens is not None or result.completion_tokens is not None:
            p, c = result.prompt_tokens or 0, result.completion_tokens or 0
            out.usage = ModelUsage(input_tokens=p, output_tokens=c, total_tokens=p + c)
        return out
