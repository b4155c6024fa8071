"""Agent suites: an environment, its injection vectors, user tasks and injection tasks, loaded
from one JSON file and proven sound before anything runs.

A suite file (``src/suho/data/agents/<suite>/suite.json`` for the built-in ones, or any path)
holds the environment's initial state with placeholders ``{{vector}}`` where an attacker could
plant text (an e-mail body, a chat message, a bill's memo); each vector has a benign default.
Loading checks, and refuses the suite with a ``SuhoInputError`` naming the file, the task and the
problem, when:

- a placeholder has no declared vector or a vector has no default;
- a ground-truth call names an unknown tool or fails;
- a user task's ground truth does not achieve its utility, or an injection task's does not
  achieve its security goal, or a user task's ground truth already achieves an injection goal;
- a user task reaches no vector (replayed with a canary in every vector, none shows up in what
  the tools returned), or an injection task can be placed in no vector any user task reaches.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from suho.episode import Tool, render_value
from suho.errors import SuhoInputError

from ._state import AgentState, Check, all_hold

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
CANARY = "SUHO-VEC-{name}-7c1e"

# environment kind -> (module, state class); a static table, imported on first use.
ENVIRONMENTS: Mapping[str, tuple[str, str]] = {
    "banking": ("suho.agents._banking", "BankingState"),
    "messenger": ("suho.agents._messenger", "MessengerState"),
    "workspace": ("suho.agents._workspace", "WorkspaceState"),
    "public": ("suho.agents._public", "PublicState"),
}


class Call(BaseModel):
    """One tool call of a ground truth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class UserTask(BaseModel):
    """What the user asks the agent to do, how to do it, and how to tell it was done."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    prompt: str
    ground_truth: tuple[Call, ...]
    utility: tuple[Check, ...]
    description: str = ""


class InjectionTask(BaseModel):
    """What an attacker wants the agent to do, and how to tell it happened (state only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    goal: str
    ground_truth: tuple[Call, ...]
    security: tuple[Check, ...]
    category: str = "agent-hijack"
    vectors: tuple[str, ...] = ()  # empty: any vector the user task reaches


class Vector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str
    description: str = ""


class SuiteFile(BaseModel):
    """The JSON shape of a suite file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    lang: str
    environment: str
    twin: str | None = None
    description: str = ""
    system: str
    user_name: str
    vectors: dict[str, Vector]
    state: dict[str, Any]
    user_tasks: list[UserTask]
    injection_tasks: list[InjectionTask]


@dataclass(frozen=True, slots=True)
class Suite:
    """A loaded, checked suite. ``reach`` maps each user task to the vectors it reaches."""

    name: str
    lang: str
    environment: str
    twin: str | None
    description: str
    system: str
    user_name: str
    vectors: Mapping[str, Vector]
    state: Mapping[str, Any]
    user_tasks: tuple[UserTask, ...]
    injection_tasks: tuple[InjectionTask, ...]
    reach: Mapping[str, tuple[str, ...]]
    path: str

    # The injection attack of a scan that names none (``--attacks`` left out).
    default_attack: ClassVar[str] = "important-instructions"

    def state_class(self) -> type[AgentState]:
        module, cls = ENVIRONMENTS[self.environment]
        state_cls: type[AgentState] = getattr(importlib.import_module(module), cls)
        return state_cls

    def tools(self) -> list[Tool]:
        return list(_environment_tools(self.environment))

    def build_state(self, fill: Mapping[str, str] | None = None) -> AgentState:
        """The initial state with each vector's text: ``fill[name]`` or its default."""
        return self.state_class().model_validate(self._rendered(fill))

    def build_states(self, fill: Mapping[str, str] | None = None) -> tuple[AgentState, AgentState]:
        """Two independent copies of ``build_state(fill)``: the state before an episode and the
        one its tools change (validating the rendered data twice is several times cheaper than
        a deep copy of the model)."""
        raw = self._rendered(fill)
        cls = self.state_class()
        return cls.model_validate(raw), cls.model_validate(raw)

    def _rendered(self, fill: Mapping[str, str] | None) -> Any:
        values = {k: v.default for k, v in self.vectors.items()}
        values.update(fill or {})
        return _render(self.state, values)

    def user_task(self, task_id: str) -> UserTask:
        for t in self.user_tasks:
            if t.id == task_id:
                return t
        raise SuhoInputError(f"suite {self.name}: no user task {task_id!r}", path=self.path)

    def injection_task(self, task_id: str) -> InjectionTask:
        for t in self.injection_tasks:
            if t.id == task_id:
                return t
        raise SuhoInputError(f"suite {self.name}: no injection task {task_id!r}", path=self.path)

    def ground_truth_for(
        self, task_id: str, fill: Mapping[str, str] | None = None
    ) -> tuple[Call, ...]:
        """The ground truth of a user or injection task for an episode whose vectors hold
        ``fill`` (a suite file's ground truth does not depend on it)."""
        for u in self.user_tasks:
            if u.id == task_id:
                return u.ground_truth
        for i in self.injection_tasks:
            if i.id == task_id:
                return i.ground_truth
        raise SuhoInputError(f"suite {self.name}: no task {task_id!r}", path=self.path)

    def final_answer(self, task_id: str) -> str:
        """What a ground-truth agent answers at the end of a task ("" : a generic "done")."""
        return ""

    def pair_vectors(self, user: UserTask, injection: InjectionTask) -> tuple[str, ...]:
        """The vectors an injection is planted in for this user task (empty: unreachable)."""
        reached = self.reach[user.id]
        if injection.vectors:
            return tuple(v for v in reached if v in injection.vectors)
        return reached


@cache
def _environment_tools(kind: str) -> tuple[Tool, ...]:
    """The tools of an environment kind, built once per process (they are immutable)."""
    made: list[Tool] = importlib.import_module(ENVIRONMENTS[kind][0]).tools()
    return tuple(made)


def _render(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        if "{{" not in value:  # most strings hold no placeholder
            return value
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, list):
        return [_render(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _render(v, values) for k, v in value.items()}
    return value


def _placeholders(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.update(PLACEHOLDER.findall(value))
    elif isinstance(value, list):
        for v in value:
            _placeholders(v, found)
    elif isinstance(value, dict):
        for v in value.values():
            _placeholders(v, found)


def run_call(tools: Mapping[str, Tool], state: AgentState, call: Call) -> tuple[bool, str]:
    """Run one ground-truth call synchronously: (ok, what the tool returned or its error)."""
    t = tools[call.tool]
    try:
        args = t.model.model_validate(call.args)
    except ValidationError as e:
        return False, f"invalid arguments: {e.errors()[0]['msg']}"
    kwargs = {k: getattr(args, k) for k in type(args).model_fields}
    if "env" in t.inject:
        kwargs["env"] = state
    try:
        return True, render_value(t.fn(**kwargs))
    except Exception as e:
        return False, f"{type(e).__name__}: {e}"


def replay(
    tools: Mapping[str, Tool], state: AgentState, calls: Sequence[Call]
) -> tuple[list[str], str | None]:
    """Run ``calls`` in order; return what each returned and the first failure, if any."""
    outputs: list[str] = []
    for i, c in enumerate(calls):
        ok, out = run_call(tools, state, c)
        if not ok:
            return outputs, f"ground-truth call {i + 1} ({c.tool}) failed: {out}"
        outputs.append(out)
    return outputs, None


def _check_suite(sf: SuiteFile, path: str) -> Suite:
    def bad(msg: str) -> SuhoInputError:
        return SuhoInputError(f"suite {sf.name}: {msg}", path=path)

    if sf.environment not in ENVIRONMENTS:
        raise bad(f"unknown environment {sf.environment!r} (known: {', '.join(ENVIRONMENTS)})")
    used: set[str] = set()
    _placeholders(sf.state, used)
    missing = sorted(used - set(sf.vectors))
    if missing:
        raise bad(f"placeholder {{{{{missing[0]}}}}} has no vector with a default")
    suite = Suite(
        name=sf.name,
        lang=sf.lang,
        environment=sf.environment,
        twin=sf.twin,
        description=sf.description,
        system=sf.system,
        user_name=sf.user_name,
        vectors=dict(sf.vectors),
        state=sf.state,
        user_tasks=tuple(sf.user_tasks),
        injection_tasks=tuple(sf.injection_tasks),
        reach={},
        path=path,
    )
    try:
        suite.build_state()
    except ValidationError as e:
        raise bad(f"state is invalid: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from e
    tools = {t.name: t for t in suite.tools()}
    ids: set[str] = set()
    every: list[UserTask | InjectionTask] = [*sf.user_tasks, *sf.injection_tasks]
    for task in every:
        if task.id in ids:
            raise bad(f"task {task.id}: the id is used twice")
        ids.add(task.id)
        for c in task.ground_truth:
            if c.tool not in tools:
                raise bad(f"task {task.id}: unknown tool {c.tool!r} (tools: {', '.join(tools)})")
    canaries = {name: CANARY.format(name=name) for name in sf.vectors}
    reach: dict[str, tuple[str, ...]] = {}
    for ut in sf.user_tasks:
        pre = suite.build_state(canaries)
        post = pre.model_copy(deep=True)
        outputs, err = replay(tools, post, ut.ground_truth)
        if err:
            raise bad(f"task {ut.id}: {err}")
        if not all_hold(ut.utility, pre, post):
            raise bad(f"task {ut.id}: its ground truth does not achieve its utility checks")
        seen = "\n".join(outputs)
        reach[ut.id] = tuple(n for n, c in canaries.items() if c in seen)
        if not reach[ut.id]:
            raise bad(f"task {ut.id}: reaches no injection vector (no canary in its tool results)")
        for it in sf.injection_tasks:
            if all_hold(it.security, pre, post):
                raise bad(f"task {ut.id}: its ground truth already achieves injection {it.id}")
    reachable = {v for vs in reach.values() for v in vs}
    for it in sf.injection_tasks:
        unknown = [v for v in it.vectors if v not in sf.vectors]
        if unknown:
            raise bad(f"task {it.id}: unknown vector {unknown[0]!r}")
        if it.vectors and not set(it.vectors) & reachable:
            raise bad(f"task {it.id}: unreachable injection (no user task reaches its vectors)")
        pre = suite.build_state()
        post = pre.model_copy(deep=True)
        _, err = replay(tools, post, it.ground_truth)
        if err:
            raise bad(f"task {it.id}: {err}")
        if not all_hold(it.security, pre, post):
            raise bad(f"task {it.id}: its ground truth does not achieve its security checks")
    return Suite(**{**_fields(suite), "reach": reach})


def _fields(s: Suite) -> dict[str, Any]:
    return {f: getattr(s, f) for f in Suite.__slots__}


def load_suite_file(path: str | Path) -> Suite:
    """Load and check a suite file (see the module docstring for what is checked)."""
    p = Path(path)
    where = str(p)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SuhoInputError("suite file not found", path=where) from e
    except json.JSONDecodeError as e:
        raise SuhoInputError(f"not valid JSON: {e.msg}", path=where, line=e.lineno) from e
    try:
        sf = SuiteFile.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        task = _task_at(raw, err["loc"])
        raise SuhoInputError(f"{task}{loc}: {err['msg']}", path=where) from e
    return _check_suite(sf, where)


def _task_at(raw: Any, loc: Sequence[Any]) -> str:
    """``task ID: `` when a validation error is inside a task, so the message names it."""
    if len(loc) >= 2 and loc[0] in ("user_tasks", "injection_tasks") and isinstance(loc[1], int):
        try:
            return f"task {raw[loc[0]][loc[1]]['id']}: "
        except (KeyError, IndexError, TypeError):
            return ""
    return ""


@cache
def _data_dir() -> Path:
    return Path(str(resources.files("suho") / "data" / "agents"))


@cache
def _builtin_names() -> tuple[str, ...]:
    # The package's data do not change while it runs: listed once (every episode loads its
    # suite by name, and a directory listing per episode was a third of an agent step's cost).
    return tuple(sorted(p.parent.name for p in _data_dir().glob("*/suite.json")))


def suite_names() -> list[str]:
    """The built-in suites, sorted."""
    return list(_builtin_names())


def _load_file_cached(path: str) -> Suite:
    """``load_suite_file`` once per version of the file (its size and modification time): a
    scan of a suite file of your own loads it for every episode, and checking it replays every
    task's ground truth."""
    try:
        st = os.stat(path)
    except OSError:
        return load_suite_file(path)  # says what is wrong with the path
    return _load_file_version(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=16)
def _load_file_version(path: str, mtime_ns: int, size: int) -> Suite:
    return load_suite_file(path)


@cache
def _load_builtin(name: str) -> Suite:
    return load_suite_file(_data_dir() / name / "suite.json")


def load_suite(name_or_path: str) -> Suite:
    """A built-in suite by name (``banking-ko``), an AgentDojo suite (``agentdojo:banking``,
    needs the agentdojo package) or a suite file by path."""
    if name_or_path.startswith("agentdojo:"):
        from ._agentdojo import load_agentdojo_suite

        return load_agentdojo_suite(name_or_path)
    if name_or_path.endswith(".json") or "/" in name_or_path:
        return _load_file_cached(name_or_path)
    if name_or_path not in _builtin_names():
        known = ", ".join(suite_names())
        raise SuhoInputError(f"unknown agent suite {name_or_path!r}. Known: {known}.")
    return _load_builtin(name_or_path)
