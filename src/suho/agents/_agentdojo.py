"""AgentDojo, run as it is: its own suites in suho's agent loop (``--suite agentdojo:banking``).

Needs the optional ``agentdojo`` package (``pip install 'suho[agentdojo]'``); nothing of AgentDojo
is copied into suho: its suites, environments, tools, tasks, checks and attacks are imported at
run time and mapped onto suho's agent model:

- AgentDojo's environment (a pydantic ``TaskEnvironment`` loaded from its YAML with injection
  placeholders) is the episode's state, built by AgentDojo's own loader with the payload in
  the vectors and the user task's ``init_environment`` applied, exactly as its runner does;
- each AgentDojo tool function is a suho ``Tool`` whose JSON schema and description are the
  ones AgentDojo sends to a model (``Function.parameters.model_json_schema()``); it runs through
  AgentDojo's ``FunctionsRuntime`` and its result is formatted by AgentDojo's formatter (YAML);
- user tasks keep AgentDojo's prompt and ground truth; utility is AgentDojo's own
  ``utility_from_traces`` / ``utility(model_output, pre, post)``, security likewise with the
  injection task, on the final answer, the environment and the tool calls the model made;
- the vectors each user task reaches are found as AgentDojo finds them (its ground-truth
  pipeline replayed with a canary in every vector).

What does not map is said in docs/agents.md (section "AgentDojo").
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import SimpleNamespace
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError, model_validator

from suho.episode import Attempt, Episode, Tool
from suho.errors import SuhoInputError

from ._environment import AgentEnvironment, Judgement
from ._state import BlastRadius, Effect
from ._suite import Call, InjectionTask, Suite, UserTask, Vector

PREFIX = "agentdojo:"
# The benchmark version AgentDojo's own runner uses by default (``--benchmark-version``).
DEFAULT_VERSION = "v1.2.2"
INSTALL_HINT = "pip install 'suho[agentdojo]'"
CANARY = "SUHO-DOJO-{name}-5b2d"


def is_agentdojo(ref: str) -> bool:
    """True for a suite reference of the form ``agentdojo:NAME[@VERSION]``."""
    return ref.startswith(PREFIX)


def _import(module: str, ref: str = "") -> Any:
    what = f"suite {ref} needs" if ref else "AgentDojo suites need"
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise SuhoInputError(
            f"{what} the agentdojo package, which is not installed: {INSTALL_HINT}"
        ) from e
    except Exception as e:  # an installed agentdojo that does not import (a version we lack)
        raise SuhoInputError(
            f"{what} the agentdojo package, which failed to import ({type(e).__name__}: {e}); "
            f"suho supports agentdojo>=0.1.35,<0.2: {INSTALL_HINT}"
        ) from e


def available() -> bool:
    """True when the agentdojo package can be imported."""
    try:
        importlib.import_module("agentdojo.task_suite.load_suites")
    except Exception:  # not installed, or installed but broken: either way not usable
        return False
    return True


def describe_agentdojo_suites(version: str = DEFAULT_VERSION) -> list[tuple[str, int, int]]:
    """(``agentdojo:NAME``, user tasks, injection tasks) of every suite of this AgentDojo
    version, without loading and checking them (empty when agentdojo is not installed)."""
    if not available():
        return []
    suites = importlib.import_module("agentdojo.task_suite.load_suites").get_suites(version)
    return [
        (f"{PREFIX}{n}", len(s.user_tasks), len(s.injection_tasks))
        for n, s in sorted(suites.items())
    ]


def _parse(ref: str) -> tuple[str, str]:
    body = ref[len(PREFIX) :]
    name, _, version = body.partition("@")
    return name.strip(), (version.strip() or DEFAULT_VERSION)


def _text(content: Any) -> str:
    """A message's text, whether a string or AgentDojo's list of content blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(str(b.get("content") or "") for b in content if isinstance(b, Mapping))


def _to_call(fc: Any) -> Call:
    def plain(v: Any) -> Any:
        if isinstance(v, BaseModel):
            return v.model_dump(mode="json")
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return Call(tool=str(fc.function), args={k: plain(v) for k, v in dict(fc.args).items()})


