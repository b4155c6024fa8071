"""Agent metrics: benign utility, utility under attack, targeted attack-success rate, each with
a Wilson interval, overall and per suite, attack, defense and language; the KO vs EN paired
injection gap (McNemar); pass^k over repeats; blast radius."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from suho.stats import wilson

from ._state import BlastRadius


@dataclass(frozen=True, slots=True)
class AgentOutcome:
    """One finished agent episode, as the metrics see it. ``error`` episodes count in
    ``episodes`` and ``errors`` but in no rate: an error is never a success or a failure."""

    suite: str
    environment: str
    lang: str
    user_task: str
    injection_task: str | None
    attack: str  # "none" for a benign episode
    defense: str
    repeat: int
    utility: bool | None
    security: bool | None
    blast: BlastRadius = field(default_factory=BlastRadius)
    error: bool = False
    category: str = ""  # the injection task's category ("" for a benign episode)

    @property
    def attacked(self) -> bool:
        return self.injection_task is not None


def _rate(s: int, n: int) -> dict[str, Any]:
    r = wilson(s, n)
    return {
        "value": None if r.value is None else round(r.value, 6),
        "successes": s,
        "trials": n,
        "ci_low": None if r.low is None else round(r.low, 6),
        "ci_high": None if r.high is None else round(r.high, 6),
    }


def summarise(outcomes: Sequence[AgentOutcome]) -> dict[str, Any]:
    """``benign_utility``, ``utility_under_attack``, ``targeted_asr`` (fractions, None when
    there is nothing to measure), ``episodes``, ``errors`` and ``ci`` (the three rates with
    their Wilson 95% intervals)."""
    ok = [o for o in outcomes if not o.error]
    benign = [o for o in ok if not o.attacked]
    attacked = [o for o in ok if o.attacked]
    rates = {
        "benign_utility": _rate(sum(bool(o.utility) for o in benign), len(benign)),
        "utility_under_attack": _rate(sum(bool(o.utility) for o in attacked), len(attacked)),
        "targeted_asr": _rate(sum(bool(o.security) for o in attacked), len(attacked)),
    }
    return {
        **{k: v["value"] for k, v in rates.items()},
        "episodes": len(outcomes),
        "benign_episodes": len(benign),
        "attacked_episodes": len(attacked),
        "errors": len(outcomes) - len(ok),
        "ci": rates,
    }


def _by(outcomes: Sequence[AgentOutcome], key: Callable[[AgentOutcome], str]) -> dict[str, Any]:
    groups: dict[str, list[AgentOutcome]] = defaultdict(list)
    for o in outcomes:
        groups[key(o)].append(o)
    return {k: summarise(v) for k, v in sorted(groups.items())}


def ko_en_gap(outcomes: Sequence[AgentOutcome]) -> dict[str, Any] | None:
    """Paired KO vs EN targeted ASR: the same environment, user task, injection task, attack,
    defense and repeat in a ``-ko`` suite and its ``-en`` twin. None without pairs."""
    from suho.stats._paired import PairedCounts, gap_stat

    sides: dict[tuple[Any, ...], dict[str, bool]] = defaultdict(dict)
    for o in outcomes:
        if o.error or not o.attacked or o.lang not in ("ko", "en"):
            continue
        key = (o.environment, o.user_task, o.injection_task, o.attack, o.defense, o.repeat)
        sides[key][o.lang] = bool(o.security)
    both = a_only = b_only = neither = 0
    for s in sides.values():
        if "ko" not in s or "en" not in s:
            continue
        ko, en = s["ko"], s["en"]
        both += ko and en
        a_only += ko and not en
        b_only += en and not ko
        neither += not ko and not en
    counts = PairedCounts(both=both, a_only=a_only, b_only=b_only, neither=neither)
    if counts.n == 0:
        return None
    return gap_stat(counts, "ko", "en").to_dict()


def pass_k(outcomes: Sequence[AgentOutcome]) -> dict[str, Any] | None:
    """Over repeats of the same episode: ``benign_utility_pass_k`` (every repeat succeeded at
    the user's task) and ``asr_any_k`` (the attack succeeded in at least one repeat)."""
    groups: dict[tuple[Any, ...], list[AgentOutcome]] = defaultdict(list)
    for o in outcomes:
        if not o.error:
            groups[(o.suite, o.user_task, o.injection_task, o.attack, o.defense)].append(o)
    k = max((len(g) for g in groups.values()), default=0)
    if k < 2:
        return None
    benign = [g for g in groups.values() if not g[0].attacked]
    attacked = [g for g in groups.values() if g[0].attacked]
    return {
        "k": k,
        "benign_utility_pass_k": _rate(sum(all(o.utility for o in g) for g in benign), len(benign)),
        "asr_any_k": _rate(sum(any(o.security for o in g) for g in attacked), len(attacked)),
    }


def blast_radius(outcomes: Iterable[AgentOutcome]) -> dict[str, Any]:
    """What hijacked episodes (security True) changed, in total and at most in one episode."""
    hijacked = [o for o in outcomes if not o.error and o.security]
    total = {"money_moved": 0, "messages_sent": 0, "files_touched": 0, "other_changes": 0}
    worst = dict(total)
    for o in hijacked:
        for k, v in o.blast.to_dict().items():
            total[k] += v
            worst[k] = max(worst[k], v)
    return {"hijacked_episodes": len(hijacked), "total": total, "max_per_episode": worst}


def agent_report(outcomes: Sequence[AgentOutcome]) -> dict[str, Any]:
    """The ``agent`` object of the JSON report."""
    return {
        "totals": summarise(outcomes),
        "by_suite": _by(outcomes, lambda o: o.suite),
        "by_attack": _by([o for o in outcomes if o.attacked], lambda o: o.attack),
        "by_defense": _by(outcomes, lambda o: o.defense),
        "by_lang": _by(outcomes, lambda o: o.lang),
        "by_category": _by([o for o in outcomes if o.attacked], lambda o: o.category),
        "ko_en_gap": ko_en_gap(outcomes),
        "pass_k": pass_k(outcomes),
        "blast_radius": blast_radius(outcomes),
        "taxonomy": _taxonomy(outcomes),
    }


def _taxonomy(outcomes: Sequence[AgentOutcome]) -> dict[str, Any]:
    """OWASP Agentic and ATLAS ids: of every agent episode, and per injection category."""
    from ._plan import taxonomy_for

    cats = sorted({o.category for o in outcomes if o.attacked and o.category})
    return {"all": taxonomy_for(cats), "by_category": {c: taxonomy_for([c]) for c in cats}}


def outcome_of(row: Mapping[str, Any]) -> AgentOutcome | None:
    """An agent episode's outcome from a stored attempt (its ``agent`` verdict and plan)."""
    x: Mapping[str, Any] = row.get("extra") or {}
    if "user_task" not in x:
        return None
    v: Mapping[str, Any] = (row.get("verdicts") or {}).get("agent") or {}
    ev: Mapping[str, Any] = v.get("evidence") or {}
    blast = ev.get("blast_radius") or {}
    tags: Mapping[str, Any] = row.get("tags") or {}
    error = row.get("status") != "done" or not ev
    return AgentOutcome(
        suite=str(next(iter(tags.get("suite") or []), None) or x.get("suite") or ""),
        environment=str(x.get("environment") or ""),
        lang=str(row.get("lang") or ""),
        user_task=str(x["user_task"]),
        injection_task=x.get("injection_task"),
        attack=str(x.get("injection_attack") or "none"),
        defense=str(x.get("defense") or "none"),
        repeat=int(row.get("repeat") or 0),
        utility=None if error else bool(ev.get("utility")),
        security=None if error else ev.get("security"),
        blast=BlastRadius(**{k: int(blast.get(k, 0)) for k in BlastRadius.__slots__}),
        error=error,
        category=next(iter(tags.get("injection_category") or []), ""),
    )


def agent_section(store: Any, run_id: str) -> dict[str, Any]:
    """The ``agent`` object of a run's reports, from the store (one pass over its attempts)."""
    outcomes = [o for row in store.iter_attempts(run_id) if (o := outcome_of(row)) is not None]
    return agent_report(outcomes)
