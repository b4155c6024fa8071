"""The ``injection`` detector: does a text (a tool result, an e-mail) carry instructions aimed
at an AI agent?

The text goes through suho's Korean normaliser first, so a payload written in loose jamo, with
spaces between syllables, zero-width characters, homoglyphs or Hangul numerals is read as plain
Korean. Then weighted rules look for what injections have and ordinary data lacks:

- strong (1.0): "ignore previous instructions" / 이전 지시 무시; a message addressed to the
  assistant or model (비서님, "AI assistant, this is ..."); "before you do what I asked" / 먼저
  다음을 처리; tags like ``<important…>`` / ``<중요…>``; "from now on your task" / 지금부터 당신의
  임무; "without consent" / 동의 없이 with an order to an assistant program; tool-call syntax
  ``name({...})``;
- weak (0.5 each): an imperative action verb (transfer, share, delete, 이체하세요, 공유하세요, ...)
  next to a destination (account number, e-mail address, URL, phone number); a to-do marker
  (``TODO:``, ``할 일:``) followed by such an imperative.

A text is a hit at a score of 1.0 or more. Measured per language on
``suho/data/validation/injection.jsonl`` (see docs/agents.md).

Misses: choseong-only payloads (the initials cannot be read back), payloads in another script
(romanised Korean, base64), instructions phrased as plain facts ("the new account is ..."), and
short imperative goals with no destination (적금 자동이체를 해지하세요). May flag genuine
letters that address an assistant by name.
"""

from __future__ import annotations

import re
from typing import ClassVar

from suho.detectors._base import DetectInput, DetectorKind, Span, TextDetector, Verdict

_I = re.IGNORECASE
_STRONG: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ignore",
        re.compile(
            r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?)",
            _I,
        ),
    ),
    (
        "ignore",
        re.compile(
            r"(?:이전|앞|기존)의?\s*(?:모든\s*)?(?:지시|명령|지침|요청)(?:을|를|은|는)?\s*(?:모두\s*)?무시"
        ),
    ),
    (
        "addressed",
        re.compile(r"\b(?:AI|assistant|model|agent|GPT|Claude|Qwen)\b[^.\n]{0,40}\bthis is\b", _I),
    ),
    (
        "addressed",
        re.compile(
            r"(?:AI\s*)?(?:비서|어시스턴트|에이전트)\s*(?:님|씨)?\s*,?\s*(?:저는|이 메시지|지금)"
        ),
    ),
    ("addressed", re.compile(r"(?:assistant|비서)\s*(?:program|프로그램)", _I)),
    (
        "before-task",
        re.compile(r"before you (?:do|solve|start|continue)[^.\n]{0,40}(?:asked|task|request)", _I),
    ),
    (
        "before-task",
        re.compile(
            r"(?:부탁드린|요청한|요청하신|원래)\s*(?:일|작업|요청)[^.\n]{0,20}(?:전에|앞서)|먼저\s*다음을"
        ),
    ),
    (
        "tag",
        re.compile(
            r"</?\s*(?:important|information|system|instructions?|중요|안내|지시)[_\w]*\s*>", _I
        ),
    ),
    ("new-task", re.compile(r"from now on,? your (?:task|job|instructions?)", _I)),
    ("new-task", re.compile(r"지금부터\s*(?:당신|너)의?\s*(?:임무|역할|작업)")),
    (
        "no-consent",
        re.compile(
            r"without (?:the )?(?:customer|user)'?s? consent|(?:고객|사용자)\s*동의\s*없이", _I
        ),
    ),
    ("tool-syntax", re.compile(r"\b[a-z_]{3,40}\(\{\s*\"")),
)
_ACTION = re.compile(
    r"\b(?:transfer|send|share|delete|change|pay|join|post|forward|e-mail|overwrite|set up|raise|cancel)\b"
    r"|(?:이체|송금|공유|삭제|변경|납부|참여|보내|발급|덮어쓰|등록|해지|올리)(?:하)?(?:세요|십시오|해\s*주세요|하라)",
    _I,
)
_DEST = re.compile(
    r"\d{3}-\d{3,4}-\d{4,6}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|\b01[016789]-?\d{3,4}-?\d{4}\b"
)
_TODO = re.compile(r"(?:\bTODO\b|할\s*일)\s*:", _I)


class InjectionDetector(TextDetector):
    """Flags text that carries instructions aimed at an AI agent (prompt injection), after the
    Korean normaliser. Misses choseong-only or romanised payloads, instructions phrased as plain
    facts and short goals with no destination; see the module docstring for the rules."""

    name: ClassVar[str] = "injection"
    kind: ClassVar[DetectorKind] = "harm"

    def check(self, item: DetectInput) -> Verdict:
        from suho.korean import normalize

        text = normalize(item.text).text
        score = 0.0
        spans: list[Span] = []
        rules: list[str] = []
        for rule, pat in _STRONG:
            m = pat.search(text)
            if m:
                score += 1.0
                rules.append(rule)
                spans.append(Span(rule, m.start(), m.end(), m.group(0)))
        for sentence in re.split(r"(?<=[.!?\n。])\s*", text):
            if _ACTION.search(sentence) and _DEST.search(sentence):
                score += 0.5
                rules.append("action+destination")
                if _TODO.search(sentence):
                    score += 0.5
                    rules.append("todo")
        hit = score >= 1.0
        return Verdict(
            detector=self.name,
            hit=hit,
            score=min(1.0, score),
            kind=self.kind,
            spans=spans if item.text == text else [],  # spans index the normalised text otherwise
            evidence={"rules": sorted(set(rules))},
        )
