"""Planning an agent scan: suites x user tasks x (no injection | injection tasks x attacks) x
defenses x repeats, each a planned ``Attempt`` whose payload is rendered once, here, so a
resumed run plants exactly what the interrupted one would have."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
                cases: list[tuple[str, str | None]] = [(BENIGN, None)]
                cases += [(a, it.id) for a in suite_attacks for it in suite.injection_tasks]
                for attack, inj_id in cases:
                    it = suite.injection_task(inj_id) if inj_id else None
                    channel = mcp_channel(attack) if it else None
                    vectors = suite.pair_vectors(ut, it) if it and not channel else ()
                    if it is not None and not vectors and not channel:
                        continue  # this injection cannot reach this user task
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
