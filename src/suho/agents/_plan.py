"""Planning an agent scan: suites x user tasks x (no injection | injection tasks x attacks) x
defenses x repeats, each a planned ``Attempt`` whose payload is rendered once, here, so a
resumed run plants exactly what the interrupted one would have."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from suho.episode import Attempt
from suho.errors import SuhoInputError

from ._attacks import PayloadContext, get_injection_attack
from ._defenses import get_defense
from ._suite import Suite

BENIGN = "none"  # the attack name of an episode without injection
CATEGORY = "agent-misuse"  # suho's risk category of every agent episode

# OWASP Top 10 for Agentic Applications (2026) and MITRE ATLAS ids per injection category; every
# agent episode also carries the goal-hijack and indirect-injection ids.
_COMMON = {"owasp": ["ASI01"], "atlas": ["AML.T0051.001", "AML.T0053"]}
TAXONOMY: dict[str, dict[str, list[str]]] = {
    "fraud-transfer": {"owasp": ["ASI02"], "atlas": []},
    "account-takeover": {"owasp": ["ASI03"], "atlas": []},
    "data-exfiltration": {"owasp": ["ASI02"], "atlas": ["AML.T0086"]},
    "sabotage": {"owasp": ["ASI02"], "atlas": ["AML.T0101"]},
    "phishing-spread": {"owasp": ["ASI09"], "atlas": []},
    "scam-lure": {"owasp": ["ASI09"], "atlas": ["AML.T0100"]},
    "persistence": {"owasp": ["ASI06"], "atlas": []},
}


def taxonomy_for(categories: Sequence[str]) -> dict[str, list[str]]:
    """The OWASP Agentic and ATLAS ids of episodes with these injection categories."""
    out = {k: list(v) for k, v in _COMMON.items()}
    for c in categories:
        for k, ids in TAXONOMY.get(c, {}).items():
            out[k] += [i for i in ids if i not in out[k]]
    return {k: sorted(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class AgentPlan:
    """What an agent scan covers."""

    suites: Sequence[Suite]
    attacks: Sequence[str] = ()  # empty: each suite's default attack (``Suite.default_attack``)
    defenses: Sequence[str] = ("none",)
    repeats: int = 1
    model_name: str = ""
    limit: int | None = None  # at most this many tasks (see ``sample_agent_tasks``)
    seed: int = 0  # the seed of the --limit sample
    # Only these user / injection task ids (``--user-tasks``, ``--injection-tasks``); None: all.
    user_tasks: frozenset[str] | None = None
    injection_tasks: frozenset[str] | None = None

    def wants_user(self, task_id: str) -> bool:
        return self.user_tasks is None or task_id in self.user_tasks

    def wants_injection(self, task_id: str) -> bool:
        return self.injection_tasks is None or task_id in self.injection_tasks


# One task of a scan: (suite name, user task id, injection task id or None for the benign run).
# A task runs once per attack (a benign task once), defense and repeat.
Task = tuple[str, str, str | None]


@dataclass(frozen=True, slots=True)
class AgentSample:
    """What ``--limit`` chose: ``chosen`` is None when every task is planned."""

    candidates: int
    chosen: frozenset[Task] | None

    @property
    def selected(self) -> int:
        return self.candidates if self.chosen is None else len(self.chosen)

    @property
    def sampled(self) -> bool:
        return self.chosen is not None and len(self.chosen) < self.candidates


def agent_attempt_id(run_id: str, probe_id: str, attack: str, repeat: int) -> str:
    key = f"{run_id}\x00{probe_id}\x00{attack}\x00agent\x00{repeat}"
    return "a-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()[:4], "big")


def plan_agent_attempts(run_id: str, plan: AgentPlan) -> Iterator[Attempt]:
    """Every attempt of the scan, in a stable order (raises ``SuhoInputError`` for unknown
    attacks or defenses, or an empty plan)."""
    attacks = [get_injection_attack(a) for a in plan.attacks]  # fail early on bad names
    del attacks
    for d in plan.defenses:
        get_defense(d)
    check_task_filters(plan)
    chosen = sample_agent_tasks(plan).chosen
    seq = 0
    for suite in plan.suites:
        suite_ref = suite.name if _builtin(suite) else suite.path  # what the environment loads
        suite_attacks = list(plan.attacks) or [suite.default_attack]
        if suite_ref.startswith("agentdojo:"):
            mcp = [a for a in suite_attacks if mcp_channel(a)]
            if mcp:
                raise SuhoInputError(
                    f"attack {mcp[0]} needs a suho suite; AgentDojo suites ({suite.name}) "
                    "have no MCP servers"
                )
        for defense in plan.defenses:
            for ut in suite.user_tasks:
                if not plan.wants_user(ut.id):
                    continue
                cases: list[tuple[str, str | None]] = [(BENIGN, None)]
                cases += [
                    (a, it.id)
                    for a in suite_attacks
                    for it in suite.injection_tasks
                    if plan.wants_injection(it.id)
                ]
                for attack, inj_id in cases:
                    it = suite.injection_task(inj_id) if inj_id else None
                    channel = mcp_channel(attack) if it else None
                    vectors = suite.pair_vectors(ut, it) if it and not channel else ()
                    if it is not None and not vectors and not channel:
                        continue  # this injection cannot reach this user task
                    if chosen is not None and (suite.name, ut.id, inj_id) not in chosen:
                        continue  # not in the --limit sample
                    probe_id = f"{suite.name}/{ut.id}/{inj_id or '-'}/{defense}"
                    for rep in range(plan.repeats):
                        payload = None
                        if it is not None:
                            payload = get_injection_attack(attack).render(
                                PayloadContext(
                                    goal=it.goal,
                                    lang=suite.lang,
                                    user_name=suite.user_name,
                                    model_name=plan.model_name,
                                    environment=suite.environment,
                                    calls=it.ground_truth,
                                    seed=_seed(probe_id, attack, rep),
                                    suite=suite_ref,
                                    user_task=ut.id,
                                    injection_task=it.id,
                                )
                            )
                        yield Attempt(
                            id=agent_attempt_id(run_id, probe_id, attack, rep),
                            run_id=run_id,
                            seq=seq,
                            probe_id=probe_id,
                            intent_id=f"{suite.environment}/{inj_id or ut.id}",
                            lang=suite.lang,
                            category=CATEGORY,
                            prompt=ut.prompt,
                            original_prompt=ut.prompt,
                            expected="refuse" if it else "comply",
                            goal=it.goal if it else None,
                            system=suite.system,
                            transform=attack,
                            attack="agent",
                            repeat=rep,
                            tags={
                                **taxonomy_for(
                                    [it.category]
                                    if it
                                    else [t.category for t in suite.injection_tasks]
                                ),
                                "suite": [suite.name],
                                "environment": [suite.environment],
                                "injection_category": [it.category] if it else [],
                            },
                            extra={
                                "suite": suite_ref,
                                "environment": suite.environment,
                                "user_task": ut.id,
                                "injection_task": inj_id,
                                "injection_attack": attack,
                                "defense": defense,
                                "payload": payload,
                                "vectors": list(vectors),
                                **(
                                    {"mcp": channel, "mcp_tool": ut.ground_truth[0].tool}
                                    if channel
                                    else {}
                                ),
                            },
                        )
                        seq += 1
    if seq == 0:
        raise SuhoInputError("no agent episodes planned (check --suite and --lang)")


def check_task_filters(plan: AgentPlan) -> None:
    """``SuhoInputError`` when ``--user-tasks`` / ``--injection-tasks`` name a task that no
    planned suite has (a typo would otherwise plan nothing, or silently less)."""
    for wanted, kind in (
        (plan.user_tasks, "user"),
        (plan.injection_tasks, "injection"),
    ):
        if wanted is None:
            continue
        known = {
            t.id
            for s in plan.suites
            for t in (s.user_tasks if kind == "user" else s.injection_tasks)
        }
        unknown = sorted(wanted - known)
        if unknown:
            names = ", ".join(s.name for s in plan.suites)
            sample = ", ".join(sorted(known)[:6]) + (", ..." if len(known) > 6 else "")
            raise SuhoInputError(
                f"unknown {kind} task {', '.join(unknown)} in suite {names} "
                f"(it has: {sample}; see `suho agent tasks SUITE`)"
            )


def agent_tasks(plan: AgentPlan) -> list[Task]:
    """Every task of the plan in plan order: each user task's benign run, then each injection
    task that reaches it under at least one of the plan's attacks."""
    channels = [mcp_channel(a) for a in plan.attacks]
    out: list[Task] = []
    for suite in plan.suites:
        for ut in suite.user_tasks:
            if not plan.wants_user(ut.id):
                continue
            out.append((suite.name, ut.id, None))
            for it in suite.injection_tasks:
                if not plan.wants_injection(it.id):
                    continue
                if any(channels) or suite.pair_vectors(ut, it):
                    out.append((suite.name, ut.id, it.id))
    return out