class AgentDojoToolError(Exception):
    """AgentDojo's runtime reported an error for a tool call (its own ``Type: message`` text)."""


def _string_lists(model: type[BaseModel]) -> type[BaseModel]:
    """AgentDojo's argument model, also accepting a list written as a Python-literal string
    (``"['a', 'b']"``), which AgentDojo's tool executor converts before validating."""
    from ast import literal_eval

    class Lenient(model):  # type: ignore[misc, valid-type]
        @model_validator(mode="before")
        @classmethod
        def _lists(cls, data: Any) -> Any:
            if not isinstance(data, dict):
                return data
            out = dict(data)
            for k, v in data.items():
                if isinstance(v, str) and v.lstrip().startswith("["):
                    try:
                        parsed = literal_eval(v)
                    except (ValueError, SyntaxError):
                        continue
                    if isinstance(parsed, list):
                        out[k] = parsed
            return out

    Lenient.__name__ = model.__name__
    made: type[BaseModel] = Lenient
    return made


def _tool(fn: Any, runtime: Any, formatter: Callable[[Any], str]) -> Tool:
    """One AgentDojo ``Function`` as a suho ``Tool`` (schema and description as AgentDojo's)."""
    name = str(fn.name)

    def call(env: Any, **kwargs: Any) -> str:
        state = env.state if isinstance(env, AgentEnvironment) else env
        args = {k: (v.model_dump() if isinstance(v, BaseModel) else v) for k, v in kwargs.items()}
        result, error = runtime.run_function(state, name, args)
        if error:
            raise AgentDojoToolError(error)
        return formatter(result)

    return Tool(
        name=name,
        description=str(fn.description),
        parameters=fn.parameters.model_json_schema(),
        fn=call,
        model=_string_lists(fn.parameters),
        inject=("env",),
    )


@dataclass(frozen=True, slots=True)
class AgentDojoSuite(Suite):
    """An AgentDojo suite mapped onto suho's ``Suite`` (see the module docstring)."""

    dojo: Any = None  # agentdojo.task_suite.TaskSuite
    version: str = DEFAULT_VERSION
    dojo_tools: tuple[Tool, ...] = ()
    answers: Mapping[str, str] | None = None  # task id -> AgentDojo's GROUND_TRUTH_OUTPUT

    default_attack: ClassVar[str] = "agentdojo"

    def state_class(self) -> Any:
        return self.dojo.environment_type

    def tools(self) -> list[Tool]:
        return list(self.dojo_tools)

    def build_state(self, fill: Mapping[str, str] | None = None) -> Any:
        """AgentDojo's environment with ``fill`` in its vectors (defaults elsewhere): a fresh
        copy of the one AgentDojo's loader built (parsing its YAML is most of an episode's CPU,
        and the set-up and a scripted agent ask for the same one)."""
        return _environment(self.path, tuple(sorted((fill or {}).items()))).model_copy(deep=True)

    def task_state(self, user_task: str, fill: Mapping[str, str] | None = None) -> Any:
        """The environment a user task starts from (its ``init_environment`` applied)."""
        env = self.build_state(fill)
        return self.dojo_user(user_task).init_environment(env)

    def dojo_user(self, task_id: str) -> Any:
        try:
            return self.dojo.user_tasks[task_id]
        except KeyError as e:
            raise SuhoInputError(f"suite {self.name}: no user task {task_id!r}") from e

    def dojo_injection(self, task_id: str) -> Any:
        try:
            return self.dojo.injection_tasks[task_id]
        except KeyError as e:
            raise SuhoInputError(f"suite {self.name}: no injection task {task_id!r}") from e

    def ground_truth_for(
        self, task_id: str, fill: Mapping[str, str] | None = None
    ) -> tuple[Call, ...]:
        """AgentDojo's ground truth, computed on the environment this episode starts from."""
        if task_id in self.dojo.user_tasks:
            task = self.dojo_user(task_id)
            return tuple(_to_call(c) for c in task.ground_truth(self.task_state(task_id, fill)))
        task = self.dojo_injection(task_id)
        return tuple(_to_call(c) for c in task.ground_truth(self.build_state(fill)))

    def final_answer(self, task_id: str) -> str:
        return (self.answers or {}).get(task_id, "")


