"""What the gateway checks in a request or a response, and how a policy turns it into an action.

Order: the Korean normaliser (inside ``cyber-offense``), then ``cyber-offense``, ``pii-kr`` and the
gateway's own prompt-injection rules. The session check joins the user turns of the conversation
(an attack split into harmless-looking steps is whole again) and keeps a decaying risk per key.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from suho.gateway._keys import in_scope
from suho.gateway._policy import SEVERITY, Policy, Rule

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")


def user_lang(text: str) -> str:
    """``ko`` when Hangul is at least a fifth of the letters, else ``en``."""
    ko = len(_HANGUL.findall(text))
    en = len(_LATIN.findall(text))
    return "ko" if ko and ko * 5 >= ko + en else "en"


class GatewayInjectionRules:
    """Prompt-injection cues in a request (the gateway's own rules, KO/EN).

    Catches instructions to ignore or override earlier ones, requests for the system prompt or
    hidden keys, persona switches (DAN, developer mode) and instructions addressed to "the AI"
    inside pasted documents. Misses paraphrases without these cues, injections in other
    languages or encodings, and instructions that only make sense in an agent's tool results.
    """

    name = "prompt-injection"
    _EN = re.compile(
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|system)\s+"
        r"(?:instructions?|prompts?|rules?|messages?)|\b(?:print|reveal|show|repeat|output)\s+(?:your|the)\s+(?:full\s+|entire\s+)?system\s+prompt"
        r"|\byou\s+are\s+now\s+(?:DAN|in\s+developer\s+mode|unrestricted|jailbroken)|\bdeveloper\s+mode\s+enabled"
        r"|\bnote\s+to\s+(?:ai|the\s+ai|llm|assistants?|ai\s+assistants?)\b|\bdo\s+anything\s+now\b",
        re.IGNORECASE,
    )
    _KO = re.compile(
        r"(?:이전|앞의|위의|기존|모든)\s*(?:지시|지침|명령|규칙|프롬프트)\S*\s*(?:은|는|을|를)?\s*(?:모두\s*)?(?:무시|잊어)"
        r"|시스템\s*프롬프트\S*\s*(?:전체|전부)?\S*\s*(?:출력|보여|알려|공개)|개발자\s*모드|탈옥\s*모드"
        r"|(?:AI|인공지능)\s*(?:비서|어시스턴트)?\s*(?:에게|참고)|지금부터\s*(?:너는|넌)\s*(?:제한|규칙)\s*(?:없는|이\s*없는)",
        re.IGNORECASE,
    )

    def check(self, text: str) -> tuple[bool, list[str]]:
        hits = [m.group(0) for m in self._EN.finditer(text)] + [
            m.group(0) for m in self._KO.finditer(text)
        ]
        return bool(hits), hits[:5]


@dataclass(slots=True)
class Signals:
    """Detector results for one side (request or response) of one exchange."""

    cyber_label: str = "benign"
    cyber_score: float = 0.0
    hosts: list[str] = field(default_factory=list)
    pii: bool = False
    pii_spans: list[tuple[int, int, str]] = field(default_factory=list)
    injection: bool = False
    session_score: float = 0.0
    session_hit: bool = False

    def scores(self) -> dict[str, Any]:
        return {
            "cyber-offense": {"label": self.cyber_label, "score": round(self.cyber_score, 3)},
            "pii-kr": self.pii,
            "prompt-injection": self.injection,
            "session": {"score": round(self.session_score, 3), "hit": self.session_hit},
        }


def window(text: str, limit: int) -> str:
    """``text``, or its first and last ``limit // 2`` characters when it is longer.

    The rules cost about 3 ms per 1,000 characters on the event loop; a 250 KB body would stall
    every request in flight for most of a second. The middle of a very long text goes unchecked
    (said in docs/gateway.md).
    """
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n{text[-half:]}"


class Checker:
    """Runs the detectors; one per server (the detectors are stateless, the session is not)."""

    def __init__(self, max_chars: int = 20000) -> None:
        self.max_chars = max_chars
        from suho.detectors._cyber import classify, hosts_in
        from suho.detectors._pii import PiiKrDetector

        self._classify = classify
        self._hosts = hosts_in
        self._pii = PiiKrDetector()
        self._inj = GatewayInjectionRules()

    def check(self, text: str, *, injection: bool = True) -> Signals:
        text = window(text, self.max_chars)
        label, score, _ = self._classify(text)
        s = Signals(label, score, self._hosts(text))
        v = self._pii.detect_text(text)
        s.pii = v.hit
        s.pii_spans = [(sp.start, sp.end, sp.kind) for sp in v.spans]
        if injection:
            s.injection = self._inj.check(text)[0]
        return s

    def redact(self, text: str, spans: Sequence[tuple[int, int, str]]) -> str:
        for start, end, kind in sorted(spans, reverse=True):
            text = f"{text[:start]}[{kind}]{text[end:]}"
        return text

    def joined_label(self, turns: Sequence[str]) -> tuple[str, float]:
        label, score, _ = self._classify(window("\n".join(turns), self.max_chars))
        return label, score


class SessionRisk:
    """A decaying sum of each key's request risk (cyber-offense scores of 0.4 and up).

    The server lets it trip the ``session`` detector only on a request that itself scores 0.4 or
    more, so a key that sent attacks is watched more closely on cyber topics, not cut off.
    """

    def __init__(self, half_life_s: float) -> None:
        self.rate = math.log(2) / half_life_s
        self._risk: dict[str, tuple[float, float]] = {}

    def add(self, key_id: str, score: float, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        old, at = self._risk.get(key_id, (0.0, now))
        value = old * math.exp(-self.rate * (now - at)) + (score if score >= 0.4 else 0.0)
        self._risk[key_id] = (value, now)
        if len(self._risk) > 100_000:  # keep memory bounded: forget the quietest keys
            for k, _ in sorted(self._risk.items(), key=lambda kv: kv[1][0])[:50_000]:
                del self._risk[k]
        return value


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    rule: Rule | None
    reason: str


def scope_of(hosts: Sequence[str], scope: Sequence[str]) -> str:
    """``none`` when the text names no host, ``in`` when every one is in scope, else ``out``."""
    if not hosts:
        return "none"
    return "in" if scope and all(in_scope(h, scope) for h in hosts) else "out"


def decide(policy: Policy, tier: str, side: str, s: Signals, scope: Sequence[str]) -> Decision:
    """The strictest action among the tier's rules for ``side`` that match ``s``."""
    best: Decision = Decision("allow", None, "no rule matched")
    for r in policy.tier(tier).rules:
        if r.on != side or not _matches(r, s, scope):
            continue
        if best.rule is None or SEVERITY[r.action] > SEVERITY[best.action]:
            best = Decision(r.action, r, _reason(r, s))
    return best


def _matches(r: Rule, s: Signals, scope: Sequence[str]) -> bool:
    if r.detector == "cyber-offense":
        ok = s.cyber_label == r.label if r.label else s.cyber_label == "offensive"
        if r.min_score is not None:
            ok = ok and s.cyber_score >= r.min_score
        if r.scope is not None:
            ok = ok and scope_of(s.hosts, scope) == r.scope
        return ok
    if r.detector == "pii-kr":
        return s.pii
    if r.detector == "prompt-injection":
        return s.injection
    if r.detector == "session":
        return s.session_hit if r.min_score is None else s.session_score >= r.min_score
    return False


def _reason(r: Rule, s: Signals) -> str:
    if r.detector == "cyber-offense":
        extra = f", scope {r.scope}" if r.scope else ""
        return f"cyber-offense {s.cyber_label} ({s.cyber_score:.2f}{extra})"
    if r.detector == "session":
        return f"session risk {s.session_score:.2f}"
    return r.detector


_MESSAGES = {
    "ko": {
        "block": "이 요청은 게이트웨이 보안 정책에 따라 차단되었습니다 (사유: {reason}). 방어·교육 목적이라면 "
        "검증된 등급의 키를 요청하세요.",
        "response": "모델의 답변이 보안 정책에 맞지 않아 전달하지 않았습니다 (사유: {reason}).",
        "step-up": "이 요청에는 더 높은 등급(본인 확인 또는 방어 담당자 검증)의 키가 필요합니다 (사유: {reason}).",
    },
    "en": {
        "block": "This request was blocked by the gateway's security policy (reason: {reason}). For "
        "defensive or educational work, ask for a verified-tier key.",
        "response": "The model's answer was withheld by the gateway's security policy (reason: {reason}).",
        "step-up": "This request needs a higher-tier key (verified identity or verified defender) "
        "(reason: {reason}).",
    },
}


def message(kind: str, lang: str, reason: str, rule: Rule | None = None) -> str:
    if rule is not None:
        custom = rule.message_ko if lang == "ko" else rule.message_en
        if custom:
            return custom
    return _MESSAGES["ko" if lang == "ko" else "en"][kind].format(reason=reason)


__all__ = [
    "Checker",
    "Decision",
    "GatewayInjectionRules",
    "SessionRisk",
    "Signals",
    "decide",
    "message",
    "scope_of",
    "user_lang",
]
