"""Keyword recovery on a labelled obfuscation set (``suho normalize --eval``).

Each item hides ``keywords`` in ``text`` with one ``technique``; an item's keyword is recovered
when it appears in the normalised text. Benign controls (technique ``benign``) pass when the
normaliser returns them unchanged. The shipped set is ``suho/data/korean/obfuscation.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from suho.errors import SuhoInputError
from suho.korean._lexicon import read_text
from suho.korean._normalize import normalize

#: Targets the shipped set must meet (enforced by the test suite and the command's exit code).
TARGET_RECOVERY = 0.95
TARGET_BENIGN = 1.0


@dataclass(slots=True)
class Item:
    id: str
    technique: str
    text: str
    keywords: list[str]


@dataclass(slots=True)
class TechniqueResult:
    technique: str
    items: int = 0
    keywords: int = 0
    recovered: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.recovered / self.keywords if self.keywords else 1.0


@dataclass(slots=True)
class Report:
    by_technique: dict[str, TechniqueResult]
    benign_total: int
    benign_unchanged: int
    benign_failures: list[str]

    @property
    def keywords(self) -> int:
        return sum(r.keywords for r in self.by_technique.values())

    @property
    def recovered(self) -> int:
        return sum(r.recovered for r in self.by_technique.values())

    @property
    def recovery(self) -> float:
        return self.recovered / self.keywords if self.keywords else 1.0

    @property
    def benign_rate(self) -> float:
        return self.benign_unchanged / self.benign_total if self.benign_total else 1.0

    @property
    def meets_targets(self) -> bool:
        return self.recovery >= TARGET_RECOVERY and self.benign_rate >= TARGET_BENIGN

    def to_dict(self) -> dict[str, Any]:
        return {
            "recovery": round(self.recovery, 4),
            "keywords": self.keywords,
            "recovered": self.recovered,
            "benign_unchanged": self.benign_unchanged,
            "benign_total": self.benign_total,
            "by_technique": {
                k: {
                    "items": v.items,
                    "keywords": v.keywords,
                    "recovered": v.recovered,
                    "rate": round(v.rate, 4),
                }
                for k, v in sorted(self.by_technique.items())
            },
        }


def load_set(path: Path | None = None) -> list[Item]:
    """Items of a labelled set (JSONL {"id", "technique", "text", "keywords"}); the shipped set
    when ``path`` is None."""
    name = str(path) if path else "obfuscation.jsonl"
    if path is not None and not path.is_file():
        raise SuhoInputError("file not found", path=name)
    raw = path.read_text(encoding="utf-8") if path else read_text("obfuscation.jsonl")
    items: list[Item] = []
    for no, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            kws = obj.get("keywords", [])
            if not isinstance(kws, list) or not all(isinstance(k, str) for k in kws):
                raise ValueError("keywords must be a list of strings")
            items.append(
                Item(str(obj["id"]), str(obj.get("technique", "unknown")), str(obj["text"]), kws)
            )
        except (json.JSONDecodeError, KeyError, ValueError) as e:
            raise SuhoInputError(f"bad item ({e})", path=name, line=no) from e
    return items


def recovery(
    items: Iterable[Item], *, stages: Iterable[str] | None = None, morph: bool = False
) -> Report:
    """Run the normaliser over ``items`` and count recovered keywords per technique."""
    chosen = list(stages) if stages is not None else None
    by: dict[str, TechniqueResult] = {}
    benign_total = benign_ok = 0
    benign_fail: list[str] = []
    for it in items:
        out = normalize(it.text, stages=chosen, morph=morph).text
        if it.technique == "benign":
            benign_total += 1
            if out == it.text:
                benign_ok += 1
            else:
                benign_fail.append(it.id)
            continue
        r = by.setdefault(it.technique, TechniqueResult(it.technique))
        r.items += 1
        for kw in it.keywords:
            r.keywords += 1
            if kw in out:
                r.recovered += 1
            else:
                r.failures.append(it.id)
    return Report(by, benign_total, benign_ok, benign_fail)


def format_report(rep: Report) -> str:
    """A plain-text table: recovery per technique, overall, and benign controls."""
    lines = [f"{'technique':14} {'items':>5} {'recovered':>10} {'rate':>7}"]
    for name, r in sorted(rep.by_technique.items()):
        lines.append(f"{name:14} {r.items:5d} {r.recovered:5d}/{r.keywords:<4d} {r.rate:7.1%}")
        if r.failures:
            lines.append(
                f"{'':14} missed: {', '.join(r.failures[:8])}{' ...' if len(r.failures) > 8 else ''}"
            )
    lines.append(
        f"{'all':14} {sum(r.items for r in rep.by_technique.values()):5d} {rep.recovered:5d}/{rep.keywords:<4d} {rep.recovery:7.1%}  (target {TARGET_RECOVERY:.0%})"
    )
    lines.append(
        f"{'benign':14} {rep.benign_total:5d} {rep.benign_unchanged:5d}/{rep.benign_total:<4d} {rep.benign_rate:7.1%}  unchanged (target {TARGET_BENIGN:.0%})"
    )
    if rep.benign_failures:
        lines.append(f"{'':14} changed: {', '.join(rep.benign_failures)}")
    return "\n".join(lines)