def sample_agent_tasks(plan: AgentPlan) -> AgentSample:
    """The ``--limit`` sample of the plan's tasks (a benign run and a user x injection pair are a
    task each), deterministic for ``plan.seed``.

    The sample is spread over suites and languages (round robin over strata, each shuffled by
    the seed). A sampled pair brings its user task's benign run, so utility and utility under
    attack are measured on the same user tasks; a pair and its twin in the English or Korean
    twin suite are taken together when they fit, so the KO/EN gap stays paired. Left-over room
    goes to benign runs of user tasks that no injection reaches.
    """
    tasks = agent_tasks(plan)
    if plan.limit is None or len(tasks) <= plan.limit:
        return AgentSample(len(tasks), None)
    return AgentSample(len(tasks), frozenset(_sample(plan.suites, tasks, plan.limit, plan.seed)))


def _sample(suites: Sequence[Suite], tasks: list[Task], limit: int, seed: int) -> list[Task]:
    by_name = {s.name: s for s in suites}

    def family(s: Suite) -> tuple[str, ...]:
        twin = by_name.get(s.twin or "")
        return tuple(sorted((s.name, twin.name))) if twin and twin.twin == s.name else (s.name,)

    index = {t: i for i, t in enumerate(tasks)}
    benign = {(sn, ut): i for (sn, ut, inj), i in index.items() if inj is None}
    pairs: dict[tuple[tuple[str, ...], str, str], list[int]] = {}
    lone: dict[tuple[tuple[str, ...], str], list[int]] = {}
    for i, (sn, ut, inj) in enumerate(tasks):
        fam = family(by_name[sn])
        if inj is not None:
            pairs.setdefault((fam, ut, inj), []).append(i)
        else:
            lone.setdefault((fam, ut), []).append(i)
    rng = random.Random(f"suho-agent-limit:{seed}")
    picked: set[int] = set()

    def needs(members: Sequence[int]) -> set[int]:
        out = set(members)
        for i in members:
            out.add(benign[tasks[i][0], tasks[i][1]])
        return out - picked

    def strata(groups: dict[Any, list[int]]) -> list[list[list[int]]]:
        by: dict[tuple[tuple[str, ...], tuple[str, ...]], list[list[int]]] = {}
        for key, members in groups.items():
            langs = tuple(sorted({by_name[tasks[i][0]].lang for i in members}))
            by.setdefault((key[0], langs), []).append(members)
        order = sorted(by)
        rng.shuffle(order)
        queues = [by[k][:] for k in order]
        for q in queues:
            rng.shuffle(q)
        return queues

    for queues in (strata(pairs), strata(lone)):  # pairs first; then benign runs left over
        while len(picked) < limit and any(queues):
            progress = False
            for q in queues:  # one group from each stratum in turn: the sample spreads evenly
                room = limit - len(picked)
                fit = next((j for j, g in enumerate(q) if len(needs(g)) <= room), None)
                if room and fit is not None:
                    picked |= needs(q.pop(fit))
                    progress = True
            if not progress:  # only groups larger than the room left: split one
                group = next(q for q in queues if q).pop(0)
                for i in group:
                    need = needs([i])
                    if len(need) <= limit - len(picked):
                        picked |= need
                left = [i for i in group if i not in picked]
                if left and len(picked) < limit:  # one slot, a pair that needs two: its benign
                    picked.add(benign[tasks[left[0]][0], tasks[left[0]][1]])
    return [tasks[i] for i in sorted(picked)]


def mcp_channel(attack: str) -> str | None:
    """The MCP channel of an attack (``mcp-poison`` ...), None for a payload planted in data."""
    a: object = get_injection_attack(attack)
    while hasattr(a, "base"):
        a = a.base
    channel = getattr(a, "channel", None)
    return str(channel) if channel else None


def _builtin(suite: Suite) -> bool:
    from ._suite import suite_names

    return suite.name in suite_names() and suite.path.endswith(f"{suite.name}/suite.json")
