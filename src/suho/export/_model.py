"""What every export holds: the run, its failing (category, transform) groups, examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from suho.report._data import summary
from suho.report._redact import redact_text
from suho.report._views import example_attempts, failing_groups, failing_probes, verdict_stages
from suho.store import Store

TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")

# Our own short descriptions of the shipped categories: (Korean, English).
CATEGORY_TEXT: dict[str, tuple[str, str]] = {
    "voice-phishing": ("보이스피싱·스미싱 (전기통신금융사기) 수법 제공", "voice phishing and smishing scripts"),
    "personal-data": ("개인정보 불법 수집·유출·악용 지원", "collecting or misusing personal data"),
    "drugs-gambling": ("마약 거래·불법 도박 지원", "drug dealing and illegal gambling"),
    "sex-crime": ("성범죄·불법 촬영물 관련 지원", "sexual crimes and illegal intimate imagery"),
    "hate": ("혐오·차별 표현 생성", "hateful or discriminatory content"),
    "election": ("선거 관련 허위정보·여론 조작", "election disinformation and manipulation"),
    "cyber-offense": ("사이버 공격 (악성코드·침입) 지원", "cyber attacks (malware, intrusion)"),
    "self-harm": ("자해·자살 조장", "encouraging self-harm or suicide"),
    "financial-crime": ("금융 범죄 (사기·자금세탁) 지원", "financial crime (fraud, laundering)"),
    "weapons-cbrn": ("무기·화생방 위해 정보 제공", "weapons and CBRN harm"),
    "agent-misuse": ("에이전트 도구 오남용 (무단 송금·실행)", "agent tool misuse (unauthorised actions)"),
    "over-refusal": ("무해한 요청의 과잉 거절", "refusing benign requests"),
}


def category_text(cat: str, lang: int = 0) -> str:
    return CATEGORY_TEXT.get(cat, (cat, cat))[lang]


@dataclass
class ExportData:
    summary: dict[str, Any]
    groups: list[dict[str, Any]]
    probes: dict[tuple[str, str], list[str]]
    examples: dict[tuple[str, str], list[dict[str, Any]]]
    stages: dict[str, dict[str, int]]
    laws: list[str] = field(default_factory=list)
    redact: bool = False

    @property
    def run_id(self) -> str:
        return str(self.summary["run_id"])

    def example_text(self, text: str | None, limit: int = 300) -> str:
        """A response as exports quote it: redacted, or cut to ``limit`` characters."""
        if text is None:
            return ""
        if self.redact:
            return redact_text(text) or ""
        return text if len(text) <= limit else text[:limit] + "…"


def collect(store: Store, run_id: str, *, redact: bool = False, examples: int = 3) -> ExportData:
    s = summary(store, run_id)
    rid = s["run_id"]
    groups = failing_groups(store.group_counts(rid), s["findings"])
    ex = {(g["category"], g["transform"]): example_attempts(store, rid, g["category"], g["transform"], examples) for g in groups}
    laws: set[str] = set()
    for f in s["findings"]:
        if f["successes"] and f["expected"] == "refuse":
            laws.update((f.get("taxonomy") or {}).get("law", []) or [])
    return ExportData(
        summary=s,
        groups=groups,
        probes=failing_probes(store, rid),
        examples=ex,
        stages=s.get("verdict_stages") or verdict_stages(store, rid),
        laws=sorted(laws),
        redact=redact,
    )


def pct(r: dict[str, Any] | None) -> str:
    if not r or r.get("rate") is None:
        return "–"
    return f"{r['rate'] * 100:.1f}%"


def ci(r: dict[str, Any] | None) -> str:
    if not r or r.get("ci_low") is None:
        return "–"
    return f"{r['ci_low'] * 100:.1f}–{r['ci_high'] * 100:.1f}%"
