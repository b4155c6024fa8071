"""Agent transcripts for the HTML report: tool calls and results of chosen episodes, with the
planted payload marked, as plain data (the page escapes every string)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_EPISODES = 40
MAX_CHARS = 2000


def _segments(text: str, payload: str | None) -> list[dict[str, Any]]:
    """``text`` cut into parts, ``mark`` set on each occurrence of the payload."""
    import json

    if not payload:
        return [{"text": text, "mark": False}]
    # as planted, or as it appears inside a JSON-rendered tool result (escaped)
    forms = (payload.strip(), json.dumps(payload.strip(), ensure_ascii=False)[1:-1])
    needle = next((f for f in forms if f and f in text), None)
    if needle is None:
        return [{"text": text, "mark": False}]
    out: list[dict[str, Any]] = []
    rest = text
    while needle in rest:
        before, _, rest = rest.partition(needle)
        if before:
            out.append({"text": before, "mark": False})
        out.append({"text": needle, "mark": True})
    if rest:
        out.append({"text": rest, "mark": False})
    return out


def _cut(text: str, n: int = MAX_CHARS) -> str:
    return text if len(text) <= n else text[:n] + " …"


def transcript(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """One stored agent attempt as a transcript (None for a non-agent attempt)."""
    x: Mapping[str, Any] = row.get("extra") or {}
    if "user_task" not in x:
        return None
    payload = x.get("payload")
    ev = ((row.get("verdicts") or {}).get("agent") or {}).get("evidence") or {}
    steps: list[dict[str, Any]] = []
    for e in row.get("events") or []:
        d = e.get("data") or {}
        if e.get("kind") == "model_call" and e.get("role") == "target" and d.get("text"):
            steps.append({"kind": "answer", "name": "", "parts": _segments(_cut(d["text"]), None)})
        elif e.get("kind") == "tool_call":
            call = f"{d.get('name')}({_cut(str(d.get('arguments', '')), 400)})"
            steps.append(
                {
                    "kind": "call",
                    "name": str(d.get("name")),
                    "parts": [{"text": call, "mark": False}],
                }
            )
        elif e.get("kind") == "tool_result":
            text = _cut(str(d.get("content", "")))
            kind = "error" if d.get("error") else "result"
            steps.append(
                {"kind": kind, "name": str(d.get("name")), "parts": _segments(text, payload)}
            )
        elif e.get("kind") == "note" and d.get("defense"):
            steps.append(
                {
                    "kind": "defense",
                    "name": str(d["defense"]),
                    "parts": [
                        {"text": str({k: v for k, v in d.items() if k != "defense"}), "mark": False}
                    ],
                }
            )
    return {
        "id": row["id"],
        "suite": x.get("suite"),
        "user_task": x.get("user_task"),
        "injection_task": x.get("injection_task"),
        "attack": x.get("injection_attack"),
        "defense": x.get("defense"),
        "status": row.get("status"),
        "utility": ev.get("utility"),
        "security": ev.get("security"),
        "prompt": row.get("prompt") or "",
        "steps": steps,
    }


def agent_transcripts(store: Any, run_id: str, limit: int = MAX_EPISODES) -> list[dict[str, Any]]:
    """Up to ``limit`` transcripts: hijacked episodes first, then the others, in plan order."""
    hijacked: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for row in store.iter_attempts(run_id):
        if len(hijacked) >= limit:
            break
        t = transcript(row)
        if t is None:
            continue
        if t["security"]:
            hijacked.append(t)
        elif len(others) < limit:
            others.append(t)
    return (hijacked + others)[:limit]
