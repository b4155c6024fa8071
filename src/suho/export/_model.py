"""What every export holds: the run, its failing (category, transform) groups, examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from suho.report._data import summary
from suho.report._redact import redact_text
from suho.report._views import example_attempts, failing_groups, failing_probes, verdict_stages
from suho.store import Store

TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")


def category_text(cat: str, lang: int = 0) -> str:
    """The category's name from the taxonomy data: Korean (0) or English (1)."""
    from suho.export._taxonomy import category_name

    return category_name(cat, "ko" if lang == 0 else "en")


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
    ex = {
        (g["category"], g["transform"]): example_attempts(
            store, rid, g["category"], g["transform"], examples
        )
        for g in groups
    }
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
