"""Redaction: share findings without spreading the payload.

A redacted text keeps a SHA-256 of the original (so two parties can confirm they hold the same
answer) and a short prefix (so a reader can tell a refusal from compliance), and drops the rest.
"""

from __future__ import annotations

import hashlib
from typing import Any

PREFIX_CHARS = 24
MARK = "[redacted]"
# Evidence keys whose values quote the response (matched spans, judge quotes).
_QUOTING_KEYS = frozenset(
    {"text", "match", "matched", "snippet", "excerpt", "quote", "value", "response", "content"}
)


def redact_text(text: str | None, *, prefix: int = PREFIX_CHARS) -> str | None:
    """``"[redacted] sha256=<hex> len=<n> | <first chars>…"``; None stays None.

    Already-redacted text is returned unchanged, so redacting twice is harmless.
    """
    if text is None:
        return None
    if text.startswith(MARK):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    head = text[:prefix].replace("\n", " ")
    more = "…" if len(text) > prefix else ""
    return f"{MARK} sha256={digest} len={len(text)} | {head}{more}"


def redact_evidence(value: Any) -> Any:
    """Evidence with every string that may quote the response redacted (recursively)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if isinstance(v, str) and k in _QUOTING_KEYS:
                out[k] = redact_text(v)
            else:
                out[k] = redact_evidence(v)
        return out
    if isinstance(value, list):
        return [redact_evidence(v) for v in value]
    return value


def redact_attempt(view: dict[str, Any]) -> dict[str, Any]:
    """An attempt view (``attempt_view``) with model output redacted.

    Prompts stay: they are the probes' requests, not the harmful answer. The response, the
    assistant turns, error details (which can quote a garbled body) and quoting evidence go.
    """
    out = dict(view)
    out["response"] = redact_text(view.get("response"))
    if view.get("error_detail"):
        out["error_detail"] = redact_text(view["error_detail"])
    turns = view.get("turns")
    if isinstance(turns, list):
        out["turns"] = [
            {**t, "content": redact_text(t["content"])}
            if isinstance(t, dict)
            and t.get("role") == "assistant"
            and isinstance(t.get("content"), str)
            else t
            for t in turns
        ]
    verdicts = view.get("verdicts")
    if isinstance(verdicts, dict):
        out["verdicts"] = {
            name: {**v, "evidence": redact_evidence(v.get("evidence"))}
            for name, v in verdicts.items()
        }
    events = view.get("events")
    if isinstance(events, list):
        out["events"] = [redact_event(e) for e in events]
    out["redacted"] = True
    return out


def redact_event(event: Any) -> Any:
    """An episode event with what models said redacted (what was asked stays, like prompts)."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return event
    data = dict(event["data"])
    kind = event.get("kind")
    if kind == "model_call":
        if isinstance(data.get("text"), str):
            data["text"] = redact_text(data["text"])
        if isinstance(data.get("new"), list):
            data["new"] = [
                {**m, "content": redact_text(m["content"])}
                if isinstance(m, dict)
                and m.get("role") == "assistant"
                and isinstance(m.get("content"), str)
                else m
                for m in data["new"]
            ]
    elif kind == "score" and isinstance(data.get("verdicts"), list):
        data["verdicts"] = [
            {**v, "evidence": redact_evidence(v.get("evidence"))} if isinstance(v, dict) else v
            for v in data["verdicts"]
        ]
    elif kind == "error" and isinstance(data.get("detail"), str):
        data["detail"] = redact_text(data["detail"])
    return {**event, "data": data}