@lru_cache(maxsize=64)
def _environment(ref: str, fill: tuple[tuple[str, str], ...]) -> Any:
    """AgentDojo's environment of suite ``ref`` with ``fill`` planted (never handed out: copy)."""
    return load_agentdojo_suite(ref).dojo.load_and_inject_default_environment(dict(fill))


def _check_and_reach(dojo: Any, ref: str) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Which vectors each user task reaches (AgentDojo's way: its ground truth replayed with a
    canary in every vector), after checking that every ground truth achieves its task."""
    gt_mod = _import("agentdojo.agent_pipeline.ground_truth_pipeline", ref)
    rt_mod = _import("agentdojo.functions_runtime", ref)

    def bad(msg: str) -> SuhoInputError:
        return SuhoInputError(msg, path=ref)

    def replay(tid: str, task: Any, prompt: str, env: Any) -> tuple[Any, Any, Any, list[Any]]:
        """The task's ground truth run on ``env``: the state before and after, the messages
        and the tool calls made."""
        pre = env.model_copy(deep=True)
        try:
            _, _, post, messages, _ = gt_mod.GroundTruthPipeline(task).query(
                prompt, rt_mod.FunctionsRuntime(dojo.tools), env
            )
        except Exception as e:
            raise bad(f"task {tid}: its ground truth failed: {type(e).__name__}: {e}") from e
        calls = [c for m in messages if m["role"] == "assistant" for c in (m["tool_calls"] or [])]
        return pre, post, messages, calls

    vectors = dojo.get_injection_vector_defaults()
    canaries = {v: CANARY.format(name=v) for v in vectors}
    reach: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    for tid, task in dojo.user_tasks.items():
        answers[tid] = str(task.GROUND_TRUTH_OUTPUT or "")
        env = task.init_environment(dojo.load_and_inject_default_environment(canaries))
        pre, post, messages, calls = replay(tid, task, task.PROMPT, env)
        seen = "\n".join(_text(m.get("content")) for m in messages if m["role"] == "tool")
        reach[tid] = tuple(v for v, c in canaries.items() if c in seen)
        if not reach[tid]:
            raise bad(f"task {tid}: reaches no injection vector (no canary in its tool results)")
        if not _utility(task, answers[tid], pre, post, calls):
            raise bad(f"task {tid}: its ground truth does not achieve its utility")
    for tid, task in dojo.injection_tasks.items():
        answers[tid] = str(task.GROUND_TRUTH_OUTPUT or "")
        env = dojo.load_and_inject_default_environment({})
        pre, post, _, calls = replay(tid, task, task.GOAL, env)
        # An empty ground truth is AgentDojo's way of shipping an injection task without a
        # replayable solution (workspace 6-13 in v1.2): nothing to check, nothing to replay.
        if calls and not _security(task, answers[tid], pre, post, calls):
            raise bad(f"task {tid}: its ground truth does not achieve its security goal")
    return reach, answers


def _utility(task: Any, output: str, pre: Any, post: Any, calls: Sequence[Any]) -> bool:
    """AgentDojo's utility of a user task: from the traces when the task judges those, else
    from the output and the environment (the order AgentDojo's runner uses)."""
    from_traces = task.utility_from_traces(output, pre, post, calls)
    if from_traces is not None:
        return bool(from_traces)
    return bool(task.utility(output, pre, post))


def _security(task: Any, output: str, pre: Any, post: Any, calls: Sequence[Any]) -> bool:
    """AgentDojo's security of an injection task (True: the attacker's goal happened)."""
    from_traces = task.security_from_traces(output, pre, post, calls)
    if from_traces is not None:
        return bool(from_traces)
    return bool(task.security(output, pre, post))


@cache
def load_agentdojo_suite(ref: str) -> AgentDojoSuite:
    """``agentdojo:NAME[@VERSION]`` as a checked suho suite (raises ``SuhoInputError`` when
    agentdojo is not installed, the name is unknown, or the suite fails its checks)."""
    name, version = _parse(ref)
    suites_mod = _import("agentdojo.task_suite.load_suites", ref)
    pipeline_mod = _import("agentdojo.agent_pipeline.agent_pipeline", ref)
    tools_mod = _import("agentdojo.agent_pipeline.tool_execution", ref)
    rt_mod = _import("agentdojo.functions_runtime", ref)
    known = suites_mod.get_suites(version)
    if not known:
        raise SuhoInputError(f"suite {ref}: AgentDojo has no benchmark version {version!r}")
    if name not in known:
        names = ", ".join(f"{PREFIX}{n}" for n in sorted(known))
        raise SuhoInputError(f"unknown AgentDojo suite {ref!r}. Known: {names}.")
    dojo = known[name]
    runtime = rt_mod.FunctionsRuntime(dojo.tools)
    tools = tuple(_tool(f, runtime, tools_mod.tool_result_to_str) for f in dojo.tools)
    reach, answers = _check_and_reach(dojo, ref)
    vectors_text = _import("agentdojo.task_suite.task_suite", ref).read_suite_file(
        dojo.name, "injection_vectors.yaml", dojo.data_path
    )
    yaml: Any = importlib.import_module("yaml")  # AgentDojo's own dependency
    raw_vectors: dict[str, Any] = yaml.safe_load(vectors_text) or {}
    default_env = dojo.load_and_inject_default_environment({})
    user_tasks = tuple(
        UserTask(
            id=tid,
            prompt=str(t.PROMPT),
            ground_truth=tuple(
                _to_call(c)
                for c in t.ground_truth(t.init_environment(default_env.model_copy(deep=True)))
            ),
            utility=(),
            description=f"AgentDojo {name} {tid} ({t.DIFFICULTY.name.lower()})",
        )
        for tid, t in dojo.user_tasks.items()
    )
    injection_tasks = tuple(
        InjectionTask(
            id=tid,
            goal=str(t.GOAL),
            ground_truth=tuple(
                _to_call(c) for c in t.ground_truth(default_env.model_copy(deep=True))
            ),
            security=(),
            category="agent-hijack",
        )
        for tid, t in dojo.injection_tasks.items()
    )
    return AgentDojoSuite(
        name=ref if "@" in ref else f"{PREFIX}{name}",
        lang="en",
        environment=f"agentdojo-{name}",
        twin=None,
        description=f"AgentDojo {version} {name} suite (imported from the agentdojo package)",
        system=str(pipeline_mod.load_system_message(None)),
        user_name="Emma Johnson",
        vectors={
            k: Vector(default=str(v.get("default", "")), description=str(v.get("description", "")))
            for k, v in raw_vectors.items()
        },
        state={},
        user_tasks=user_tasks,
        injection_tasks=injection_tasks,
        reach=reach,
        path=ref,
        dojo=dojo,
        version=version,
        dojo_tools=tools,
        answers=answers,
    )


def _traces(episode: Episode) -> list[Any]:
    """The tool calls the model made, as AgentDojo ``FunctionCall``s (for trace-based checks)."""
    fc = importlib.import_module("agentdojo.functions_runtime").FunctionCall
    out: list[Any] = []
    for m in episode.messages:
        if m.role != "assistant":
            continue
        for c in m.tool_calls:
            try:
                args = json.loads(c.arguments) if c.arguments.strip() else {}
            except json.JSONDecodeError:
                args = {}
            if not isinstance(args, dict):
                args = {}
            try:
                out.append(fc(function=c.name, args=args, id=c.id))
            except ValidationError:
                out.append(fc(function=c.name, args={}, id=c.id))
    return out


def _changed(pre: Any, post: Any) -> list[str]:
    """The parts of the environment (two levels deep) that differ after the episode."""
    a, b = pre.model_dump(mode="json"), post.model_dump(mode="json")
    out: list[str] = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            out += [f"{k}.{s}" for s in sorted(set(va) | set(vb)) if va.get(s) != vb.get(s)]
        else:
            out.append(k)
    return out


class AgentDojoEnvironment(AgentEnvironment):
    """The per-attempt world of an AgentDojo suite: AgentDojo's environment with the payload in
    the vectors the user task reaches, judged by AgentDojo's own utility and security checks."""

    suite: AgentDojoSuite

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(attempt, load_agentdojo_suite(str(attempt.extra["suite"])))

    async def setup(self, attempt: Attempt) -> None:
        fill: Mapping[str, str] = {}
        if self.payload is not None:
            fill = {v: self.payload for v in self.vectors}
        try:
            self.pre = self.suite.task_state(self.user.id, fill)
        except Exception as e:
            # AgentDojo plants the payload into its YAML text before parsing it; a payload that
            # breaks the YAML is reported as the attempt's error, not a crash of the run.
            raise RuntimeError(
                f"AgentDojo could not build its environment with this payload: {e}"
            ) from e
        self.state = self.pre.model_copy(deep=True)
        self._tools = list(self.suite.tools())

    def snapshot(self) -> Any:
        return None if self.state is None else self.state.model_dump(mode="json")

    def judge(self, episode: Episode | None = None) -> Judgement:
        """AgentDojo's utility and security on the final answer, the environment and the
        model's tool calls; blast radius counts the parts of the environment that changed."""
        if self.pre is None or self.state is None:
            raise RuntimeError("the environment was not set up")
        output = (episode.output or "") if episode is not None else ""
        calls = _traces(episode) if episode is not None else []
        utility = _utility(self.suite.dojo_user(self.user.id), output, self.pre, self.state, calls)
        security = None
        if self.injection is not None:
            security = _security(
                self.suite.dojo_injection(self.injection.id), output, self.pre, self.state, calls
            )
        effects = tuple(
            Effect(kind="state_change", target=p) for p in _changed(self.pre, self.state)
        )
        return Judgement(utility, security, BlastRadius.of(effects), effects)


@cache
def _dojo_attack(suite_ref: str, attack: str, model_name: str) -> Any:
    """An AgentDojo attack object for a suite, addressing the model as AgentDojo's runner
    would (its prose name for a known model id, else AgentDojo's default name)."""
    registry = _import("agentdojo.attacks.attack_registry", suite_ref)
    base = _import("agentdojo.attacks.base_attacks", suite_ref)
    suite = load_agentdojo_suite(suite_ref)
    if attack not in registry.ATTACKS:
        known = ", ".join(sorted(registry.ATTACKS))
        raise SuhoInputError(f"unknown AgentDojo attack {attack!r}. Known: {known}.")
    cls = registry.ATTACKS[attack]
    named = SimpleNamespace(name=model_name)
    try:
        obj = cls(suite.dojo, named)
    except ValueError:
        # AgentDojo refuses a model id it has no prose name for: address it by its default name
        obj = cls(suite.dojo, SimpleNamespace(name="local"))
        if hasattr(obj, "model_name"):
            obj.model_name = base.DEFAULT_MODEL_NAME
    if getattr(obj, "is_dos_attack", False):
        raise SuhoInputError(
            f"AgentDojo attack {attack!r} is a denial-of-service attack, which suho does not score"
        )
    return obj


class AgentDojoAttack:
    """AgentDojo's own ``important_instructions`` attack, its text written by AgentDojo's attack
    class (``agentdojo:ATTACK`` picks another of AgentDojo's attacks), so suho reproduces what
    AgentDojo's published numbers measure. Misses: whatever AgentDojo's English templates miss
    (Korean wording, authority impersonation); it runs on agentdojo: suites only."""

    name: ClassVar[str] = "agentdojo"

    def __init__(self, attack: str = "important_instructions") -> None:
        self.attack = attack

    def render(self, ctx: Any) -> str:
        if not is_agentdojo(getattr(ctx, "suite", "")):
            raise SuhoInputError(
                f"attack {self.name if self.attack == 'important_instructions' else PREFIX + self.attack} "
                "runs on AgentDojo suites (agentdojo:NAME) only; use important-instructions elsewhere"
            )
        suite = load_agentdojo_suite(ctx.suite)
        obj = _dojo_attack(ctx.suite, self.attack, ctx.model_name or "")
        texts: dict[str, str] = obj.attack(
            suite.dojo_user(ctx.user_task), suite.dojo_injection(ctx.injection_task)
        )
        distinct = set(texts.values())
        if len(distinct) != 1:
            raise SuhoInputError(
                f"AgentDojo attack {self.attack!r} writes different text per vector, which suho's "
                "plan (one payload per episode) cannot hold"
            )
        return distinct.pop()
