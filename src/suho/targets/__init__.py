"""Targets: anything that answers chat messages (``openai``, ``anthropic``, ``local``, plugins).

Providers are registered under the ``suho.targets`` entry-point group; ``create_target`` builds
one from a ``PROVIDER:MODEL`` spec.
"""

from __future__ import annotations

from suho import _registry
from suho.targets._base import (
    RETRYABLE,
    ChatResult,
    ErrorKind,
    GenParams,
    Message,
    Target,
    TargetError,
    TargetOptions,
    TargetSpec,
    ToolCall,
    function_spec,
    public_url,
    scrub,
)

DEFAULT_TARGET = "local:qwen2.5-1.5b"

__all__ = [
    "DEFAULT_TARGET",
    "RETRYABLE",
    "ChatResult",
    "ErrorKind",
    "GenParams",
    "Message",
    "Target",
    "TargetError",
    "TargetOptions",
    "TargetSpec",
    "ToolCall",
    "create_target",
    "function_spec",
    "public_url",
    "scrub",
]


def create_target(spec: str | TargetSpec, options: TargetOptions | None = None) -> Target:
    """Build the target for ``spec`` (``PROVIDER:MODEL``) with ``options``.

    Raises:
        SuhoInputError: unknown provider, or a configuration problem the provider detects.
    """
    parsed = spec if isinstance(spec, TargetSpec) else TargetSpec.parse(spec)
    cls = _registry.load("suho.targets", parsed.provider)
    target: Target = cls(parsed, options or TargetOptions())
    return target
