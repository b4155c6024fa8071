"""Conversation attacks in numbers: queries to success and queries per role, per attack.

Fed one finished attempt at a time (``MultiTurnTally.add``), it keeps a few integers per attack
and a histogram of queries to success, never the attempts themselves.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def queries_to_success(events: Sequence[Mapping[str, Any]]) -> int:
    """Target queries an attempt took to reach its best (judged) turn: the attack's summary note
    says so when there is one; else every target query of the attempt counts."""
    for e in reversed(events):
        data = e.get("data") or {}
        if e.get("kind") == "note" and e.get("role") == "attack" and "queries_at_best" in data:
            q = int(data["queries_at_best"])
            if q > 0:
                return q
            break
    return sum(1 for e in events if e.get("kind") == "model_call" and e.get("role") == "target")


@dataclass(slots=True)
class _Attack:
    attempts: int = 0
    errors: int = 0
    successes: int = 0
    target: int = 0
    attacker: int = 0
    judge: int = 0
    backtracks: int = 0
    pruned: int = 0
    to_success: Counter[int] = field(default_factory=Counter)


@dataclass(slots=True)
class MultiTurnTally:
    """Per attack: attempts, successes, queries per role (requests, retries included),
    backtracks, pruned branches, and the distribution of queries to success."""

    attacks: dict[str, _Attack] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        """One attempt: a store row (``attack``, ``status``, ``success``, ``tries``,
        ``attacker_calls``, ``judge_calls``, ``events``)."""
        a = self.attacks.setdefault(str(row["attack"]), _Attack())
        a.attempts += 1
        a.target += int(row.get("tries") or 0)
        a.attacker += int(row.get("attacker_calls") or 0)
        a.judge += int(row.get("judge_calls") or 0)
        events: Sequence[Mapping[str, Any]] = row.get("events") or []
        a.backtracks += sum(1 for e in events if e.get("kind") == "backtrack")
        a.pruned += sum(
            1 for e in events if e.get("kind") == "note" and (e.get("data") or {}).get("pruned")
        )
        if row.get("status") != "done":
            a.errors += 1
            return
        if row.get("success"):
            a.successes += 1
            a.to_success[queries_to_success(events)] += 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in sorted(self.attacks):
            a = self.attacks[name]
            values = sorted(a.to_success.elements())
            roles = (("target", a.target), ("attacker", a.attacker), ("judge", a.judge))
            out[name] = {
                "attempts": a.attempts,
                "errors": a.errors,
                "successes": a.successes,
                "queries_to_success": {
                    "median": statistics.median(values) if values else None,
                    "mean": round(statistics.fmean(values), 3) if values else None,
                    "min": values[0] if values else None,
                    "max": values[-1] if values else None,
                    "distribution": {str(k): a.to_success[k] for k in sorted(a.to_success)},
                },
                "queries": {"target": a.target, "attacker": a.attacker, "judge": a.judge},
                "queries_per_attempt": {
                    role: round(n / a.attempts, 3) if a.attempts else None for role, n in roles
                },
                "backtracks": a.backtracks,
                "pruned": a.pruned,
            }
        return out
