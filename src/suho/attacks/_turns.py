"""An attempt's ``turns`` (the JSON report's conversation view) from its episode events.

Each prompt an attack sent (an ``attacker_turn`` event) and each answer of the target (its
``model_call`` event) becomes one ``{"role", "content", "turn"}`` object, in order, with what
the attack knew about it: the judge's ``rating``, whether the detectors saw a ``refused`` answer,
``backtracked`` when a crescendo dropped the exchange from the target's history, the ``branch``
(TAP), ``stream``/``iteration`` (PAIR) or ``mode`` (ko-escalation), and ``pruned`` for a TAP
variation the target never saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Where-fields copied from an attacker turn onto its entries.
_WHERE = ("branch", "parent", "depth", "stream", "iteration", "mode", "step")


def turns_from_events(
    events: Sequence[Mapping[str, Any]], system: str | None = None
) -> list[dict[str, Any]] | None:
    """The turns of a conversation attack, or None when its events have no ``attacker_turn``
    (single-turn delivery, or an attack that records its prompts some other way)."""
    if not any(e.get("kind") == "attacker_turn" for e in events):
        return None
    out: list[dict[str, Any]] = []
    if system:
        out.append({"role": "system", "content": system})
    last_user: dict[str, Any] | None = None
    last_answer: dict[str, Any] | None = None
    by_branch: dict[str, dict[str, Any]] = {}
    for e in events:
        kind = e.get("kind")
        data: Mapping[str, Any] = e.get("data") or {}
        role = e.get("role")
        if kind == "attacker_turn":
            entry: dict[str, Any] = {"role": "user", "content": str(data.get("prompt", ""))}
            if e.get("turn") is not None:
                entry["turn"] = e["turn"]
            entry.update({k: data[k] for k in _WHERE if data.get(k) is not None})
            out.append(entry)
            last_user = entry
            if "branch" in entry:
                by_branch[str(entry["branch"])] = entry
        elif kind == "model_call" and role == "target":
            entry = {"role": "assistant", "content": str(data.get("text", ""))}
            if e.get("turn") is not None:
                entry["turn"] = e["turn"]
            if last_user is not None:
                entry.update({k: last_user[k] for k in _WHERE if k in last_user})
            out.append(entry)
            last_answer = entry
        elif kind == "score" and last_answer is not None:
            if role == "judge" and "rating" in data:
                # The rating names the branch/stream it rated: TAP writes every variation of a
                # level before it sends any, so the last prompt is not always the one answered.
                last_answer.update({k: data[k] for k in _WHERE if data.get(k) is not None})
                if data["rating"] is not None:
                    last_answer["rating"] = data["rating"]
            elif role is None:
                refusals = [v for v in data.get("verdicts") or [] if v.get("kind") == "refusal"]
                if refusals:
                    last_answer["refused"] = any(bool(v.get("hit")) for v in refusals)
        elif kind == "backtrack":
            for dropped in (last_user, last_answer):
                if dropped is not None and dropped.get("turn") == e.get("turn"):
                    dropped["backtracked"] = True
        elif kind == "note" and data.get("pruned"):
            pruned = by_branch.get(str(data.get("branch")))
            if pruned is not None:
                pruned["pruned"] = data["pruned"]
    return out
