"""Tools: typed Python functions an agent can call, and the runtime that calls them safely.

A tool is a plain function (sync or async) with type hints and a docstring. Its JSON schema comes
from the signature (pydantic), its description from the docstring's first paragraph, and each
argument's description from an ``Args:`` section. Parameters named in ``inject`` (the agent's
environment, a sandbox) are supplied by the runtime and never shown to the model.

The runtime turns everything a model can get wrong (invalid JSON, unknown tool, wrong argument
types, a tool that raises or hangs) into an error message for the model: never a crash.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from suho.targets import ToolCall

_ARG_LINE = re.compile(r"^\s{0,8}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


def _doc_parts(doc: str | None) -> tuple[str, dict[str, str]]:
    """The description (first paragraph) and per-argument descriptions of a docstring."""
    if not doc:
        return "", {}
    text = inspect.cleandoc(doc)
    blocks = re.split(r"\n\s*\n", text)
    description = " ".join(blocks[0].split())
    args: dict[str, str] = {}
    m = re.search(r"^(Args|Arguments|Parameters):\s*$", text, re.MULTILINE)
    if m:
        current: str | None = None
        for line in text[m.end() :].splitlines():
            if not line.strip():
                if args:
                    break
                continue
            if re.match(r"^\S", line) and not _ARG_LINE.match(line.strip()):
                break  # the next section (Returns:, ...)
            am = _ARG_LINE.match(line.strip()) if line.startswith((" ", "\t")) else None
            if am:
                current = am.group(1)
                args[current] = am.group(2).strip()
            elif current:
                args[current] += " " + line.strip()
    return description, args


@dataclass(frozen=True, slots=True)
class Tool:
    """One callable tool: its name, what the model is told, and the function behind it."""

    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON schema of the arguments (an object)
    fn: Callable[..., Any]
    model: type[BaseModel]  # validates the arguments
    inject: tuple[str, ...] = ()

    def definition(self) -> dict[str, Any]:
        """The tool in the OpenAI function-calling shape (what ``GenParams.tools`` holds)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }

    def with_description(self, description: str) -> Tool:
        """The same tool, described differently (tool-description poisoning, rug pulls)."""
        return Tool(self.name, description, self.parameters, self.fn, self.model, self.inject)


def tool(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    inject: Iterable[str] = ("env",),
) -> Tool:
    """Make a ``Tool`` from a typed function. Parameters named in ``inject`` that the function
    has are filled by the runtime (see ``ToolRuntime(bind=...)``)."""
    sig = inspect.signature(fn)
    hints = get_type_hints(fn)
    doc_description, arg_docs = _doc_parts(fn.__doc__)
    injected = tuple(p for p in sig.parameters if p in set(inject))
    fields: dict[str, Any] = {}
    for pname, p in sig.parameters.items():
        if pname in injected:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"tool {fn.__name__}: *args/**kwargs cannot be described to a model")
        if pname not in hints:
            raise TypeError(f"tool {fn.__name__}: parameter {pname!r} has no type hint")
        default = ... if p.default is p.empty else p.default
        fields[pname] = (hints[pname], Field(default, description=arg_docs.get(pname)))
    model = create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    desc = description if description is not None else doc_description
    if not desc:
        raise TypeError(f"tool {fn.__name__}: a tool needs a docstring that says what it does")
    return Tool(name or fn.__name__, desc, schema, fn, model, injected)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What one tool call gave back: ``content`` goes to the model; ``error`` is set when the
    call failed (bad arguments, unknown tool, exception, timeout)."""

    call: ToolCall
    content: str
    error: str | None = None
    value: Any = None  # the tool's return value, when it succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


def render_value(value: Any) -> str:
    """A tool's return value as text for the model (JSON for structures, str otherwise)."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


@dataclass(slots=True)
class ToolRuntime:
    """Calls tools by name on behalf of a model. ``bind`` supplies injected parameters."""

    tools: Sequence[Tool]
    bind: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 30.0
    calls: int = 0
    _by_name: dict[str, Tool] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._by_name = {}
        for t in self.tools:
            if t.name in self._by_name:
                raise ValueError(f"two tools are named {t.name!r}")
            self._by_name[t.name] = t

    def names(self) -> list[str]:
        return list(self._by_name)

    def get(self, name: str) -> Tool | None:
        return self._by_name.get(name)

    def definitions(self) -> tuple[dict[str, Any], ...]:
        return tuple(t.definition() for t in self.tools)

    async def call(self, call: ToolCall) -> ToolOutcome:
        """Run one tool call; every failure becomes an error message, never an exception
        (cancellation still propagates)."""
        self.calls += 1
        t = self._by_name.get(call.name)
        if t is None:
            known = ", ".join(self._by_name) or "none"
            return self._fail(call, f"unknown tool {call.name!r} (tools: {known})")
        try:
            raw = json.loads(call.arguments) if call.arguments.strip() else {}
        except json.JSONDecodeError as e:
            return self._fail(call, f"arguments are not valid JSON: {e.msg} at column {e.colno}")
        if not isinstance(raw, dict):
            return self._fail(call, "arguments must be a JSON object")
        try:
            args = t.model.model_validate(raw)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in err['loc']) or 'arguments'}: {err['msg']}"
                for err in e.errors()
            )
            return self._fail(call, f"invalid arguments for {t.name}: {problems}")
        kwargs = {k: getattr(args, k) for k in type(args).model_fields}
        for name in t.inject:
            if name not in self.bind:
                return self._fail(call, f"tool {t.name} needs {name!r}, which this run lacks")
            kwargs[name] = self.bind[name]
        try:
            async with asyncio.timeout(self.timeout):
                if inspect.iscoroutinefunction(t.fn):
                    value = await t.fn(**kwargs)
                else:
                    value = t.fn(**kwargs)
        except TimeoutError:
            return self._fail(call, f"{t.name} did not finish within {self.timeout:g}s")
        except Exception as e:  # a tool's own failure is information for the model
            return self._fail(call, f"{t.name} failed: {type(e).__name__}: {e}")
        return ToolOutcome(call, render_value(value), None, value)

    @staticmethod
    def _fail(call: ToolCall, message: str) -> ToolOutcome:
        return ToolOutcome(call, f"Error: {message}", message)
