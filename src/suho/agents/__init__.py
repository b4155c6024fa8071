"""The agent arena: red-team tool-using agents with indirect prompt injection, judged on state.

An agent suite is an environment (typed state with injection vectors, and tools), user tasks
(utility) and injection tasks (security). ``suho agent scan`` runs every user task without
injection and every reachable user x injection pair under each injection attack and defense.
See docs/agents.md.
"""

from suho.agents._attack import AgentAttack, record_judgement
from suho.agents._attacks import (
    DEFAULT_ATTACK,
    InjectionAttack,
    PayloadContext,
    get_injection_attack,
    injection_attack_names,
    render_payload,
)
from suho.agents._defenses import Defense, defense_names, get_defense
from suho.agents._environment import AgentEnvironment, Judgement, environment_for
from suho.agents._metrics import AgentOutcome, agent_report, agent_section, outcome_of, summarise
from suho.agents._plan import (
    BENIGN,
    AgentPlan,
    AgentSample,
    plan_agent_attempts,
    sample_agent_tasks,
)
from suho.agents._runner import run_episode
from suho.agents._state import AgentState, BlastRadius, Check, Effect
from suho.agents._suite import (
    Call,
    InjectionTask,
    Suite,
    UserTask,
    load_suite,
    load_suite_file,
    suite_names,
)

__all__ = [
    "BENIGN",
    "DEFAULT_ATTACK",
    "AgentAttack",
    "AgentEnvironment",
    "AgentOutcome",
    "AgentPlan",
    "AgentSample",
    "AgentState",
    "BlastRadius",
    "Call",
    "Check",
    "Defense",
    "Effect",
    "InjectionAttack",
    "InjectionTask",
    "Judgement",
    "PayloadContext",
    "Suite",
    "UserTask",
    "agent_report",
    "agent_section",
    "defense_names",
    "environment_for",
    "get_defense",
    "get_injection_attack",
    "injection_attack_names",
    "load_suite",
    "load_suite_file",
    "outcome_of",
    "plan_agent_attempts",
    "record_judgement",
    "render_payload",
    "run_episode",
    "sample_agent_tasks",
    "suite_names",
    "summarise",
]
